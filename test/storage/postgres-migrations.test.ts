/** PostgreSQL migrations that move data: run against a schema holding rows of the older shape. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { migrate } from '../../src/storage/postgres/migrate.js';
import { migrations } from '../../src/storage/postgres/migrations.js';
import { createPool } from '../../src/storage/postgres/pool.js';
import { PostgresStore } from '../../src/storage/postgres/postgres-store.js';
import { freshSchema, skipWithoutPostgres, TEST_DATABASE_URL } from '../helpers/postgres.js';

describe('PostgreSQL migrations', { skip: skipWithoutPostgres }, () => {
  it('5 moves completions without a start onto their pings and gives started runs their start ping\'s id; 6 and 7 keep what 5 left working', async () => {
    const schema = await freshSchema();
    const pool = createPool({ url: TEST_DATABASE_URL ?? '', schema: schema.schema, max: 1 });
    try {
      await pool.query('CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
      for (const m of migrations.filter((m) => m.version < 5)) {
        await pool.query(m.sql);
        await pool.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      }
      const t = (s: number) => new Date(Date.UTC(2026, 0, 5, 10, 0, s));
      await pool.query("INSERT INTO projects VALUES ('prj_a', 'A', 'pk_a', $1)", [t(0)]);
      await pool.query(
        `INSERT INTO monitors (id, project_id, key, name, type, schedule, timezone, grace_seconds, tags, realert_seconds, notify, ping_token, state, version, created_at, updated_at, deadline)
         VALUES ('mon_a', 'prj_a', 'a', 'a', 'job', 'every 1 hour', 'UTC', 60, '[]', 0, '{"alerts":["default"],"events":{"run":false,"complete":false}}', 'mping_a', 'up', 3, $1, $1, $2)`,
        [t(0), t(30)],
      );
      const ping = async (s: number, kind: string, details: string | null = null) =>
        (await pool.query("INSERT INTO pings (monitor_id, received_at, kind, source, method, body_size, details) VALUES ('mon_a', $1, $2, 'native', 'GET', 0, $3) RETURNING id", [t(s), kind, details])).rows[0].id as number;
      const heartbeat = await ping(1, 'success', '{"series":"s1"}');
      const start = await ping(2, 'start');
      const end = await ping(7, 'success');
      await pool.query("INSERT INTO runs (monitor_id, run_key, started_at, finished_at, duration, outcome, end_ping_id) VALUES ('mon_a', 's1', NULL, $1, 1.5, 'success', $2)", [t(1), heartbeat]);
      await pool.query("INSERT INTO runs (monitor_id, started_at, finished_at, duration, outcome, start_ping_id, end_ping_id) VALUES ('mon_a', $1, $2, 5, 'success', $3, $4)", [t(2), t(7), start, end]);

      assert.deepEqual(await migrate(pool), migrations.filter((m) => m.version >= 5).map((m) => m.version));
      const store = await PostgresStore.open({ url: TEST_DATABASE_URL ?? '', schema: schema.schema, max: 1 });
      try {
        const runs = await store.listRuns('mon_a', 10, 0);
        assert.equal(runs.total, 2);
        assert.deepEqual(
          runs.items.map((r) => [r.id, r.runId, r.startedAt, r.finishedAt, r.duration, r.outcome, r.startPingId, r.endPingId]),
          [
            [start, null, t(2), t(7), 5, 'success', start, end],
            [heartbeat, 's1', null, t(1), 1.5, 'success', null, heartbeat],
          ],
        );
        // 7: the scheduler finds the existing deadline through due_at.
        assert.deepEqual(await store.nextDeadline(), t(30));
        assert.deepEqual((await store.dueMonitors(t(30), 10)).map((m) => m.id), ['mon_a']);
      } finally {
        await store.close();
      }
      // 6: the pings outlive no monitor without the foreign key (a trigger deletes them).
      await pool.query("DELETE FROM monitors WHERE id = 'mon_a'");
      assert.equal((await pool.query('SELECT count(*)::int AS n FROM pings')).rows[0].n, 0);
    } finally {
      await pool.end();
      await schema.drop();
    }
  });
});

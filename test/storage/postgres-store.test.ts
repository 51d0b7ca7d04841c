/**
 * The Store contract on PostgreSQL, plus what only a shared database has: concurrent start-up migrations and
 * several processes writing the same monitors. Runs when TEST_DATABASE_URL is set (CI always sets it); each
 * test gets a fresh schema, dropped afterwards.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import pg from 'pg';
import { DEFAULT_NOTIFY } from '../../src/domain/notify.js';
import { decidePing } from '../../src/domain/ping-decision.js';
import { DEFAULT_RUN_RULES } from '../../src/domain/run-rules.js';
import { timingOf } from '../../src/domain/timing.js';
import { initialStatus } from '../../src/domain/transitions.js';
import type { Monitor } from '../../src/domain/monitor.js';
import type { Project } from '../../src/storage/store.js';
import type { PingInput } from '../../src/domain/ping.js';
import { newId, newPingKey, newPingToken } from '../../src/app/secrets.js';
import { openStore } from '../../src/storage/open-store.js';
import { migrate } from '../../src/storage/postgres/migrate.js';
import { migrations } from '../../src/storage/postgres/migrations.js';
import { createPool } from '../../src/storage/postgres/pool.js';
import { PostgresStore } from '../../src/storage/postgres/postgres-store.js';
import { storeContract } from './store-contract.js';

const T0 = new Date('2026-01-05T10:00:00.000Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);

const url = process.env.TEST_DATABASE_URL;
const skip = url ? false : 'TEST_DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test); PostgreSQL store tests skipped';

/** A new, empty schema and a way to drop it with everything in it. */
async function freshSchema(databaseUrl: string): Promise<{ schema: string; drop: () => Promise<void> }> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end();
  }
  const drop = async () => {
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    try {
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
    } finally {
      await c.end();
    }
  };
  return { schema, drop };
}

if (url) {
  storeContract('PostgreSQL', async () => {
    const { schema, drop } = await freshSchema(url);
    return { store: await PostgresStore.open({ url, schema, max: 4 }), cleanup: drop };
  });
}

describe('PostgreSQL store specifics', { skip }, () => {
  const databaseUrl = url ?? '';

  it('waits for a ping batch\'s lock to correct a stale due_at, instead of leaving it for the scheduler to poll', async () => {
    const { schema, drop } = await freshSchema(databaseUrl);
    const store = await PostgresStore.open({ url: databaseUrl, schema });
    const pool = createPool({ url: databaseUrl, schema, max: 1 });
    try {
      const project: Project = { id: newId('prj'), name: 'P', pingKey: newPingKey(), createdAt: T0 };
      await store.createProject(project);
      const m = monitorOf(project.id, T0); // due (late) at T0 + 1 h
      await store.insertMonitor(m);
      const later = new Date(T0.getTime() + 10_000);
      await store.recordPings([successPing(m.pingToken, later)], decidePing); // due at T0 + 1 h + 10 s; due_at stays
      const oldDeadline = new Date(T0.getTime() + 3_600_000);
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT 1 FROM monitors WHERE id = $1 FOR NO KEY UPDATE', [m.id]); // as a ping batch holds it
        let passed = false;
        const pass = store.dueMonitors(new Date(oldDeadline.getTime() + 5_000), 10).then((due) => {
          passed = true;
          return due;
        });
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(passed, false, 'the pass waits for the lock');
        await client.query('COMMIT');
        assert.deepEqual(await pass, []);
      } finally {
        client.release();
      }
      assert.deepEqual(await store.nextDeadline(), new Date(later.getTime() + 3_600_000), 'the stale due_at was corrected');
    } finally {
      await pool.end();
      await store.close();
      await drop();
    }
  });

  it('migrates a fresh schema once when two nodes start at the same time', async () => {
    const { schema, drop } = await freshSchema(databaseUrl);
    try {
      const [a, b] = await Promise.all([PostgresStore.open({ url: databaseUrl, schema }), PostgresStore.open({ url: databaseUrl, schema })]);
      await Promise.all([a.close(), b.close()]);
      const pool = createPool({ url: databaseUrl, schema, max: 2 });
      try {
        const rows = (await pool.query('SELECT version FROM schema_migrations ORDER BY version')).rows as { version: number }[];
        assert.deepEqual(rows.map((r) => r.version), migrations.map((m) => m.version));
        assert.deepEqual(await migrate(pool), [], 'a later start finds nothing to do');
      } finally {
        await pool.end();
      }
    } finally {
      await drop();
    }
  });

  it('lets exactly one of two concurrent migrators apply the migrations, the other waiting for it', async () => {
    const { schema, drop } = await freshSchema(databaseUrl);
    const pools = [createPool({ url: databaseUrl, schema, max: 1 }), createPool({ url: databaseUrl, schema, max: 1 })];
    try {
      const applied = await Promise.all(pools.map((p) => migrate(p)));
      assert.deepEqual(applied.map((v) => v.length).sort(), [0, migrations.length]);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
      await drop();
    }
  });

  it('opens postgres:// and postgresql:// URLs as a shared store', async () => {
    const { schema, drop } = await freshSchema(databaseUrl);
    try {
      for (const scheme of ['postgres:', 'postgresql:']) {
        const u = new URL(databaseUrl);
        u.protocol = scheme;
        u.searchParams.set('options', `-c search_path=${schema}`);
        const store = await openStore(u.toString());
        assert.deepEqual(store.capabilities, { backend: 'postgres', shared: true });
        assert.equal(await store.countProjects(), 0);
        await store.close();
      }
    } finally {
      await drop();
    }
  });

  it('records concurrent batches from two nodes on the same monitors without deadlock or lost pings', async () => {
    await withTwoNodes(async (a, b, project) => {
      const monitors = Array.from({ length: 6 }, () => monitorOf(project.id, T0));
      for (const m of monitors) await a.insertMonitor(m);
      const tokens = monitors.map((m) => m.pingToken);
      // The nodes name the monitors in opposite orders: locking them in the order named could deadlock.
      const batch = (order: string[], round: number, node: number) => order.map((token, j) => successPing(token, new Date(at(round * 100 + j).getTime() + node)));
      const rounds = 15;
      await Promise.all([
        (async () => { for (let i = 0; i < rounds; i++) await a.recordPings(batch(tokens, i, 0), decidePing); })(),
        (async () => { for (let i = 0; i < rounds; i++) await b.recordPings(batch([...tokens].reverse(), i, 1), decidePing); })(),
      ]);
      for (const m of monitors) {
        assert.equal((await a.listPings(m.id, 1, 0)).total, 2 * rounds);
        assert.equal((await b.getMonitorById(m.id))?.version, 2 * rounds, 'every ping saw the status the one before it left');
      }
    });
  });

  it("decides a node's pings from the monitor as another node last wrote it (schedule edit, pause, a deleted token)", async () => {
    await withTwoNodes(async (a, b, project) => {
      const m = monitorOf(project.id, T0);
      await a.insertMonitor(m);
      const [first] = await a.recordPings([successPing(m.pingToken, at(1))], decidePing);
      assert.deepEqual(first && first.found && [first.state, first.deadline], ['up', at(1 + 3600)]);

      const up = (await b.getMonitorById(m.id))!;
      assert.ok(await b.updateMonitor({ ...up, schedule: 'every 10 minutes', version: up.version + 1 }, up.version, []));
      const [second] = await a.recordPings([successPing(m.pingToken, at(2))], decidePing);
      assert.deepEqual(second && second.found && second.deadline, at(2 + 600), 'the schedule node b set, not the one node a saw first');

      const edited = (await b.getMonitorById(m.id))!;
      assert.ok(await b.updateMonitor({ ...edited, state: 'paused', pausedUntil: null, deadline: null, version: edited.version + 1 }, edited.version, []));
      const [third] = await a.recordPings([successPing(m.pingToken, at(3))], decidePing);
      assert.equal(third && third.found && third.state, 'paused');
      assert.equal((await b.getMonitorById(m.id))?.lastPingAt?.getTime(), at(3).getTime(), "node a's write kept node b's pause and added its ping");

      assert.ok(await b.deleteMonitor(project.id, m.id));
      assert.deepEqual(await a.recordPings([successPing(m.pingToken, at(4))], decidePing), [{ found: false }]);
    });
  });

  it('never decides from a status whose batch rolled back, even when another node later writes that version', async () => {
    await withTwoNodes(
      async (a, b, project) => {
        const m = monitorOf(project.id, T0);
        await a.insertMonitor(m);
        await a.recordPings([successPing(m.pingToken, at(1))], decidePing); // version 1, committed
        // The next batch decides version 2 (up, pinged at 2 s) and then fails: nothing of it may be remembered.
        await assert.rejects(a.recordPings([{ ...successPing(m.pingToken, at(2)), userAgent: 'refuse-me' }], decidePing));
        const stored = (await b.getMonitorById(m.id))!;
        assert.equal(stored.version, 1);
        // Node b writes a different version 2: paused.
        assert.ok(await b.updateMonitor({ ...stored, state: 'paused', pausedUntil: null, deadline: null, version: 2 }, 1, []));
        const [after] = await a.recordPings([successPing(m.pingToken, at(3))], decidePing);
        assert.equal(after && after.found && after.state, 'paused', 'decided from the row node b wrote, not the rolled-back status of the same version');
      },
      undefined,
      // A trigger refusing one user agent makes a batch fail after its pings were decided.
      `CREATE FUNCTION refuse_ping() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.user_agent = 'refuse-me' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$;
       CREATE TRIGGER refuse_ping BEFORE INSERT ON pings FOR EACH ROW EXECUTE FUNCTION refuse_ping();`,
    );
  });

  it('deletes a monitor\'s pings with it, by hand too, and leaves none behind when the deletion races a ping batch', async () => {
    await withTwoNodes(
      async (a, b, project) => {
        const [m1, m2] = [monitorOf(project.id, T0), monitorOf(project.id, T0)];
        for (const m of [m1, m2]) await a.insertMonitor(m);
        await a.recordPings([successPing(m1.pingToken, at(1)), successPing(m2.pingToken, at(1))], decidePing);
        // The batch commits while the deletion waits for its row lock; the deletion then takes the new pings too.
        const batch = a.recordPings(Array.from({ length: 50 }, (_, i) => successPing(m2.pingToken, at(2 + i))), decidePing);
        const deleted = b.deleteMonitor(project.id, m2.id);
        await Promise.all([batch.catch(() => undefined), deleted]);
        assert.equal(await deleted, true);
      },
      async (pool) => {
        await pool.query('DELETE FROM monitors'); // as an operator might, by hand
        const { rows } = await pool.query('SELECT count(*)::int AS n FROM pings');
        assert.equal(rows[0].n, 0, 'no ping outlives its monitor');
      },
    );
  });

  it('holds a repeat within a minute and merges further repeats into it, within one batch', async () => {
    await withTwoNodes(async (store, _, project) => {
      const m = monitorOf(project.id, T0);
      await store.insertMonitor(m);
      const channel = { id: newId('chn'), projectId: project.id, name: 'hook', kind: 'webhook', config: {}, lastError: null, lastErrorAt: null, createdAt: T0, updatedAt: T0 };
      await store.createChannel(channel);
      await store.createRule({ id: newId('rul'), monitorId: m.id, channelId: channel.id, event: 'on_fail', createdAt: T0 });
      const fail = (s: number) => ({ ...successPing(m.pingToken, at(s)), kind: 'fail' as const });
      const outcomes = await store.recordPings([fail(1), successPing(m.pingToken, at(5)), fail(10), successPing(m.pingToken, at(15)), fail(20)], decidePing);
      assert.deepEqual(outcomes.map((o) => o.found && o.notificationsQueued), [true, false, true, false, true]);
      const { items } = await store.listNotifications(project.id, { limit: 10, offset: 0 });
      assert.deepEqual(
        items.map((n) => [n.count, n.nextAttemptAt, n.flip.at]),
        [[2, at(61), at(20)], [1, at(1), at(1)]],
        'the second failure waits out the minute; the third joins it',
      );
    });
  });

  it('never gives one notification to two notifier processes claiming at the same time', async () => {
    await withTwoNodes(async (a, b, project) => {
      const channel = { id: newId('chn'), projectId: project.id, name: 'hook', kind: 'webhook', config: {}, lastError: null, lastErrorAt: null, createdAt: T0, updatedAt: T0 };
      await a.createChannel(channel);
      const monitors = Array.from({ length: 20 }, () => monitorOf(project.id, T0));
      for (const m of monitors) {
        await a.insertMonitor(m);
        await a.createRule({ id: newId('rul'), monitorId: m.id, channelId: channel.id, event: 'on_down', createdAt: T0 });
      }
      await a.recordPings(monitors.map((m) => ({ ...successPing(m.pingToken, at(1)), kind: 'fail' as const })), decidePing);
      const claimAll = async (store: PostgresStore) => {
        const ids: number[] = [];
        for (let got = -1; got !== 0; ) {
          const claimed = await store.claimNotifications(at(2), at(62), 3);
          ids.push(...claimed.map((n) => n.id));
          got = claimed.length;
        }
        return ids;
      };
      const [fromA, fromB] = await Promise.all([claimAll(a), claimAll(b)]);
      const all = [...fromA, ...fromB];
      assert.equal(all.length, 20);
      assert.equal(new Set(all).size, 20, 'no row claimed twice');
    });
  });

  it('lets exactly one of two nodes win a compare-and-set on the same version', async () => {
    await withTwoNodes(async (a, b, project) => {
      const m = monitorOf(project.id, T0);
      await a.insertMonitor(m);
      const flip = (to: 'up' | 'down') => ({ at: at(1), from: 'pending' as const, to, reason: to });
      const wins = await Promise.all([a.updateMonitor({ ...m, state: 'up', version: 1 }, 0, [flip('up')]), b.updateMonitor({ ...m, state: 'down', version: 1 }, 0, [flip('down')])]);
      assert.equal(wins.filter(Boolean).length, 1);
      const stored = await a.getMonitorById(m.id);
      assert.equal(stored?.state, wins[0] ? 'up' : 'down');
      assert.deepEqual((await b.listFlips(m.id, 10, 0)).items.map((f) => f.to), [stored?.state], 'only the winner\'s flip is stored');
    });
  });

  it('answers "what is due" and the next deadline from the due_at index', async () => {
    await withTwoNodes(async () => {}, async (pool) => {
      const client = await pool.connect();
      try {
        // An empty table is cheapest to scan; the question is whether the index can serve the queries at all.
        await client.query('SET enable_seqscan = off');
        const plan = async (sql: string, values: unknown[]) => ((await client.query(`EXPLAIN ${sql}`, values)).rows as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN']).join('\n');
        assert.match(await plan('SELECT id FROM monitors WHERE due_at <= $1 AND deadline <= $1 ORDER BY deadline, id LIMIT 10', [T0]), /monitors_due/);
        assert.match(await plan('SELECT id FROM monitors WHERE due_at <= $1 AND (deadline IS NULL OR deadline > $1) ORDER BY due_at LIMIT 10', [T0]), /monitors_due/);
        assert.match(await plan('SELECT min(due_at) FROM monitors', []), /monitors_due/);
      } finally {
        client.release();
      }
    });
  });

  it('stores a ping whose text carries NUL characters instead of failing its whole batch', async () => {
    await withTwoNodes(async (store, _, project) => {
      const m = monitorOf(project.id, T0);
      await store.insertMonitor(m);
      const details = { host: 'h\u0000', series: null, statusCode: null, duration: null, env: null, release: null, metrics: [] };
      const nul: PingInput = { ...successPing(m.pingToken, at(1)), msg: 'a\u0000b', userAgent: 'ua\u0000', details };
      const outcomes = await store.recordPings([nul, successPing(m.pingToken, at(2))], decidePing);
      assert.deepEqual(outcomes.map((o) => o.found), [true, true]);
      const [, stored] = (await store.listPings(m.id, 10, 0)).items; // newest first
      assert.equal(stored?.msg, 'a\uFFFDb');
      assert.equal(stored?.details?.host, 'h\uFFFD');
    });
  });
});

/**
 * Runs `work` against two stores ("nodes", as two server processes) sharing one fresh schema that holds one
 * project (after `setupSql`, if given, ran in it), then closes them and drops the schema; `inspect` gets a
 * plain pool on that schema before the drop.
 */
async function withTwoNodes(work: (a: PostgresStore, b: PostgresStore, project: Project) => Promise<void>, inspect?: (pool: pg.Pool) => Promise<void>, setupSql?: string): Promise<void> {
  const databaseUrl = url ?? '';
  const { schema, drop } = await freshSchema(databaseUrl);
  const [a, b] = await Promise.all([PostgresStore.open({ url: databaseUrl, schema, max: 3 }), PostgresStore.open({ url: databaseUrl, schema, max: 3 })]);
  try {
    if (setupSql) {
      const pool = createPool({ url: databaseUrl, schema, max: 1 });
      try {
        await pool.query(setupSql);
      } finally {
        await pool.end();
      }
    }
    const project: Project = { id: newId('prj'), name: 'P', pingKey: newPingKey(), createdAt: T0 };
    await a.createProject(project);
    await work(a, b, project);
    if (inspect) {
      const pool = createPool({ url: databaseUrl, schema, max: 1 });
      try {
        await inspect(pool);
      } finally {
        await pool.end();
      }
    }
  } finally {
    await Promise.all([a.close(), b.close()]);
    await drop();
  }
}

function monitorOf(projectId: string, createdAt: Date): Monitor {
  const config = { name: 'job', key: `job-${randomBytes(4).toString('hex')}`, type: 'job' as const, schedule: 'every 1 hour', timezone: 'UTC', graceSeconds: 60, tags: [], realertSeconds: 0, notify: DEFAULT_NOTIFY, payloadScanning: null, payloadMetrics: [], assertions: [], runRules: DEFAULT_RUN_RULES };
  return { id: newId('mon'), projectId, pingToken: newPingToken(), createdAt, updatedAt: createdAt, ...config, ...initialStatus(createdAt, timingOf(config)) };
}

function successPing(token: string, receivedAt: Date): PingInput {
  return { token, kind: 'success', exitCode: null, receivedAt, source: 'native', method: 'GET', ip: '127.0.0.1', userAgent: 'curl/8', body: null, msg: null, details: null };
}

/**
 * `overdue copy`: an installation built on SQLite through the API (monitors, channels, lists, rules, pings with
 * bodies and metrics, runs, flips, sent and pending notifications) is copied into a fresh PostgreSQL schema, and
 * everything the Store API can read back is the same on both sides. Also `overdue migrate`.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashSecret } from '../../src/app/secrets.js';
import { decidePing } from '../../src/domain/ping-decision.js';
import { AppError } from '../../src/domain/errors.js';
import { copySqliteToPostgres } from '../../src/storage/postgres/copy-from-sqlite.js';
import { PostgresStore } from '../../src/storage/postgres/postgres-store.js';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import type { PingRecord } from '../../src/domain/ping.js';
import type { Page, Store } from '../../src/storage/store.js';
import { runCli } from '../cli/cli-harness.js';
import { startReceiver, type Receiver } from '../helpers/http-receiver.js';
import { freshSchema, skipWithoutPostgres, TEST_DATABASE_URL, type TestSchema } from '../helpers/postgres.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

const FAR = { from: new Date(0), to: new Date('2100-01-01T00:00:00Z'), limit: 10_000 };

/** Builds a small but complete installation on SQLite through the API; returns the database file. */
async function buildInstallation(s: TestServer, hook: Receiver): Promise<void> {
  const ok = (r: { status: number; json: unknown }, status = 201) => {
    assert.equal(r.status, status, JSON.stringify(r.json));
    return r.json as any;
  };
  const a = ok(await s.api('POST', '/v1/channels', { name: 'hook-a', kind: 'webhook', config: { url: hook.url('/a'), secret: 'a-long-shared-secret-1234' } }));
  const b = ok(await s.api('POST', '/v1/channels', { name: 'hook-b', kind: 'webhook', config: { url: hook.url('/b') } }));
  ok(await s.api('POST', '/v1/notification-lists', { key: 'ops', name: 'Ops', channels: [a.id] }));
  ok(await s.api('PATCH', '/v1/notification-lists/default', { channels: [b.id] }), 200);
  ok(await s.api('POST', '/v1/keys', { name: 'dashboard', read_only: true }));
  const m1 = ok(await s.api('POST', '/v1/monitors', { name: 'backup', expected_interval_sec: 60, grace_seconds: 30, tags: ['db', 'nightly'], notify: ['ops', 'default'], payload_metrics: [{ name: 'rows', path: '$.rows' }] }));
  const m2 = ok(await s.api('POST', '/v1/monitors', { name: 'report', schedule: '*/5 * * * *', timezone: 'Europe/Berlin', grace_seconds: 60 }));
  const m3 = ok(await s.api('POST', '/v1/monitors', { name: 'etl', expected_interval_sec: 120 }));
  ok(await s.api('POST', `/v1/monitors/${m3.id}/notification-rules`, { channel_id: a.id, event: 'on_fail' }));
  ok(await s.api('POST', '/v1/monitors', { name: 'paused', expected_interval_sec: 60 }));

  const ping = async (path: string, body?: string) => {
    const r = await s.app.inject({ method: body === undefined ? 'GET' : 'POST', url: `/v1/ping/${path}`, payload: body, headers: { 'user-agent': 'copy-test/1', ...(body === undefined ? {} : { 'content-type': 'text/plain' }) } });
    assert.equal(r.statusCode, 200, r.body);
  };
  await ping(m1.ping_token, '{"rows": 42}');
  s.clock.advance(1_000);
  await ping(`${m1.ping_token}?msg=a%00b`, '{"rows": "n/a"}');
  await ping(`${m2.ping_token}/start?rid=r1`);
  s.clock.advance(5_000);
  await ping(`${m2.ping_token}?rid=r1`, 'done');
  await ping(`${m3.ping_token}/3`, 'boom\nexit 3');
  await ping(`${m2.ping_token}/start?rid=r2`); // still running when copied
  s.clock.advance(120_000);
  await s.scheduler.tick(); // backup goes late, etl is down already
  s.clock.advance(60_000);
  await s.scheduler.tick(); // backup down
  await s.notifier.tick(); // some notifications sent …
  await ping(m1.ping_token, '{"rows": 7}'); // … the recovery's not yet
  assert.ok(hook.received.length > 0);
}

/** PostgreSQL text cannot hold U+0000: its store keeps U+FFFD instead (rows.ts, pgText). */
function asPostgresStoresIt(pings: Page<PingRecord>): Page<PingRecord> {
  return { ...pings, items: pings.items.map((p) => ({ ...p, msg: p.msg?.replaceAll('\u0000', '\uFFFD') ?? null })) };
}

async function sameThroughTheStoreApi(from: Store, to: Store): Promise<void> {
  const projects = await from.listProjects();
  assert.deepEqual(await to.listProjects(), projects);
  assert.ok(await to.findApiKeyByHash(hashSecret(TEST_KEY)), 'the admin key still works');
  for (const p of projects) {
    assert.deepEqual(await to.listApiKeys(p.id), await from.listApiKeys(p.id));
    assert.deepEqual(await to.listChannels(p.id), await from.listChannels(p.id));
    assert.deepEqual(await to.listLists(p.id), await from.listLists(p.id));
    assert.deepEqual(await to.listNotifications(p.id, { limit: 1000, offset: 0 }), await from.listNotifications(p.id, { limit: 1000, offset: 0 }));
    const monitors = await from.listMonitors(p.id, { limit: 1000, offset: 0 });
    assert.deepEqual(await to.listMonitors(p.id, { limit: 1000, offset: 0 }), monitors);
    for (const m of monitors.items) {
      const pings = await from.listPings(m.id, 1000, 0);
      assert.deepEqual(await to.listPings(m.id, 1000, 0), asPostgresStoresIt(pings), `pings of ${m.name}`);
      for (const ping of pings.items) assert.deepEqual(await to.getPingBody(m.id, ping.id), await from.getPingBody(m.id, ping.id));
      assert.deepEqual(await to.listFlips(m.id, 1000, 0), await from.listFlips(m.id, 1000, 0), `flips of ${m.name}`);
      assert.deepEqual(await to.listRuns(m.id, 1000, 0), await from.listRuns(m.id, 1000, 0), `runs of ${m.name}`);
      assert.deepEqual(await to.listMetricPoints(m.id, FAR), await from.listMetricPoints(m.id, FAR), `metric points of ${m.name}`);
      assert.deepEqual(await to.listRules(m.id), await from.listRules(m.id));
    }
  }
  assert.deepEqual(await to.countMonitorsByState(), await from.countMonitorsByState());
  assert.deepEqual(await to.nextDeadline(), await from.nextDeadline());
  assert.deepEqual(await to.nextNotificationAt(), await from.nextNotificationAt());
}

describe('copying an installation from SQLite to PostgreSQL', { skip: skipWithoutPostgres, timeout: 60_000 }, () => {
  let s: TestServer;
  let hook: Receiver;
  let path: string;
  let schema: TestSchema;

  before(async () => {
    hook = await startReceiver();
    s = await startTestServer({ OVERDUE_ALLOW_PRIVATE_TARGETS: 'true' });
    path = join(s.dir, 'overdue.db');
    await buildInstallation(s, hook);
    await s.stop(); // the source server must be stopped; the directory stays
    schema = await freshSchema();
  });
  after(async () => {
    await hook.close();
    await rm(s.dir, { recursive: true, force: true });
    await schema.drop();
  });

  it('copies everything, ids included, so the Store API reads the same from both', async () => {
    const counts = await copySqliteToPostgres({ from: path, to: { url: TEST_DATABASE_URL ?? '', schema: schema.schema } });
    const rows = Object.fromEntries(counts.map((c) => [c.table, c.rows]));
    assert.equal(rows.projects, 1);
    assert.equal(rows.api_keys, 2);
    assert.equal(rows.monitors, 4);
    assert.equal(rows.pings, 7);
    assert.ok(rows.notifications! > 0 && rows.flips! > 0 && rows.runs === 2 && rows.ping_metrics! >= 2, JSON.stringify(rows));

    const sqlite = new SqliteStore({ path, replay: false });
    const pg = await PostgresStore.open({ url: TEST_DATABASE_URL ?? '', schema: schema.schema, max: 2 });
    try {
      await sameThroughTheStoreApi(sqlite, pg);
      // New rows continue after the copied ids.
      const monitor = (await pg.listMonitors((await pg.listProjects())[0]!.id, { limit: 10, offset: 0 })).items.find((m) => m.name === 'backup');
      const last = (await pg.listPings(monitor!.id, 1, 0)).items[0]!.id;
      const [outcome] = await pg.recordPings([{ token: monitor!.pingToken, kind: 'success', exitCode: null, receivedAt: new Date(), source: 'native', method: 'GET', ip: null, userAgent: null, body: null, msg: null, details: null }], decidePing);
      assert.ok(outcome?.found && outcome.pingId > last);
    } finally {
      await sqlite.close();
      await pg.close();
    }
  });

  it('refuses a target that is not empty, and replaces its contents with --force', async () => {
    await assert.rejects(copySqliteToPostgres({ from: path, to: { url: TEST_DATABASE_URL ?? '', schema: schema.schema } }), (e: unknown) => e instanceof AppError && e.code === 'conflict' && /not empty.*--force/.test(e.message));
    const counts = await copySqliteToPostgres({ from: path, to: { url: TEST_DATABASE_URL ?? '', schema: schema.schema }, force: true });
    assert.equal(counts.find((c) => c.table === "pings")?.rows, 7);
    const pg = await PostgresStore.open({ url: TEST_DATABASE_URL ?? '', schema: schema.schema, max: 1 });
    const sqlite = new SqliteStore({ path, replay: false });
    try {
      await sameThroughTheStoreApi(sqlite, pg);
    } finally {
      await sqlite.close();
      await pg.close();
    }
  });

  it('is the `overdue copy` command, which reports the rows per table, and `overdue migrate` prepares an empty schema', async () => {
    const target = await freshSchema();
    try {
      const migrated = await runCli(['migrate', '--database', target.url]);
      assert.equal(migrated.code, 0, migrated.stderr);
      assert.match(migrated.stdout, /^Applied migrations 1, 2, 3(, \d+)* to postgres:\/\/.* \(schema version \d+\)\.\n$/);
      const again = await runCli(['migrate', '--json'], { DATABASE_URL: target.url });
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(JSON.parse(again.stdout).applied, []);

      const copied = await runCli(['copy', '--from', `sqlite://${path}`, '--to', target.url]);
      assert.equal(copied.code, 0, copied.stderr);
      assert.match(copied.stdout, /^table\s+rows$/m);
      assert.match(copied.stdout, /^pings\s+7$/m);
      const refused = await runCli(['copy', '--from', `sqlite://${path}`, '--to', target.url]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /^error: the target database is not empty .*--force/);
      const wrong = await runCli(['copy', '--from', target.url, '--to', target.url]);
      assert.equal(wrong.code, 2);
      assert.match(wrong.stderr, /^error: --from: expected sqlite:\/\/<path>/);
    } finally {
      await target.drop();
    }
  });
});

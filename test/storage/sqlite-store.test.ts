import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Database } from '../../src/storage/sqlite/driver.js';
import { migrations } from '../../src/storage/sqlite/migrations.js';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { WorkerSqliteStore } from '../../src/storage/sqlite/worker-store.js';
import { storeContract } from './store-contract.js';
import { DEFAULT_NOTIFY } from '../../src/domain/notify.js';
import { DEFAULT_RUN_RULES } from '../../src/domain/run-rules.js';
import { timingOf } from '../../src/domain/timing.js';
import { initialStatus } from '../../src/domain/transitions.js';
import { decidePing } from '../../src/domain/ping-decision.js';
import type { PingInput } from '../../src/domain/ping.js';

async function freshFile() {
  const dir = await mkdtemp(join(tmpdir(), 'overdue-store-'));
  return { path: join(dir, 'test.db'), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

const T0 = new Date('2026-01-05T10:00:00.000Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);

/** Project prj_a with an hourly monitor mon_<id> (ping token mping_<id>) for each id. */
async function withMonitors(store: SqliteStore, ids: string[]): Promise<void> {
  await store.createProject({ id: 'prj_a', name: 'A', pingKey: 'pk_a', createdAt: T0 });
  const config = { name: 'a', key: 'a', type: 'job' as const, schedule: 'every 1 hour', timezone: 'UTC', graceSeconds: 60, tags: [], realertSeconds: 0, notify: DEFAULT_NOTIFY, payloadScanning: null, payloadMetrics: [], assertions: [], runRules: DEFAULT_RUN_RULES, extra: {} };
  for (const id of ids) await store.insertMonitor({ ...config, key: id, id: `mon_${id}`, projectId: 'prj_a', pingToken: `mping_${id}`, createdAt: T0, updatedAt: T0, ...initialStatus(T0, timingOf(config)) });
}

const ping = (token: string, kind: PingInput['kind'], s: number): PingInput => ({ token, kind, exitCode: null, receivedAt: at(s), source: 'native', method: 'GET', ip: null, userAgent: null, body: null, msg: null, details: null });

storeContract('sqlite', async () => {
  const { path, cleanup } = await freshFile();
  return { store: new SqliteStore({ path }), cleanup };
});

storeContract('sqlite on a worker thread', async () => {
  const { path, cleanup } = await freshFile();
  return { store: await WorkerSqliteStore.open({ path }), cleanup };
});

// Without the ping journal, each batch commits its rows before recordPings resolves (':memory:', and tools
// opening the file beside a server).
storeContract('sqlite without a ping journal', async () => {
  const { path, cleanup } = await freshFile();
  return { store: new SqliteStore({ path, journal: false }), cleanup };
});

describe('SQLite store specifics', () => {
  it('opens the file in WAL mode with full sync by default, and migrates once', async () => {
    const { path, cleanup } = await freshFile();
    const store = new SqliteStore({ path });
    await store.close();
    const again = new SqliteStore({ path }); // a second start must not re-run migrations
    await again.close();
    const db = new Database(path, { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.prepare('SELECT count(*) FROM schema_migrations').pluck().get(), migrations.length);
    db.close();
    await cleanup();
  });

  it('migration 7 gives every stored deadline its due_at, so the scheduler still finds it', async () => {
    const { path, cleanup } = await freshFile();
    const store = new SqliteStore({ path });
    const projectId = 'prj_a';
    await store.createProject({ id: projectId, name: 'A', pingKey: 'pk_a', createdAt: T0 });
    const config = { name: 'a', key: 'a', type: 'job' as const, schedule: 'every 1 hour', timezone: 'UTC', graceSeconds: 60, tags: [], realertSeconds: 0, notify: DEFAULT_NOTIFY, payloadScanning: null, payloadMetrics: [], assertions: [], runRules: DEFAULT_RUN_RULES, extra: {} };
    await store.insertMonitor({ id: 'mon_a', projectId, pingToken: 'mping_a', createdAt: T0, updatedAt: T0, ...config, ...initialStatus(T0, timingOf(config)) });
    await store.close();
    // The file as version 5 left it: deadline indexed, no due_at.
    const db = new Database(path);
    db.exec(`DROP INDEX monitors_due; ALTER TABLE monitors DROP COLUMN due_at; CREATE INDEX monitors_deadline ON monitors(deadline) WHERE deadline IS NOT NULL;
             DELETE FROM schema_migrations WHERE version = 7;`);
    db.close();
    const reopened = new SqliteStore({ path });
    const deadline = new Date(T0.getTime() + 3600_000);
    assert.deepEqual(await reopened.nextDeadline(), deadline);
    assert.deepEqual((await reopened.dueMonitors(deadline, 10)).map((m) => m.id), ['mon_a']);
    await reopened.close();
    await cleanup();
  });

  it('migration 8 chains the pings of each monitor, and start-up replays those not written back', async () => {
    const { path, cleanup } = await freshFile();
    const store = new SqliteStore({ path });
    await withMonitors(store, ['a', 'b']);
    await store.close();
    // The file as version 7 left it: pings indexed by monitor, with a foreign key; a's newest ping (4) not yet
    // written back to its row.
    const db = new Database(path);
    db.exec(`DROP TABLE pings; DROP TABLE written_back; DELETE FROM schema_migrations WHERE version = 8;
             CREATE TABLE pings (id INTEGER PRIMARY KEY, monitor_id TEXT NOT NULL REFERENCES monitors(id) ON DELETE CASCADE, received_at INTEGER NOT NULL,
               kind TEXT NOT NULL, exit_code INTEGER, source TEXT NOT NULL, method TEXT NOT NULL, ip TEXT, user_agent TEXT, body BLOB,
               body_size INTEGER NOT NULL, msg TEXT, details TEXT, run_outcome TEXT, run_duration REAL, run_failure_kind TEXT, run_reason TEXT);
             CREATE INDEX pings_monitor ON pings(monitor_id, id);`);
    const insert = db.prepare("INSERT INTO pings (id, monitor_id, received_at, kind, source, method, body_size) VALUES (?, ?, ?, 'success', 'native', 'GET', 0)");
    for (const [id, monitor, s] of [[1, 'mon_a', 10], [2, 'mon_b', 20], [3, 'mon_a', 30], [4, 'mon_a', 40], [5, 'mon_b', 50]] as const) insert.run(id, monitor, at(s).getTime());
    db.exec(`UPDATE monitors SET status_ping_id = 3, state = 'up', last_ping_at = ${at(30).getTime()} WHERE id = 'mon_a';
             UPDATE monitors SET status_ping_id = 5, state = 'up', last_ping_at = ${at(50).getTime()} WHERE id = 'mon_b';`);
    db.close();

    const reopened = new SqliteStore({ path });
    const times = async (id: string) => (await reopened.listPings(id, 10, 0)).items.map((p) => p.receivedAt);
    assert.deepEqual(await times('mon_a'), [at(40), at(30), at(10)]);
    assert.deepEqual(await times('mon_b'), [at(50), at(20)]);
    assert.deepEqual((await reopened.listPings('mon_a', 1, 1)).items.map((p) => p.receivedAt), [at(30)], 'offset and limit walk the chain');
    assert.deepEqual((await reopened.getMonitor('prj_a', 'mon_a'))?.lastPingAt, at(40), 'the ping not written back was replayed');
    await reopened.recordPings([ping('mping_a', 'success', 60)], decidePing);
    assert.deepEqual(await times('mon_a'), [at(60), at(40), at(30), at(10)]);
    await reopened.close();
    const raw = new Database(path, { readonly: true });
    assert.deepEqual(raw.prepare('SELECT id, prev_id FROM pings ORDER BY id').all(), [
      { id: 1, prev_id: null }, { id: 2, prev_id: null }, { id: 3, prev_id: 1 }, { id: 4, prev_id: 3 }, { id: 5, prev_id: 2 }, { id: 6, prev_id: 4 },
    ]);
    assert.equal(raw.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'pings'").pluck().get(), 0, 'no index to keep per ping');
    assert.equal(raw.prepare('SELECT written_through FROM written_back').pluck().get(), 6, 'closing wrote every effect back');
    raw.close();
    await cleanup();
  });

  it('deletes a monitor\'s pings along its chain, leaving other monitors\' pings', async () => {
    const { path, cleanup } = await freshFile();
    const store = new SqliteStore({ path });
    await withMonitors(store, ['a', 'b']);
    // a's newest is a log ping (it changes no status) and nothing is written back before the deletion.
    await store.recordPings([ping('mping_a', 'success', 1), ping('mping_b', 'success', 2), ping('mping_a', 'start', 3), ping('mping_a', 'log', 4)], decidePing);
    assert.equal(await store.deleteMonitor('prj_a', 'mon_a'), true);
    assert.equal((await store.listPings('mon_b', 10, 0)).total, 1);
    await store.close();
    const raw = new Database(path, { readonly: true });
    assert.deepEqual(raw.prepare('SELECT monitor_id, count(*) AS n FROM pings GROUP BY monitor_id').all(), [{ monitor_id: 'mon_b', n: 1 }]);
    raw.close();
    // The deleted pings were the newest (ids 3 and 4, written back): a new ping must not take their ids, which
    // start-up would no longer read again.
    const reopened = new SqliteStore({ path });
    const [outcome] = await reopened.recordPings([ping('mping_b', 'success', 5)], decidePing);
    assert.equal((outcome as { pingId: number }).pingId, 5);
    await reopened.close();
    await cleanup();
  });

  it('records, with each chunk of statuses written back, how far every ping\'s effect is in the rows', async () => {
    const { path, cleanup } = await freshFile();
    // Without the journal rows are written at once; no periodic write-back gets in the way.
    const store = new SqliteStore({ path, journal: false, flushIntervalMs: 3_600_000 });
    await withMonitors(store, ['a', 'b', 'c']);
    await store.recordPings([ping('mping_a', 'success', 1), ping('mping_b', 'success', 2), ping('mping_c', 'success', 3), ping('mping_a', 'success', 4)], decidePing);
    const raw = new Database(path, { readonly: true });
    const writtenThrough = () => raw.prepare('SELECT written_through FROM written_back').pluck().get();
    // The periodic write-back, one monitor per chunk (white box: the chunking is what is under test).
    const writeBack = (n: number) => (store as unknown as { writeBack(limit: number): number }).writeBack(n);
    assert.equal(writeBack(1), 1);
    assert.equal(writtenThrough(), 1, 'a (pings 1 and 4) is written; b\'s ping 2 is not');
    const copy = join(path, '..', 'copy.db');
    raw.exec(`VACUUM INTO '${copy}'`); // the file as a crash right now would leave it
    assert.equal(writeBack(1), 1);
    assert.equal(writtenThrough(), 2);
    assert.equal(writeBack(1), 1);
    assert.equal(writtenThrough(), 4, 'everything written: the newest ping');
    raw.close();
    await store.close();

    const recovered = new SqliteStore({ path: copy });
    for (const [id, s] of [['a', 4], ['b', 2], ['c', 3]] as const) {
      assert.deepEqual((await recovered.getMonitor('prj_a', `mon_${id}`))?.lastPingAt, at(s), `mon_${id}`);
    }
    assert.deepEqual((await recovered.listPings('mon_a', 10, 0)).items.map((p) => p.receivedAt), [at(4), at(1)]);
    assert.equal((await recovered.listPings('mon_c', 10, 0)).total, 1);
    await recovered.close();
    await cleanup();
  });

  it('answers "what is due" and the next deadline from the due_at index', async () => {
    const { path, cleanup } = await freshFile();
    const store = new SqliteStore({ path });
    await store.close();
    const db = new Database(path, { readonly: true });
    const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ now: 0 }) as { detail: string }[]).map((p) => p.detail).join(' ');
    assert.match(plan('SELECT id FROM monitors WHERE due_at <= @now AND deadline <= @now ORDER BY deadline, id LIMIT 10'), /monitors_due/);
    assert.match(plan('SELECT id FROM monitors WHERE due_at <= @now AND (deadline IS NULL OR deadline > @now) ORDER BY due_at LIMIT 10'), /monitors_due/);
    assert.match(plan('SELECT min(due_at) FROM monitors WHERE due_at IS NOT NULL'), /monitors_due/);
    db.close();
    await cleanup();
  });
});

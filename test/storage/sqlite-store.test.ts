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

async function freshFile() {
  const dir = await mkdtemp(join(tmpdir(), 'overdue-store-'));
  return { path: join(dir, 'test.db'), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

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
    const T0 = new Date('2026-01-05T10:00:00.000Z');
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

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

  it('answers "what is due" from the deadline index', async () => {
    const { path, cleanup } = await freshFile();
    const store = new SqliteStore({ path });
    await store.close();
    const db = new Database(path, { readonly: true });
    const plan = db.prepare('EXPLAIN QUERY PLAN SELECT id FROM monitors WHERE deadline IS NOT NULL AND deadline <= ? ORDER BY deadline LIMIT 10').all(0) as { detail: string }[];
    assert.match(plan.map((p) => p.detail).join(' '), /monitors_deadline/);
    db.close();
    await cleanup();
  });
});

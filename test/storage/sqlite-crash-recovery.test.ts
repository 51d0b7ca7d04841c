import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Database } from '../../src/storage/sqlite/driver.js';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { decidePing } from '../../src/domain/ping-decision.js';

/** The monitor's ping token, as the crashed process stored it. */
function pingTokenIn(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare("SELECT ping_token FROM monitors WHERE id = 'mon_crash'").pluck().get() as string;
  } finally {
    db.close();
  }
}

/** Runs the crash-after-pings fixture on `path` and kills it with SIGKILL once it has committed its pings. */
async function crashAfterPings(path: string, mode = ''): Promise<void> {
  const child = spawn(process.execPath, [join(import.meta.dirname, '../fixtures/crash-after-pings.js'), path, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('child did not commit in time')), 10_000);
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('committed')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

describe('SQLite crash recovery', () => {
  it('replays committed pings whose effect was not yet written back when the process was killed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'overdue-crash-'));
    const path = join(dir, 'crash.db');
    try {
      await crashAfterPings(path);

      // Before recovery the row still holds the pre-ping status: the pings are the only record of their effect.
      const raw = new Database(path, { readonly: true });
      assert.equal(raw.prepare("SELECT state FROM monitors WHERE id = 'mon_crash'").pluck().get(), 'pending');
      raw.close();

      const store = new SqliteStore({ path });
      const m = await store.getMonitor('prj_crash', 'mon_crash');
      assert.equal(m?.state, 'up');
      assert.deepEqual(m?.lastPingAt, new Date('2026-01-05T10:00:40.000Z'));
      assert.deepEqual(m?.nextExpectedAt, new Date('2026-01-05T11:00:40.000Z'));
      assert.deepEqual(m?.deadline, new Date('2026-01-05T11:00:40.000Z'));
      assert.equal(m?.version, 4);
      const flips = await store.listFlips('mon_crash', 10, 0);
      assert.deepEqual(flips.items.map((f) => `${f.from}>${f.to}`).reverse(), ['pending>running', 'running>up', 'up>down', 'down>up'], 'flips were committed with their pings, once');
      const kinds = async () => (await store.listPings('mon_crash', 10, 0)).items.map((p) => p.kind);
      assert.deepEqual(await kinds(), ['log', 'success', 'fail', 'success', 'start']);
      const token = pingTokenIn(path);
      await store.recordPings([{ token, kind: 'success', exitCode: null, receivedAt: new Date('2026-01-05T10:01:00.000Z'), source: 'native', method: 'GET', ip: null, userAgent: null, body: null, msg: null, details: null }], decidePing);
      assert.deepEqual(await kinds(), ['success', 'log', 'success', 'fail', 'success', 'start'], 'a new ping follows the log ping whose head was never written back');
      await store.close();
      // A second open has nothing left to replay and changes nothing (version 5: the ping just recorded).
      const again = new SqliteStore({ path });
      assert.equal((await again.getMonitor('prj_crash', 'mon_crash'))?.version, 5);
      assert.equal((await again.listPings('mon_crash', 10, 0)).total, 6);
      await again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('finds a monitor\'s pings from the newest written back, a ping that changed no status included', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'overdue-crash-'));
    const path = join(dir, 'crash.db');
    try {
      await crashAfterPings(path, 'flushed');
      const store = new SqliteStore({ path });
      assert.deepEqual((await store.listPings('mon_crash', 10, 0)).items.map((p) => p.kind), ['log', 'success', 'fail', 'success', 'start']);
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

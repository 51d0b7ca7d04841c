import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_NOTIFY } from '../../src/domain/notify.js';
import type { Monitor } from '../../src/domain/monitor.js';
import type { PingInput } from '../../src/domain/ping.js';
import { decidePing } from '../../src/domain/ping-decision.js';
import { DEFAULT_RUN_RULES } from '../../src/domain/run-rules.js';
import { timingOf } from '../../src/domain/timing.js';
import { initialStatus } from '../../src/domain/transitions.js';
import { Database } from '../../src/storage/sqlite/driver.js';
import { FRAME_HEADER_BYTES, SEGMENT_HEADER_BYTES } from '../../src/storage/sqlite/ping-journal.js';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { WorkerSqliteStore } from '../../src/storage/sqlite/worker-store.js';
import type { PingOutcome, Store } from '../../src/storage/store.js';

const T0 = new Date('2026-01-05T10:00:00.000Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const FIXTURE = join(import.meta.dirname, '../fixtures/crash-journal.js');
const WHERE = ['worker', 'inprocess'] as const;
/** Stores a failed assertion may leave open (a worker thread would keep the test process alive). */
const closeLater: Store[] = [];

/** A temporary directory with the database in a subdirectory of it (`orig/`), so copies can go beside it. */
function tempDb(): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'overdue-journal-'));
  return { dir, path: join(dir, 'orig', 'j.db') };
}

const journalDir = (path: string) => `${path}.ping-journal`;
const segments = (path: string) => readdirSync(journalDir(path)).filter((n) => n.endsWith('.seg')).sort();

/** Starts the fixture and resolves with its output lines once `ready(lines)` holds. */
function runFixture(args: string[], ready: (lines: string[]) => boolean): Promise<{ child: ChildProcess; lines: string[] }> {
  const child = spawn(process.execPath, [FIXTURE, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let partial = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the fixture did not get far enough in time')), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop()!;
      lines.push(...parts);
      if (ready(lines)) {
        clearTimeout(timer);
        resolve({ child, lines });
      }
    });
    child.on('exit', (code) => reject(new Error(`the fixture exited with ${code}`)));
  });
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

function countRows(path: string, table: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  } finally {
    db.close();
  }
}

/** The fixture's "unprojected" run: four pings acknowledged (and an unknown token), then SIGKILL before any reaches SQLite. */
async function killedUnprojected(path: string, where: (typeof WHERE)[number]): Promise<PingOutcome[]> {
  const { child, lines } = await runFixture([path, 'unprojected', where], (ls) => ls.some((l) => l.startsWith('acknowledged ')));
  await kill(child);
  return JSON.parse(lines.find((l) => l.startsWith('acknowledged '))!.slice('acknowledged '.length)) as PingOutcome[];
}

describe('SQLite ping journal', () => {
  for (const where of WHERE) {
    it(`keeps pings acknowledged before SIGKILL but not yet in SQLite: pings, flips and notifications appear once (${where})`, async () => {
      const { dir, path } = tempDb();
      try {
        const outcomes = await killedUnprojected(path, where);
        assert.deepEqual(outcomes.map((o) => (o.found ? o.state : 'unknown')), ['running', 'up', 'down', 'up', 'unknown']);
        assert.equal(outcomes.filter((o) => o.found && o.notificationsQueued).length, 2, 'up>down and down>up have rules');
        // Acknowledged, yet nothing of them is in SQLite: the journal is their only record.
        assert.equal(countRows(path, 'pings'), 0);
        assert.equal(countRows(path, 'flips'), 0);
        assert.equal(countRows(path, 'notifications'), 0);

        for (let open = 0; open < 2; open++) {
          const store = new SqliteStore({ path });
          const m = await store.getMonitor('prj_crash', 'mon_crash0');
          assert.equal(m?.state, 'up');
          assert.equal(m?.version, 4);
          assert.deepEqual(m?.lastPingAt, at(40));
          const pings = await store.listPings('mon_crash0', 10, 0);
          assert.deepEqual(pings.items.map((p) => p.id).reverse(), outcomes.flatMap((o) => (o.found ? [o.pingId] : [])), 'the acknowledged ping ids, once');
          assert.equal((await store.getPingBody('mon_crash0', pings.items[0]!.id))?.toString(), 'output of success at 40');
          const flips = await store.listFlips('mon_crash0', 10, 0);
          assert.deepEqual(flips.items.map((f) => `${f.from}>${f.to}`).reverse(), ['pending>running', 'running>up', 'up>down', 'down>up']);
          const notes = await store.listNotifications('prj_crash', { limit: 10, offset: 0 });
          assert.deepEqual(notes.items.map((n) => `${n.event}:${n.flip.from}>${n.flip.to}`).sort(), ['on_down:up>down', 'on_recovery:down>up']);
          assert.equal(notes.items.find((n) => n.event === 'on_down')?.outputTail, 'output of fail at 30');
          await store.close();
          assert.deepEqual(segments(path), [], 'a clean close leaves no segment to replay');
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('ignores a torn or corrupt tail, and what was acknowledged after it cannot exist', async () => {
    const { dir, path } = tempDb();
    try {
      await killedUnprojected(path, 'inprocess');
      const [segment] = segments(path);
      assert.ok(segment);
      // Frame boundaries of the five records (the unknown token's too).
      const file = readFileSync(join(journalDir(path), segment));
      const frames: number[] = [];
      for (let pos = SEGMENT_HEADER_BYTES; pos + FRAME_HEADER_BYTES <= file.length && file.readUInt32LE(pos) > 0; pos += FRAME_HEADER_BYTES + file.readUInt32LE(pos)) frames.push(pos);
      assert.equal(frames.length, 5);
      const cases: { name: string; damage: (seg: string) => void; pings: number; state: string }[] = [
        { name: 'torn in the fourth frame', damage: (seg) => truncateSync(seg, frames[3]! + FRAME_HEADER_BYTES + 3), pings: 3, state: 'down' },
        { name: 'a flipped bit in the third frame', damage: (seg) => { const b = readFileSync(seg); b[frames[2]! + FRAME_HEADER_BYTES + 5]! ^= 0x10; writeFileSync(seg, b); }, pings: 2, state: 'up' },
        { name: 'a torn last frame (the unknown token)', damage: (seg) => truncateSync(seg, statSync(seg).size - 2), pings: 4, state: 'up' },
      ];
      for (const c of cases) {
        const copy = join(dir, c.name.replace(/\W+/g, '-'));
        cpSync(join(dir, 'orig'), copy, { recursive: true });
        const copyPath = join(copy, 'j.db');
        c.damage(join(journalDir(copyPath), segment));
        const store = new SqliteStore({ path: copyPath });
        assert.equal((await store.listPings('mon_crash0', 10, 0)).total, c.pings, c.name);
        assert.equal((await store.getMonitor('prj_crash', 'mon_crash0'))?.state, c.state, c.name);
        // New pings go past the old file's bytes: the next open finds them, not stale frames.
        const [o] = await store.recordPings([{ token: 'tok_crash0', kind: 'fail', exitCode: 2, receivedAt: at(100), source: 'native', method: 'GET', ip: null, userAgent: null, body: null, msg: null, details: null }], decidePing);
        assert.equal(o?.found && o.state, 'down');
        await store.close();
        const again = new SqliteStore({ path: copyPath });
        assert.equal((await again.listPings('mon_crash0', 10, 0)).total, c.pings + 1, c.name);
        await again.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const where of WHERE) {
    it(`applies the journal exactly once when killed at any moment, during projection included (${where})`, async () => {
      for (let attempt = 0; attempt < 3; attempt++) {
        const { dir, path } = tempDb();
        try {
          const wanted = 3 + attempt * 4;
          const { child, lines } = await runFixture([path, 'load', where], (ls) => ls.filter((l) => l.startsWith('acked ')).length >= wanted);
          await new Promise((r) => setTimeout(r, attempt * 7));
          await kill(child);
          const acked = lines.filter((l) => l.startsWith('acked ')).flatMap((l) => l.slice(6).split(',').map(Number)).filter((id) => id > 0);
          const store = new SqliteStore({ path });
          const stored = new Set<number>();
          for (let i = 0; i < 5; i++) {
            const monitor = (await store.getMonitorById(`mon_crash${i}`))!;
            const pings = (await store.listPings(monitor.id, 100_000, 0)).items.reverse();
            for (const p of pings) stored.add(p.id);
            // The stored flips and status are exactly those of deciding the stored pings once, in order.
            const config = { ...monitor };
            let m: Monitor = { ...config, ...initialStatus(T0, timingOf(config)), updatedAt: T0 };
            const expected: string[] = [];
            for (const p of pings) {
              const input: PingInput = { token: monitor.pingToken, kind: p.kind, exitCode: p.exitCode, receivedAt: p.receivedAt, source: p.source, method: p.method, ip: p.ip, userAgent: p.userAgent, body: null, msg: p.msg, details: p.details };
              const t = decidePing(m, input);
              if (t.status.version !== m.version) expected.push(...t.flips.map((f) => `${f.from}>${f.to}@${f.at.getTime()}`));
              m = { ...m, ...t.status };
            }
            const flips = (await store.listFlips(monitor.id, 100_000, 0)).items.reverse().map((f) => `${f.from}>${f.to}@${f.at.getTime()}`);
            assert.deepEqual(flips, expected, `flips of ${monitor.id}`);
            assert.equal(monitor.version, m.version, `version of ${monitor.id}`);
            assert.equal(monitor.state, m.state);
          }
          for (const id of acked) assert.ok(stored.has(id), `acknowledged ping ${id} is stored`);
          await store.close();
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
    });
  }

  for (const where of WHERE) {
    it(`retires journal segments once SQLite holds them durably (${where})`, async () => {
      const { dir, path } = tempDb();
      try {
        const options = { path, journalSegmentBytes: 4096 };
        const store: Store = where === 'worker' ? await WorkerSqliteStore.open(options) : new SqliteStore(options);
        closeLater.push(store);
        await store.createProject({ id: 'prj_r', name: 'r', pingKey: 'pk_r', createdAt: T0 });
        const config = { name: 'r', key: 'r', type: 'job' as const, schedule: 'every 1 hour', timezone: 'UTC', graceSeconds: 60, tags: [], realertSeconds: 28800, notify: DEFAULT_NOTIFY, payloadScanning: null, payloadMetrics: [], assertions: [], runRules: DEFAULT_RUN_RULES };
        await store.insertMonitor({ ...config, id: 'mon_r', projectId: 'prj_r', pingToken: 'tok_r', createdAt: T0, updatedAt: T0, ...initialStatus(T0, timingOf(config)) });
        let most = 0;
        for (let b = 0; b < 60; b++) {
          const batch = Array.from({ length: 10 }, (_, i): PingInput => ({ token: 'tok_r', kind: 'success', exitCode: null, receivedAt: at(b * 10 + i), source: 'native', method: 'POST', ip: null, userAgent: null, body: Buffer.alloc(100, 'x'), msg: null, details: null }));
          await store.recordPings(batch, decidePing);
          if (b % 5 === 4) await new Promise((r) => setTimeout(r, 30)); // projections happen meanwhile
          most = Math.max(most, segments(path).length);
        }
        // ~600 frames of ~200 bytes went through ~30 segments of 4 KiB; only the last few were ever kept.
        assert.ok(most <= 6, `at most a few segments at a time (saw ${most})`);
        assert.equal((await store.listPings('mon_r', 1, 0)).total, 600);
        await store.close();
        assert.deepEqual(segments(path), []);
        assert.ok(readdirSync(journalDir(path)).length <= 2, 'at most two spares are kept');
        const again = new SqliteStore({ path });
        assert.equal((await again.listPings('mon_r', 1, 0)).total, 600);
        await again.close();
      } finally {
        for (const s of closeLater.splice(0)) await s.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('writes statuses back in chunks while pings keep arriving, never naming a ping SQLite does not hold (worker)', async () => {
    const { dir, path } = tempDb();
    const MONITORS = 700; // several write-back chunks
    try {
      const store = await WorkerSqliteStore.open({ path, flushIntervalMs: 40 });
      closeLater.push(store);
      await store.createProject({ id: 'prj_w', name: 'w', pingKey: 'pk_w', createdAt: T0 });
      const config = { name: 'w', key: '', type: 'job' as const, schedule: 'every 1 hour', timezone: 'UTC', graceSeconds: 60, tags: [], realertSeconds: 28800, notify: DEFAULT_NOTIFY, payloadScanning: null, payloadMetrics: [], assertions: [], runRules: DEFAULT_RUN_RULES };
      const tokens = Array.from({ length: MONITORS }, (_, i) => `tok_w${i}`);
      for (const [i, token] of tokens.entries()) {
        await store.insertMonitor({ ...config, key: `w${i}`, id: `mon_w${i}`, projectId: 'prj_w', pingToken: token, createdAt: T0, updatedAt: T0, ...initialStatus(T0, timingOf(config)) });
      }
      const ping = (token: string, s: number): PingInput => ({ token, kind: 'success', exitCode: null, receivedAt: at(s), source: 'native', method: 'GET', ip: null, userAgent: null, body: null, msg: null, details: null });
      const giveUp = Date.now() + 15_000;
      let round = 0;
      for (;;) {
        // Every monitor pinged again each round, so journaled pings not yet in SQLite are always pending.
        round++;
        await store.recordPings(tokens.map((t) => ping(t, round)), decidePing);
        const db = new Database(path, { readonly: true });
        try {
          const dangling = db.prepare('SELECT count(*) FROM monitors m WHERE status_ping_id > 0 AND NOT EXISTS (SELECT 1 FROM pings p WHERE p.id = m.status_ping_id)').pluck().get();
          assert.equal(dangling, 0, 'a written-back status names a ping that is not in SQLite');
          if (db.prepare('SELECT count(*) FROM monitors WHERE last_ping_at IS NOT NULL').pluck().get() === MONITORS) break;
        } finally {
          db.close();
        }
        assert.ok(Date.now() < giveUp, 'every status was written back while pings kept arriving');
        await new Promise((r) => setTimeout(r, 5));
      }
      await store.close();
      const again = new SqliteStore({ path });
      for (const i of [0, 350, MONITORS - 1]) assert.deepEqual((await again.getMonitorByToken(tokens[i]!))?.lastPingAt, at(round));
      await again.close();
    } finally {
      for (const s of closeLater.splice(0)) await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("never replays another database's journal", async () => {
    const { dir, path } = tempDb();
    try {
      await killedUnprojected(path, 'inprocess');
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
      const store = new SqliteStore({ path }); // a new database beside the old journal
      assert.equal(countRows(path, 'pings'), 0);
      assert.deepEqual(await store.listProjects(), []);
      await store.close();
      assert.deepEqual(segments(path), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

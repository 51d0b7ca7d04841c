import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { PingIngestor } from '../../src/app/ping-ingestor.js';
import { newId, newPingKey, newPingToken } from '../../src/app/secrets.js';
import type { Monitor } from '../../src/domain/monitor.js';
import { DEFAULT_NOTIFY } from '../../src/domain/notify.js';
import type { PingInput } from '../../src/domain/ping.js';
import { DEFAULT_RUN_RULES } from '../../src/domain/run-rules.js';
import { timingOf } from '../../src/domain/timing.js';
import { initialStatus } from '../../src/domain/transitions.js';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import type { Store } from '../../src/storage/store.js';

const T0 = new Date('2026-01-05T10:00:00.000Z');

/**
 * The real store, with each `recordPings` held until the test lets it go: batches stay "in flight" as long as
 * the test needs (a release may come before its batch), and the tokens of every batch sent are recorded.
 */
function heldStore(store: Store): { store: Store; batches: string[][]; release: () => void } {
  const batches: string[][] = [];
  const gates: (() => void)[] = [];
  /** Releases granted before their batch arrived: it then goes through at once. */
  let credits = 0;
  const held = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop !== 'recordPings') return Reflect.get(target, prop, receiver);
      return async (pings: PingInput[], decide: Parameters<Store['recordPings']>[1]) => {
        batches.push(pings.map((p) => p.token));
        if (credits > 0) credits--;
        else await new Promise<void>((resolve) => gates.push(resolve));
        return target.recordPings(pings, decide);
      };
    },
  });
  const release = () => {
    const gate = gates.shift();
    if (gate) gate();
    else credits++;
  };
  return { store: held, batches, release };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('ping ingestor', () => {
  let dir: string;
  let sqlite: SqliteStore;
  let a: Monitor;
  let b: Monitor;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'overdue-ingestor-'));
    sqlite = new SqliteStore({ path: join(dir, 'overdue.db') });
    const project = { id: newId('prj'), name: 'P', pingKey: newPingKey(), createdAt: T0 };
    await sqlite.createProject(project);
    const config = { name: 'job', type: 'job' as const, schedule: 'every 1 hour', timezone: 'UTC', graceSeconds: 60, tags: [], realertSeconds: 28800, notify: DEFAULT_NOTIFY, payloadScanning: null, payloadMetrics: [], assertions: [], runRules: DEFAULT_RUN_RULES, extra: {} };
    const monitor = (key: string): Monitor => ({ id: newId('mon'), projectId: project.id, pingToken: newPingToken(), createdAt: T0, updatedAt: T0, key, ...config, ...initialStatus(T0, timingOf(config)) });
    [a, b] = [monitor('a'), monitor('b')];
    await sqlite.insertMonitor(a);
    await sqlite.insertMonitor(b);
  });
  afterEach(async () => {
    await sqlite.close();
    await rm(dir, { recursive: true, force: true });
  });

  const ping = (token: string, s: number): PingInput => ({ token, kind: 'success', exitCode: null, receivedAt: new Date(T0.getTime() + s * 1000), source: 'native', method: 'GET', ip: null, userAgent: null, body: null, msg: null, details: null });

  /** Pings A, then (while A's batch is held) A again and B; then lets every batch finish. */
  async function run(separateTokens: boolean) {
    const held = heldStore(sqlite);
    const ingestor = new PingIngestor(held.store, { separateTokens, maxInFlight: 2 });
    const first = ingestor.record(ping(a.pingToken, 1));
    await turn();
    const rest = [ingestor.record(ping(a.pingToken, 2)), ingestor.record(ping(b.pingToken, 3))];
    await turn();
    const sentWhileHeld = held.batches.map((t) => [...t]);
    const all = Promise.all([first, ...rest]);
    for (let i = 0; i < 3; i++) held.release();
    return { sentWhileHeld, batches: held.batches, outcomes: await all };
  }

  it('with separateTokens, a ping for a token in flight waits for the next batch; other tokens go on', async () => {
    const { sentWhileHeld, batches, outcomes } = await run(true);
    assert.deepEqual(sentWhileHeld, [[a.pingToken], [b.pingToken]]);
    assert.deepEqual(batches, [[a.pingToken], [b.pingToken], [a.pingToken]]);
    assert.deepEqual(outcomes.map((o) => o.found && o.state), ['up', 'up', 'up']);
    const pings = await sqlite.listPings(a.id, 10, 0);
    assert.deepEqual(pings.items.map((p) => p.receivedAt.getTime() - T0.getTime()).sort(), [1000, 2000], 'both of A stored');
    assert.equal((await sqlite.getMonitorById(a.id))?.lastPingAt?.getTime(), T0.getTime() + 2000, 'in order: the later ping is the last');
  });

  it('without it, batches take the queue as it is', async () => {
    const { sentWhileHeld, outcomes } = await run(false);
    assert.deepEqual(sentWhileHeld, [[a.pingToken], [a.pingToken, b.pingToken]]);
    assert.equal(outcomes.length, 3);
  });
});

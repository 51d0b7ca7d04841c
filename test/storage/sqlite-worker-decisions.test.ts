/**
 * The server's SQLite store decides pings on the thread that appends them to the journal, from monitors the
 * worker gave it, while the worker decides the same pings again to write their rows. These tests change a
 * monitor and its rules between pings through the store, and check that the answers follow every change and
 * that the two threads never disagreed.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { newId, newPingKey, newPingToken } from '../../src/app/secrets.js';
import type { Monitor } from '../../src/domain/monitor.js';
import { DEFAULT_NOTIFY } from '../../src/domain/notify.js';
import type { PingInput } from '../../src/domain/ping.js';
import { decidePing } from '../../src/domain/ping-decision.js';
import { DEFAULT_RUN_RULES } from '../../src/domain/run-rules.js';
import { timingOf } from '../../src/domain/timing.js';
import { initialStatus } from '../../src/domain/transitions.js';
import { WorkerSqliteStore } from '../../src/storage/sqlite/worker-store.js';
import type { Project, Store } from '../../src/storage/store.js';

const T0 = new Date('2026-01-05T10:00:00.000Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);

describe('SQLite server store: pings decided on the appending thread', () => {
  let dir: string;
  let store: Store;
  let project: Project;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'overdue-decisions-'));
    store = await WorkerSqliteStore.open({ path: join(dir, 'overdue.db') });
    project = { id: newId('prj'), name: 'P', pingKey: newPingKey(), createdAt: T0 };
    await store.createProject(project);
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const divergences = () => store.divergences;
  const ping = (token: string, kind: PingInput['kind'], s: number): PingInput => ({ token, kind, exitCode: null, receivedAt: at(s), source: 'native', method: 'GET', ip: null, userAgent: null, body: null, msg: null, details: null });
  const record = async (p: PingInput) => (await store.recordPings([p], decidePing))[0]!;
  async function newMonitor(): Promise<Monitor> {
    const config = { name: 'job', key: `job-${Math.random().toString(36).slice(2, 8)}`, type: 'job' as const, schedule: 'every 1 hour', timezone: 'UTC', graceSeconds: 60, tags: [], realertSeconds: 28800, notify: DEFAULT_NOTIFY, payloadScanning: null, payloadMetrics: [], assertions: [], runRules: DEFAULT_RUN_RULES, extra: {} };
    const m: Monitor = { id: newId('mon'), projectId: project.id, pingToken: newPingToken(), createdAt: T0, updatedAt: T0, ...config, ...initialStatus(T0, timingOf(config)) };
    await store.insertMonitor(m);
    return m;
  }
  /**
   * Lets the worker's replies to the batches so far (which carry its own decisions) arrive: the worker answers
   * in order, so once a later call is answered, every batch's reply has been compared.
   */
  const settle = async () => {
    await store.getMonitorById('mon_none');
  };

  it('answers from the monitor as the API left it: a pause, a new schedule, a new ping token', async () => {
    const m = await newMonitor();
    assert.deepEqual(await record(ping(m.pingToken, 'success', 1)), { found: true, pingId: 1, state: 'up', deadline: at(1 + 3600), notificationsQueued: false });
    const up = (await store.getMonitorById(m.id))!;
    assert.ok(await store.updateMonitor({ ...up, state: 'paused', pausedUntil: null, deadline: null, version: up.version + 1 }, up.version, []));
    const paused = await record(ping(m.pingToken, 'success', 2));
    assert.equal(paused.found && paused.state, 'paused', 'decided from the paused monitor, not the one remembered before');

    const current = (await store.getMonitorById(m.id))!;
    const renewed = { ...current, state: 'up' as const, schedule: 'every 10 minutes', pingToken: newPingToken(), version: current.version + 1 };
    assert.ok(await store.updateMonitor(renewed, current.version, []));
    assert.deepEqual(await record(ping(m.pingToken, 'success', 3)), { found: false }, 'the old token is dead');
    const fresh = await record(ping(renewed.pingToken, 'success', 4));
    assert.deepEqual(fresh.found && fresh.deadline, at(4 + 600), 'the new schedule');
    await settle();
    assert.equal(divergences(), 0);
  });

  it('says notifications were queued exactly when a rule exists, rules added or removed between pings included', async () => {
    const m = await newMonitor();
    const queued = async (kind: PingInput['kind'], s: number) => {
      const o = await record(ping(m.pingToken, kind, s));
      return o.found && o.notificationsQueued;
    };
    assert.equal(await queued('success', 1), false);
    assert.equal(await queued('fail', 2), false, 'no rule yet');
    const ch = { id: newId('chn'), projectId: project.id, name: 'hook', kind: 'webhook', config: {}, lastError: null, lastErrorAt: null, createdAt: T0, updatedAt: T0 };
    await store.createChannel(ch);
    await store.createRule({ id: newId('rul'), monitorId: m.id, channelId: ch.id, event: 'on_recovery', createdAt: T0 });
    assert.equal(await queued('success', 3), true, 'the new rule is seen');
    const rules = await store.listRules(m.id);
    for (const r of rules) await store.deleteRule(m.id, r.id);
    assert.equal(await queued('fail', 4), false);
    assert.equal(await queued('success', 5), false, 'the deleted rule is gone');
    assert.equal((await store.claimNotifications(at(100), at(200), 10)).length, 1, 'exactly the one notification was queued');
    await settle();
    assert.equal(divergences(), 0);
  });

  it('keeps the order of concurrent batches for one monitor, some of them waiting for the worker', async () => {
    const monitors = await Promise.all(Array.from({ length: 5 }, () => newMonitor()));
    const batches = Array.from({ length: 20 }, (_, b) => monitors.map((m, i) => ping(m.pingToken, (b + i) % 3 === 0 ? 'fail' : 'success', b + 1)));
    const outcomes = await Promise.all(batches.map((batch) => store.recordPings(batch, decidePing)));
    await settle();
    assert.equal(divergences(), 0);
    for (const [i, m] of monitors.entries()) {
      const stored = (await store.getMonitorById(m.id))!;
      const last = outcomes[19]![i]!;
      assert.equal(last.found && last.state, stored.state);
      assert.deepEqual(stored.lastPingAt, at(20));
    }
  });

  it('decides a ping sent while a pause is on its way to the worker from the paused monitor', async () => {
    const m = await newMonitor();
    await record(ping(m.pingToken, 'success', 1));
    const up = (await store.getMonitorById(m.id))!;
    const pausing = store.updateMonitor({ ...up, state: 'paused', pausedUntil: null, deadline: null, version: up.version + 1 }, up.version, []);
    const during = record(ping(m.pingToken, 'success', 2)); // held at the gate until the pause is sent
    assert.ok(await pausing);
    assert.equal((await during).found && (await during as { state: string }).state, 'paused');
    await settle();
    assert.equal(divergences(), 0);
  });

  it('forgets only the monitor an update changed (the ping token case is the first test\'s)', async () => {
    const a = await newMonitor();
    const b = await newMonitor();
    await record(ping(a.pingToken, 'success', 1));
    await record(ping(b.pingToken, 'success', 1));
    const workerStore = store as unknown as WorkerSqliteStore;
    const fetched = workerStore.monitorsFetched;
    const current = (await store.getMonitorById(a.id))!;
    assert.ok(await store.updateMonitor({ ...current, schedule: 'every 10 minutes', version: current.version + 1 }, current.version, []));
    assert.equal((await record(ping(b.pingToken, 'success', 2))).found, true);
    assert.equal(workerStore.monitorsFetched, fetched, 'the monitor not updated is still held');
    const updated = await record(ping(a.pingToken, 'success', 3));
    assert.deepEqual(updated.found && updated.deadline, at(3 + 600), 'the updated monitor, with its new schedule');
    assert.equal(workerStore.monitorsFetched, fetched + 1, 'fetched again');
    await settle();
    assert.equal(divergences(), 0);
  });

  it('sends the frames of batches appended while the worker is busy together, decided the same on both threads', async () => {
    const monitors = await Promise.all(Array.from({ length: 5 }, () => newMonitor()));
    const workerStore = store as unknown as WorkerSqliteStore;
    const before = workerStore.frameMessages;
    // 40 batches of one ping each, all appended before any reply can arrive.
    const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => record(ping(monitors[i % 5]!.pingToken, i % 7 === 0 ? 'fail' : 'success', i + 1))));
    assert.ok(outcomes.every((o) => o.found));
    const messages = workerStore.frameMessages - before;
    assert.ok(messages < 40, `${messages} messages for 40 batches`);
    await settle();
    assert.equal(divergences(), 0);
    for (const [k, m] of monitors.entries()) {
      const pings = await store.listPings(m.id, 50, 0);
      assert.equal(pings.total, 8, `every ping of monitor ${k} stored`);
      const sent = Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 5 === k);
      assert.deepEqual(pings.items.map((p) => p.receivedAt), sent.map((i) => at(i + 1)).reverse(), 'in order, newest first');
    }
  });

  it('holds every monitor before its first ping after a restart, with the status the journal left', async () => {
    const a = await newMonitor();
    const b = await newMonitor();
    await record(ping(a.pingToken, 'success', 10));
    await store.close();
    const reopened = (await WorkerSqliteStore.open({ path: join(dir, 'overdue.db') })) as unknown as WorkerSqliteStore;
    store = reopened as unknown as Store;
    await reopened.warmed;
    const first = await record(ping(a.pingToken, 'success', 20));
    assert.equal(first.found && first.state, 'up');
    assert.deepEqual(first.found && first.deadline, at(20 + 3600));
    assert.equal((await record(ping(b.pingToken, 'start', 30))).found, true);
    assert.equal(reopened.monitorsFetched, 0, 'no batch waited for the worker to fetch a monitor');
    await settle();
    assert.equal(divergences(), 0);
    assert.equal((await store.getMonitorById(b.id))?.state, 'running');
  });
});

/**
 * The behaviour every Store backend must have. Each backend's test file calls `storeContract` with a factory
 * that returns a fresh, empty, migrated store.
 */
import { DEFAULT_RUN_RULES } from '../../src/domain/run-rules.js';
import { DEFAULT_NOTIFY } from '../../src/domain/notify.js';
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { decidePing } from '../../src/domain/ping-decision.js';
import { newId, newPingKey, newPingToken } from '../../src/app/secrets.js';
import { timingOf } from '../../src/domain/timing.js';
import { AppError } from '../../src/domain/errors.js';
import type { Monitor } from '../../src/domain/monitor.js';
import type { PingInput } from '../../src/domain/ping.js';
import { applyEvent, initialStatus } from '../../src/domain/transitions.js';
import type { Project, Store } from '../../src/storage/store.js';

const T0 = new Date('2026-01-05T10:00:00.000Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);

export function storeContract(name: string, factory: () => Promise<{ store: Store; cleanup: () => Promise<void> }>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let project: Project;

    beforeEach(async () => {
      ({ store, cleanup } = await factory());
      project = { id: newId('prj'), name: 'P', pingKey: newPingKey(), createdAt: T0 };
      await store.createProject(project);
    });
    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    const makeMonitor = (over: Partial<Monitor> = {}): Monitor => {
      const config = { name: 'backup', key: `backup-${Math.random().toString(36).slice(2, 8)}`, type: 'job' as const, schedule: 'every 1 hour', timezone: 'UTC', graceSeconds: 60, tags: ['db'], realertSeconds: 28800, notify: DEFAULT_NOTIFY, payloadScanning: null, payloadMetrics: [], assertions: [], runRules: DEFAULT_RUN_RULES, extra: {} };
      return { id: newId('mon'), projectId: project.id, pingToken: newPingToken(), createdAt: T0, updatedAt: T0, ...config, ...initialStatus(T0, timingOf(config)), ...over };
    };
    const ping = (token: string, kind: PingInput['kind'], s: number, body: string | null = null): PingInput => ({
      token, kind, exitCode: null, receivedAt: at(s), source: 'native', method: body ? 'POST' : 'GET', ip: '127.0.0.1', userAgent: 'curl/8', body: body === null ? null : Buffer.from(body), msg: null, details: null,
    });

    it('round-trips a monitor with every field intact', async () => {
      const extra = { note: 'call Ann', defaultName: 'Backup', group: 'db', platform: 'kubernetes', metadata: { backoffLimit: 3, labels: { team: 'data' } } };
      const m = makeMonitor({ tags: ['a', 'b'], lastPingAt: at(5), pausedUntil: at(9), extra });
      await store.insertMonitor(m);
      assert.deepEqual(await store.getMonitor(project.id, m.id), m);
      assert.deepEqual(await store.getMonitorByToken(m.pingToken), m);
      assert.deepEqual(await store.getMonitorById(m.id), m);
    });

    it('round-trips run rules, open runs and streaks', async () => {
      const runRules = { expectedRuntime: { min: 30, max: null }, maxRuntime: 600, inactivityTimeout: 60, scheduleTolerance: 2, failureTolerance: 1, recoveryThreshold: 3, overlapPolicy: 'alert' as const };
      const openRuns = [{ runId: 'a', startedAt: at(1), activeAt: at(2) }, { runId: null, startedAt: at(3), activeAt: at(3) }];
      const m = makeMonitor({ runRules, openRuns, runningSince: at(3), state: 'running', lastDuration: 12.345, stateReason: null, missedStreak: 1, failureStreak: 2, successStreak: 0 });
      await store.insertMonitor(m);
      assert.deepEqual(await store.getMonitorById(m.id), m);
    });

    it('keeps runs: opened by a start, closed by the completion paired with it, newest first', async () => {
      const m = makeMonitor();
      await store.insertMonitor(m);
      const withRun = (p: PingInput, series: string | null, duration: number | null = null): PingInput => ({ ...p, details: { host: null, series, statusCode: null, duration, env: null, release: null, metrics: [] } });
      const [startA, startB] = await store.recordPings([withRun(ping(m.pingToken, 'start', 0), 'a'), withRun(ping(m.pingToken, 'start', 5), 'b')], decidePing);
      const [endA] = await store.recordPings([withRun(ping(m.pingToken, 'success', 30), 'a')], decidePing);
      await store.recordPings([withRun(ping(m.pingToken, 'success', 40), null, 7)], decidePing); // pairs with b, the latest open run
      await store.recordPings([withRun(ping(m.pingToken, 'success', 50), null, 2.5)], decidePing); // no open run: a run of its own
      const runs = await store.listRuns(m.id, 10, 0);
      assert.equal(runs.total, 3);
      const pingId = (o: unknown) => (o as { pingId: number }).pingId;
      assert.deepEqual(
        runs.items.map((r) => [r.runId, r.outcome, r.startedAt?.getTime() ?? null, r.finishedAt?.getTime() ?? null, r.duration, r.startPingId, r.endPingId]),
        [
          [null, 'success', null, at(50).getTime(), 2.5, null, runs.items[0]?.endPingId],
          ['b', 'success', at(5).getTime(), at(40).getTime(), 7, pingId(startB), runs.items[1]?.endPingId],
          ['a', 'success', at(0).getTime(), at(30).getTime(), 30, pingId(startA), pingId(endA)],
        ],
      );
      assert.deepEqual((await store.listRuns(m.id, 1, 1)).items.map((r) => r.runId), ['b']);
      const after = await store.getMonitorById(m.id);
      assert.equal(after?.openRuns.length, 0);
      assert.equal(after?.lastDuration, 2.5);
    });

    it('closes a timed-out run through updateMonitor, in the transaction of its flip', async () => {
      const m = makeMonitor({ runRules: { ...DEFAULT_RUN_RULES, maxRuntime: 60 } });
      await store.insertMonitor(m);
      await store.recordPings([ping(m.pingToken, 'start', 0)], decidePing);
      const running = (await store.getMonitorById(m.id))!;
      assert.deepEqual(running.deadline, at(60));
      const t = applyEvent(running, { type: 'deadline' }, at(60), timingOf(running));
      assert.ok(await store.updateMonitor({ ...running, ...t.status }, running.version, t.flips, t.alerts, t.runs));
      const [run] = (await store.listRuns(m.id, 10, 0)).items;
      assert.deepEqual([run?.outcome, run?.duration, run?.finishedAt], ['timeout', 60, at(60)]);
      assert.equal((await store.getMonitorById(m.id))?.downReason, 'timeout');
      // A stale second claim writes nothing: the run is not closed twice.
      assert.equal(await store.updateMonitor({ ...running, ...t.status }, running.version, t.flips, t.alerts, t.runs), false);
      assert.equal((await store.listRuns(m.id, 10, 0)).total, 1);
    });

    it('keeps the kind of a tolerated missed flip', async () => {
      const m = makeMonitor();
      await store.insertMonitor(m);
      assert.ok(await store.updateMonitor({ ...m, version: 1 }, 0, [{ at: at(1), from: 'late', to: 'up', reason: 'missed (1 of 2 tolerated)', kind: 'missed', notify: false }, { at: at(2), from: 'up', to: 'late', reason: 'late' }]));
      const flips = (await store.listFlips(m.id, 10, 0)).items;
      assert.deepEqual(flips.map((f) => f.kind ?? 'state'), ['state', 'missed']);
    });

    it('hides a monitor from other projects', async () => {
      const m = makeMonitor();
      await store.insertMonitor(m);
      const other: Project = { id: newId('prj'), name: 'Q', pingKey: newPingKey(), createdAt: T0 };
      await store.createProject(other);
      assert.equal(await store.getMonitor(other.id, m.id), null);
      assert.equal((await store.listMonitors(other.id, { limit: 10, offset: 0 })).total, 0);
      assert.equal(await store.deleteMonitor(other.id, m.id), false);
      assert.ok(await store.getMonitor(project.id, m.id));
    });

    it('refuses a duplicate key in one project and a duplicate ping token anywhere, as conflicts naming the field', async () => {
      const m = makeMonitor({ key: 'same' });
      await store.insertMonitor(m);
      await assert.rejects(store.insertMonitor(makeMonitor({ key: 'same' })), (e: unknown) => e instanceof AppError && e.code === 'conflict' && e.field === 'key');
      await assert.rejects(store.insertMonitor(makeMonitor({ pingToken: m.pingToken })), (e: unknown) => e instanceof AppError && e.code === 'conflict' && e.field === 'ping_token');
    });

    it('lists monitors by state and tag with pagination and a total', async () => {
      for (let i = 0; i < 5; i++) await store.insertMonitor(makeMonitor({ createdAt: at(i), tags: i % 2 ? ['odd'] : ['even'], state: i === 0 ? 'down' : 'pending' }));
      const page = await store.listMonitors(project.id, { limit: 2, offset: 1 });
      assert.equal(page.total, 5);
      assert.equal(page.items.length, 2);
      assert.deepEqual(page.items.map((m) => m.createdAt), [at(1), at(2)]);
      assert.equal((await store.listMonitors(project.id, { tag: 'odd', limit: 10, offset: 0 })).total, 2);
      assert.equal((await store.listMonitors(project.id, { state: 'down', limit: 10, offset: 0 })).total, 1);
      assert.equal((await store.listMonitors(project.id, { state: 'down', tag: 'odd', limit: 10, offset: 0 })).total, 0);
    });

    it('updates with compare-and-set on the version and writes flips in the same transaction', async () => {
      const m = makeMonitor();
      await store.insertMonitor(m);
      const flip = { at: at(1), from: 'pending' as const, to: 'up' as const, reason: 'r' };
      assert.equal(await store.updateMonitor({ ...m, state: 'up', version: 1 }, 0, [flip]), true);
      assert.equal(await store.updateMonitor({ ...m, state: 'down', version: 1 }, 0, [flip]), false, 'stale version must lose');
      assert.equal((await store.getMonitor(project.id, m.id))?.state, 'up');
      const flips = await store.listFlips(m.id, 10, 0);
      assert.equal(flips.total, 1);
      assert.deepEqual({ ...flips.items[0], id: 0 }, { ...flip, id: 0 });
    });

    it('records a batch of pings, applying each transition in order, and skips unknown tokens', async () => {
      const m = makeMonitor();
      await store.insertMonitor(m);
      const outcomes = await store.recordPings([ping(m.pingToken, 'start', 1), ping('mping_nope', 'success', 1), ping(m.pingToken, 'success', 2, 'done')], decidePing);
      assert.deepEqual(outcomes.map((o) => o.found), [true, false, true]);
      const stored = await store.getMonitor(project.id, m.id);
      assert.equal(stored?.state, 'up');
      assert.deepEqual(stored?.lastPingAt, at(2));
      assert.equal(stored?.version, 2);
      const pings = await store.listPings(m.id, 10, 0);
      assert.equal(pings.total, 2);
      assert.deepEqual(pings.items.map((p) => p.kind), ['success', 'start'], 'newest first');
      assert.equal(pings.items[0]?.bodyPreview, 'done');
      assert.equal(pings.items[0]?.bodySize, 4);
      assert.deepEqual((await store.listFlips(m.id, 10, 0)).items.map((f) => `${f.from}>${f.to}`), ['running>up', 'pending>running']);
    });

    it('finds a monitor by its project\'s ping key and its key (slug), exactly, and only in that project', async () => {
      const m = makeMonitor({ key: 'nightly-backup' });
      await store.insertMonitor(m);
      const other: Project = { id: newId('prj'), name: 'Q', pingKey: newPingKey(), createdAt: T0 };
      await store.createProject(other);
      const twin = makeMonitor({ projectId: other.id, key: 'nightly-backup' });
      await store.insertMonitor(twin);
      assert.deepEqual(await store.getMonitorBySlug(project.pingKey, 'nightly-backup'), m);
      assert.deepEqual(await store.getMonitorBySlug(other.pingKey, 'nightly-backup'), twin);
      assert.equal(await store.getMonitorBySlug(project.pingKey, 'other-job'), null, 'unknown key');
      assert.equal(await store.getMonitorBySlug(newPingKey(), 'nightly-backup'), null, 'unknown ping key');
      assert.equal(await store.getMonitorBySlug(project.pingKey, 'Nightly-Backup'), null, 'keys are case-sensitive');
      assert.equal(await store.getMonitorBySlug(project.pingKey.toUpperCase(), 'nightly-backup'), null, 'ping keys are case-sensitive');
      assert.equal(await store.getMonitorBySlug(project.pingKey, m.pingToken), null, 'a ping token is not a key');
    });

    it('shows the status from the latest pings when finding a monitor by slug', async () => {
      const m = makeMonitor({ key: 'etl' });
      await store.insertMonitor(m);
      await store.recordPings([ping(m.pingToken, 'start', 1), ping(m.pingToken, 'fail', 2)], decidePing);
      const found = await store.getMonitorBySlug(project.pingKey, 'etl');
      assert.equal(found?.state, 'down');
      assert.deepEqual(found?.lastPingAt, at(2));
      assert.deepEqual(found, await store.getMonitorByToken(m.pingToken));
      assert.equal(await store.deleteMonitor(project.id, m.id), true);
      assert.equal(await store.getMonitorBySlug(project.pingKey, 'etl'), null, 'gone once deleted');
    });

    it('finds nothing by a ping token once the monitor got a new one or was deleted, after its status was written back', async () => {
      const m = makeMonitor();
      await store.insertMonitor(m);
      await store.recordPings([ping(m.pingToken, 'success', 1)], decidePing);
      const pinged = await store.getMonitorById(m.id); // the status is written to the row by now
      assert.equal(pinged?.state, 'up');
      const [again] = await store.recordPings([ping(m.pingToken, 'success', 2)], decidePing);
      assert.equal(again?.found, true);
      const current = (await store.getMonitorById(m.id))!;
      const renewed = { ...current, pingToken: newPingToken(), version: current.version + 1 };
      assert.ok(await store.updateMonitor(renewed, current.version, []));
      const [old, fresh] = await store.recordPings([ping(m.pingToken, 'success', 3), ping(renewed.pingToken, 'success', 4)], decidePing);
      assert.deepEqual(old, { found: false }, 'the old token is dead');
      assert.equal(fresh?.found, true);
      assert.deepEqual((await store.getMonitorById(m.id))?.lastPingAt, at(4));
      assert.equal(await store.deleteMonitor(project.id, m.id), true);
      assert.deepEqual(await store.recordPings([ping(renewed.pingToken, 'success', 5)], decidePing), [{ found: false }], 'a deleted monitor takes no pings');
    });

    it('keeps whole ping bodies, binary included, and previews only the start', async () => {
      const m = makeMonitor();
      await store.insertMonitor(m);
      const big = 'x'.repeat(5000);
      const [o] = await store.recordPings([ping(m.pingToken, 'log', 1, big)], decidePing);
      assert.ok(o?.found);
      const id = o.found ? o.pingId : 0;
      assert.equal((await store.getPingBody(m.id, id))?.toString(), big);
      assert.equal((await store.listPings(m.id, 1, 0)).items[0]?.bodyPreview?.length, 200);
      assert.equal(await store.getPingBody(m.id, id + 999), null);
      const [empty] = await store.recordPings([ping(m.pingToken, 'success', 2)], decidePing);
      assert.deepEqual(await store.getPingBody(m.id, empty?.found ? empty.pingId : 0), Buffer.alloc(0));
    });

    it('finds due monitors by stored deadline, earliest first, and reports the next deadline', async () => {
      const a = makeMonitor({ deadline: at(30) });
      const b = makeMonitor({ deadline: at(10) });
      const c = makeMonitor({ deadline: null, state: 'down' });
      for (const m of [a, b, c]) await store.insertMonitor(m);
      assert.deepEqual(await store.nextDeadline(), at(10));
      assert.deepEqual((await store.dueMonitors(at(20), 10)).map((m) => m.id), [b.id]);
      assert.deepEqual((await store.dueMonitors(at(30), 10)).map((m) => m.id), [b.id, a.id]);
      assert.deepEqual((await store.dueMonitors(at(30), 1)).map((m) => m.id), [b.id]);
    });

    it('follows a deadline a ping moved later: not due at the old one, due at the new one', async () => {
      const m = makeMonitor(); // every 1 hour: due (late) at 3600 s
      await store.insertMonitor(m);
      assert.deepEqual(m.deadline, at(3600));
      await store.recordPings([ping(m.pingToken, 'success', 10)], decidePing); // now due at 3610 s
      const next = await store.nextDeadline();
      assert.ok(next && next <= at(3610), 'the next deadline is never later than the earliest one');
      assert.deepEqual(await store.dueMonitors(at(3605), 10), []);
      assert.deepEqual(await store.nextDeadline(), at(3610), 'exact once the scheduler has passed the old deadline');
      assert.deepEqual((await store.dueMonitors(at(3610), 10)).map((d) => d.id), [m.id]);
    });

    it('follows a deadline a ping set where there was none', async () => {
      const m = makeMonitor({ state: 'down', downReason: 'missed', deadline: null });
      await store.insertMonitor(m);
      assert.equal(await store.nextDeadline(), null);
      await store.recordPings([ping(m.pingToken, 'success', 10)], decidePing); // recovers: due at 3610 s
      assert.deepEqual(await store.nextDeadline(), at(3610));
      assert.deepEqual(await store.dueMonitors(at(3609), 10), []);
      assert.deepEqual((await store.dueMonitors(at(3610), 10)).map((d) => d.id), [m.id]);
    });

    it('deletes a monitor with its pings and flips', async () => {
      const m = makeMonitor();
      await store.insertMonitor(m);
      await store.recordPings([ping(m.pingToken, 'success', 1, 'b')], decidePing);
      assert.equal(await store.deleteMonitor(project.id, m.id), true);
      assert.equal(await store.getMonitor(project.id, m.id), null);
      assert.equal((await store.listPings(m.id, 10, 0)).total, 0);
      assert.equal((await store.listFlips(m.id, 10, 0)).total, 0);
      assert.equal(await store.deleteMonitor(project.id, m.id), false);
    });

    it('stores API keys by hash only and finds them by hash', async () => {
      await store.createApiKey({ id: newId('key'), projectId: project.id, name: 'k', prefix: 'odk_abcd', readOnly: true, createdAt: T0, hash: 'ab'.repeat(32) });
      const found = await store.findApiKeyByHash('ab'.repeat(32));
      assert.equal(found?.projectId, project.id);
      assert.equal(found?.readOnly, true);
      assert.equal(await store.findApiKeyByHash('cd'.repeat(32)), null);
      assert.equal((await store.listApiKeys(project.id)).length, 1);
    });

    it('prunes pings beyond the newest N per monitor in bounded steps, keeping the rest', async () => {
      const a = makeMonitor();
      const b = makeMonitor();
      await store.insertMonitor(a);
      await store.insertMonitor(b);
      await store.recordPings(Array.from({ length: 12 }, (_, i) => ping(a.pingToken, 'success', i)), decidePing);
      await store.recordPings(Array.from({ length: 3 }, (_, i) => ping(b.pingToken, 'success', i)), decidePing);
      let cursor: string | null = null;
      let deleted = 0;
      let steps = 0;
      do {
        const r: { deleted: number; next: string | null } = await store.prunePings(5, cursor, 1, 4);
        assert.ok(r.deleted <= 4, 'never more than maxRows per step');
        deleted += r.deleted;
        cursor = r.next;
        steps++;
      } while (cursor !== null && steps < 20);
      assert.equal(cursor, null, 'a pass ends');
      assert.equal(deleted, 7);
      const left = await store.listPings(a.id, 50, 0);
      assert.equal(left.total, 5);
      assert.deepEqual(left.items.map((p) => p.receivedAt), [at(11), at(10), at(9), at(8), at(7)], 'the newest are kept');
      assert.equal((await store.listPings(b.id, 50, 0)).total, 3);
      assert.equal((await store.getMonitor(project.id, a.id))?.state, 'up', 'pruning never loses the monitor status');
    });

    it('revokes API keys but never the project\'s last read-write key', async () => {
      const key = (id: string, readOnly: boolean) => ({ id, projectId: project.id, name: id, prefix: 'odk_', readOnly, createdAt: T0, hash: id.padEnd(64, '0') });
      await store.createApiKey(key('key_rw1', false));
      await store.createApiKey(key('key_rw2', false));
      await store.createApiKey(key('key_ro', true));
      assert.equal(await store.deleteApiKey(project.id, 'key_ro'), true);
      assert.equal(await store.deleteApiKey(project.id, 'key_ro'), false);
      assert.equal(await store.deleteApiKey(project.id, 'key_rw1'), true);
      await assert.rejects(store.deleteApiKey(project.id, 'key_rw2'), (e: unknown) => e instanceof AppError && e.code === 'conflict');
      assert.deepEqual((await store.listApiKeys(project.id)).map((k) => k.id), ['key_rw2'], 'a refused delete deletes nothing');
    });

    it('keeps channels per project with unique names', async () => {
      const ch = { id: newId('chn'), projectId: project.id, name: 'ops', kind: 'webhook', config: { url: 'https://example.com/h' }, lastError: null, lastErrorAt: null, createdAt: T0, updatedAt: T0 };
      await store.createChannel(ch);
      assert.deepEqual(await store.getChannel(project.id, ch.id), ch);
      await assert.rejects(store.createChannel({ ...ch, id: newId('chn') }), (e: unknown) => e instanceof AppError && e.code === 'conflict' && e.field === 'name');
      assert.equal(await store.updateChannel({ ...ch, name: 'ops2', config: { url: 'https://example.com/2' }, updatedAt: at(1) }), true);
      assert.equal((await store.getChannel(project.id, ch.id))?.name, 'ops2');
      assert.equal(await store.getChannel('prj_other', ch.id), null);
      assert.equal((await store.listChannels(project.id)).length, 1);
      assert.equal(await store.deleteChannel(project.id, ch.id), true);
      assert.equal(await store.deleteChannel(project.id, ch.id), false);
    });

    it('enqueues one notification per matching rule in the transaction of the flip, and delivers each to one claimer', async () => {
      const m = makeMonitor();
      await store.insertMonitor(m);
      const ch = { id: newId('chn'), projectId: project.id, name: 'hook', kind: 'webhook', config: {}, lastError: null, lastErrorAt: null, createdAt: T0, updatedAt: T0 };
      await store.createChannel(ch);
      for (const event of ['on_down', 'on_fail', 'on_recovery']) await store.createRule({ id: newId('rul'), monitorId: m.id, channelId: ch.id, event, createdAt: T0 });
      await assert.rejects(store.createRule({ id: newId('rul'), monitorId: m.id, channelId: ch.id, event: 'on_down', createdAt: T0 }), (e: unknown) => e instanceof AppError && e.code === 'conflict');
      assert.equal((await store.listRules(m.id)).length, 3);

      await store.recordPings([ping(m.pingToken, 'fail', 10)], decidePing);
      await store.recordPings([ping(m.pingToken, 'fail', 11)], decidePing); // still down: no new flip, no new alert
      const queued = await store.listNotifications(project.id, { monitorId: m.id, limit: 10, offset: 0 });
      assert.deepEqual(queued.items.map((n) => n.event).sort(), ['on_down', 'on_fail']);
      assert.ok(queued.items.every((n) => n.status === 'pending' && n.flip.to === 'down'));
      assert.deepEqual(await store.nextNotificationAt(), at(10));

      const claimed = await store.claimNotifications(at(12), at(72), 10);
      assert.equal(claimed.length, 2);
      assert.ok(claimed.every((n) => n.attempts === 1));
      assert.equal((await store.claimNotifications(at(13), at(73), 10)).length, 0, 'a claimed row is not claimed again while leased');
      const [first, second] = claimed;
      await store.finishNotification(first!.id, { ok: true, at: at(13), responseCode: 200 });
      await store.finishNotification(second!.id, { ok: false, at: at(13), error: 'HTTP 503', responseCode: 503, retryAt: at(18) });
      assert.equal((await store.claimNotifications(at(17), at(77), 10)).length, 0);
      const retried = await store.claimNotifications(at(18), at(78), 10);
      assert.deepEqual(retried.map((n) => [n.id, n.attempts]), [[second!.id, 2]]);
      await store.finishNotification(second!.id, { ok: false, at: at(19), error: 'HTTP 410', responseCode: 410, retryAt: null });
      const after = await store.listNotifications(project.id, { channelId: ch.id, limit: 10, offset: 0 });
      assert.deepEqual(after.items.map((n) => n.status).sort(), ['failed', 'sent']);
      assert.equal((await store.getChannel(project.id, ch.id))?.lastError, 'HTTP 410');

      await store.recordPings([ping(m.pingToken, 'success', 20)], decidePing);
      const recovery = await store.listNotifications(project.id, { monitorId: m.id, limit: 1, offset: 0 });
      assert.equal(recovery.items[0]?.event, 'on_recovery');
      assert.equal(recovery.total, 3);
    });

    it('takes back a claim whose worker died once its lease has run out', async () => {
      const m = makeMonitor();
      await store.insertMonitor(m);
      const ch = { id: newId('chn'), projectId: project.id, name: 'lease', kind: 'webhook', config: {}, lastError: null, lastErrorAt: null, createdAt: T0, updatedAt: T0 };
      await store.createChannel(ch);
      await store.createRule({ id: newId('rul'), monitorId: m.id, channelId: ch.id, event: 'on_down', createdAt: T0 });
      await store.recordPings([ping(m.pingToken, 'fail', 1)], decidePing);
      assert.equal((await store.claimNotifications(at(2), at(62), 10)).length, 1);
      assert.equal((await store.claimNotifications(at(61), at(121), 10)).length, 0);
      const again = await store.claimNotifications(at(62), at(122), 10);
      assert.equal(again[0]?.attempts, 2);
    });

    it('gives every project a default notification list and routes list rules to its channels', async () => {
      assert.deepEqual((await store.listLists(project.id)).map((l) => l.key), ['default']);
      await assert.rejects(store.deleteList(project.id, 'default'), (e: unknown) => e instanceof AppError && e.code === 'conflict');
      const ch = { id: newId('chn'), projectId: project.id, name: 'listed', kind: 'webhook', config: {}, lastError: null, lastErrorAt: null, createdAt: T0, updatedAt: T0 };
      await store.createChannel(ch);
      await assert.rejects(store.updateList(project.id, 'default', { channelIds: ['chn_nope'] }), (e: unknown) => e instanceof AppError && e.field === 'channels');
      assert.deepEqual((await store.updateList(project.id, 'default', { channelIds: [ch.id, ch.id] }))?.channelIds, [ch.id]);
      await store.createList({ id: newId('lst'), projectId: project.id, key: 'devops', name: 'DevOps', channelIds: [ch.id], createdAt: T0 });
      await assert.rejects(store.createList({ id: newId('lst'), projectId: project.id, key: 'devops', name: 'again', channelIds: [], createdAt: T0 }), (e: unknown) => e instanceof AppError && e.code === 'conflict');

      const m = makeMonitor();
      await store.insertMonitor(m);
      await assert.rejects(store.setNotifyRules(project.id, m.id, [{ listKey: 'nope', event: 'on_down' }], T0), (e: unknown) => e instanceof AppError && e.field === 'notify');
      // A channel in two of the monitor's lists still gets one notification per event.
      await store.setNotifyRules(project.id, m.id, [{ listKey: 'default', event: 'on_down' }, { listKey: 'devops', event: 'on_down' }], T0);
      assert.equal((await store.listRules(m.id)).length, 0, 'notify rules are not listed as API rules');
      await store.recordPings([ping(m.pingToken, 'fail', 1)], decidePing);
      const queued = await store.listNotifications(project.id, { monitorId: m.id, limit: 10, offset: 0 });
      assert.deepEqual(queued.items.map((n) => [n.event, n.channelId]), [['on_down', ch.id]]);
      assert.equal(await store.deleteList(project.id, 'devops'), true);
      assert.equal(await store.getList(project.id, 'devops'), null);
    });

    it('finds a project by its ping key, and nothing for another key', async () => {
      assert.deepEqual(await store.getProjectByPingKey(project.pingKey), project);
      assert.equal(await store.getProjectByPingKey(newPingKey()), null);
      assert.equal(await store.getProjectByPingKey(''), null);
    });

    it('counts projects and monitors by state', async () => {
      assert.equal(await store.countProjects(), 1);
      assert.deepEqual((await store.listProjects()).map((p) => p.id), [project.id]);
      await store.insertMonitor(makeMonitor());
      await store.insertMonitor(makeMonitor({ state: 'down' }));
      assert.deepEqual(await store.countMonitorsByState(), { pending: 1, down: 1 });
    });
  });
}

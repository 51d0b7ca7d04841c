/**
 * Tolerances through HTTP and the scheduler's tick: `schedule_tolerance` (missed runs logged as `missed`
 * flips that alert no one), `failure_tolerance` (failures and timeouts tolerated before down) and
 * `recovery_threshold` (successes in a row needed to leave down). Alerts are checked in the delivery log:
 * an on_down rule on a channel queues a notification exactly when the monitor goes down.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('run tolerances and recovery threshold', () => {
  // A fresh server per test, so a tick's count of transitions is this test's monitor alone.
  let s: TestServer;
  let t0: number;
  beforeEach(async () => {
    s = await startTestServer();
    t0 = s.clock.now().getTime();
  });
  afterEach(() => s.close());

  const at = (seconds: number) => new Date(t0 + seconds * 1000);
  /** An hourly monitor with 2 minutes of grace whose on_down and on_recovery go to a (never delivered) webhook channel. */
  const watchedMonitor = async (fields: Record<string, unknown>) => {
    const r = await s.api('POST', '/v1/monitors', { name: 'job', expected_interval_sec: 3600, grace_seconds: 120, ...fields });
    assert.equal(r.status, 201, r.text);
    const channel = await s.api('POST', '/v1/channels', { name: 'hook', kind: 'webhook', config: { url: 'https://hooks.example.com/overdue' } });
    assert.equal(channel.status, 201, channel.text);
    for (const event of ['on_down', 'on_recovery']) {
      const rule = await s.api('POST', `/v1/monitors/${r.json.id}/notification-rules`, { channel_id: channel.json.id, event });
      assert.equal(rule.status, 201, rule.text);
    }
    return r.json;
  };
  const ping = async (token: string, action = '', query = '') => {
    const r = await s.app.inject({ method: 'GET', url: `/v1/ping/${token}${action ? `/${action}` : ''}${query ? `?${query}` : ''}` });
    assert.equal(r.statusCode, 200, r.body);
    return JSON.parse(r.body).state as string;
  };
  const tickAt = async (seconds: number) => {
    s.clock.set(at(seconds));
    return s.scheduler.tick();
  };
  const monitor = async (id: string) => (await s.api('GET', `/v1/monitors/${id}`)).json;
  const flips = async (id: string) => (await s.api('GET', `/v1/monitors/${id}/flips`)).json.items.reverse();
  /** The events queued for the monitor so far, oldest first. */
  const alerts = async (id: string): Promise<string[]> => (await s.api('GET', `/v1/notifications?monitor_id=${id}`)).json.items.map((n: { event: string }) => n.event).reverse();

  it('schedule_tolerance: N missed runs are missed flips that alert no one; the N+1-th is down and alerts', async () => {
    const m = await watchedMonitor({ schedule_tolerance: 2 });
    assert.equal(m.schedule_tolerance, 2);
    await ping(m.ping_token);
    // Expected at 3600, 7200, 10800; each is missed once its 120 s of grace are over.
    for (const [expected, nth] of [[3600, 1], [7200, 2]] as const) {
      assert.equal(await tickAt(expected), 1);
      assert.equal((await monitor(m.id)).state, 'late');
      assert.equal(await tickAt(expected + 120), 1);
      const got = await monitor(m.id);
      assert.deepEqual([got.state, got.down_reason], ['up', null], `miss ${nth} is tolerated`);
      assert.equal(got.next_expected_at, at(expected + 3600).toISOString(), 'the next run is awaited');
    }
    assert.deepEqual(await alerts(m.id), [], 'tolerated misses alert no one');

    assert.equal(await tickAt(10800), 1);
    assert.equal(await tickAt(10920), 1);
    const got = await monitor(m.id);
    assert.deepEqual([got.state, got.down_reason], ['down', 'missed']);
    assert.deepEqual(await alerts(m.id), ['on_down']);

    const log = await flips(m.id);
    assert.deepEqual(log.map((f: { from: string; to: string; kind: string }) => `${f.from}>${f.to}:${f.kind}`), [
      'pending>up:state', 'up>late:state', 'late>up:missed', 'up>late:state', 'late>up:missed', 'up>late:state', 'late>down:state',
    ]);
    const missed = log.filter((f: { kind: string }) => f.kind === 'missed');
    assert.deepEqual(missed.map((f: { at: string }) => f.at), [at(3720).toISOString(), at(7320).toISOString()]);
    assert.match(missed[0].reason, new RegExp(`missed the run expected at ${at(3600).toISOString()} \\(1 of 2 tolerated\\)`));
    assert.match(missed[1].reason, /\(2 of 2 tolerated\)/);
  });

  it('schedule_tolerance: a success ping in between starts the count of missed runs again', async () => {
    const m = await watchedMonitor({ schedule_tolerance: 1 });
    await ping(m.ping_token);
    await tickAt(3600);
    await tickAt(3720);
    s.clock.set(at(3800));
    assert.equal(await ping(m.ping_token), 'up');
    // Next expected 7400: missed again, and tolerated again.
    await tickAt(7400);
    await tickAt(7520);
    assert.equal((await monitor(m.id)).state, 'up');
    assert.equal((await flips(m.id)).filter((f: { kind: string }) => f.kind === 'missed').length, 2);
    assert.deepEqual(await alerts(m.id), []);
  });

  it('schedule_tolerance: a (tolerated) failure ping in between also starts the count of missed runs again', async () => {
    // The job ran at 3800 (and failed, which failure_tolerance forgives): the misses before and after it are not consecutive.
    const m = await watchedMonitor({ schedule_tolerance: 1, failure_tolerance: 1 });
    await ping(m.ping_token);
    await tickAt(3600);
    await tickAt(3720);
    s.clock.set(at(3800));
    assert.equal(await ping(m.ping_token, 'fail'), 'up');
    await tickAt(7400);
    await tickAt(7520);
    const got = await monitor(m.id);
    assert.deepEqual([got.state, got.down_reason], ['up', null], 'the first miss after a run is tolerated');
    assert.equal((await flips(m.id)).filter((f: { kind: string }) => f.kind === 'missed').length, 2);
  });

  it('failure_tolerance: N failures in a row are tolerated without alerting, the N+1-th is down', async () => {
    const m = await watchedMonitor({ failure_tolerance: 2 });
    await ping(m.ping_token);
    s.clock.set(at(10));
    assert.equal(await ping(m.ping_token, '1'), 'up');
    s.clock.set(at(20));
    assert.equal(await ping(m.ping_token, 'fail'), 'up');
    assert.deepEqual(await alerts(m.id), []);
    s.clock.set(at(30));
    assert.equal(await ping(m.ping_token, '2'), 'down');
    const got = await monitor(m.id);
    assert.equal(got.down_reason, 'failed');
    assert.deepEqual(await alerts(m.id), ['on_down']);
    const runs = (await s.api('GET', `/v1/monitors/${m.id}/runs`)).json.items.reverse();
    assert.deepEqual(runs.map((r: { outcome: string; exit_code: number | null }) => [r.outcome, r.exit_code]), [['success', null], ['failed', 1], ['failed', null], ['failed', 2]]);
    assert.match(runs[1].reason, /tolerated: failure 1 of 2 allowed/);
    assert.match(runs[2].reason, /tolerated: failure 2 of 2 allowed/);
    assert.doesNotMatch(runs[3].reason, /tolerated/);
  });

  it('failure_tolerance: a success in between starts the count of failures again', async () => {
    const m = await watchedMonitor({ failure_tolerance: 1 });
    for (const [offset, action, state] of [[0, 'fail', 'up'], [10, '', 'up'], [20, 'fail', 'up'], [30, 'fail', 'down']] as const) {
      s.clock.set(at(offset));
      assert.equal(await ping(m.ping_token, action), state, `${action || 'success'} at +${offset}s`);
    }
  });

  it('failure_tolerance: timed-out runs count as failures', async () => {
    const m = await watchedMonitor({ failure_tolerance: 1, max_runtime: 60 });
    await ping(m.ping_token);
    s.clock.set(at(100));
    await ping(m.ping_token, 'start');
    assert.equal(await tickAt(160), 1);
    assert.deepEqual([(await monitor(m.id)).state, await alerts(m.id)], ['up', []]);
    s.clock.set(at(200));
    await ping(m.ping_token, 'start');
    assert.equal(await tickAt(260), 1);
    const got = await monitor(m.id);
    assert.deepEqual([got.state, got.down_reason], ['down', 'timeout']);
    assert.deepEqual(await alerts(m.id), ['on_down']);
    const runs = (await s.api('GET', `/v1/monitors/${m.id}/runs`)).json.items;
    assert.deepEqual(runs.map((r: { outcome: string }) => r.outcome), ['timeout', 'timeout', 'success']);
  });

  it('recovery_threshold: M successes in a row are needed to leave down; a failure starts the count again', async () => {
    const m = await watchedMonitor({ recovery_threshold: 3 });
    assert.equal(m.recovery_threshold, 3);
    assert.equal(await ping(m.ping_token, 'fail'), 'down');
    const steps = [['', 'down'], ['', 'down'], ['fail', 'down'], ['', 'down'], ['', 'down'], ['', 'up']] as const;
    for (const [i, [action, state]] of steps.entries()) {
      s.clock.set(at(10 * (i + 1)));
      assert.equal(await ping(m.ping_token, action), state, `step ${i + 1}: ${action || 'success'}`);
    }
    const log = await flips(m.id);
    assert.deepEqual(log.map((f: { from: string; to: string }) => `${f.from}>${f.to}`), ['pending>down', 'down>up']);
    assert.match(log[1].reason, /^recovered: 3 successes in a row after failure ping/);
    assert.deepEqual(await alerts(m.id), ['on_down', 'on_recovery'], 'one incident, one recovery');
    const got = await monitor(m.id);
    assert.deepEqual([got.state, got.down_reason], ['up', null]);
  });

  it('recovery_threshold: a run that times out while down starts the count of successes again', async () => {
    const m = await watchedMonitor({ recovery_threshold: 2, max_runtime: 60 });
    assert.equal(await ping(m.ping_token, 'fail'), 'down');
    s.clock.set(at(10));
    assert.equal(await ping(m.ping_token), 'down', 'success 1 of 2');
    s.clock.set(at(20));
    await ping(m.ping_token, 'start');
    assert.equal(await tickAt(80), 1, 'the run times out');
    assert.equal((await s.api('GET', `/v1/monitors/${m.id}/runs`)).json.items[0].outcome, 'timeout');
    s.clock.set(at(90));
    // A timed-out run is a failure (failure_tolerance counts it as one), so this success is the first in a row again.
    assert.equal(await ping(m.ping_token), 'down', 'one success after a timeout is not two in a row');
  });

  it('recovery_threshold: the default of 1 recovers on the first success', async () => {
    const m = await watchedMonitor({});
    assert.equal(m.recovery_threshold, 1);
    await ping(m.ping_token, 'fail');
    s.clock.set(at(10));
    assert.equal(await ping(m.ping_token), 'up');
    assert.equal((await flips(m.id)).at(-1).reason, 'recovered: success ping after failure ping');
  });
});

/**
 * How long a run may take, through HTTP and the scheduler's tick: `max_runtime` and `inactivity_timeout`
 * time an open run out exactly at its deadline (down, reason timeout), and `expected_runtime` turns a
 * success outside its range into `degraded` until the next in-range success.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('run timeouts and runtime bounds', () => {
  // A fresh server per test, so a tick's count of transitions is this test's monitor alone.
  let s: TestServer;
  let t0: number;
  beforeEach(async () => {
    s = await startTestServer();
    t0 = s.clock.now().getTime();
  });
  afterEach(() => s.close());

  /** The instant `seconds` after the test's start. */
  const at = (seconds: number) => new Date(t0 + seconds * 1000);
  const newMonitor = async (fields: Record<string, unknown>) => {
    const r = await s.api('POST', '/v1/monitors', { name: 'job', expected_interval_sec: 3600, grace_seconds: 120, ...fields });
    assert.equal(r.status, 201, r.text);
    return r.json;
  };
  const ping = async (token: string, action = '', query = '', method: 'GET' | 'POST' = 'GET') => {
    const r = await s.app.inject({ method, url: `/v1/ping/${token}${action ? `/${action}` : ''}${query ? `?${query}` : ''}` });
    assert.equal(r.statusCode, 200, r.body);
    return JSON.parse(r.body).state as string;
  };
  /** Sets the clock to `instant` and runs one scheduler pass; returns how many monitors it moved. */
  const tickAt = async (instant: Date) => {
    s.clock.set(instant);
    return s.scheduler.tick();
  };
  const monitor = async (id: string) => (await s.api('GET', `/v1/monitors/${id}`)).json;
  const runs = async (id: string) => (await s.api('GET', `/v1/monitors/${id}/runs`)).json.items;
  const flips = async (id: string) => (await s.api('GET', `/v1/monitors/${id}/flips`)).json.items;

  it('times a run out at start + max_runtime, not a millisecond before, and a later success recovers', async () => {
    const m = await newMonitor({ max_runtime: '10m' });
    assert.equal(m.max_runtime, 600);
    await ping(m.ping_token);
    s.clock.set(at(100));
    await ping(m.ping_token, 'start', 'rid=slow');
    const deadline = at(700);

    assert.equal(await tickAt(new Date(deadline.getTime() - 1)), 0, 'nothing is due a millisecond early');
    let got = await monitor(m.id);
    assert.deepEqual([got.state, got.down_reason, got.running], ['running', null, 1]);
    assert.equal((await runs(m.id))[0].outcome, 'running');

    assert.equal(await tickAt(deadline), 1);
    got = await monitor(m.id);
    assert.deepEqual([got.state, got.down_reason, got.running], ['down', 'timeout', 0]);
    const [run] = await runs(m.id);
    assert.deepEqual(
      { run_id: run.run_id, outcome: run.outcome, started_at: run.started_at, finished_at: run.finished_at, duration: run.duration, failure_kind: run.failure_kind, end_ping_id: run.end_ping_id },
      { run_id: 'slow', outcome: 'timeout', started_at: at(100).toISOString(), finished_at: deadline.toISOString(), duration: 600, failure_kind: null, end_ping_id: null },
    );
    assert.equal(run.reason, `no completion by ${deadline.toISOString()}`);
    const [flip] = await flips(m.id);
    assert.deepEqual([flip.from, flip.to, flip.at], ['running', 'down', deadline.toISOString()]);
    assert.match(flip.reason, /did not complete in time/);
    assert.equal(await tickAt(new Date(deadline.getTime() + 60_000)), 0, 'timed out once');

    s.clock.set(at(800));
    assert.equal(await ping(m.ping_token, '', 'rid=slow'), 'up');
    assert.deepEqual((await flips(m.id)).map((f: { from: string; to: string }) => `${f.from}>${f.to}`), ['down>up', 'running>down', 'up>running', 'pending>up']);
  });

  it('names the timed-out run\'s start in the reason of the recovery that ends the incident', async () => {
    const m = await newMonitor({ max_runtime: 600 });
    s.clock.set(at(100));
    await ping(m.ping_token, 'start');
    await tickAt(at(700));
    const down = (await flips(m.id))[0];
    assert.match(down.reason, new RegExp(`run started at ${at(100).toISOString()} did not complete in time`));
    s.clock.set(at(800));
    assert.equal(await ping(m.ping_token), 'up');
    // The recovery reason describes the incident it ends: the same run, started at the same known instant.
    assert.match((await flips(m.id))[0].reason, new RegExp(`^recovered: success ping after run started at ${at(100).toISOString()} did not complete in time$`));
  });

  it('takes max_runtime in seconds too, and times out only the run that is over it', async () => {
    const m = await newMonitor({ max_runtime: 90 });
    assert.equal(m.max_runtime, 90);
    await ping(m.ping_token, 'start', 'rid=first');
    s.clock.set(at(60));
    await ping(m.ping_token, 'start', 'rid=second');
    assert.equal(await tickAt(at(90)), 1);
    const got = await monitor(m.id);
    assert.deepEqual([got.state, got.down_reason, got.running], ['down', 'timeout', 1]);
    assert.deepEqual((await runs(m.id)).map((r: { run_id: string; outcome: string }) => [r.run_id, r.outcome]), [['second', 'running'], ['first', 'timeout']]);
    assert.equal(await tickAt(at(150)), 1, 'the second run times out in its turn');
    assert.deepEqual((await runs(m.id)).map((r: { outcome: string }) => r.outcome), ['timeout', 'timeout']);
    assert.equal((await monitor(m.id)).running, 0);
  });

  it('inactivity_timeout: each /progress ping pushes the deadline back; silence times the run out', async () => {
    const m = await newMonitor({ inactivity_timeout: '1m' });
    assert.equal(m.inactivity_timeout, 60);
    await ping(m.ping_token, 'start', 'rid=etl');
    s.clock.set(at(50));
    assert.equal(await ping(m.ping_token, 'progress', 'rid=etl'), 'running');
    assert.equal(await tickAt(at(60)), 0, 'the first deadline has moved');
    s.clock.set(at(100));
    assert.equal(await ping(m.ping_token, 'progress', 'rid=etl', 'POST'), 'running');
    assert.equal(await tickAt(new Date(at(160).getTime() - 1)), 0);
    assert.equal((await monitor(m.id)).state, 'running');

    assert.equal(await tickAt(at(160)), 1);
    const got = await monitor(m.id);
    assert.deepEqual([got.state, got.down_reason], ['down', 'timeout']);
    const [run] = await runs(m.id);
    assert.deepEqual([run.outcome, run.duration, run.finished_at], ['timeout', 160, at(160).toISOString()]);
  });

  it('inactivity_timeout: progress for another run id does not keep this run alive', async () => {
    const m = await newMonitor({ inactivity_timeout: 60 });
    await ping(m.ping_token, 'start', 'rid=mine');
    s.clock.set(at(30));
    await ping(m.ping_token, 'progress', 'rid=not-mine');
    assert.equal(await tickAt(at(60)), 1);
    assert.equal((await monitor(m.id)).down_reason, 'timeout');
  });

  it('expected_runtime: a success outside the range is degraded with its reason; the next in-range success is up', async () => {
    const m = await newMonitor({ expected_runtime: { min: '30s', max: '5m' } });
    assert.deepEqual(m.expected_runtime, { min: 30, max: 300 });
    await ping(m.ping_token, 'start');
    s.clock.set(at(400));
    assert.equal(await ping(m.ping_token), 'degraded');
    let got = await monitor(m.id);
    assert.deepEqual([got.state, got.degraded_reason, got.last_duration, got.down_reason], ['degraded', 'ran 6m 40s, expected at most 5m', 400, null]);
    let [flip] = await flips(m.id);
    assert.deepEqual([flip.from, flip.to], ['running', 'degraded']);
    assert.match(flip.reason, /ran 6m 40s, expected at most 5m/);
    let [run] = await runs(m.id);
    assert.deepEqual([run.outcome, run.reason, run.failure_kind], ['degraded', 'ran 6m 40s, expected at most 5m', null]);
    assert.deepEqual((await s.api('GET', '/v1/monitors?state=degraded')).json.items.map((x: { id: string }) => x.id), [m.id]);

    s.clock.set(at(500));
    assert.equal(await ping(m.ping_token, '', 'duration=5'), 'degraded', 'too short is degraded too');
    assert.equal((await monitor(m.id)).degraded_reason, 'ran 5s, expected at least 30s');

    s.clock.set(at(600));
    await ping(m.ping_token, 'start');
    s.clock.set(at(660));
    assert.equal(await ping(m.ping_token), 'up');
    got = await monitor(m.id);
    assert.deepEqual([got.state, got.degraded_reason, got.last_duration], ['up', null, 60]);
    [flip] = await flips(m.id);
    assert.deepEqual([flip.from, flip.to], ['running', 'up']);
    [run] = await runs(m.id);
    assert.deepEqual([run.outcome, run.reason], ['success', null]);
  });

  it('expected_runtime: leaving down with an out-of-range success ends the incident with a recovery alert', async () => {
    const m = await newMonitor({ expected_runtime: { max: 60 } });
    const channel = (await s.api('POST', '/v1/channels', { name: 'hook', kind: 'webhook', config: { url: 'https://hooks.example.com/overdue' } })).json;
    for (const event of ['on_down', 'on_recovery', 'on_degraded']) {
      assert.equal((await s.api('POST', `/v1/monitors/${m.id}/notification-rules`, { channel_id: channel.id, event })).status, 201);
    }
    assert.equal(await ping(m.ping_token, 'fail'), 'down');
    s.clock.set(at(10));
    assert.equal(await ping(m.ping_token, '', 'duration=120'), 'degraded');
    const [flip] = await flips(m.id);
    assert.deepEqual([flip.from, flip.to], ['down', 'degraded']);
    assert.match(flip.reason, /^recovered: success ping after failure ping, but ran 2m, expected at most 1m$/);
    // The job works again (if slowly): the incident that on_down opened must be closed by an on_recovery.
    const events = (await s.api('GET', `/v1/notifications?monitor_id=${m.id}`)).json.items.map((n: { event: string }) => n.event).reverse();
    assert.ok(events.includes('on_recovery'), `queued: ${events.join(', ')}`);
  });

  it('expected_runtime: a degraded monitor is still watched by its schedule', async () => {
    const m = await newMonitor({ expected_runtime: { max: 60 } });
    assert.equal(await ping(m.ping_token, '', 'duration=61'), 'degraded');
    assert.equal(await tickAt(at(3600)), 1);
    assert.equal((await monitor(m.id)).state, 'late');
    assert.equal(await tickAt(at(3720)), 1);
    const got = await monitor(m.id);
    assert.deepEqual([got.state, got.down_reason, got.degraded_reason], ['down', 'missed', null]);
  });
});

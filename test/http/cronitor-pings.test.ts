/**
 * Cronitor ping URLs under /cronitor, as curl would send them: telemetry (/p/… and /ping/…), per-monitor codes
 * with their long and short events, pause, auto-creation, auth_key, and bad input.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiKey, createProject } from '../../src/app/keys.js';
import { Metrics } from '../../src/app/metrics.js';
import { PingIngestor } from '../../src/app/ping-ingestor.js';
import { buildApp } from '../../src/http/app.js';
import { buildChannelKinds } from '../../src/notifier/kinds.js';
import { OutboundHttp } from '../../src/notifier/outbound-http.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

describe('Cronitor ping URLs (/cronitor/…)', () => {
  let s: TestServer;
  let pingKey: string;
  before(async () => {
    s = await startTestServer();
    pingKey = (await s.api('GET', '/v1/project')).json.ping_key;
  });
  after(() => s.close());

  let n = 0;
  const newMonitor = async (over: Record<string, unknown> = {}) => {
    const created = await s.api('POST', '/v1/monitors', { name: `cr-${++n}`, expected_interval_sec: 3600, ...over });
    assert.equal(created.status, 201, created.text);
    return created.json;
  };
  const send = (method: string, url: string, payload?: string) => s.app.inject({ method: method as 'GET', url, payload, headers: { 'user-agent': 'curl/8.5.0', ...(payload ? { 'content-type': 'text/plain' } : {}) } });
  const ok = async (method: string, url: string, payload?: string) => {
    const r = await send(method, url, payload);
    assert.equal(r.statusCode, 200, `${method} ${url}: ${r.body}`);
    assert.equal(r.body, method === 'HEAD' ? '' : 'OK', `${method} ${url}`);
    return r;
  };
  const monitor = async (id: string) => (await s.api('GET', `/v1/monitors/${id}`)).json;
  const pings = async (id: string) => (await s.api('GET', `/v1/monitors/${id}/pings?limit=50`)).json.items.reverse();
  const byKey = async (key: string) => ((await s.api('GET', '/v1/monitors?limit=500')).json.items as { key: string; id: string }[]).find((m) => m.key === key);
  const count = async () => (await s.api('GET', '/v1/monitors?limit=1')).json.total as number;

  it('records run, complete and fail from /ping/<API key>/<key> as start, success and fail, paired by series', async () => {
    const m = await newMonitor({ key: 'nightly-backup' });
    await ok('GET', `/cronitor/ping/${TEST_KEY}/nightly-backup?state=run&series=s1`);
    assert.equal((await monitor(m.id)).state, 'running');
    s.clock.advance(12);
    await ok('GET', `/cronitor/ping/${TEST_KEY}/nightly-backup?state=complete&series=s1`);
    assert.equal((await monitor(m.id)).state, 'up');
    await ok('GET', `/cronitor/ping/${TEST_KEY}/nightly-backup?state=fail&series=s2`);
    const got = await monitor(m.id);
    assert.deepEqual([got.state, got.down_reason], ['down', 'failed']);
    const list = await pings(m.id);
    assert.deepEqual(list.map((p: { kind: string; source: string; series: string }) => `${p.kind}/${p.source}/${p.series}`), ['start/cronitor/s1', 'success/cronitor/s1', 'fail/cronitor/s2']);
    const runs = (await s.api('GET', `/v1/monitors/${m.id}/runs`)).json.items;
    assert.deepEqual(runs.map((r: { run_id: string; outcome: string; duration: number | null }) => [r.run_id, r.outcome, r.duration]), [['s2', 'failed', null], ['s1', 'success', 12]]);
  });

  it('takes the project ping key in /p/<key>/<monitor_key>, for GET, POST (body kept) and HEAD', async () => {
    const m = await newMonitor({ key: 'via-ping-key' });
    await ok('HEAD', `/cronitor/p/${pingKey}/via-ping-key?state=run`);
    await ok('POST', `/cronitor/p/${pingKey}/via-ping-key?state=complete`, 'all 12 rows copied');
    await ok('GET', `/cronitor/p/${pingKey}/via-ping-key?state=fail`);
    const list = await pings(m.id);
    assert.deepEqual(list.map((p: { method: string; kind: string }) => `${p.method} ${p.kind}`), ['HEAD start', 'POST success', 'GET fail']);
    assert.equal(list[1].body_preview, 'all 12 rows copied');
    assert.equal(list[0].user_agent, 'curl/8.5.0');
  });

  it('reads message and msg (+ and %20 as spaces), host, env, series, status_code, duration and repeated metrics, and ignores try and stamp', async () => {
    const m = await newMonitor({ key: 'params' });
    const query =
      'state=complete&message=done%3A%205%20rows%20%26%20more&host=worker-1&env=staging&series=abc&status_code=0&duration=12.5' +
      '&metric=count:5&metric=error_count:0&metric=count:processed:100&try=2&stamp=1795343343.163';
    await ok('GET', `/cronitor/ping/${TEST_KEY}/params?${query}`);
    await ok('GET', `/cronitor/params/fail?msg=disk+full+on+%2Fvar&status_code=3`);
    const [complete, fail] = await pings(m.id);
    assert.deepEqual(
      [complete.msg, complete.host, complete.env, complete.series, complete.status_code, complete.duration, complete.exit_code],
      ['done: 5 rows & more', 'worker-1', 'staging', 'abc', 0, 12.5, null],
    );
    assert.deepEqual(complete.metrics, [{ name: 'count', value: 5 }, { name: 'error_count', value: 0 }, { name: 'count:processed', value: 100 }]);
    assert.deepEqual([fail.kind, fail.msg, fail.status_code, fail.exit_code], ['fail', 'disk full on /var', 3, 3]);
    assert.match((await s.api('GET', `/v1/monitors/${m.id}/flips`)).json.items[0].reason, /exit code 3/);
  });

  it('resets a down monitor with state=ok, and treats a tick (state=tick or none) as a success on heartbeats and a log on jobs', async () => {
    const job = await newMonitor({ key: 'tick-job', type: 'job' });
    const beat = await newMonitor({ key: 'tick-beat', type: 'heartbeat' });
    await ok('GET', `/cronitor/ping/${TEST_KEY}/tick-job?state=fail`);
    await ok('GET', `/cronitor/ping/${TEST_KEY}/tick-job?state=tick`);
    assert.equal((await monitor(job.id)).state, 'down', 'a tick does not end a job\'s failure');
    await ok('GET', `/cronitor/ping/${TEST_KEY}/tick-job?state=ok`);
    assert.equal((await monitor(job.id)).state, 'up');
    await ok('GET', `/cronitor/ping/${TEST_KEY}/tick-beat`);
    await ok('GET', `/cronitor/p/${pingKey}/tick-beat?state=tick&metric=count:4`);
    assert.equal((await monitor(beat.id)).state, 'up');
    assert.deepEqual((await pings(job.id)).map((p: { kind: string }) => p.kind), ['fail', 'log', 'ok']);
    assert.deepEqual((await pings(beat.id)).map((p: { kind: string }) => p.kind), ['success', 'success']);
  });

  it('creates the monitor of an unknown key: a heartbeat for a tick, a job for a run, expecting a ping every day', async () => {
    await ok('GET', `/cronitor/ping/${TEST_KEY}/made-by-tick`);
    await ok('GET', `/cronitor/p/${pingKey}/made-by-run?state=run`);
    const beat = await monitor((await byKey('made-by-tick'))!.id);
    const job = await monitor((await byKey('made-by-run'))!.id);
    assert.deepEqual([beat.type, beat.name, beat.state, beat.expected_interval_sec, beat.grace_seconds], ['heartbeat', 'made-by-tick', 'up', 86400, 3600]);
    assert.deepEqual([job.type, job.state], ['job', 'running']);
    assert.equal((await pings(job.id))[0].kind, 'start');
  });

  it('creates one monitor when two telemetry pings for a new key race', async () => {
    await Promise.all([ok('GET', `/cronitor/ping/${TEST_KEY}/raced?state=run&series=a`), ok('GET', `/cronitor/ping/${TEST_KEY}/raced?state=run&series=b`)]);
    const list = ((await s.api('GET', '/v1/monitors?limit=500')).json.items as { key: string; id: string }[]).filter((m) => m.key === 'raced');
    assert.equal(list.length, 1);
    assert.equal((await pings(list[0]!.id)).length, 2);
  });

  it('answers 200 "not recorded" for an unknown key, a read-only key\'s new monitor or a foreign auth_key, and stores nothing', async () => {
    const readOnly = await createApiKey(s.store, s.clock, (await s.api('GET', '/v1/project')).json.id, { readOnly: true });
    const m = await newMonitor({ key: 'guarded' });
    const before = await count();
    for (const [url, why] of [
      ['/cronitor/ping/odk_not_a_key_0123456789/guarded?state=run', /unknown API key or ping key/],
      [`/cronitor/ping/${readOnly.secret}/brand-new?state=run`, /read-only API key creates none/],
      [`/cronitor/ping/${TEST_KEY}/guarded?state=run&auth_key=pk_someone_else`, /auth_key/],
      ['/cronitor/no-such-code/complete', /no monitor with token or key "no-such-code"/],
    ] as const) {
      const r = await send('GET', url);
      assert.equal(r.statusCode, 200, url);
      assert.match(r.body, /^not recorded: /, url);
      assert.match(r.body, why, url);
    }
    assert.equal(await count(), before);
    assert.deepEqual(await pings(m.id), []);
    // A read-only key still reports on existing monitors, and the right auth_key is accepted.
    await ok('GET', `/cronitor/ping/${readOnly.secret}/guarded?state=run`);
    await ok('GET', `/cronitor/ping/${TEST_KEY}/guarded?state=complete&auth_key=${pingKey}`);
    await ok('GET', `/cronitor/guarded/fail?auth_key=${readOnly.secret}`);
    assert.deepEqual((await pings(m.id)).map((p: { kind: string }) => p.kind), ['start', 'success', 'fail']);
  });

  it('maps /<code>/run|complete|fail|ok and the short forms /r /c /f, and a bare code (or /b) to run, by ping token or key', async () => {
    const m = await newMonitor({ key: 'legacy' });
    const steps: [string, string, string][] = [
      ['GET', `/cronitor/${m.ping_token}/run`, 'running'],
      ['POST', `/cronitor/${m.ping_token}/complete`, 'up'],
      ['HEAD', `/cronitor/${m.ping_token}/fail`, 'down'],
      ['GET', `/cronitor/${m.ping_token}/ok`, 'up'],
      ['GET', '/cronitor/legacy/r', 'running'],
      ['GET', '/cronitor/legacy/c', 'up'],
      ['GET', '/cronitor/legacy', 'running'],
      ['GET', '/cronitor/legacy/', 'running'],
      ['GET', `/cronitor/${m.ping_token}/b`, 'running'],
      ['GET', '/cronitor/legacy/f', 'down'],
    ];
    for (const [method, url, state] of steps) {
      await ok(method, url);
      assert.equal((await monitor(m.id)).state, state, `${method} ${url}`);
    }
    assert.deepEqual((await pings(m.id)).map((p: { kind: string }) => p.kind), ['start', 'success', 'fail', 'ok', 'start', 'success', 'start', 'start', 'start', 'fail']);
  });

  it('pauses with /<code>/pause/<hours> or /p/<hours>, and resumes with 0', async () => {
    const m = await newMonitor({ key: 'pausable' });
    const r = await send('GET', '/cronitor/pausable/pause/2');
    assert.deepEqual([r.statusCode, r.body], [200, 'OK: paused for 2 hours']);
    let got = await monitor(m.id);
    assert.equal(got.state, 'paused');
    assert.equal(got.paused_until, new Date(s.clock.now().getTime() + 2 * 3_600_000).toISOString());
    assert.equal((await send('GET', `/cronitor/${m.ping_token}/p/0`)).body, 'OK: resumed');
    got = await monitor(m.id);
    assert.notEqual(got.state, 'paused');
    assert.equal((await send('GET', '/cronitor/pausable/p/100000')).statusCode, 200);
    assert.equal((await monitor(m.id)).state, 'paused');
  });

  it('addresses a key that two projects share only with an auth_key naming one of them', async () => {
    const other = await createProject(s.store, s.clock, 'other team');
    const otherKey = await createApiKey(s.store, s.clock, other.id);
    const mine = await newMonitor({ key: 'shared-name' });
    const theirs = (await s.api('POST', '/v1/monitors', { name: 'theirs', key: 'shared-name', expected_interval_sec: 60 }, otherKey.secret)).json;
    const r = await send('GET', '/cronitor/shared-name/complete');
    assert.match(r.body, /^not recorded: several projects have a monitor with key "shared-name"/);
    await ok('GET', `/cronitor/shared-name/complete?auth_key=${other.pingKey}`);
    await ok('GET', `/cronitor/shared-name/fail?auth_key=${pingKey}`);
    assert.equal((await s.api('GET', `/v1/monitors/${theirs.id}`, undefined, otherKey.secret)).json.state, 'up');
    assert.equal((await monitor(mine.id)).state, 'down');
  });

  it('refuses malformed requests with 400 and a message naming the problem, storing nothing', async () => {
    const m = await newMonitor({ key: 'strict' });
    const before = await count();
    const cases: [string, RegExp][] = [
      [`/cronitor/ping/${TEST_KEY}/strict?state=finished`, /^state: must be run, complete, fail, ok or tick/],
      [`/cronitor/ping/${TEST_KEY}/strict?state=complete&duration=-1`, /^duration: /],
      [`/cronitor/ping/${TEST_KEY}/strict?metric=count`, /^metric: /],
      [`/cronitor/ping/${TEST_KEY}/new-monitor?metric=count:-1`, /^metric: /],
      [`/cronitor/ping/${TEST_KEY}/bad~key?state=run`, /^key: /],
      ['/cronitor/strict/explode', /^unknown endpoint "explode"/],
      ['/cronitor/strict/pause/soon', /^pause needs a whole number of hours/],
      ['/cronitor/strict/complete?status_code=abc', /^status_code: /],
    ];
    for (const [url, message] of cases) {
      const r = await send('GET', url);
      assert.equal(r.statusCode, 400, url);
      assert.match(String(r.headers['content-type']), /^text\/plain/);
      assert.match(r.body, message, url);
    }
    assert.equal(await count(), before);
    assert.deepEqual(await pings(m.id), []);
    assert.equal((await send('GET', '/cronitor/strict/pause')).statusCode, 400, 'pause needs hours');
    assert.equal((await send('PUT', '/cronitor/strict/complete')).statusCode, 405);
  });

  it('serves the same URLs under another prefix, and creates nothing with auto-creation off (buildApp options)', async () => {
    const ctx = { store: s.store, clock: s.clock, deadlineChanged: () => undefined, flipped: () => undefined };
    const app = await buildApp({
      ctx, ingestor: new PingIngestor(s.store), metrics: new Metrics(), scheduler: null, baseUrl: () => 'http://overdue.test', logger: silentLogger,
      version: 'test', kinds: buildChannelKinds({ smtpUrl: undefined, smtpFrom: undefined }), http: new OutboundHttp(), cronitor: { prefix: '/compat/cr', autoCreate: false },
    });
    try {
      const m = await newMonitor({ key: 'prefixed' });
      const r = await app.inject({ method: 'GET', url: `/compat/cr/ping/${TEST_KEY}/prefixed?state=complete` });
      assert.deepEqual([r.statusCode, r.body], [200, 'OK']);
      assert.equal((await monitor(m.id)).state, 'up');
      const none = await app.inject({ method: 'GET', url: `/compat/cr/ping/${TEST_KEY}/not-created?state=run` });
      assert.match(none.body, /^not recorded: no monitor with key "not-created" \(auto-creation is off\)/);
      assert.equal(await byKey('not-created'), undefined);
      const api = await app.inject({ method: 'GET', url: '/compat/cr/api/monitors/prefixed', headers: { authorization: `Bearer ${TEST_KEY}` } });
      assert.equal(JSON.parse(api.body).key, 'prefixed');
      assert.equal((await app.inject({ method: 'GET', url: `/cronitor/ping/${TEST_KEY}/prefixed` })).statusCode, 404, 'nothing under the default prefix');
    } finally {
      await app.close();
    }
  });
});

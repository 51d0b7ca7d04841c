import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('ping URLs', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  const newMonitor = async () => (await s.api('POST', '/v1/monitors', { name: `m-${Math.random()}`, expected_interval_sec: 3600, grace_seconds: 120 })).json;
  const ping = (method: string, url: string, payload?: string, headers: Record<string, string> = {}) =>
    s.app.inject({ method: method as 'GET', url, payload, headers: { 'user-agent': 'test-agent/1', ...headers } });

  it('answers a success ping with ok and the new state, and records it', async () => {
    const m = await newMonitor();
    const r = await ping('GET', `/v1/ping/${m.ping_token}`);
    assert.equal(r.statusCode, 200);
    assert.deepEqual(JSON.parse(r.body), { ok: true, state: 'up' });
    const got = (await s.api('GET', `/v1/monitors/${m.id}`)).json;
    assert.equal(got.state, 'up');
    assert.equal(got.last_ping_at, s.clock.now().toISOString());
    const pings = (await s.api('GET', `/v1/monitors/${m.id}/pings`)).json;
    assert.equal(pings.total, 1);
    const p = pings.items[0];
    assert.equal(p.kind, 'success');
    assert.equal(p.method, 'GET');
    assert.equal(p.user_agent, 'test-agent/1');
    assert.equal(p.ip, '127.0.0.1');
    assert.equal(p.source, 'native');
  });

  it('accepts GET, POST and HEAD, under /v1/ping and the healthchecks-style /ping', async () => {
    const m = await newMonitor();
    for (const [method, prefix] of [['GET', '/v1/ping'], ['POST', '/v1/ping'], ['HEAD', '/v1/ping'], ['GET', '/ping'], ['POST', '/ping'], ['HEAD', '/ping']]) {
      const r = await ping(method!, `${prefix}/${m.ping_token}`);
      assert.equal(r.statusCode, 200, `${method} ${prefix}`);
    }
    const pings = (await s.api('GET', `/v1/monitors/${m.id}/pings?limit=10`)).json;
    assert.deepEqual(pings.items.map((p: { method: string }) => p.method).reverse(), ['GET', 'POST', 'HEAD', 'GET', 'POST', 'HEAD']);
    assert.deepEqual(pings.items.map((p: { source: string }) => p.source).reverse(), ['native', 'native', 'native', 'healthchecks', 'healthchecks', 'healthchecks']);
  });

  it('maps start, fail, log and exit codes to states', async () => {
    const m = await newMonitor();
    const state = async (suffix: string) => JSON.parse((await ping('POST', `/v1/ping/${m.ping_token}${suffix}`)).body).state;
    assert.equal(await state('/start'), 'running');
    assert.equal(await state('/log'), 'running');
    assert.equal(await state(''), 'up');
    assert.equal(await state('/fail'), 'down');
    assert.equal(await state('/0'), 'up');
    assert.equal(await state('/7'), 'down');
    const got = (await s.api('GET', `/v1/monitors/${m.id}`)).json;
    assert.equal(got.down_reason, 'failed');
    const pings = (await s.api('GET', `/v1/monitors/${m.id}/pings`)).json;
    assert.deepEqual(pings.items.map((p: { kind: string; exit_code: number | null }) => `${p.kind}:${p.exit_code}`).reverse(), ['start:null', 'log:null', 'success:null', 'fail:null', 'success:0', 'fail:7']);
    const flips = (await s.api('GET', `/v1/monitors/${m.id}/flips`)).json;
    assert.deepEqual(flips.items.map((f: { to: string }) => f.to).reverse(), ['running', 'up', 'down', 'up', 'down']);
    assert.match(flips.items[0].reason, /exit code 7/);
  });

  it('rejects exit codes above 255 and unknown actions with 400', async () => {
    const m = await newMonitor();
    for (const suffix of ['/256', '/explode']) {
      const r = await ping('GET', `/v1/ping/${m.ping_token}${suffix}`);
      assert.equal(r.statusCode, 400);
      assert.equal(JSON.parse(r.body).error.field, 'action');
    }
    assert.equal((await s.api('GET', `/v1/monitors/${m.id}/pings`)).json.total, 0);
  });

  it('answers 404 JSON for an unknown token and stores nothing', async () => {
    const r = await ping('GET', '/v1/ping/mping_unknown');
    assert.equal(r.statusCode, 404);
    assert.equal(JSON.parse(r.body).error.code, 'not_found');
  });

  it('says a paused monitor is paused and keeps the ping', async () => {
    const m = await newMonitor();
    await s.api('POST', `/v1/monitors/${m.id}/pause`);
    const r = await ping('GET', `/v1/ping/${m.ping_token}`);
    assert.deepEqual(JSON.parse(r.body), { ok: true, state: 'paused', message: 'Monitor is paused' });
    assert.equal((await s.api('GET', `/v1/monitors/${m.id}/pings`)).json.total, 1);
  });

  it('stores POST bodies up to 100 KB whatever the content type, and serves the full body', async () => {
    const m = await newMonitor();
    const body = 'line\n'.repeat(20_000); // exactly 100 000 bytes
    const r = await ping('POST', `/v1/ping/${m.ping_token}/log`, body, { 'content-type': 'application/json' });
    assert.equal(r.statusCode, 200, r.body);
    const p = (await s.api('GET', `/v1/monitors/${m.id}/pings`)).json.items[0];
    assert.equal(p.body_size, 100_000);
    assert.equal(p.body_preview, body.slice(0, 200));
    const full = await s.app.inject({ method: 'GET', url: `/v1/monitors/${m.id}/pings/${p.id}/body`, headers: { authorization: 'Bearer odk_test_admin_key_0123456789abcdefghijkl' } });
    assert.equal(full.statusCode, 200);
    assert.equal(full.body, body);
  });

  it('refuses a body over 100 KB with 413 and stores nothing', async () => {
    const m = await newMonitor();
    const r = await ping('POST', `/v1/ping/${m.ping_token}`, 'x'.repeat(100 * 1024 + 1), { 'content-type': 'text/plain' });
    assert.equal(r.statusCode, 413);
    assert.equal(JSON.parse(r.body).error.code, 'payload_too_large');
    assert.match(JSON.parse(r.body).error.message, /102400 bytes/);
    assert.equal((await s.api('GET', `/v1/monitors/${m.id}/pings`)).json.total, 0);
    assert.equal((await s.api('GET', `/v1/monitors/${m.id}`)).json.state, 'pending');
  });

  it('records the client address from X-Forwarded-For only when the proxy is trusted', async () => {
    const m = await newMonitor();
    await ping('GET', `/v1/ping/${m.ping_token}`, undefined, { 'x-forwarded-for': '203.0.113.7' });
    assert.equal((await s.api('GET', `/v1/monitors/${m.id}/pings`)).json.items[0].ip, '127.0.0.1', 'untrusted by default');
    const trusting = await startTestServer({ OVERDUE_TRUST_PROXY: '127.0.0.1' });
    try {
      const t = (await trusting.api('POST', '/v1/monitors', { name: 'proxied', expected_interval_sec: 60 })).json;
      await trusting.app.inject({ method: 'GET', url: `/v1/ping/${t.ping_token}`, headers: { 'x-forwarded-for': '203.0.113.7' } });
      assert.equal((await trusting.api('GET', `/v1/monitors/${t.id}/pings`)).json.items[0].ip, '203.0.113.7');
    } finally {
      await trusting.close();
    }
  });

  it('records the reported details with the ping and shows them in the ping log', async () => {
    const m = await newMonitor();
    const q = 'host=db-1&series=run-42&status_code=0&duration=12.5&env=production&release=v1.2&metric=count:120&metric=error_count:2&message=nightly+done';
    const r = await ping('GET', `/v1/ping/${m.ping_token}?${q}`);
    assert.equal(r.statusCode, 200, r.body);
    const p = (await s.api('GET', `/v1/monitors/${m.id}/pings`)).json.items[0];
    assert.deepEqual(
      { msg: p.msg, host: p.host, series: p.series, status_code: p.status_code, duration: p.duration, env: p.env, release: p.release, metrics: p.metrics },
      { msg: 'nightly done', host: 'db-1', series: 'run-42', status_code: 0, duration: 12.5, env: 'production', release: 'v1.2', metrics: [{ name: 'count', value: 120 }, { name: 'error_count', value: 2 }] },
    );
    const plain = await newMonitor();
    await ping('GET', `/v1/ping/${plain.ping_token}`);
    const q0 = (await s.api('GET', `/v1/monitors/${plain.id}/pings`)).json.items[0];
    assert.deepEqual([q0.host, q0.series, q0.metrics], [null, null, []]);
  });

  it('rejects malformed details with a 400 naming the parameter and stores nothing', async () => {
    const m = await newMonitor();
    for (const [q, field] of [['duration=-3', 'duration'], ['status_code=abc', 'status_code'], ['metric=count', 'metric'], [`series=${'x'.repeat(65)}`, 'series']]) {
      const r = await ping('GET', `/v1/ping/${m.ping_token}?${q}`);
      assert.equal(r.statusCode, 400, q);
      assert.equal(JSON.parse(r.body).error.field, field, q);
    }
    assert.equal((await s.api('GET', `/v1/monitors/${m.id}/pings`)).json.total, 0);
  });

  it('keeps the first 1000 characters of msg', async () => {
    const m = await newMonitor();
    await ping('GET', `/v1/ping/${m.ping_token}?msg=${'a'.repeat(1500)}`);
    assert.equal((await s.api('GET', `/v1/monitors/${m.id}/pings`)).json.items[0].msg.length, 1000);
  });

  it('judges a success ping by its output when payload scanning is configured', async () => {
    const created = await s.api('POST', '/v1/monitors', { name: 'scanned', expected_interval_sec: 3600, payload_scanning: { failure_keyword: ['ERROR'], success_keyword: 'Backup complete' } });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.json.payload_scanning, { success_keyword: ['Backup complete'], failure_keyword: ['ERROR'] });
    const m = created.json;
    const bad = await ping('POST', `/v1/ping/${m.ping_token}`, 'copying...\nerror: disk full\n', { 'content-type': 'text/plain' });
    assert.equal(JSON.parse(bad.body).state, 'down');
    const flips = (await s.api('GET', `/v1/monitors/${m.id}/flips`)).json.items;
    assert.match(flips[0].reason, /failure keyword "ERROR"/);
    const good = await ping('POST', `/v1/ping/${m.ping_token}`, 'backup complete\n', { 'content-type': 'text/plain' });
    assert.equal(JSON.parse(good.body).state, 'up');
    const invalid = await s.api('PATCH', `/v1/monitors/${m.id}`, { payload_scanning: { failure_keyword: [''] } });
    assert.equal(invalid.status, 400);
    assert.match(invalid.json.error.field, /payload_scanning/);
    const off = await s.api('PATCH', `/v1/monitors/${m.id}`, { payload_scanning: null });
    assert.equal(off.json.payload_scanning, null);
  });

  it('extracts payload metrics from JSON bodies into a time series, recording "no value" without losing the ping', async () => {
    const created = await s.api('POST', '/v1/monitors', { name: 'etl', expected_interval_sec: 3600, payload_metrics: [{ name: 'rows', path: '$.stats.rows' }, { name: 'secs', path: '$.took' }] });
    assert.equal(created.status, 201, created.text);
    const m = created.json;
    assert.deepEqual(m.payload_metrics, [{ name: 'rows', path: '$.stats.rows' }, { name: 'secs', path: '$.took' }]);
    const t0 = s.clock.now();
    await ping('POST', `/v1/ping/${m.ping_token}`, JSON.stringify({ stats: { rows: 42 }, took: 1.5 }), { 'content-type': 'application/json' });
    s.clock.advance(60);
    const notJson = await ping('POST', `/v1/ping/${m.ping_token}`, 'plain text output', { 'content-type': 'text/plain' });
    assert.equal(notJson.statusCode, 200);
    s.clock.advance(60);
    await ping('POST', `/v1/ping/${m.ping_token}`, JSON.stringify({ stats: {} }), { 'content-type': 'application/json' });
    assert.equal((await s.api('GET', `/v1/monitors/${m.id}/pings`)).json.total, 3, 'every ping kept');
    const rows = (await s.api('GET', `/v1/monitors/${m.id}/metrics?name=rows`)).json.items;
    assert.deepEqual(rows.map((p: { value: number | null }) => p.value), [42, null, null]);
    assert.equal(rows[0].at, t0.toISOString());
    const all = (await s.api('GET', `/v1/monitors/${m.id}/metrics`)).json.items;
    assert.equal(all.length, 6);
    const window = (await s.api('GET', `/v1/monitors/${m.id}/metrics?name=secs&from=${encodeURIComponent(new Date(t0.getTime() + 1).toISOString())}`)).json.items;
    assert.deepEqual(window.map((p: { value: number | null }) => p.value), [null, null]);
    const bad = await s.api('PATCH', `/v1/monitors/${m.id}`, { payload_metrics: [{ name: 'x', path: '$[' }] });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error.field, /payload_metrics\[0\]\.path/);
    const badQuery = await s.api('GET', `/v1/monitors/${m.id}/metrics?from=yesterday`);
    assert.equal(badQuery.status, 400);
  });

  it('fails a success that violates the monitor\'s assertions, and validates them on input', async () => {
    const bad = await s.api('POST', '/v1/monitors', { name: 'asserted-bad', expected_interval_sec: 3600, assertions: ['metric.bogus > 1'] });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.field, 'assertions[0]');
    const m = (await s.api('POST', '/v1/monitors', { name: 'asserted', expected_interval_sec: 3600, assertions: ['metric.count > 0', 'metric.duration < 5 min'] })).json;
    assert.deepEqual(m.assertions, ['metric.count > 0', 'metric.duration < 5 min']);
    const ok = await ping('GET', `/v1/ping/${m.ping_token}?metric=count:12&duration=30`);
    assert.equal(JSON.parse(ok.body).state, 'up');
    const slow = await ping('GET', `/v1/ping/${m.ping_token}?metric=count:12&duration=600`);
    assert.equal(JSON.parse(slow.body).state, 'down');
    const flips = (await s.api('GET', `/v1/monitors/${m.id}/flips`)).json.items;
    assert.match(flips[0].reason, /assertion failed: metric\.duration < 5 min/);
  });

  it('keeps the msg query parameter', async () => {
    const m = await newMonitor();
    await ping('GET', `/v1/ping/${m.ping_token}/fail?msg=${encodeURIComponent('disk full')}`);
    assert.equal((await s.api('GET', `/v1/monitors/${m.id}/pings`)).json.items[0].msg, 'disk full');
  });

  it('answers concurrent pings from one group commit each, all durable', async () => {
    const monitors = await Promise.all(Array.from({ length: 20 }, newMonitor));
    const results = await Promise.all(monitors.map((m) => ping('GET', `/v1/ping/${m.ping_token}`)));
    assert.ok(results.every((r) => r.statusCode === 200));
    for (const m of monitors) assert.equal((await s.api('GET', `/v1/monitors/${m.id}`)).json.state, 'up');
  });
});

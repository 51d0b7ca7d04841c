import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('healthchecks.io-style ping URLs (/ping/…)', () => {
  let s: TestServer;
  let pingKey: string;
  before(async () => {
    s = await startTestServer();
    pingKey = (await s.api('GET', '/v1/project')).json.ping_key;
  });
  after(() => s.close());

  let n = 0;
  const newMonitor = async (over: Record<string, unknown> = {}) => {
    const created = await s.api('POST', '/v1/monitors', { name: `hc-${++n}`, expected_interval_sec: 3600, grace_seconds: 120, ...over });
    assert.equal(created.status, 201, created.text);
    return created.json;
  };
  const ping = (method: string, url: string, payload?: string, headers: Record<string, string> = {}) =>
    s.app.inject({ method: method as 'GET', url, payload, headers: { 'user-agent': 'curl/8.5.0', ...headers } });
  const monitor = async (id: string) => (await s.api('GET', `/v1/monitors/${id}`)).json;
  const pings = async (id: string) => (await s.api('GET', `/v1/monitors/${id}/pings?limit=50`)).json;

  it('answers 200 "OK" as text/plain with Ping-Body-Limit and CORS headers, and records a healthchecks ping', async () => {
    const m = await newMonitor();
    const r = await ping('GET', `/ping/${m.ping_token}`);
    assert.equal(r.statusCode, 200);
    assert.equal(r.body, 'OK');
    assert.match(String(r.headers['content-type']), /^text\/plain/);
    assert.equal(r.headers['ping-body-limit'], '102400');
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.equal((await monitor(m.id)).state, 'up');
    const p = (await pings(m.id)).items[0];
    assert.deepEqual([p.kind, p.source, p.method, p.user_agent], ['success', 'healthchecks', 'GET', 'curl/8.5.0']);
  });

  it('maps /start, /log, /fail and exit codes like the native URLs, for GET, POST and HEAD', async () => {
    const m = await newMonitor();
    const steps: [string, string, string][] = [['HEAD', '/start', 'running'], ['POST', '/log', 'running'], ['GET', '', 'up'], ['POST', '/fail', 'down'], ['GET', '/0', 'up'], ['HEAD', '/3', 'down'], ['GET', '/ok', 'up']];
    for (const [method, suffix, state] of steps) {
      const r = await ping(method, `/ping/${m.ping_token}${suffix}`);
      assert.equal(r.statusCode, 200, `${method} ${suffix}`);
      assert.equal(r.body, method === 'HEAD' ? '' : 'OK');
      assert.equal((await monitor(m.id)).state, state, `${method} ${suffix}`);
    }
    const kinds = (await pings(m.id)).items.map((p: { kind: string; exit_code: number | null; method: string }) => `${p.method} ${p.kind}:${p.exit_code}`).reverse();
    assert.deepEqual(kinds, ['HEAD start:null', 'POST log:null', 'GET success:null', 'POST fail:null', 'GET success:0', 'HEAD fail:3', 'GET ok:null']);
  });

  it('answers 404 "not found" for an unknown token, ping key or slug, and stores nothing', async () => {
    const m = await newMonitor({ key: 'known-slug' });
    for (const url of ['/ping/mping_unknown', '/ping/mping_unknown/start', `/ping/pk_unknown/known-slug`, `/ping/${pingKey}/unknown-slug`, `/ping/${pingKey}/unknown-slug/fail`]) {
      const r = await ping('GET', url);
      assert.equal(r.statusCode, 404, url);
      assert.equal(r.body, 'not found', url);
      assert.match(String(r.headers['content-type']), /^text\/plain/);
    }
    assert.equal((await pings(m.id)).total, 0);
  });

  it('refuses an exit code over 255 and an unknown action with 400 "invalid url format", storing nothing', async () => {
    const m = await newMonitor({ key: 'strict' });
    for (const url of [`/ping/${m.ping_token}/256`, `/ping/${m.ping_token}/99999`, `/ping/${pingKey}/strict/256`, `/ping/${pingKey}/strict/explode`]) {
      const r = await ping('GET', url);
      assert.equal(r.statusCode, 400, url);
      assert.equal(r.body, 'invalid url format', url);
    }
    const bad = await ping('GET', `/ping/${m.ping_token}?duration=-3`);
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /^duration: /);
    assert.equal((await pings(m.id)).total, 0);
  });

  it('addresses a monitor by the project ping key and its key (slug), with an optional action', async () => {
    const m = await newMonitor({ key: 'db-backup' });
    assert.equal((await ping('POST', `/ping/${pingKey}/db-backup/start`)).body, 'OK');
    assert.equal((await monitor(m.id)).state, 'running');
    assert.equal((await ping('GET', `/ping/${pingKey}/db-backup`)).body, 'OK');
    assert.equal((await monitor(m.id)).state, 'up');
    assert.equal((await ping('GET', `/ping/${pingKey}/db-backup/1`)).body, 'OK');
    const got = await monitor(m.id);
    assert.deepEqual([got.state, got.down_reason], ['down', 'failed']);
    assert.equal((await ping('GET', `/ping/${pingKey}/db-backup/`)).statusCode, 200, 'a trailing slash is a success');
    assert.equal((await monitor(m.id)).state, 'up');
    assert.deepEqual((await pings(m.id)).items.map((p: { source: string }) => p.source), ['healthchecks', 'healthchecks', 'healthchecks', 'healthchecks']);
  });

  it('reads /ping/<a>/<b> as token + action when <b> is an action word or a number, else as ping key + slug', async () => {
    const numeric = await newMonitor({ key: '42' });
    const word = await newMonitor({ key: 'fail' });
    // Both read as token + action: the token is then unknown.
    assert.equal((await ping('GET', `/ping/${pingKey}/42`)).statusCode, 404);
    assert.equal((await ping('GET', `/ping/${pingKey}/fail`)).statusCode, 404);
    assert.equal((await ping('GET', `/ping/${pingKey}/4200`)).statusCode, 400, 'a number is an exit code, refused when over 255');
    // With an explicit action the same monitors are reachable by slug.
    assert.equal((await ping('GET', `/ping/${pingKey}/42/0`)).statusCode, 200);
    assert.equal((await ping('GET', `/ping/${pingKey}/fail/start`)).statusCode, 200);
    assert.equal((await monitor(numeric.id)).state, 'up');
    assert.equal((await monitor(word.id)).state, 'running');
  });

  it('auto-creates an unknown slug with ?create=1 (201 "Created"), then pings it as usual', async () => {
    const r = await ping('POST', `/ping/${pingKey}/auto-made?create=1`, 'first run output', { 'content-type': 'text/plain' });
    assert.equal(r.statusCode, 201);
    assert.equal(r.body, 'Created');
    assert.equal(r.headers['ping-body-limit'], '102400');
    const list = (await s.api('GET', '/v1/monitors?limit=100')).json.items as { key: string; id: string }[];
    const made = list.find((x) => x.key === 'auto-made');
    assert.ok(made, 'the monitor exists');
    const got = await monitor(made.id);
    assert.deepEqual([got.name, got.state, got.expected_interval_sec, got.grace_seconds], ['auto-made', 'up', 86400, 3600]);
    assert.equal((await pings(made.id)).items[0].body_preview, 'first run output');
    const again = await ping('GET', `/ping/${pingKey}/auto-made/start?create=1`);
    assert.deepEqual([again.statusCode, again.body], [200, 'OK']);
    assert.equal((await monitor(made.id)).state, 'running');
  });

  it('creates nothing without create=1, for an unknown ping key, or when the action is invalid', async () => {
    const before = (await s.api('GET', '/v1/monitors?limit=1')).json.total;
    assert.equal((await ping('GET', `/ping/${pingKey}/no-create`)).statusCode, 404);
    assert.equal((await ping('GET', `/ping/${pingKey}/no-create?create=0`)).statusCode, 404);
    assert.equal((await ping('GET', `/ping/pk_not_a_project/no-create?create=1`)).statusCode, 404);
    assert.equal((await ping('GET', `/ping/${pingKey}/no-create/explode?create=1`)).statusCode, 400);
    const badSlug = await ping('GET', `/ping/${pingKey}/bad~slug/start?create=1`);
    assert.equal(badSlug.statusCode, 400);
    assert.match(badSlug.body, /^key: /);
    assert.equal((await s.api('GET', '/v1/monitors?limit=1')).json.total, before);
  });

  it('creates one monitor when two ?create=1 pings for a new slug race', async () => {
    const [a, b] = await Promise.all([ping('GET', `/ping/${pingKey}/raced?create=1`), ping('GET', `/ping/${pingKey}/raced?create=1`)]);
    assert.deepEqual([a?.statusCode, b?.statusCode].sort(), [200, 201]);
    const list = (await s.api('GET', '/v1/monitors?limit=100')).json.items as { key: string; id: string }[];
    const raced = list.filter((x) => x.key === 'raced');
    assert.equal(raced.length, 1);
    assert.equal((await pings(raced[0]!.id)).total, 2);
  });

  it('keeps the run id from ?rid= and the first 100 KB of a longer body instead of refusing it', async () => {
    const m = await newMonitor();
    const rid = '7f6c1f4e-3f2a-4b7e-9a51-1b2c3d4e5f60';
    await ping('POST', `/ping/${m.ping_token}/start?rid=${rid}`);
    const body = 'a'.repeat(150_000);
    const r = await ping('POST', `/ping/${m.ping_token}?rid=${rid}`, body, { 'content-type': 'text/plain' });
    assert.deepEqual([r.statusCode, r.body], [200, 'OK']);
    const items = (await pings(m.id)).items;
    assert.deepEqual(items.map((p: { series: string | null }) => p.series), [rid, rid]);
    assert.equal(items[0].body_size, 102_400);
    const tooBig = await ping('POST', `/ping/${m.ping_token}`, 'b'.repeat(1024 * 1024 + 1), { 'content-type': 'text/plain' });
    assert.equal(tooBig.statusCode, 413);
    assert.match(String(tooBig.headers['content-type']), /^text\/plain/);
  });

  it('keeps the native /v1/ping answers in JSON', async () => {
    const m = await newMonitor();
    const r = await ping('GET', `/v1/ping/${m.ping_token}`);
    assert.deepEqual(JSON.parse(r.body), { ok: true, state: 'up' });
    assert.equal(r.headers['ping-body-limit'], undefined);
    const missing = await ping('GET', '/v1/ping/mping_unknown');
    assert.equal(JSON.parse(missing.body).error.code, 'not_found');
  });
});

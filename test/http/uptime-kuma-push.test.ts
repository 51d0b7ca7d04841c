import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('Uptime Kuma push URLs (/api/push/:token)', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({}, { listen: true });
  });
  after(() => s.close());

  let n = 0;
  const newMonitor = async () => (await s.api('POST', '/v1/monitors', { name: `kuma-${++n}`, expected_interval_sec: 60 })).json;
  const push = (method: string, url: string, payload?: string, headers: Record<string, string> = {}) =>
    s.app.inject({ method: method as 'GET', url, payload, headers: { 'user-agent': 'curl/8.5.0', ...headers } });
  const state = async (id: string) => (await s.api('GET', `/v1/monitors/${id}`)).json.state;
  const pings = async (id: string) => (await s.api('GET', `/v1/monitors/${id}/pings?limit=20`)).json;

  it('records the URL Kuma shows (status=up&msg=OK&ping=) as a success with its message: 200 {"ok":true}', async () => {
    const m = await newMonitor();
    const r = await push('GET', `/api/push/${m.ping_token}?status=up&msg=OK&ping=`);
    assert.equal(r.statusCode, 200);
    assert.deepEqual(JSON.parse(r.body), { ok: true });
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assert.equal(await state(m.id), 'up');
    const p = (await pings(m.id)).items[0];
    assert.deepEqual([p.kind, p.source, p.msg, p.duration], ['success', 'uptime-kuma', 'OK', null]);
  });

  it('treats a bare push (curl $URL) as up', async () => {
    const m = await newMonitor();
    const r = await push('GET', `/api/push/${m.ping_token}`);
    assert.deepEqual([r.statusCode, JSON.parse(r.body)], [200, { ok: true }]);
    const p = (await pings(m.id)).items[0];
    assert.deepEqual([p.kind, p.msg], ['success', null]);
  });

  it('records status=down&msg=disk%20full&ping=123.4 as a failure with the message and a duration of 0.1234 s', async () => {
    const m = await newMonitor();
    const r = await push('GET', `/api/push/${m.ping_token}?status=down&msg=disk%20full&ping=123.4`);
    assert.deepEqual(JSON.parse(r.body), { ok: true });
    assert.equal(await state(m.id), 'down');
    const p = (await pings(m.id)).items[0];
    assert.deepEqual([p.kind, p.msg, p.duration], ['fail', 'disk full', 0.1234]);
    const flips = (await s.api('GET', `/v1/monitors/${m.id}/flips`)).json.items;
    assert.equal(flips[0].to, 'down');
  });

  it('treats any status other than up as down, and an empty status as up', async () => {
    const m = await newMonitor();
    await push('GET', `/api/push/${m.ping_token}?status=fail`);
    assert.equal(await state(m.id), 'down');
    await push('GET', `/api/push/${m.ping_token}?status=`);
    assert.equal(await state(m.id), 'up');
    await push('GET', `/api/push/${m.ping_token}?status=UP`);
    assert.equal(await state(m.id), 'down', 'the comparison is exact, as in Kuma');
  });

  it('accepts any method (curl -X POST|PUT|PATCH|DELETE|OPTIONS, HEAD)', async () => {
    const m = await newMonitor();
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']) {
      const r = await push(method, `/api/push/${m.ping_token}?status=up&msg=via-${method}`);
      assert.equal(r.statusCode, 200, method);
      if (method !== 'HEAD') assert.deepEqual(JSON.parse(r.body), { ok: true }, method);
    }
    const items = (await pings(m.id)).items.reverse();
    assert.deepEqual(items.map((p: { method: string }) => p.method), ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']);
    assert.deepEqual(items.map((p: { msg: string }) => p.msg), ['via-POST', 'via-PUT', 'via-PATCH', 'via-DELETE', 'via-OPTIONS', 'via-HEAD']);
  });

  it('keeps a POST body whatever its content type (curl -d)', async () => {
    const m = await newMonitor();
    const r = await push('POST', `/api/push/${m.ping_token}`, '{"not":"parsed"', { 'content-type': 'application/json' });
    assert.deepEqual(JSON.parse(r.body), { ok: true });
    assert.equal((await pings(m.id)).items[0].body_preview, '{"not":"parsed"');
  });

  it('answers 404 {"ok":false,"msg":"Monitor not found or not active."} for an unknown token', async () => {
    for (const method of ['GET', 'POST']) {
      const r = await push(method, '/api/push/AbCdEf0123?status=up&msg=OK&ping=');
      assert.equal(r.statusCode, 404);
      assert.deepEqual(JSON.parse(r.body), { ok: false, msg: 'Monitor not found or not active.' });
    }
  });

  it('ignores a ping that is not a number, and refuses one below 0 or above 1e11 ms with 404, storing nothing', async () => {
    const m = await newMonitor();
    const ignored = await push('GET', `/api/push/${m.ping_token}?ping=abc`);
    assert.deepEqual(JSON.parse(ignored.body), { ok: true });
    assert.equal((await pings(m.id)).items[0].duration, null);
    for (const value of ['-5', '100000000001', 'Infinity']) {
      const r = await push('GET', `/api/push/${m.ping_token}?ping=${value}`);
      assert.equal(r.statusCode, 404, value);
      const body = JSON.parse(r.body);
      assert.equal(body.ok, false);
      assert.match(body.msg, /^Invalid ping value/);
    }
    assert.equal((await pings(m.id)).total, 1);
  });

  it('works with a plain fetch of the push URL over the network, as Kuma\'s example clients do', async () => {
    const m = await newMonitor();
    const res = await fetch(`${s.url}/api/push/${m.ping_token}?status=up&msg=OK&ping=`, { signal: AbortSignal.timeout(5000) });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true });
    const p = (await pings(m.id)).items[0];
    assert.deepEqual([p.method, p.user_agent], ['GET', 'node']);
  });
});

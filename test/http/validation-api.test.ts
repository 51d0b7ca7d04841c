import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('bad input gets a 4xx JSON error naming the field', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  const cases: { name: string; body: unknown; field: string; message?: RegExp }[] = [
    { name: 'unknown time zone', body: { name: 'x', schedule: '0 * * * *', timezone: 'Mars/Base' }, field: 'timezone', message: /Mars\/Base/ },
    { name: 'unparsable cron', body: { name: 'x', schedule: '61 * * * *' }, field: 'schedule' },
    { name: 'garbage schedule', body: { name: 'x', schedule: 'whenever' }, field: 'schedule' },
    { name: 'negative grace', body: { name: 'x', expected_interval_sec: 60, grace_seconds: -1 }, field: 'grace_seconds' },
    { name: 'bad grace string', body: { name: 'x', expected_interval_sec: 60, grace_seconds: 'soon' }, field: 'grace_seconds' },
    { name: 'interval below 1 s', body: { name: 'x', expected_interval_sec: 0 }, field: 'expected_interval_sec' },
    { name: 'schedule below 1 s', body: { name: 'x', schedule: 'every 0 seconds' }, field: 'schedule' },
    { name: 'both schedule and interval', body: { name: 'x', schedule: 'hourly', expected_interval_sec: 60 }, field: 'schedule', message: /not both/ },
    { name: 'no schedule at all', body: { name: 'x' }, field: 'schedule', message: /required/ },
    { name: 'missing name and key', body: { expected_interval_sec: 60 }, field: 'name' },
    { name: 'unknown field', body: { name: 'x', expected_interval_sec: 60, grace_second: 5 }, field: 'grace_second' },
    { name: 'wrong type', body: { name: 'x', expected_interval_sec: 'sixty' }, field: 'expected_interval_sec' },
    { name: 'bad key', body: { name: 'x', key: 'has space', expected_interval_sec: 60 }, field: 'key' },
  ];
  for (const c of cases) {
    it(`rejects ${c.name}`, async () => {
      const r = await s.api('POST', '/v1/monitors', c.body);
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json.error.code, 'validation_error');
      assert.equal(r.json.error.field, c.field, r.text);
      assert.ok(r.json.error.message.includes(c.field), r.json.error.message);
      if (c.message) assert.match(r.json.error.message, c.message);
    });
  }

  it('leaves the stored monitor untouched when a patch is invalid', async () => {
    const m = (await s.api('POST', '/v1/monitors', { name: 'keep', expected_interval_sec: 60 })).json;
    const r = await s.api('PATCH', `/v1/monitors/${m.id}`, { name: 'changed', timezone: 'Nowhere/Land' });
    assert.equal(r.status, 400);
    assert.deepEqual((await s.api('GET', `/v1/monitors/${m.id}`)).json, m);
  });

  it('rejects malformed JSON with 400', async () => {
    const r = await s.app.inject({ method: 'POST', url: '/v1/monitors', headers: { authorization: 'Bearer odk_test_admin_key_0123456789abcdefghijkl', 'content-type': 'application/json' }, payload: '{"name":' });
    assert.equal(r.statusCode, 400);
    assert.equal(JSON.parse(r.body).error.code, 'invalid_json');
  });

  it('answers unknown routes with 404 and wrong methods with 405 and an Allow header', async () => {
    const nf = await s.api('GET', '/v1/nothing-here');
    assert.equal(nf.status, 404);
    assert.equal(nf.json.error.code, 'not_found');
    const wrong = await s.api('PUT', '/v1/monitors/mon_x/pause', {});
    assert.equal(wrong.status, 405);
    assert.equal(wrong.json.error.code, 'method_not_allowed');
    assert.match(String(wrong.headers.allow), /POST/);
    const del = await s.api('DELETE', '/v1/ping/abc');
    assert.equal(del.status, 405);
  });

  it('answers 404 for an unknown monitor id', async () => {
    const r = await s.api('GET', '/v1/monitors/mon_doesnotexist');
    assert.equal(r.status, 404);
    assert.equal(r.json.error.code, 'not_found');
  });

  it('rejects bad list filters', async () => {
    const r = await s.api('GET', '/v1/monitors?state=sleepy');
    assert.equal(r.status, 400);
    assert.equal(r.json.error.field, 'state');
    const l = await s.api('GET', '/v1/monitors?limit=100000');
    assert.equal(l.status, 400);
    assert.equal(l.json.error.field, 'limit');
  });
});

/**
 * Keeping existing ping URLs: a monitor created (or changed) with a client-chosen `ping_token`, e.g. the UUID a
 * job already pings on healthchecks.io. Also the descriptive attributes (note, group, metadata, …) of the API.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createApiKey, createProject } from '../../src/app/keys.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('monitors with a chosen ping_token', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  const ping = (url: string) => s.app.inject({ method: 'GET', url });

  it('creates a monitor pinged at the UUID a job already uses, on the healthchecks and native URLs', async () => {
    const uuid = randomUUID();
    const r = await s.api('POST', '/v1/monitors', { name: 'imported', expected_interval_sec: 3600, ping_token: uuid });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual([r.json.ping_token, r.json.ping_url], [uuid, `http://overdue.test/v1/ping/${uuid}`]);
    assert.equal((await ping(`/ping/${uuid}/start`)).body, 'OK');
    assert.equal((await s.api('GET', `/v1/monitors/${r.json.id}`)).json.state, 'running');
    assert.equal(JSON.parse((await ping(`/v1/ping/${uuid}`)).body).state, 'up');
  });

  it('refuses a short or URL-unsafe ping_token with a 400 naming ping_token', async () => {
    for (const [token, message] of [
      ['too-short', /^ping_token: must be 32–128 characters \(it is the secret of the ping URL\), got 9$/],
      ['x'.repeat(129), /got 129/],
      [`${'a'.repeat(32)}/b`, /only letters, digits/],
      [`${'a'.repeat(32)} b`, /only letters, digits/],
    ] as const) {
      const r = await s.api('POST', '/v1/monitors', { name: 'bad-token', expected_interval_sec: 60, ping_token: token });
      assert.equal(r.status, 400, token);
      assert.equal(r.json.error.field, 'ping_token');
      assert.match(r.json.error.message, message);
    }
    assert.equal((await s.api('GET', '/v1/monitors?limit=500')).json.items.some((m: { name: string }) => m.name === 'bad-token'), false);
  });

  it('answers 409 when the token is taken, in this project or another', async () => {
    const token = randomUUID();
    assert.equal((await s.api('POST', '/v1/monitors', { name: 'first', expected_interval_sec: 60, ping_token: token })).status, 201);
    const again = await s.api('POST', '/v1/monitors', { name: 'second', expected_interval_sec: 60, ping_token: token });
    assert.deepEqual([again.status, again.json.error.code, again.json.error.field], [409, 'conflict', 'ping_token']);
    const other = await createProject(s.store, s.clock, 'elsewhere');
    const key = await createApiKey(s.store, s.clock, other.id);
    const foreign = await s.api('POST', '/v1/monitors', { name: 'foreign', expected_interval_sec: 60, ping_token: token }, key.secret);
    assert.deepEqual([foreign.status, foreign.json.error.field], [409, 'ping_token']);
  });

  it('changes a monitor\'s token with PATCH: the old URL stops working, a taken token is a 409', async () => {
    const m = (await s.api('POST', '/v1/monitors', { name: 'moving', expected_interval_sec: 60 })).json;
    const taken = (await s.api('POST', '/v1/monitors', { name: 'holder', expected_interval_sec: 60, ping_token: randomUUID() })).json.ping_token;
    const uuid = randomUUID();
    const changed = await s.api('PATCH', `/v1/monitors/${m.id}`, { ping_token: uuid });
    assert.deepEqual([changed.status, changed.json.ping_token], [200, uuid]);
    assert.equal((await ping(`/v1/ping/${m.ping_token}`)).statusCode, 404);
    assert.equal((await ping(`/ping/${uuid}`)).statusCode, 200);
    const clash = await s.api('PATCH', `/v1/monitors/${m.id}`, { ping_token: taken });
    assert.deepEqual([clash.status, clash.json.error.field], [409, 'ping_token']);
    const short = await s.api('PATCH', `/v1/monitors/${m.id}`, { ping_token: 'abc', name: 'renamed' });
    assert.equal(short.status, 400);
    assert.equal((await s.api('GET', `/v1/monitors/${m.id}`)).json.name, 'moving', 'nothing changed');
  });

  it('keeps note, group, metadata, platform, default_name and default_note, and clears them with null', async () => {
    const created = await s.api('POST', '/v1/monitors', {
      key: 'described', default_name: 'Described job', expected_interval_sec: 60, note: ' call Ann ', default_note: 'runbook', group: 'etl', platform: 'sidekiq', metadata: { queue: 'low', retries: 3 },
    });
    assert.equal(created.status, 201, created.text);
    const m = created.json;
    assert.deepEqual([m.name, m.note, m.default_note, m.default_name, m.group, m.platform, m.metadata], ['Described job', 'call Ann', 'runbook', 'Described job', 'etl', 'sidekiq', { queue: 'low', retries: 3 }]);
    const cleared = (await s.api('PATCH', `/v1/monitors/${m.id}`, { note: null, group: '', metadata: null })).json;
    assert.deepEqual([cleared.note, cleared.group, cleared.metadata, cleared.platform], [null, null, null, 'sidekiq']);
    const big = await s.api('PATCH', `/v1/monitors/${m.id}`, { metadata: { blob: 'x'.repeat(10_001) } });
    assert.deepEqual([big.status, big.json.error.field], [400, 'metadata']);
    const list = await s.api('PATCH', `/v1/monitors/${m.id}`, { metadata: ['not', 'an', 'object'] });
    assert.deepEqual([list.status, list.json.error.field], [400, 'metadata']);
  });
});

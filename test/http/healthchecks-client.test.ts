/**
 * Acceptance: the real `healthchecks-io-client` npm package (1.0.4) drives start, success and fail against a
 * listening server, its `baseUrl` aimed at Overdue as a self-hosted healthchecks user would.
 *
 * The client refuses any `uuid` that is not a UUID, and Overdue's tokens (`mping_…`) are not, so it reaches a
 * monitor as `<baseUrl>/<uuid>` with baseUrl `…/ping/<ping_key>` and the monitor's key set to a UUID. The second
 * test gives a monitor a UUID token through the store to exercise the exact `/ping/<uuid>[/start|/fail]` URLs.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { HealthChecksPingClient } from 'healthchecks-io-client';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('healthchecks-io-client against Overdue', () => {
  let s: TestServer;
  let pingKey: string;
  before(async () => {
    s = await startTestServer({}, { listen: true });
    pingKey = (await s.api('GET', '/v1/project')).json.ping_key;
  });
  after(() => s.close());

  const state = async (id: string) => (await s.api('GET', `/v1/monitors/${id}`)).json.state;
  const pings = async (id: string) => (await s.api('GET', `/v1/monitors/${id}/pings?limit=10`)).json.items.reverse();

  it('records start, success with a log and fail through /ping/<ping_key>/<slug>', async () => {
    const slug = randomUUID();
    const m = (await s.api('POST', '/v1/monitors', { name: 'nightly', key: slug, expected_interval_sec: 3600 })).json;
    const client = new HealthChecksPingClient({ uuid: slug, baseUrl: `${s.url}/ping/${pingKey}`, returnResponse: true, timeout: 5000 });

    assert.equal(await client.start(), 'OK');
    assert.equal(await state(m.id), 'running');
    assert.equal(await client.success('all good'), 'OK');
    assert.equal(await state(m.id), 'up');
    assert.equal(await client.fail('broke'), 'OK');
    assert.equal(await state(m.id), 'down');
    assert.equal(await client.success(), 'OK');
    assert.equal(await state(m.id), 'up');

    const got = await pings(m.id);
    assert.deepEqual(got.map((p: { kind: string; method: string }) => `${p.method} ${p.kind}`), ['GET start', 'POST success', 'POST fail', 'GET success']);
    assert.deepEqual(got.map((p: { body_preview: string | null }) => p.body_preview), [null, 'all good', 'broke', null]);
    assert.equal(got[0].user_agent, 'HealthChecks-IO-Client-JS/1.0.4');
    assert.ok(got.every((p: { source: string }) => p.source === 'healthchecks'));
  });

  it('records pings through /ping/<uuid> for a monitor whose token is a UUID, and throws on an unknown one', async () => {
    const created = (await s.api('POST', '/v1/monitors', { name: 'imported', expected_interval_sec: 3600 })).json;
    const uuid = randomUUID();
    const stored = await s.store.getMonitorById(created.id);
    assert.ok(stored);
    assert.ok(await s.store.updateMonitor({ ...stored, pingToken: uuid, version: stored.version + 1 }, stored.version, []));
    const client = new HealthChecksPingClient({ uuid, baseUrl: `${s.url}/ping`, returnResponse: true });
    assert.equal(await client.start(), 'OK');
    assert.equal(await state(created.id), 'running');
    assert.equal(await client.fail(), 'OK');
    assert.equal(await state(created.id), 'down');
    assert.equal(await client.success('recovered'), 'OK');
    assert.equal(await state(created.id), 'up');

    const unknown = new HealthChecksPingClient({ uuid: randomUUID(), baseUrl: `${s.url}/ping`, returnResponse: true });
    await assert.rejects(unknown.success(), (e: { name?: string; statusCode?: number; body?: string }) => e.name === 'StatusCodeError' && e.statusCode === 404 && e.body === 'not found');
  });
});

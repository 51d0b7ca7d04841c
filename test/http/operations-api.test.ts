import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('operational endpoints', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  it('reports health with the database backend, its reachability and the node\'s roles', async () => {
    const r = await s.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(r.statusCode, 200);
    assert.deepEqual({ ...JSON.parse(r.body), version: 'v' }, { ok: true, version: 'v', database: 'sqlite', database_reachable: true, roles: ['api', 'scheduler', 'notifier'] });
  });

  it('is ready while the database answers', async () => {
    const r = await s.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(JSON.parse(r.body), { ok: true, database_reachable: true });
  });

  it('exposes Prometheus metrics: pings by kind, state counts, scheduler lag', async () => {
    const m = (await s.api('POST', '/v1/monitors', { name: 'metric', expected_interval_sec: 60 })).json;
    await s.app.inject({ method: 'GET', url: `/v1/ping/${m.ping_token}/start` });
    await s.app.inject({ method: 'GET', url: `/ping/${m.ping_token}` });
    const r = await s.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['content-type']), /text\/plain/);
    assert.match(r.body, /overdue_pings_received_total\{kind="start",source="native"\} 1/);
    assert.match(r.body, /overdue_pings_received_total\{kind="success",source="healthchecks"\} 1/);
    assert.match(r.body, /overdue_monitors\{state="up"\} 1/);
    assert.match(r.body, /overdue_scheduler_lag_seconds \d/);
    assert.match(r.body, /overdue_sqlite_decision_divergences_total 0\n/, 'the SQLite store\'s two deciders agreed');
  });

  it('serves an OpenAPI document generated from the route schemas, and a docs page', async () => {
    const r = await s.app.inject({ method: 'GET', url: '/v1/openapi.json' });
    assert.equal(r.statusCode, 200);
    const doc = JSON.parse(r.body);
    assert.equal(doc.openapi, '3.0.3');
    assert.ok(doc.paths['/v1/monitors'].post.requestBody);
    assert.ok(doc.paths['/v1/monitors/{id}/pause']);
    assert.ok(doc.paths['/v1/ping/{token}']);
    assert.ok(doc.paths['/v1/monitors'].post.responses['201']);
    const docs = await s.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(docs.statusCode, 200);
    assert.match(docs.body, /<html/i);
  });
});

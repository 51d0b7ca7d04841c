/** OVERDUE_ROLES: a node runs only the roles it is given; one without the api role serves only its operational endpoints. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('node roles', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ OVERDUE_ROLES: 'scheduler, notifier' });
  });
  after(() => s.close());

  it('reports its roles in /healthz and /metrics', async () => {
    const health = await s.app.inject({ method: 'GET', url: '/healthz' });
    assert.deepEqual(JSON.parse(health.body).roles, ['scheduler', 'notifier']);
    const metrics = await s.app.inject({ method: 'GET', url: '/metrics' });
    assert.match(metrics.body, /^overdue_node_role\{role="scheduler"\} 1$/m);
    assert.doesNotMatch(metrics.body, /role="api"/);
    assert.equal((await s.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
  });

  it('serves neither the API nor ping URLs without the api role', async () => {
    const api = await s.api('GET', '/v1/monitors');
    assert.equal(api.status, 404);
    assert.match(api.json.error.message, /runs scheduler, notifier, not the api role/);
    assert.equal((await s.app.inject({ method: 'GET', url: '/v1/ping/mping_x' })).statusCode, 404);
    assert.equal((await s.app.inject({ method: 'GET', url: '/ping/abc' })).statusCode, 404);
  });
});

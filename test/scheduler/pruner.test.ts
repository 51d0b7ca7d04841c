import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestServer } from '../helpers/server.js';

describe('ping retention', () => {
  it('keeps the newest OVERDUE_PING_RETENTION pings of each monitor', async () => {
    const s = await startTestServer({ OVERDUE_PING_RETENTION: '10' });
    try {
      const m = (await s.api('POST', '/v1/monitors', { name: 'chatty', expected_interval_sec: 60 })).json;
      for (let i = 0; i < 15; i++) {
        s.clock.advance(1);
        await s.app.inject({ method: 'POST', url: `/v1/ping/${m.ping_token}/log`, payload: `line ${i}`, headers: { 'content-type': 'text/plain' } });
      }
      let done = false;
      for (let i = 0; i < 10 && !done; i++) done = await s.pruner.tick();
      assert.ok(done);
      const pings = (await s.api('GET', `/v1/monitors/${m.id}/pings?limit=50`)).json;
      assert.equal(pings.total, 10);
      assert.equal(pings.items[0].body_preview, 'line 14');
      assert.equal(pings.items[9].body_preview, 'line 5');
      assert.equal(s.pruner.deletedTotal, 5);
    } finally {
      await s.close();
    }
  });

  it('refuses a retention below 10 pings', async () => {
    await assert.rejects(startTestServer({ OVERDUE_PING_RETENTION: '2' }), /OVERDUE_PING_RETENTION/);
  });
});

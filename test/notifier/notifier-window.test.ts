import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startReceiver } from '../helpers/http-receiver.js';
import { startTestServer } from '../helpers/server.js';

/** Polls until `done()` (10 ms steps), failing after `ms`. */
async function waitFor(done: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!done()) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('notifier delivery window', () => {
  it('keeps delivering to fast receivers while one delivery hangs, then records the hung one as a retry', async () => {
    const fast = await startReceiver({ body: 'ok' });
    const slow = await startReceiver({ silent: true });
    const server = await startTestServer({ OVERDUE_ALLOW_PRIVATE_TARGETS: 'true' });
    try {
      const slowChannel = (await server.api('POST', '/v1/channels', { name: 'slow', kind: 'webhook', config: { url: slow.url('/hook') } })).json;
      const fastChannel = (await server.api('POST', '/v1/channels', { name: 'fast', kind: 'webhook', config: { url: fast.url('/hook') } })).json;
      // The hung delivery is queued first, so it is in the first claim; 45 more than fill two windows of 20.
      const monitors = [];
      for (let i = 0; i < 46; i++) {
        const monitor = (await server.api('POST', '/v1/monitors', { name: `job-${i}`, expected_interval_sec: 60 })).json;
        await server.api('POST', `/v1/monitors/${monitor.id}/notification-rules`, { channel_id: (i === 0 ? slowChannel : fastChannel).id, event: 'on_fail' });
        monitors.push(monitor);
      }
      for (const m of monitors) assert.equal((await server.app.inject({ method: 'GET', url: `/v1/ping/${m.ping_token}/fail` })).statusCode, 200);

      const pass = server.notifier.tick();
      await waitFor(() => fast.received.length === 45, 5_000, 'the 45 fast deliveries');
      assert.equal(slow.received.length, 1, 'the slow receiver has the request and is not answering');
      let passDone = false;
      void pass.then(() => (passDone = true));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(passDone, false, 'the pass waits for the hung delivery');

      await slow.close(); // the receiver drops the connection: that delivery fails and is retried later
      assert.equal(await pass, 46);
      assert.equal(server.notifier.stats.sent, 45);
      assert.equal(server.notifier.stats.retried, 1);
      assert.equal(fast.received.length, 45, 'each fast alert sent once');
    } finally {
      await server.close();
      await fast.close();
      await slow.close();
    }
  });

  it('ends a pass with the error when outcomes cannot be recorded, after the deliveries in flight, claiming nothing more', async () => {
    const hook = await startReceiver({ silent: true });
    const server = await startTestServer({ OVERDUE_ALLOW_PRIVATE_TARGETS: 'true' });
    try {
      const channel = (await server.api('POST', '/v1/channels', { name: 'hook', kind: 'webhook', config: { url: hook.url('/hook') } })).json;
      for (let i = 0; i < 25; i++) {
        const monitor = (await server.api('POST', '/v1/monitors', { name: `job-${i}`, expected_interval_sec: 60 })).json;
        await server.api('POST', `/v1/monitors/${monitor.id}/notification-rules`, { channel_id: channel.id, event: 'on_fail' });
        await server.app.inject({ method: 'GET', url: `/v1/ping/${monitor.ping_token}/fail` });
      }
      const pass = server.notifier.tick();
      await waitFor(() => hook.received.length === 20, 5_000, 'the first window of 20');
      await server.store.close(); // every outcome from now on fails to be recorded
      await hook.close(); // and every delivery in flight fails
      const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('the pass never ended')), 5_000).unref());
      await assert.rejects(Promise.race([pass, timeout]), /the store is closed/);
      assert.equal(hook.received.length, 20, 'nothing claimed after the failure');
    } finally {
      await server.close();
      await hook.close();
    }
  });
});

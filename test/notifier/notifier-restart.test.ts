import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { startServer } from '../../src/runtime/server.js';
import { startReceiver } from '../helpers/http-receiver.js';
import { startTestServer, TEST_KEY } from '../helpers/server.js';

describe('notifier across a restart', () => {
  it('delivers an alert whose delivery was cut off by a restart exactly once, after the claim expires', async () => {
    const receiver = await startReceiver({ body: 'ok' });
    const url = receiver.url('/hook');

    const first = await startTestServer({ OVERDUE_ALLOW_PRIVATE_TARGETS: 'true' });
    try {
      const channel = (await first.api('POST', '/v1/channels', { name: 'hook', kind: 'webhook', config: { url } })).json;
      const monitor = (await first.api('POST', '/v1/monitors', { name: 'restart-me', expected_interval_sec: 60 })).json;
      await first.api('POST', `/v1/monitors/${monitor.id}/notification-rules`, { channel_id: channel.id, event: 'on_fail' });
      await first.app.inject({ method: 'GET', url: `/v1/ping/${monitor.ping_token}/fail` });
      // The first process claims the alert and goes away before recording a result.
      const now = first.clock.now();
      assert.equal((await first.store.claimNotifications(now, new Date(now.getTime() + 60_000), 10)).length, 1);
      await first.stop();

      const config = loadConfig({
        DATABASE_URL: `sqlite://${join(first.dir, 'overdue.db')}`,
        OVERDUE_BOOTSTRAP_API_KEY: TEST_KEY,
        OVERDUE_ALLOW_PRIVATE_TARGETS: 'true',
        LOG_LEVEL: 'silent',
      });
      const second = await startServer(config, { logger: silentLogger, clock: first.clock, listen: false, runScheduler: false });
      try {
        assert.equal(await second.notifier.tick(), 0, 'not while the dead claim still holds');
        first.clock.advance(60);
        assert.equal(await second.notifier.tick(), 1);
        assert.equal(await second.notifier.tick(), 0);
        assert.equal(receiver.received.length, 1);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(first.dir, { recursive: true, force: true });
      await receiver.close();
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startReceiver, type Receiver } from '../helpers/http-receiver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** A real webhook receiver on 127.0.0.1 whose answer status each test can set; it says 'ok' or 'nope' in plain text. */
const receiver = () => startReceiver({ headers: { 'content-type': 'text/plain' }, body: (status) => (status < 300 ? 'ok' : 'nope') });

describe('notifications end to end', () => {
  let s: TestServer;
  let hook: Receiver;
  before(async () => {
    s = await startTestServer({ OVERDUE_ALLOW_PRIVATE_TARGETS: 'true' });
    hook = await receiver();
  });
  after(async () => {
    await s.close();
    await hook.close();
  });

  async function watchedMonitor(name: string, events: string[]) {
    const channel = (await s.api('POST', '/v1/channels', { name: `${name}-hook`, kind: 'webhook', config: { url: hook.url('/hook') } })).json;
    const monitor = (await s.api('POST', '/v1/monitors', { name, expected_interval_sec: 60, grace_seconds: 0 })).json;
    for (const event of events) {
      const r = await s.api('POST', `/v1/monitors/${monitor.id}/notification-rules`, { channel_id: channel.id, event });
      assert.equal(r.status, 201, r.text);
    }
    return { channel, monitor };
  }

  it('sends exactly one down alert when a monitor misses its deadline, and one recovery alert', async () => {
    hook.received.length = 0;
    const { monitor } = await watchedMonitor('nightly', ['on_down', 'on_recovery']);
    s.clock.advance(61);
    await s.scheduler.tick();
    assert.equal(await s.notifier.tick(), 1);
    assert.equal(await s.notifier.tick(), 0, 'nothing is sent twice');
    assert.equal(hook.received.length, 1);
    const down = hook.received[0]!;
    assert.equal(down.method, 'POST');
    assert.equal(down.json.event, 'on_down');
    assert.equal(down.json.monitor.id, monitor.id);
    assert.match(down.json.summary, /nightly is DOWN/);

    s.clock.advance(30);
    await s.app.inject({ method: 'GET', url: `/v1/ping/${monitor.ping_token}` });
    await s.notifier.tick();
    assert.equal(hook.received.length, 2);
    assert.equal(hook.received[1]!.json.event, 'on_recovery');
    assert.equal(hook.received[1]!.json.down_for_seconds, 30);

    const log = (await s.api('GET', `/v1/notifications?monitor_id=${monitor.id}`)).json;
    assert.deepEqual(log.items.map((n: { event: string; status: string; response_code: number }) => [n.event, n.status, n.response_code]), [['on_recovery', 'sent', 200], ['on_down', 'sent', 200]]);
  });

  it('retries a failing receiver with backoff, then delivers once', async () => {
    hook.received.length = 0;
    const { monitor } = await watchedMonitor('flaky', ['on_fail']);
    hook.answer.status = 503;
    await s.app.inject({ method: 'GET', url: `/v1/ping/${monitor.ping_token}/fail` });
    await s.notifier.tick();
    let n = (await s.api('GET', `/v1/notifications?monitor_id=${monitor.id}`)).json.items[0];
    assert.equal(n.status, 'pending');
    assert.equal(n.attempts, 1);
    assert.equal(n.response_code, 503);
    assert.equal(n.next_attempt_at, new Date(s.clock.now().getTime() + 5000).toISOString(), 'first retry after 5 s');
    s.clock.advance(4);
    assert.equal(await s.notifier.tick(), 0, 'not before the backoff');
    hook.answer.status = 200;
    s.clock.advance(1);
    assert.equal(await s.notifier.tick(), 1);
    n = (await s.api('GET', `/v1/notifications?monitor_id=${monitor.id}`)).json.items[0];
    assert.equal(n.status, 'sent');
    assert.equal(n.attempts, 2);
    assert.equal(hook.received.length, 2);
  });

  it('marks a 4xx answer as a permanent failure shown on the channel, without retrying', async () => {
    hook.received.length = 0;
    const { monitor, channel } = await watchedMonitor('rejected', ['on_down']);
    hook.answer.status = 400;
    await s.app.inject({ method: 'GET', url: `/v1/ping/${monitor.ping_token}/1` });
    await s.notifier.tick();
    s.clock.advance(3600);
    assert.equal(await s.notifier.tick(), 0);
    assert.equal(hook.received.length, 1);
    const n = (await s.api('GET', `/v1/notifications?channel_id=${channel.id}`)).json.items[0];
    assert.equal(n.status, 'failed');
    assert.equal(n.response_code, 400);
    assert.ok((await s.api('GET', `/v1/channels/${channel.id}`)).json.last_error);
    hook.answer.status = 200;
  });

  it('delivers a notification claimed by a notifier that died, once its lease runs out, and only once', async () => {
    hook.received.length = 0;
    const { monitor } = await watchedMonitor('orphan', ['on_fail']);
    await s.app.inject({ method: 'GET', url: `/v1/ping/${monitor.ping_token}/fail` });
    const now = s.clock.now();
    // A notifier claims the row and dies before sending: nothing else may send it while the lease holds.
    assert.equal((await s.store.claimNotifications(now, new Date(now.getTime() + 60_000), 10)).length, 1);
    assert.equal(await s.notifier.tick(), 0);
    s.clock.advance(60);
    assert.equal(await s.notifier.tick(), 1);
    assert.equal(await s.notifier.tick(), 0);
    assert.equal(hook.received.length, 1);
    assert.equal((await s.api('GET', `/v1/notifications?monitor_id=${monitor.id}`)).json.items[0].attempts, 2);
  });

  it('repeats the down alert at the realert interval, at most 10 alerts per incident', async () => {
    hook.received.length = 0;
    const { monitor } = await watchedMonitor('stuck', ['on_down']);
    await s.api('PATCH', `/v1/monitors/${monitor.id}`, { realert_interval: 2 }); // hours
    await s.app.inject({ method: 'GET', url: `/v1/ping/${monitor.ping_token}/fail` });
    await s.notifier.tick();
    for (let i = 0; i < 12; i++) {
      s.clock.advance(2 * 3600);
      await s.scheduler.tick();
      await s.notifier.tick();
    }
    const mine = hook.received.filter((r) => r.json.monitor.id === monitor.id);
    assert.equal(mine.length, 10);
    assert.ok(mine.every((r) => r.json.event === 'on_down'));
    assert.match(mine[1]!.json.reason, /alert 2 of 10/);
    assert.match(mine[9]!.json.reason, /alert 10 of 10; no more until it recovers/);
    assert.equal((await s.api('GET', `/v1/monitors/${monitor.id}`)).json.realert_interval, 7200);
  });

  it('batches a job failing rapidly into at most one alert a minute per channel, saying how many it covers', async () => {
    hook.received.length = 0;
    const { monitor } = await watchedMonitor('jittery', ['on_fail']);
    const fail = () => s.app.inject({ method: 'GET', url: `/v1/ping/${monitor.ping_token}/fail` });
    const ok = () => s.app.inject({ method: 'GET', url: `/v1/ping/${monitor.ping_token}` });
    await fail();
    await s.notifier.tick();
    for (let i = 0; i < 4; i++) {
      s.clock.advance(5);
      await ok();
      await fail();
      await s.notifier.tick();
    }
    const mine = () => hook.received.filter((r) => r.json.monitor.id === monitor.id);
    assert.equal(mine().length, 1, 'only the first failure went out at once');
    s.clock.advance(40); // a minute after the first alert
    await s.notifier.tick();
    assert.equal(mine().length, 2);
    assert.equal(mine()[1]!.json.count, 4);
    assert.match(mine()[1]!.json.summary, /4 times/);
    const log = (await s.api('GET', `/v1/notifications?monitor_id=${monitor.id}`)).json;
    assert.deepEqual(log.items.map((n: { count: number; status: string }) => [n.count, n.status]), [[4, 'sent'], [1, 'sent']]);
  });

  it('alerts the default notification list for monitors without a notify setting, and named lists when set', async () => {
    hook.received.length = 0;
    const channel = (await s.api('POST', '/v1/channels', { name: 'list-member', kind: 'webhook', config: { url: hook.url('/hook') } })).json;
    assert.equal((await s.api('PATCH', '/v1/notification-lists/default', { channels: [channel.id] })).status, 200);
    const plain = (await s.api('POST', '/v1/monitors', { name: 'by-default', expected_interval_sec: 60 })).json;
    assert.deepEqual(plain.notify, { alerts: ['default'], events: { run: false, complete: false } });
    const unknown = await s.api('POST', '/v1/monitors', { name: 'orphan-list', expected_interval_sec: 60, notify: ['devops'] });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.error.field, 'notify');
    assert.equal((await s.api('GET', '/v1/monitors?limit=500')).json.items.some((m: { name: string }) => m.name === 'orphan-list'), false, 'nothing half-created');
    assert.equal((await s.api('POST', '/v1/notification-lists', { key: 'devops', name: 'DevOps', channels: [channel.id] })).status, 201);
    const routed = (await s.api('POST', '/v1/monitors', { name: 'routed', expected_interval_sec: 60, notify: { alerts: ['devops'], events: { complete: true } } })).json;
    assert.deepEqual(routed.notify, { alerts: ['devops'], events: { run: false, complete: true } });

    await s.app.inject({ method: 'GET', url: `/v1/ping/${plain.ping_token}/fail` });
    await s.app.inject({ method: 'GET', url: `/v1/ping/${routed.ping_token}/fail` });
    await s.notifier.tick();
    const ids = hook.received.map((r) => r.json.monitor.id);
    assert.ok(ids.includes(plain.id) && ids.includes(routed.id));
    // Empty the default list again so later tests' monitors stay quiet.
    await s.api('PATCH', '/v1/notification-lists/default', { channels: [] });
    await s.api('PATCH', `/v1/monitors/${routed.id}`, { notify: [] });
    assert.deepEqual((await s.api('GET', `/v1/monitors/${routed.id}`)).json.notify.alerts, ['default']);
    assert.equal((await s.api('DELETE', '/v1/notification-lists/default')).status, 409);
  });

  it('includes the end of the failing ping\'s output in the alert', async () => {
    hook.received.length = 0;
    const { monitor } = await watchedMonitor('verbose', ['on_fail']);
    const log = Array.from({ length: 50 }, (_, i) => `step ${i} ok`).join('\n') + '\nERROR: disk full\n';
    await s.app.inject({ method: 'POST', url: `/v1/ping/${monitor.ping_token}/1`, payload: log, headers: { 'content-type': 'text/plain' } });
    await s.notifier.tick();
    const tail: string = hook.received.find((r) => r.json.monitor.id === monitor.id)!.json.output_tail;
    assert.match(tail, /ERROR: disk full$/);
    assert.equal(tail.split('\n').length, 20, 'the last 20 lines');
  });

  it('notifies run and complete events to the lists that asked for them', async () => {
    hook.received.length = 0;
    const channel = (await s.api('POST', '/v1/channels', { name: 'lifecycle', kind: 'webhook', config: { url: hook.url('/hook') } })).json;
    await s.api('POST', '/v1/notification-lists', { key: 'lifecycle', channels: [channel.id] });
    const m = (await s.api('POST', '/v1/monitors', { name: 'chatty-job', expected_interval_sec: 3600, notify: { alerts: ['lifecycle'], events: { run: true, complete: true } } })).json;
    await s.app.inject({ method: 'GET', url: `/v1/ping/${m.ping_token}/start` });
    s.clock.advance(10);
    await s.app.inject({ method: 'GET', url: `/v1/ping/${m.ping_token}` });
    await s.notifier.tick();
    const events = hook.received.filter((r) => r.json.monitor.id === m.id).map((r) => r.json.event);
    assert.deepEqual(events.sort(), ['on_complete', 'on_run']);
    await s.api('PATCH', `/v1/monitors/${m.id}`, { notify: { alerts: ['lifecycle'] } });
    hook.received.length = 0;
    s.clock.advance(120);
    await s.app.inject({ method: 'GET', url: `/v1/ping/${m.ping_token}/start` });
    await s.notifier.tick();
    assert.equal(hook.received.filter((r) => r.json.monitor.id === m.id).length, 0, 'events off again');
  });

  it('resets a down monitor with an ok ping without a recovery alert', async () => {
    hook.received.length = 0;
    const { monitor } = await watchedMonitor('reset-me', ['on_down', 'on_recovery']);
    await s.app.inject({ method: 'GET', url: `/v1/ping/${monitor.ping_token}/fail` });
    await s.notifier.tick();
    const r = await s.app.inject({ method: 'GET', url: `/v1/ping/${monitor.ping_token}/ok` });
    assert.equal(JSON.parse(r.body).state, 'up');
    s.clock.advance(120);
    await s.notifier.tick();
    const mine = hook.received.filter((x) => x.json.monitor.id === monitor.id).map((x) => x.json.event);
    assert.deepEqual(mine, ['on_down']);
    const flips = (await s.api('GET', `/v1/monitors/${monitor.id}/flips`)).json.items;
    assert.equal(flips[0].reason, 'reset by an ok ping');
  });

  it('sends nothing for a paused monitor', async () => {
    hook.received.length = 0;
    const { monitor } = await watchedMonitor('sleepy', ['on_down', 'on_fail']);
    await s.api('POST', `/v1/monitors/${monitor.id}/pause`);
    await s.app.inject({ method: 'GET', url: `/v1/ping/${monitor.ping_token}/fail` });
    s.clock.advance(600);
    await s.scheduler.tick();
    await s.notifier.tick(); // other tests' monitors may alert now; this one must not
    assert.equal(hook.received.filter((r) => r.json.monitor.id === monitor.id).length, 0);
    assert.equal((await s.api('GET', `/v1/notifications?monitor_id=${monitor.id}`)).json.total, 0);
  });

  it('tests a channel on demand and reports the result', async () => {
    const channel = (await s.api('POST', '/v1/channels', { name: 'probe', kind: 'webhook', config: { url: hook.url('/hook') } })).json;
    const r = await s.api('POST', `/v1/channels/${channel.id}/test`);
    assert.equal(r.status, 200);
    assert.equal(r.json.ok, true);
    assert.equal(r.json.status, 200);
    assert.equal(hook.received.at(-1)!.json.event, 'test');
  });

  it('validates channels and rules with errors naming the field', async () => {
    const bad = await s.api('POST', '/v1/channels', { name: 'x', kind: 'carrier-pigeon', config: {} });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.field, 'kind');
    const noUrl = await s.api('POST', '/v1/channels', { name: 'y', kind: 'webhook', config: {} });
    assert.equal(noUrl.status, 400);
    assert.match(noUrl.json.error.field, /^config\.url/);
    const m = (await s.api('POST', '/v1/monitors', { name: 'rules', expected_interval_sec: 60 })).json;
    const wrongEvent = await s.api('POST', `/v1/monitors/${m.id}/notification-rules`, { channel_id: 'chn_x', event: 'on_party' });
    assert.equal(wrongEvent.status, 400);
    assert.equal(wrongEvent.json.error.field, 'event');
    const noChannel = await s.api('POST', `/v1/monitors/${m.id}/notification-rules`, { channel_id: 'chn_missing', event: 'on_down' });
    assert.equal(noChannel.status, 400);
    assert.equal(noChannel.json.error.field, 'channel_id');
  });
});

describe('outbound policy', () => {
  it('refuses to deliver to a loopback address unless private targets are allowed', async () => {
    const s = await startTestServer();
    const hook = await receiver();
    try {
      const channel = (await s.api('POST', '/v1/channels', { name: 'internal', kind: 'webhook', config: { url: hook.url('/hook') } })).json;
      const r = await s.api('POST', `/v1/channels/${channel.id}/test`);
      assert.equal(r.json.ok, false);
      assert.match(r.json.error, /private|loopback|blocked|not allowed/i);
      assert.equal(hook.received.length, 0, 'no connection was made');
    } finally {
      await s.close();
      await hook.close();
    }
  });
});

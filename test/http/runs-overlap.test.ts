/**
 * `overlap_policy: "alert"`: a start while another run of the monitor is open raises an `on_overlap`
 * notification, delivered by the real notifier to a real webhook receiver on 127.0.0.1, both to a channel
 * with an on_overlap rule and to the notification lists of the monitor's `notify`.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startReceiver, type Receiver, type Received } from '../helpers/http-receiver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('overlap alerts', () => {
  let s: TestServer;
  let hook: Receiver;
  before(async () => {
    s = await startTestServer({ OVERDUE_ALLOW_PRIVATE_TARGETS: 'true' });
    hook = await startReceiver({ status: 200, body: 'ok' });
  });
  after(async () => {
    await s.close();
    await hook.close();
  });
  beforeEach(() => hook.reset());

  const channel = async (path: string) => {
    const r = await s.api('POST', '/v1/channels', { name: `hook${path.replaceAll('/', '-')}`, kind: 'webhook', config: { url: hook.url(path) } });
    assert.equal(r.status, 201, r.text);
    return r.json.id as string;
  };
  const newMonitor = async (fields: Record<string, unknown>) => {
    const r = await s.api('POST', '/v1/monitors', { name: `overlap-${Math.random()}`, expected_interval_sec: 3600, ...fields });
    assert.equal(r.status, 201, r.text);
    return r.json;
  };
  const addRule = async (monitorId: string, channelId: string, event: string) => {
    const r = await s.api('POST', `/v1/monitors/${monitorId}/notification-rules`, { channel_id: channelId, event });
    assert.equal(r.status, 201, r.text);
  };
  const start = async (token: string, query = '') => {
    const r = await s.app.inject({ method: 'GET', url: `/v1/ping/${token}/start${query ? `?${query}` : ''}` });
    assert.equal(r.statusCode, 200, r.body);
  };
  /** Runs the notifier until `count` requests for `monitorId` reached the receiver (bounded: at most 2 s). */
  const delivered = async (monitorId: string, count: number): Promise<Received[]> => {
    const mine = () => hook.received.filter((r) => r.json?.monitor?.id === monitorId);
    for (let i = 0; i < 200 && mine().length < count; i++) {
      await s.notifier.tick();
      if (mine().length < count) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return mine();
  };
  const queued = async (monitorId: string): Promise<string[]> => (await s.api('GET', `/v1/notifications?monitor_id=${monitorId}`)).json.items.map((n: { event: string }) => n.event);

  it('delivers on_overlap to a channel with an on_overlap rule when a run starts during another', async () => {
    const chn = await channel('/rule');
    const m = await newMonitor({ overlap_policy: 'alert' });
    await addRule(m.id, chn, 'on_overlap');
    await start(m.ping_token, 'rid=first');
    s.clock.advance(5);
    await start(m.ping_token, 'rid=second');
    assert.equal((await s.api('GET', `/v1/monitors/${m.id}`)).json.running, 2);

    const [got] = await delivered(m.id, 1);
    assert.ok(got, 'an on_overlap notification reached the receiver');
    assert.equal(got.url, '/rule');
    assert.equal(got.headers['x-overdue-event'], 'on_overlap');
    assert.equal(got.json.event, 'on_overlap');
    assert.equal(got.json.monitor.state, 'running');
    assert.match(got.json.reason, /a run started while another run was still open/);
    await s.notifier.tick();
    assert.equal((await delivered(m.id, 1)).length, 1, 'sent once');
    const log = (await s.api('GET', `/v1/notifications?monitor_id=${m.id}`)).json.items;
    assert.deepEqual(log.map((n: { event: string; status: string }) => [n.event, n.status]), [['on_overlap', 'sent']]);
  });

  it('delivers on_overlap to the notification lists named in notify', async () => {
    const chn = await channel('/list');
    assert.equal((await s.api('POST', '/v1/notification-lists', { key: 'overlaps', channels: [chn] })).status, 201);
    const m = await newMonitor({ overlap_policy: 'alert', notify: ['overlaps'] });
    await start(m.ping_token, 'rid=one');
    s.clock.advance(5);
    await start(m.ping_token, 'rid=two');
    const got = await delivered(m.id, 1);
    assert.deepEqual(got.map((r) => [r.url, r.json.event]), [['/list', 'on_overlap']]);
  });

  it('raises nothing with the default policy "allow", nor for a repeated start of the same run, nor for one run after another', async () => {
    const chn = await channel('/quiet');
    const allow = await newMonitor({});
    const alerting = await newMonitor({ overlap_policy: 'alert' });
    for (const m of [allow, alerting]) await addRule(m.id, chn, 'on_overlap');

    await start(allow.ping_token, 'rid=a');
    await start(allow.ping_token, 'rid=b');
    assert.equal((await s.api('GET', `/v1/monitors/${allow.id}`)).json.running, 2);

    await start(alerting.ping_token, 'rid=same');
    s.clock.advance(1);
    await start(alerting.ping_token, 'rid=same');
    assert.equal((await s.api('GET', `/v1/monitors/${alerting.id}`)).json.running, 1, 'a repeated start is the same run');
    await s.app.inject({ method: 'GET', url: `/v1/ping/${alerting.ping_token}?rid=same` });
    s.clock.advance(1);
    await start(alerting.ping_token, 'rid=next');

    await s.notifier.tick();
    assert.deepEqual(await queued(allow.id), []);
    assert.deepEqual(await queued(alerting.id), []);
    assert.equal(hook.received.length, 0);
  });

  it('raises nothing while the monitor is paused', async () => {
    const chn = await channel('/paused');
    const m = await newMonitor({ overlap_policy: 'alert' });
    await addRule(m.id, chn, 'on_overlap');
    assert.equal((await s.api('POST', `/v1/monitors/${m.id}/pause`)).status, 200);
    await start(m.ping_token, 'rid=a');
    await start(m.ping_token, 'rid=b');
    await s.notifier.tick();
    assert.deepEqual(await queued(m.id), []);
  });
});

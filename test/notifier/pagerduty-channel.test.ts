import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChannelError, type NotificationMessage } from '../../src/notifier/channel.js';
import { OutboundHttp } from '../../src/notifier/outbound-http.js';
import { pagerDutyChannel } from '../../src/notifier/channels/pagerduty.js';
import { opsgenieChannel } from '../../src/notifier/channels/opsgenie.js';
import { assertInvalid } from '../helpers/assert-invalid.js';
import { startReceiver, type Receiver, type Received } from '../helpers/http-receiver.js';

// The incident kinds: PagerDuty (trigger/resolve by dedup_key) and Opsgenie (create/close by alias).

const ROUTING_KEY = 'R0UT1NGk3y0123456789abcdefWXYZ42';
const GENIE_KEY = 'eb243592-faa2-4ba2-a551-1afdf565c889';

function message(overrides: Partial<NotificationMessage> = {}, monitorId = 'mon_1'): NotificationMessage {
  return {
    idempotencyKey: `ntf_7:${monitorId}`,
    event: 'on_down',
    monitor: { id: monitorId, name: 'nightly backup', key: 'nightly-backup', url: `https://overdue.example/v1/monitors/${monitorId}`, state: 'down', tags: ['db'], schedule: '0 3 * * *', timezone: 'Europe/Berlin' },
    summary: 'nightly backup is DOWN: missed',
    reason: 'missed',
    occurredAt: new Date('2026-03-29T01:30:00.000Z'),
    lastPingAt: new Date('2026-03-28T01:00:05.000Z'),
    nextExpectedAt: new Date('2026-03-29T01:00:00.000Z'),
    downForSeconds: null,
    outputTail: 'line 1\nline 2',
    count: 1,
    ...overrides,
  };
}

describe('pagerduty and opsgenie channels', () => {
  const client = new OutboundHttp({ allowPrivate: true, timeoutMs: 2000 });
  let hook: Receiver;
  before(async () => {
    hook = await startReceiver({ status: 202, body: '{"status":"success"}' });
  });
  after(() => hook.close());

  const pd = () => pagerDutyChannel.parseConfig({ routing_key: ROUTING_KEY, api_url: hook.url() });
  const og = (extra: Record<string, unknown> = {}) => opsgenieChannel.parseConfig({ api_key: GENIE_KEY, api_url: hook.url(), ...extra });
  const bodies = () => hook.received.map((r) => JSON.parse(r.body));

  it('triggers a PagerDuty alert for a down monitor with what happened and a link', async () => {
    hook.received.length = 0;
    const result = await pagerDutyChannel.send(message(), pd(), client);
    assert.deepEqual(result, { status: 202, response: '{"status":"success"}' });
    const [request] = hook.received as [Received];
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/v2/enqueue');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(request.body), {
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: 'overdue-mon_1',
      payload: {
        summary: 'nightly backup is DOWN: missed', source: 'nightly-backup', severity: 'critical', timestamp: '2026-03-29T01:30:00.000Z', component: 'nightly backup', class: 'on_down',
        custom_details: {
          what_to_do: 'Check that the job ran and can reach Overdue; this clears with its next successful ping.',
          reason: 'missed', last_ping_at: '2026-03-28T01:00:05.000Z', next_expected_at: '2026-03-29T01:00:00.000Z', output_tail: 'line 1\nline 2', count: 1,
          monitor_url: 'https://overdue.example/v1/monitors/mon_1', schedule: '0 3 * * *', timezone: 'Europe/Berlin',
        },
      },
      client: 'Overdue',
      client_url: 'https://overdue.example/v1/monitors/mon_1',
      links: [{ href: 'https://overdue.example/v1/monitors/mon_1', text: 'nightly backup in Overdue' }],
    });
  });

  it('resolves with the dedup_key its trigger used, and keys another monitor apart', async () => {
    hook.received.length = 0;
    await pagerDutyChannel.send(message(), pd(), client);
    await pagerDutyChannel.send(message({ event: 'on_recovery', downForSeconds: 3700 }), pd(), client);
    await pagerDutyChannel.send(message({}, 'mon_2'), pd(), client);
    const [trigger, resolve, other] = bodies();
    assert.equal(trigger.event_action, 'trigger');
    assert.deepEqual(resolve, { routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: trigger.dedup_key });
    assert.equal(other.event_action, 'trigger');
    assert.equal(other.dedup_key, 'overdue-mon_2');
  });

  it('maps events to severities, keys a test apart from real alerts and refuses events that are not incidents', async () => {
    hook.received.length = 0;
    for (const event of ['on_fail', 'on_late', 'on_degraded', 'test'] as const) await pagerDutyChannel.send(message({ event }), pd(), client);
    assert.deepEqual(bodies().map((b) => [b.payload.severity, b.dedup_key]), [['critical', 'overdue-mon_1'], ['warning', 'overdue-mon_1'], ['warning', 'overdue-mon_1'], ['info', 'overdue-test-ntf_7:mon_1']]);
    await assert.rejects(pagerDutyChannel.send(message({ event: 'on_run' }), pd(), client), (err: unknown) => err instanceof ChannelError && err.permanent && /not an incident/.test(err.message));
    assert.equal(hook.received.length, 4, 'nothing sent for on_run');
  });

  it('keeps the end of a long output and a summary within 1024 characters', async () => {
    hook.received.length = 0;
    await pagerDutyChannel.send(message({ summary: 's'.repeat(2000), outputTail: `${'x'.repeat(9000)}THE END` }), pd(), client);
    const [body] = bodies();
    assert.equal(body.payload.summary.length, 1024);
    assert.equal(body.payload.custom_details.output_tail.length, 4000);
    assert.ok(body.payload.custom_details.output_tail.endsWith('THE END'));
  });

  it('creates an Opsgenie alert under the monitor alias and closes it by that alias', async () => {
    hook.received.length = 0;
    await opsgenieChannel.send(message({ summary: `${'long '.repeat(40)}summary` }), og(), client);
    await opsgenieChannel.send(message({ event: 'on_recovery', summary: 'nightly backup has RECOVERED after 1h 1m down' }), og(), client);
    const [create, close] = hook.received as [Received, Received];
    assert.equal(create.method, 'POST');
    assert.equal(create.url, '/v2/alerts');
    assert.equal(create.headers.authorization, `GenieKey ${GENIE_KEY}`);
    const alert = JSON.parse(create.body);
    assert.deepEqual(Object.keys(alert), ['message', 'alias', 'description', 'details', 'entity', 'tags', 'source', 'priority']);
    assert.equal(alert.message.length, 130);
    assert.equal(alert.alias, 'overdue-mon_1');
    assert.equal(alert.priority, 'P2');
    assert.deepEqual(alert.tags, ['overdue', 'db']);
    assert.deepEqual(alert.details, {
      event: 'on_down', monitor: 'nightly backup', monitor_key: 'nightly-backup', monitor_url: 'https://overdue.example/v1/monitors/mon_1', reason: 'missed',
      occurred_at: '2026-03-29T01:30:00.000Z', last_ping_at: '2026-03-28T01:00:05.000Z', next_expected_at: '2026-03-29T01:00:00.000Z', count: '1',
    });
    for (const part of ['Reason: missed', 'Last ping: 2026-03-28 01:00:05 UTC', 'Next expected: 2026-03-29 01:00:00 UTC', 'line 1\nline 2', 'Monitor: https://overdue.example/v1/monitors/mon_1']) {
      assert.ok(alert.description.includes(part), part);
    }
    assert.equal(close.method, 'POST');
    assert.equal(close.url, '/v2/alerts/overdue-mon_1/close?identifierType=alias');
    assert.equal(close.headers.authorization, `GenieKey ${GENIE_KEY}`);
    assert.deepEqual(JSON.parse(close.body), { source: 'Overdue', note: 'nightly backup has RECOVERED after 1h 1m down' });
  });

  it('uses the configured Opsgenie priority, and gives a test its own alias', async () => {
    hook.received.length = 0;
    await opsgenieChannel.send(message({ event: 'on_late' }), og(), client);
    await opsgenieChannel.send(message({ event: 'on_late' }), og({ priority: 'p1' }), client);
    await opsgenieChannel.send(message({ event: 'test' }), og(), client);
    assert.deepEqual(bodies().map((b) => [b.priority, b.alias]), [['P3', 'overdue-mon_1'], ['P1', 'overdue-mon_1'], ['P5', 'overdue-test-ntf_7:mon_1']]);
  });

  const statuses: Array<[number, 'ok' | 'transient' | 'permanent']> = [[200, 'ok'], [202, 'ok'], [400, 'permanent'], [401, 'permanent'], [429, 'transient'], [500, 'transient'], [503, 'transient']];
  for (const [name, send, secret] of [
    ['pagerduty', () => pagerDutyChannel.send(message(), pd(), client), ROUTING_KEY],
    ['opsgenie', () => opsgenieChannel.send(message(), og(), client), GENIE_KEY],
  ] as const) {
    for (const [status, outcome] of statuses) {
      it(`${name}: HTTP ${status} is ${outcome}, and an echoed key never reaches the error`, async () => {
        Object.assign(hook.answer, { status, body: `{"errors":["bad key ${secret}"]}` });
        try {
          if (outcome === 'ok') {
            const result = await send();
            assert.equal(result.status, status);
            assert.ok(!String(result.response).includes(secret));
          } else {
            await assert.rejects(send(), (err: unknown) => {
              assert.ok(err instanceof ChannelError);
              assert.equal(err.permanent, outcome === 'permanent');
              assert.equal(err.status, status);
              assert.match(err.message, new RegExp(`HTTP ${status}`));
              assert.ok(!err.message.includes(secret), err.message);
              return true;
            });
          }
        } finally {
          hook.reset();
        }
      });
    }
  }

  it('normalizes configs, accepts its own output, and redacts the keys', () => {
    const p = pagerDutyChannel.parseConfig({ routing_key: ROUTING_KEY });
    assert.deepEqual(p, { routing_key: ROUTING_KEY, api_url: 'https://events.pagerduty.com' });
    assert.deepEqual(pagerDutyChannel.parseConfig(p), p);
    assert.deepEqual(pagerDutyChannel.parseConfig({ routing_key: ROUTING_KEY, api_url: 'https://events.eu.pagerduty.com/' }).api_url, 'https://events.eu.pagerduty.com');
    assert.deepEqual(pagerDutyChannel.redact(p), { routing_key: '…YZ42', api_url: 'https://events.pagerduty.com/' });
    const o = opsgenieChannel.parseConfig({ api_key: GENIE_KEY, api_url: 'https://api.eu.opsgenie.com', priority: 'P4' });
    assert.deepEqual(opsgenieChannel.parseConfig(o), o);
    assert.deepEqual(opsgenieChannel.redact(o), { api_key: '…c889', api_url: 'https://api.eu.opsgenie.com/', priority: 'P4' });
    for (const shown of [pagerDutyChannel.redact(p), opsgenieChannel.redact(o)]) {
      const text = JSON.stringify(shown);
      assert.ok(!text.includes(ROUTING_KEY) && !text.includes(GENIE_KEY), text);
    }
  });

  const bad: Array<[() => unknown, string, RegExp]> = [
    [() => pagerDutyChannel.parseConfig({}), 'config.routing_key', /required/],
    [() => pagerDutyChannel.parseConfig({ routing_key: 'short' }), 'config.routing_key', /32-character/],
    [() => pagerDutyChannel.parseConfig({ routing_key: ROUTING_KEY, api_url: 'ftp://events.example' }), 'config.api_url', /http/],
    [() => pagerDutyChannel.parseConfig({ routing_key: ROUTING_KEY, api_url: 'https://x.example/?a=1' }), 'config.api_url', /query/],
    [() => pagerDutyChannel.parseConfig({ routing_key: ROUTING_KEY, service_key: 'x' }), 'config.service_key', /not a pagerduty setting/],
    [() => pagerDutyChannel.parseConfig('key'), 'config', /object/],
    [() => opsgenieChannel.parseConfig({}), 'config.api_key', /required/],
    [() => opsgenieChannel.parseConfig({ api_key: 'has spaces in it!' }), 'config.api_key', /API key/],
    [() => opsgenieChannel.parseConfig({ api_key: GENIE_KEY, priority: 'P6' }), 'config.priority', /P1, P2, P3, P4, P5/],
    [() => opsgenieChannel.parseConfig({ api_key: GENIE_KEY, api_url: 'not a url' }), 'config.api_url', /valid URL/],
  ];
  for (const [fn, field, msg] of bad) it(`rejects a bad config naming ${field} (${msg.source})`, () => assertInvalid(fn, field, msg));
});

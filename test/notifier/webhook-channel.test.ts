import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ChannelError, type NotificationMessage } from '../../src/notifier/channel.js';
import { OutboundHttp } from '../../src/notifier/outbound-http.js';
import { webhookChannel, type WebhookConfig } from '../../src/notifier/channels/webhook.js';
import { assertInvalid } from '../helpers/assert-invalid.js';
import { startReceiver, type Receiver, type Received } from '../helpers/http-receiver.js';

const SECRET = 'whsec_0123456789abcdefWXYZ';

function message(overrides: Partial<NotificationMessage> = {}): NotificationMessage {
  return {
    idempotencyKey: 'ntf_01J9Z3:chn_42',
    event: 'on_down',
    monitor: { id: 'mon_1', name: 'nightly "backup"', key: 'nightly-backup', url: 'https://overdue.example/v1/monitors/mon_1', state: 'down', tags: ['db', 'prod'], schedule: '0 3 * * *', timezone: 'Europe/Berlin' },
    summary: 'nightly "backup" is DOWN:\n no ping \\ within grace',
    reason: null,
    occurredAt: new Date('2026-03-29T01:30:00.000Z'),
    lastPingAt: new Date('2026-03-28T01:00:05.000Z'),
    nextExpectedAt: null,
    downForSeconds: null,
    outputTail: 'line 1\nline 2 "quoted"',
    count: 1,
    ...overrides,
  };
}

/** The check a receiver would run: HMAC over "<timestamp>.<raw body>", compared in constant time. */
function verifySignature(secret: string, received: Received): boolean {
  const timestamp = String(received.headers['x-overdue-timestamp']);
  const signature = String(received.headers['x-overdue-signature'] ?? '');
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${received.body}`).digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('webhook channel', () => {
  const client = new OutboundHttp({ allowPrivate: true, timeoutMs: 2000 });
  let hook: Receiver;
  before(async () => {
    hook = await startReceiver();
  });
  after(() => hook.close());

  async function deliver(config: Record<string, unknown>, msg = message(), status = 200, body = 'thanks') {
    hook.reset({ status, body });
    const result = await webhookChannel.send(msg, webhookChannel.parseConfig({ url: hook.url('/hook'), ...config }), client);
    assert.equal(hook.received.length, 1);
    return { result, request: hook.received[0] as Received };
  }

  it('POSTs the stable default JSON document with the event headers', async () => {
    const sentAfter = Math.floor(Date.now() / 1000);
    const { result, request } = await deliver({});
    assert.deepEqual(result, { status: 200, response: 'thanks' });
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/hook');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers['x-overdue-event'], 'on_down');
    assert.equal(request.headers['x-overdue-idempotency-key'], 'ntf_01J9Z3:chn_42');
    const ts = Number(request.headers['x-overdue-timestamp']);
    assert.ok(ts >= sentAfter && ts <= Math.floor(Date.now() / 1000), `timestamp ${ts}`);
    assert.equal(request.headers['x-overdue-signature'], undefined);
    const m = message();
    const doc = JSON.parse(request.body);
    const expected = {
      event: 'on_down', summary: m.summary, reason: null, occurred_at: '2026-03-29T01:30:00.000Z', count: 1, idempotency_key: m.idempotencyKey,
      monitor: { id: 'mon_1', name: 'nightly "backup"', key: 'nightly-backup', url: m.monitor.url, state: 'down', tags: ['db', 'prod'], schedule: '0 3 * * *', timezone: 'Europe/Berlin' },
      last_ping_at: '2026-03-28T01:00:05.000Z', next_expected_at: null, down_for_seconds: null, output_tail: m.outputTail,
    };
    assert.deepEqual(doc, expected);
    assert.deepEqual(Object.keys(doc), Object.keys(expected), 'keys in a stable order');
  });

  it('signs "<timestamp>.<body>" with HMAC-SHA256 so a receiver can verify it, and a tampered body fails', async () => {
    const { request } = await deliver({ secret: SECRET });
    assert.match(String(request.headers['x-overdue-signature']), /^sha256=[0-9a-f]{64}$/);
    assert.equal(verifySignature(SECRET, request), true);
    assert.equal(verifySignature(SECRET, { ...request, body: request.body.replace('on_down', 'on_recovery') }), false);
    assert.equal(verifySignature('another-secret-of-16+', request), false);
  });

  it('uses the configured method and custom headers', async () => {
    const { request } = await deliver({ method: 'put', headers: { Authorization: 'Bearer abcdefgh12345678', 'X-Team': 'ops' } });
    assert.equal(request.method, 'PUT');
    assert.equal(request.headers.authorization, 'Bearer abcdefgh12345678');
    assert.equal(request.headers['x-team'], 'ops');
    assert.equal(request.headers['content-type'], 'application/json');
  });

  it('sends GET without a body and signs the empty body', async () => {
    const { request } = await deliver({ method: 'GET', secret: SECRET });
    assert.equal(request.method, 'GET');
    assert.equal(request.body, '');
    assert.equal(request.headers['content-type'], undefined);
    assert.equal(verifySignature(SECRET, request), true);
  });

  it('fills a JSON template with JSON-escaped values that survive quotes, backslashes and newlines', async () => {
    const template = '{"text": "{{ summary }}", "n": {{count}}, "why": "{{reason}}", "tail": "{{output_tail}}", "tags": "{{monitor.tags}}", "at": "{{occurred_at}}"}';
    const m = message({ count: 3 });
    const { request } = await deliver({ template, secret: SECRET }, m);
    assert.deepEqual(JSON.parse(request.body), { text: m.summary, n: 3, why: '', tail: m.outputTail, tags: 'db, prod', at: '2026-03-29T01:30:00.000Z' });
    assert.equal(verifySignature(SECRET, request), true);
  });

  it('fills a non-JSON template verbatim under its own Content-Type', async () => {
    const { request } = await deliver({ headers: { 'content-type': 'text/plain; charset=utf-8' }, template: '{{monitor.name}}: {{event}} x{{count}}' });
    assert.equal(request.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(request.body, 'nightly "backup": on_down x1');
  });

  const statuses: Array<[number, 'permanent' | 'transient']> = [
    [400, 'permanent'], [401, 'permanent'], [403, 'permanent'], [404, 'permanent'], [410, 'permanent'], [422, 'permanent'], [302, 'permanent'],
    [408, 'transient'], [429, 'transient'], [500, 'transient'], [502, 'transient'], [503, 'transient'],
  ];
  for (const [status, kind] of statuses) {
    it(`treats HTTP ${status} as a ${kind} failure`, async () => {
      await assert.rejects(deliver({}, message(), status, 'nope'), (err: unknown) => {
        assert.ok(err instanceof ChannelError);
        assert.equal(err.permanent, kind === 'permanent');
        assert.equal(err.status, status);
        assert.match(err.message, new RegExp(`HTTP ${status}`));
        return true;
      });
    });
  }

  it('accepts any 2xx and keeps only the start of the answer', async () => {
    const { result } = await deliver({}, message(), 202, 'y'.repeat(5000));
    assert.equal(result.status, 202);
    assert.equal(result.response?.length, 1024);
    const empty = await deliver({}, message(), 204, '');
    assert.deepEqual(empty.result, { status: 204, response: null });
  });

  it('makes a blocked target a permanent failure and a timeout a transient one', async () => {
    const config = webhookChannel.parseConfig({ url: hook.url('/hook') });
    await assert.rejects(webhookChannel.send(message(), config, new OutboundHttp({ timeoutMs: 2000 })), (err: unknown) => err instanceof ChannelError && err.permanent && err.status === null && /blocked|loopback/.test(err.message));

    const silent = await startReceiver({ silent: true });
    try {
      const slow = webhookChannel.parseConfig({ url: silent.url('/') });
      await assert.rejects(webhookChannel.send(message(), slow, new OutboundHttp({ allowPrivate: true, timeoutMs: 150 })), (err: unknown) => err instanceof ChannelError && !err.permanent && err.status === null);
    } finally {
      await silent.close();
    }
  });
});

describe('webhook config', () => {
  it('normalizes defaults and accepts its own output unchanged', () => {
    const config = webhookChannel.parseConfig({ url: 'https://hooks.example.com/x' });
    assert.deepEqual(config, { url: 'https://hooks.example.com/x', method: 'POST', headers: {}, secret: null, template: null });
    const full = webhookChannel.parseConfig({ url: 'https://hooks.example.com/x', method: 'patch', headers: { 'X-A': '1' }, secret: SECRET, template: '{"t":"{{summary}}"}' });
    assert.deepEqual(webhookChannel.parseConfig(JSON.parse(JSON.stringify(full))), full);
  });

  it('redacts the secret, secret-looking headers, userinfo, query and path tokens', () => {
    const config: WebhookConfig = webhookChannel.parseConfig({
      url: 'https://bot:pw@hooks.example.com/services/T0123/abcdefghijklmnopqrstWXYZ?token=1',
      headers: { Authorization: 'Bearer abcdefgh12345678', 'X-Api-Key': 'k-0123456789-9876', 'X-Session-Token': 'short', Accept: 'text/plain' },
      secret: SECRET,
    });
    const shown = webhookChannel.redact(config);
    assert.deepEqual(shown, {
      url: 'https://…@hooks.example.com/services/T0123/…WXYZ?…',
      method: 'POST',
      headers: { Authorization: '…5678', 'X-Api-Key': '…9876', 'X-Session-Token': '…', Accept: 'text/plain' },
      secret: '…WXYZ',
      template: null,
    });
    const text = JSON.stringify(shown);
    for (const secret of [SECRET, 'abcdefgh12345678', 'pw@', 'token=1', 'abcdefghijklmnop']) assert.ok(!text.includes(secret), secret);
  });

  const bad: Array<[input: unknown, field: string, message: RegExp]> = [
    ['https://x', 'config', /object/],
    [{}, 'config.url', /required/],
    [{ url: 'ftp://example.com/' }, 'config.url', /http/],
    [{ url: 'not a url' }, 'config.url', /valid URL/],
    [{ url: `https://example.com/${'a'.repeat(2100)}` }, 'config.url', /2048/],
    [{ url: 'https://example.com', method: 'DELETE' }, 'config.method', /POST, PUT, PATCH, GET/],
    [{ url: 'https://example.com', headers: ['a'] }, 'config.headers', /object/],
    [{ url: 'https://example.com', headers: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, 'v'])) }, 'config.headers', /20/],
    [{ url: 'https://example.com', headers: { 'Bad Name': 'v' } }, 'config.headers', /valid header name/],
    [{ url: 'https://example.com', headers: { Host: 'evil' } }, 'config.headers', /set by Overdue/],
    [{ url: 'https://example.com', headers: { 'content-length': '1' } }, 'config.headers', /set by Overdue/],
    [{ url: 'https://example.com', headers: { 'X-Overdue-Signature': 'x' } }, 'config.headers', /set by Overdue/],
    [{ url: 'https://example.com', headers: { 'X-A': '1', 'x-a': '2' } }, 'config.headers', /twice/],
    [{ url: 'https://example.com', headers: { 'X-A': 'a\r\nInjected: 1' } }, 'config.headers', /line breaks/],
    [{ url: 'https://example.com', headers: { 'X-A': 5 } }, 'config.headers', /string/],
    [{ url: 'https://example.com', secret: 'short' }, 'config.secret', /16/],
    [{ url: 'https://example.com', template: 'x'.repeat(10_001) }, 'config.template', /10000/],
    [{ url: 'https://example.com', template: '{"a":"{{monitor.nmae}}"}' }, 'config.template', /unknown placeholder \{\{monitor\.nmae\}\}/],
    [{ url: 'https://example.com', template: '{"a": {{summary}}}' }, 'config.template', /not valid JSON/],
    [{ url: 'https://example.com', template: '{"down": {{down_for_seconds}}}' }, 'config.template', /not valid JSON/],
    [{ url: 'https://example.com', method: 'GET', template: '{}' }, 'config.template', /GET/],
    [{ url: 'https://example.com', secrett: SECRET }, 'config.secrett', /not a webhook setting/],
  ];
  for (const [input, field, msg] of bad) {
    it(`rejects ${JSON.stringify(input).slice(0, 90)} naming ${field}`, () => assertInvalid(() => webhookChannel.parseConfig(input), field, msg));
  }
});

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChannelError, type ChannelKind, type NotificationMessage } from '../../src/notifier/channel.js';
import { OutboundHttp } from '../../src/notifier/outbound-http.js';
import { ntfyChannel } from '../../src/notifier/channels/ntfy.js';
import { pushoverChannel } from '../../src/notifier/channels/pushover.js';
import { gotifyChannel } from '../../src/notifier/channels/gotify.js';
import { telegramChannel } from '../../src/notifier/channels/telegram.js';
import { matrixChannel } from '../../src/notifier/channels/matrix.js';
import { assertInvalid } from '../helpers/assert-invalid.js';
import { startReceiver, type Receiver, type Received } from '../helpers/http-receiver.js';

const NTFY_TOKEN = 'tk_ntfyaccesstoken0123456789QWER';
const PUSHOVER_TOKEN = 'azGDORePK8gMaC0QOYAMyEEuzJnyUi';
const PUSHOVER_USER = 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG';
const GOTIFY_TOKEN = 'AvKcy9o-yvVhyKd';
const BOT_TOKEN = '123456789:AHdqTcvCH1vGWJxfSeofSAs0K5PALDsZqXw';
const MATRIX_TOKEN = 'syt_b3ZlcmR1ZQ_matrixaccesstoken_0a1b2c';

function message(overrides: Partial<NotificationMessage> = {}): NotificationMessage {
  return {
    idempotencyKey: 'ntf_01J9Z3:chn_42',
    event: 'on_fail',
    monitor: { id: 'mon_1', name: 'nightly <backup> & co', key: 'nightly-backup', url: 'https://overdue.example/v1/monitors/mon_1', state: 'down', tags: ['db'], schedule: '0 3 * * *', timezone: 'UTC' },
    summary: 'nightly <backup> & co reported a FAILURE: exit code 2',
    reason: 'exit code 2 <stderr>',
    occurredAt: new Date('2026-03-29T01:30:00.000Z'),
    lastPingAt: new Date('2026-03-29T01:29:55.000Z'),
    nextExpectedAt: new Date('2026-03-30T03:00:00.000Z'),
    downForSeconds: null,
    outputTail: 'pg_dump: error: <connection> refused & gave up',
    count: 3,
    ...overrides,
  };
}

describe('push channels (ntfy, pushover, gotify, telegram, matrix)', () => {
  const client = new OutboundHttp({ allowPrivate: true, timeoutMs: 2000 });
  let hook: Receiver;
  before(async () => {
    hook = await startReceiver({ body: '{"ok":true}' });
  });
  after(() => hook.close());

  const kinds = {
    ntfy: [ntfyChannel, () => ({ server: hook.url('/ntfy'), topic: 'overdue-alerts_42', token: NTFY_TOKEN }), [NTFY_TOKEN, 'overdue-alerts_42']],
    pushover: [pushoverChannel, () => ({ token: PUSHOVER_TOKEN, user: PUSHOVER_USER, api_url: hook.url() }), [PUSHOVER_TOKEN, PUSHOVER_USER]],
    gotify: [gotifyChannel, () => ({ server: hook.url(), token: GOTIFY_TOKEN }), [GOTIFY_TOKEN]],
    telegram: [telegramChannel, () => ({ bot_token: BOT_TOKEN, chat_id: -1001234567890, api_url: hook.url() }), [BOT_TOKEN]],
    matrix: [matrixChannel, () => ({ homeserver: hook.url(), access_token: MATRIX_TOKEN, room_id: '!ops:example.org' }), [MATRIX_TOKEN]],
  } as const;

  async function deliver(name: keyof typeof kinds, msg = message(), extra: Record<string, unknown> = {}): Promise<Received> {
    const [kind, config] = kinds[name] as unknown as [ChannelKind, () => Record<string, unknown>];
    hook.received.length = 0;
    await kind.send(msg, kind.parseConfig({ ...config(), ...extra }), client);
    assert.equal(hook.received.length, 1);
    return hook.received[0] as Received;
  }

  it('ntfy: publishes JSON to the server root with the token as Bearer', async () => {
    const request = await deliver('ntfy');
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/ntfy/');
    assert.equal(request.headers.authorization, `Bearer ${NTFY_TOKEN}`);
    const body = JSON.parse(request.body);
    assert.deepEqual({ ...body, message: undefined }, {
      topic: 'overdue-alerts_42', title: message().summary, message: undefined, priority: 4, tags: ['x', 'db'], click: 'https://overdue.example/v1/monitors/mon_1',
    });
    assert.equal(body.message, [
      'The job reported a failure: read its output and logs, fix the cause and re-run it.', '',
      'Reason: exit code 2 <stderr>', 'Occurred at: 2026-03-29 01:30:00 UTC', 'Last ping: 2026-03-29 01:29:55 UTC', 'Next expected: 2026-03-30 03:00:00 UTC', 'Alerts in this batch: 3', '',
      'Output (last lines):', 'pg_dump: error: <connection> refused & gave up', '',
      'Monitor: https://overdue.example/v1/monitors/mon_1',
    ].join('\n'));
  });

  it('ntfy: a recovery says how long it was down at default priority; a long output keeps its end within 4096 bytes', async () => {
    const recovery = JSON.parse((await deliver('ntfy', message({ event: 'on_recovery', downForSeconds: 5400, reason: null, outputTail: null }), { priority: 5 })).body);
    assert.equal(recovery.priority, 3);
    assert.match(recovery.message, /^No action needed\.\n\n(.|\n)*Down for: 1h 30m/);
    const long = JSON.parse((await deliver('ntfy', message({ outputTail: `${'é🔥'.repeat(3000)}LAST LINE` }))).body);
    assert.ok(Buffer.byteLength(long.message) <= 4096, String(Buffer.byteLength(long.message)));
    assert.match(long.message, /…🔥?(é🔥)+LAST LINE\n\nMonitor: /u);
  });

  it('pushover: posts the form with title, message, link, priority and the time it happened', async () => {
    const request = await deliver('pushover', message({ outputTail: `${'x'.repeat(5000)}END` }), { priority: -1 });
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/1/messages.json');
    assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded');
    const form = Object.fromEntries(new URLSearchParams(request.body));
    assert.deepEqual({ ...form, message: undefined }, {
      token: PUSHOVER_TOKEN, user: PUSHOVER_USER, title: message().summary, message: undefined, priority: '-1', timestamp: '1774747800',
      url: 'https://overdue.example/v1/monitors/mon_1', url_title: 'Open nightly <backup> & co in Overdue',
    });
    assert.ok((form.message as string).length <= 1024);
    assert.match(form.message as string, /Reason: exit code 2 <stderr>(.|\n)*…x+END$/);
  });

  it('gotify: posts to /message with the token in X-Gotify-Key, never in the query string', async () => {
    const request = await deliver('gotify', message({ event: 'on_down' }));
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/message');
    assert.equal(request.headers['x-gotify-key'], GOTIFY_TOKEN);
    const body = JSON.parse(request.body);
    assert.deepEqual({ ...body, message: undefined }, {
      title: message().summary, message: undefined, priority: 8,
      extras: { 'client::display': { contentType: 'text/plain' }, 'client::notification': { click: { url: 'https://overdue.example/v1/monitors/mon_1' } } },
    });
    assert.match(body.message, /^Check that the job ran(.|\n)*Last ping: 2026-03-29 01:29:55 UTC(.|\n)*Monitor: https:/);
  });

  it('telegram: sends escaped HTML to /bot<token>/sendMessage without a link preview', async () => {
    const request = await deliver('telegram');
    assert.equal(request.method, 'POST');
    assert.equal(request.url, `/bot${BOT_TOKEN}/sendMessage`);
    const body = JSON.parse(request.body);
    assert.deepEqual({ ...body, text: undefined }, { chat_id: '-1001234567890', text: undefined, parse_mode: 'HTML', link_preview_options: { is_disabled: true } });
    assert.ok(body.text.startsWith('<b>nightly &lt;backup&gt; &amp; co reported a FAILURE: exit code 2</b>\n'), body.text);
    assert.ok(body.text.includes('<b>Reason:</b> exit code 2 &lt;stderr&gt;'));
    assert.ok(body.text.includes('<pre>pg_dump: error: &lt;connection&gt; refused &amp; gave up</pre>'));
    assert.ok(body.text.endsWith('<a href="https://overdue.example/v1/monitors/mon_1">Open nightly &lt;backup&gt; &amp; co in Overdue</a>'));
    assert.ok(!/<(?!\/?(b|pre|a)[ >])/.test(body.text), 'only our own tags');
  });

  it('telegram: a long output is cut so the visible text stays within 4096 characters', async () => {
    const body = JSON.parse((await deliver('telegram', message({ outputTail: `${'<&>'.repeat(3000)}THE END` }))).body);
    const visible = body.text.replace(/<[^>]*>/g, '').replace(/&(amp|lt|gt|quot);/g, '.');
    assert.ok(visible.length <= 4096, String(visible.length));
    assert.match(body.text, /<pre>…(&lt;|&amp;|&gt;)+THE END<\/pre>/);
  });

  it('matrix: PUTs an m.text event with HTML, using the idempotency key as the transaction id', async () => {
    const request = await deliver('matrix');
    assert.equal(request.method, 'PUT');
    assert.equal(request.url, '/_matrix/client/v3/rooms/!ops%3Aexample.org/send/m.room.message/ntf_01J9Z3%3Achn_42');
    assert.equal(request.headers.authorization, `Bearer ${MATRIX_TOKEN}`);
    const event = JSON.parse(request.body);
    assert.deepEqual(Object.keys(event), ['msgtype', 'body', 'format', 'formatted_body']);
    assert.equal(event.msgtype, 'm.text');
    assert.equal(event.format, 'org.matrix.custom.html');
    assert.ok(event.body.startsWith('nightly <backup> & co reported a FAILURE: exit code 2\n'));
    assert.ok(event.formatted_body.startsWith('<b>nightly &lt;backup&gt; &amp; co reported a FAILURE: exit code 2</b><br>\n'));
    assert.ok(event.formatted_body.includes('<pre>pg_dump: error: &lt;connection&gt; refused &amp; gave up</pre>'));
    const again = await deliver('matrix');
    assert.equal(again.url, request.url, 'a re-send reuses the transaction id, so the homeserver de-duplicates it');
    assert.notEqual((await deliver('matrix', message({ idempotencyKey: 'ntf_other' }))).url, request.url);
  });

  const statuses: Array<[number, 'ok' | 'transient' | 'permanent']> = [[200, 'ok'], [400, 'permanent'], [403, 'permanent'], [429, 'transient'], [500, 'transient']];
  for (const name of Object.keys(kinds) as Array<keyof typeof kinds>) {
    for (const [status, outcome] of statuses) {
      it(`${name}: HTTP ${status} is ${outcome}, and echoed secrets never reach the error or the log`, async () => {
        const secrets = kinds[name][2] as readonly string[];
        Object.assign(hook.answer, { status, body: `{"error":"echo ${secrets.join(' ')}"}` });
        try {
          if (outcome === 'ok') {
            const [kind, config] = kinds[name] as unknown as [ChannelKind, () => Record<string, unknown>];
            const result = await kind.send(message(), kind.parseConfig(config()), client);
            assert.equal(result.status, 200);
            for (const secret of secrets) assert.ok(!String(result.response).includes(secret));
          } else {
            await assert.rejects(deliver(name), (err: unknown) => {
              assert.ok(err instanceof ChannelError);
              assert.equal(err.permanent, outcome === 'permanent');
              assert.equal(err.status, status);
              for (const secret of secrets) assert.ok(!err.message.includes(secret), err.message);
              return true;
            });
          }
        } finally {
          hook.reset();
        }
      });
    }
  }

  it('telegram: a transport error names the URL without any part of the bot token', async () => {
    const closed = await startReceiver();
    await closed.close();
    const config = telegramChannel.parseConfig({ bot_token: BOT_TOKEN, chat_id: '@overdue_alerts', api_url: closed.url() });
    await assert.rejects(telegramChannel.send(message(), config, client), (err: unknown) => {
      assert.ok(err instanceof ChannelError && !err.permanent && err.status === null);
      assert.ok(err.message.includes('/bot…/sendMessage'), err.message);
      assert.ok(!err.message.includes('ZqXw') && !err.message.includes('123456789'), err.message);
      return true;
    });
  });

  it('redacts every secret, and parseConfig accepts its own output', () => {
    for (const name of Object.keys(kinds) as Array<keyof typeof kinds>) {
      const [kind, config, secrets] = kinds[name] as unknown as [ChannelKind, () => Record<string, unknown>, string[]];
      const parsed = kind.parseConfig(config());
      assert.deepEqual(kind.parseConfig(JSON.parse(JSON.stringify(parsed))), parsed, name);
      const shown = JSON.stringify(kind.redact(parsed));
      for (const secret of secrets) assert.ok(!shown.includes(secret), `${name}: ${shown}`);
    }
    assert.deepEqual(telegramChannel.redact(telegramChannel.parseConfig({ bot_token: BOT_TOKEN, chat_id: '@overdue_alerts' })), { bot_token: '…ZqXw', chat_id: '@overdue_alerts', api_url: 'https://api.telegram.org/' });
    assert.deepEqual(ntfyChannel.parseConfig({ topic: 'alerts' }), { server: 'https://ntfy.sh', topic: 'alerts', token: null, priority: null });
  });

  const bad: Array<[ChannelKind<any>, unknown, string, RegExp]> = [
    [ntfyChannel, {}, 'config.topic', /required/],
    [ntfyChannel, { topic: 'has space' }, 'config.topic', /letters, digits/],
    [ntfyChannel, { topic: 't', priority: 6 }, 'config.priority', /1 to 5/],
    [ntfyChannel, { topic: 't', token: 'a b' }, 'config.token', /without spaces/],
    [ntfyChannel, { topic: 't', server: 'https://user:pw@ntfy.example' }, 'config.server', /credentials/],
    [pushoverChannel, { user: PUSHOVER_USER }, 'config.token', /required/],
    [pushoverChannel, { token: PUSHOVER_TOKEN, user: 'short' }, 'config.user', /30 letters/],
    [pushoverChannel, { token: PUSHOVER_TOKEN, user: PUSHOVER_USER, priority: 2 }, 'config.priority', /-2 to 1/],
    [gotifyChannel, { token: GOTIFY_TOKEN }, 'config.server', /required/],
    [gotifyChannel, { server: 'https://push.example' }, 'config.token', /required/],
    [gotifyChannel, { server: 'https://push.example', token: GOTIFY_TOKEN, priority: 11 }, 'config.priority', /0 to 10/],
    [telegramChannel, { chat_id: 1 }, 'config.bot_token', /required/],
    [telegramChannel, { bot_token: 'abc:def', chat_id: 1 }, 'config.bot_token', /<digits>:<35 characters>/],
    [telegramChannel, { bot_token: BOT_TOKEN, chat_id: 'my group' }, 'config.chat_id', /@name/],
    [telegramChannel, { bot_token: BOT_TOKEN, chat_id: 1, api_url: 'javascript:alert(1)' }, 'config.api_url', /http/],
    [matrixChannel, { access_token: MATRIX_TOKEN, room_id: '!a:b' }, 'config.homeserver', /required/],
    [matrixChannel, { homeserver: 'https://matrix.example', access_token: MATRIX_TOKEN, room_id: '#ops:example.org' }, 'config.room_id', /not an alias/],
    [matrixChannel, { homeserver: 'https://matrix.example', room_id: '!a:b' }, 'config.access_token', /required/],
    [matrixChannel, { homeserver: 'https://matrix.example', access_token: MATRIX_TOKEN, room_id: '!a:b', user: 'x' }, 'config.user', /not a matrix setting/],
  ];
  for (const [kind, input, field, msg] of bad) {
    it(`${kind.kind}: rejects ${JSON.stringify(input).slice(0, 80)} naming ${field}`, () => assertInvalid(() => kind.parseConfig(input), field, msg));
  }
});

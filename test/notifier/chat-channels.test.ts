import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChannelError, type ChannelKind, type NotificationMessage } from '../../src/notifier/channel.js';
import { OutboundHttp } from '../../src/notifier/outbound-http.js';
import type { ChatWebhookConfig } from '../../src/notifier/channels/chat-webhook.js';
import { slackChannel } from '../../src/notifier/channels/slack.js';
import { discordChannel } from '../../src/notifier/channels/discord.js';
import { teamsChannel } from '../../src/notifier/channels/teams.js';
import { mattermostChannel } from '../../src/notifier/channels/mattermost.js';
import { googleChatChannel } from '../../src/notifier/channels/google-chat.js';
import { assertInvalid } from '../helpers/assert-invalid.js';
import { startReceiver, type Receiver, type Received } from '../helpers/http-receiver.js';

const ZWSP = '\u200b';
const HOSTILE = '<!channel> & <b>';

function message(overrides: Partial<NotificationMessage> = {}): NotificationMessage {
  return {
    idempotencyKey: 'ntf_1:chn_1',
    event: 'on_down',
    monitor: { id: 'mon_1', name: 'nightly-backup', key: 'nightly-backup', url: 'https://overdue.example/v1/monitors/mon_1', state: 'down', tags: [], schedule: '0 3 * * *', timezone: 'Europe/Berlin' },
    summary: 'nightly-backup is DOWN: no ping within the grace period',
    reason: 'no ping within the grace period',
    occurredAt: new Date('2026-03-29T01:30:00.000Z'),
    lastPingAt: new Date('2026-03-28T01:00:05.000Z'),
    nextExpectedAt: new Date('2026-03-30T01:00:00.000Z'),
    downForSeconds: null,
    outputTail: 'starting backup\nrsync: connection refused\nexit 12',
    count: 1,
    ...overrides,
  };
}

/** A hostile name, markup and mentions everywhere users write, and far too much of all of it. */
function hostile(outputLines = 3): NotificationMessage {
  const output = [...Array.from({ length: outputLines }, (_, i) => `line ${i} <!channel> \`\`\` @everyone`), 'THE LAST LINE'].join('\n');
  return message({
    monitor: { ...message().monitor, name: HOSTILE },
    summary: `${HOSTILE} is DOWN: <@U123> @here *bold* [x](https://evil.example) <users/all>`,
    reason: `<@U123> & *bold* @here <https://evil.example|click> <users/all>`,
    outputTail: output,
    count: 5,
  });
}

interface Kind {
  channel: ChannelKind<ChatWebhookConfig>;
  kind: string;
  okStatus: number;
  sampleUrl: string;
  secrets: string[];
}

const KINDS: Kind[] = [
  { channel: slackChannel, kind: 'slack', okStatus: 200, sampleUrl: 'https://hooks.slack.com/services/T01ABCDEF/B02GHIJKL/Zx8yW7vU6tS5rQ4pO3nM2lK1', secrets: ['Zx8yW7vU6tS5rQ4pO3nM2lK1'] },
  { channel: discordChannel, kind: 'discord', okStatus: 204, sampleUrl: 'https://discord.com/api/webhooks/123456789012345678/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEfGhIjKlMnOpQrStUvWxYz0123', secrets: ['AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEfGhIjKlMnOpQrStUvWxYz0123'] },
  { channel: teamsChannel, kind: 'teams', okStatus: 202, sampleUrl: 'https://prod-12.westeurope.logic.azure.com:443/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg', secrets: ['AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg'] },
  { channel: mattermostChannel, kind: 'mattermost', okStatus: 200, sampleUrl: 'https://chat.example.com/hooks/xjd8w7nq3pb6mkr4ty9e2hgu5a', secrets: ['xjd8w7nq3pb6mkr4ty9e2hgu5a'] },
  { channel: googleChatChannel, kind: 'google_chat', okStatus: 200, sampleUrl: 'https://chat.googleapis.com/v1/spaces/AAAAbCdEfGh/messages?key=AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI&token=abcDEF123ghiJKL456mnoPQR789stuVWX012yzA%3D', secrets: ['AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI', 'abcDEF123ghiJKL456mnoPQR789stuVWX012yzA'] },
];

/** One real receiver on 127.0.0.1 for the enclosing describe(); `deliver` sends through it and returns what it got. */
function useReceiver() {
  const client = new OutboundHttp({ allowPrivate: true, timeoutMs: 2000 });
  let hook: Receiver;
  before(async () => {
    hook = await startReceiver();
  });
  after(() => hook.close());
  // parseConfig rightly insists on https; this plain-http loopback receiver is reached by handing send() the config.
  async function deliver(k: Kind, msg = message(), status = k.okStatus, body = '') {
    hook.reset({ status, body });
    const result = await k.channel.send(msg, { url: hook.url(`/hook/${k.kind}?token=t`) }, client);
    return { result, request: hook.received[0] as Received, json: JSON.parse(hook.received[0]?.body ?? 'null') };
  }
  async function failure(k: Kind, status: number): Promise<ChannelError> {
    const err = await deliver(k, message(), status, '{"message":"nope"}').then(() => null, (e: unknown) => e);
    assert.ok(err instanceof ChannelError, `expected ChannelError for ${status}, got ${String(err)}`);
    return err;
  }
  return { deliver, failure, client, base: () => hook.url(), received: () => hook.received };
}

const strings = (v: unknown): string[] => (typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(strings) : []);
const last = <T>(xs: T[]): T => xs[xs.length - 1] as T;

describe('chat channels: config, redaction, delivery and status mapping', () => {
  const r = useReceiver();
  for (const k of KINDS) {
    it(`${k.kind}: accepts an https webhook URL and nothing else, naming config.url in errors`, () => {
      assert.equal(k.channel.kind, k.kind);
      const config = k.channel.parseConfig({ url: k.sampleUrl });
      assert.deepEqual(k.channel.parseConfig(config), config);
      assertInvalid(() => k.channel.parseConfig({}), 'config.url', /required/);
      assertInvalid(() => k.channel.parseConfig({ url: k.sampleUrl.replace('https:', 'http:') }), 'config.url', /https/);
      assertInvalid(() => k.channel.parseConfig({ url: 'not a url' }), 'config.url', /not a valid URL/);
      assertInvalid(() => k.channel.parseConfig({ url: k.sampleUrl, channel: '#ops' }), 'config.channel', /only one is url/);
      assertInvalid(() => k.channel.parseConfig('https://x'), 'config', /object/);
    });

    it(`${k.kind}: redacts the token in its real URL shape`, () => {
      const shown = String(k.channel.redact(k.channel.parseConfig({ url: k.sampleUrl })).url);
      assert.ok(shown.startsWith(`https://${new URL(k.sampleUrl).hostname}/`), shown);
      for (const secret of k.secrets) assert.ok(!shown.includes(secret) && !shown.includes(secret.slice(0, 12)), shown);
    });

    it(`${k.kind}: POSTs UTF-8 JSON; ${k.okStatus} is delivered, 408/429/5xx transient, other 4xx permanent`, async () => {
      const { result, request, json } = await r.deliver(k, message(), k.okStatus, k.okStatus === 204 ? '' : 'ok');
      assert.equal(request.method, 'POST');
      assert.equal(request.url, `/hook/${k.kind}?token=t`);
      assert.equal(request.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(typeof json, 'object');
      assert.deepEqual(result, { status: k.okStatus, response: k.okStatus === 204 ? null : 'ok' });
      for (const status of [500, 503, 429, 408]) {
        const err = await r.failure(k, status);
        assert.equal(err.permanent, false, `${status}`);
        assert.equal(err.status, status);
      }
      for (const status of [400, 404, 410]) {
        const err = await r.failure(k, status);
        assert.equal(err.permanent, true, `${status}`);
        assert.match(err.message, new RegExp(`HTTP ${status}.*nope`));
        assert.ok(!err.message.includes('token=t'), 'the query (a secret in Google Chat URLs) stays out of errors');
      }
    });
  }

  it('a refused connection is transient; a private address without OVERDUE_ALLOW_PRIVATE_TARGETS is permanent', async () => {
    const closed = await startReceiver();
    await closed.close();
    const refused = await slackChannel.send(message(), { url: closed.url('/x') }, r.client).catch((e: unknown) => e);
    assert.ok(refused instanceof ChannelError && !refused.permanent, String(refused));

    const strict = new OutboundHttp({ timeoutMs: 2000 });
    const before = r.received().length;
    const blocked = await discordChannel.send(message(), { url: `${r.base()}/x` }, strict).catch((e: unknown) => e);
    assert.ok(blocked instanceof ChannelError && blocked.permanent, String(blocked));
    assert.equal(r.received().length, before, 'nothing reached the receiver');
  });
});

describe('slack payload', () => {
  const r = useReceiver();
  const k = KINDS[0] as Kind;

  it('sends fallback text and header, reason, timing fields, output and a link to the monitor', async () => {
    const { json } = await r.deliver(k, message({ count: 3 }));
    assert.equal(json.text, '🔴 nightly-backup is DOWN: no ping within the grace period');
    assert.deepEqual(json.blocks.map((b: any) => b.type), ['header', 'section', 'section', 'context']);
    assert.deepEqual(json.blocks[0].text, { type: 'plain_text', text: '🔴 nightly-backup is DOWN: no ping within the grace period' });
    assert.deepEqual(json.blocks[1].text, { type: 'plain_text', text: 'Reason: no ping within the grace period' });
    assert.deepEqual(json.blocks[1].fields.map((f: any) => f.text), [
      '*Occurred at*\n2026-03-29 01:30:00 UTC',
      '*Last ping*\n2026-03-28 01:00:05 UTC',
      '*Next expected*\n2026-03-30 01:00:00 UTC',
      '*Alerts batched*\n3',
      '*Schedule*\n`0 3 * * * (Europe/Berlin)`',
    ]);
    assert.equal(json.blocks[2].text.text, '*Output (last lines)*\n```starting backup\nrsync: connection refused\nexit 12```');
    assert.match(json.blocks[3].elements[0].text, /^<https:\/\/overdue\.example\/v1\/monitors\/mon_1\|Open monitor> · `nightly-backup` · DOWN$/);
  });

  it('escapes & < > everywhere, so a hostile name pings nobody, and keeps the output inside one code block', async () => {
    const { json } = await r.deliver(k, hostile());
    assert.ok(json.blocks[0].text.text.startsWith('🔴 &lt;!channel&gt; &amp; &lt;b&gt; is DOWN: &lt;@U123&gt;'), json.blocks[0].text.text);
    assert.ok(json.text.startsWith('🔴 &lt;!channel&gt; &amp; &lt;b&gt;'));
    for (const s of strings(json)) assert.ok(!/<[!@]|<users|<https:\/\/evil/.test(s), s);
    const output: string = json.blocks[2].text.text;
    assert.equal(output.split('```').length, 3, 'exactly one opening and one closing fence');
    assert.equal(json.blocks[2].text.verbatim, true);
  });

  it('respects Block Kit limits with a huge output tail, keeping its end', async () => {
    const { json } = await r.deliver(k, hostile(5000));
    assert.ok(json.blocks[0].text.text.length <= 150);
    for (const b of json.blocks.filter((x: any) => x.type === 'section')) {
      if (b.text) assert.ok(b.text.text.length <= 3000, `${b.text.text.length}`);
      for (const f of b.fields ?? []) assert.ok(f.text.length <= 2000);
      assert.ok((b.fields ?? []).length <= 10);
    }
    const output: string = json.blocks[2].text.text;
    assert.ok(output.endsWith('THE LAST LINE```') && output.includes('```…'), output.slice(0, 80));
  });
});

describe('discord payload', () => {
  const r = useReceiver();
  const k = KINDS[1] as Kind;

  it('sends one embed with title link, colour, reason, output, timing fields, footer and timestamp; pings nobody', async () => {
    const { json } = await r.deliver(k, message({ event: 'on_recovery', downForSeconds: 3725, summary: 'nightly-backup has RECOVERED after 1h 2m down', reason: null }));
    assert.deepEqual(json.allowed_mentions, { parse: [] });
    assert.equal(json.embeds.length, 1);
    const e = json.embeds[0];
    assert.equal(e.title, '🟢 nightly\\-backup has RECOVERED after 1h 2m down');
    assert.equal(e.url, 'https://overdue.example/v1/monitors/mon_1');
    assert.equal(e.color, 0x1e8e3e);
    assert.equal(e.timestamp, '2026-03-29T01:30:00.000Z');
    assert.equal(e.description, '**Output (last lines)**\n```\nstarting backup\nrsync: connection refused\nexit 12\n```');
    assert.deepEqual(e.fields.map((f: any) => [f.name, f.value]), [
      ['Occurred at', '<t:1774747800:f> (<t:1774747800:R>)'],
      ['Down for', '1h 2m'],
      ['Last ping', '<t:1774659605:f> (<t:1774659605:R>)'],
      ['Next expected', '<t:1774832400:f> (<t:1774832400:R>)'],
      ['Schedule', '`0 3 * * * (Europe/Berlin)`'],
    ]);
    assert.equal(e.footer.text, 'Overdue · nightly-backup · RECOVERED');
  });

  it('backslash-escapes markup in user text and keeps the output inside one code block', async () => {
    const { json } = await r.deliver(k, hostile());
    const e = json.embeds[0];
    assert.ok(e.title.startsWith('🔴 \\<!channel\\> & \\<b\\> is DOWN\\: \\<\\@U123\\> \\@here \\*bold\\* \\[x\\]\\(https\\:'), e.title);
    assert.ok(e.description.startsWith('**Reason:** \\<\\@U123\\> & \\*bold\\* \\@here'), e.description);
    assert.equal(e.description.split('```').length, 3);
  });

  it('respects embed limits (title 256, description 4096, field 1024, 6000 in all) with a huge output, keeping its end', async () => {
    const msg = hostile(5000);
    const { json } = await r.deliver(k, { ...msg, summary: 'x'.repeat(1000), reason: '*'.repeat(5000) });
    const e = json.embeds[0];
    assert.ok(e.title.length <= 256 && e.description.length <= 4096 && e.fields.length <= 25);
    for (const f of e.fields) assert.ok(f.name.length <= 256 && f.value.length <= 1024);
    const total = e.title.length + e.description.length + e.footer.text.length + e.fields.reduce((n: number, f: any) => n + f.name.length + f.value.length, 0);
    assert.ok(total <= 6000, `${total}`);
    assert.ok(e.description.endsWith('THE LAST LINE\n```'));
  });
});

describe('teams payload', () => {
  const r = useReceiver();
  const k = KINDS[2] as Kind;

  it('sends an Adaptive Card 1.4 message attachment with headline, reason, facts, output and an Open action', async () => {
    const { json } = await r.deliver(k, message({ event: 'on_late', summary: 'nightly-backup is LATE: due 01:00' }));
    assert.equal(json.type, 'message');
    assert.equal(json.attachments.length, 1);
    const a = json.attachments[0];
    assert.equal(a.contentType, 'application/vnd.microsoft.card.adaptive');
    assert.equal(a.contentUrl, null);
    const card = a.content;
    assert.equal(card.type, 'AdaptiveCard');
    assert.equal(card.version, '1.4');
    assert.equal(card.body[0].style, 'warning');
    assert.deepEqual(card.body[0].items[1].inlines[0], { type: 'TextRun', text: 'nightly-backup is LATE: due 01:00', weight: 'Bolder', size: 'Medium' });
    const facts = card.body.find((b: any) => b.type === 'FactSet').facts;
    assert.deepEqual(facts[0], { title: 'Occurred at', value: '2026-03-29 01:30:00 UTC' });
    const output = last<any>(card.body).inlines[0];
    assert.deepEqual(output, { type: 'TextRun', text: 'starting backup\nrsync: connection refused\nexit 12', fontType: 'Monospace', size: 'Small' });
    assert.deepEqual(card.actions, [{ type: 'Action.OpenUrl', title: 'Open monitor', url: 'https://overdue.example/v1/monitors/mon_1' }]);
  });

  it('puts user text only in TextRuns, which Teams never reads as Markdown, and caps the output', async () => {
    const { json, request } = await r.deliver(k, hostile(5000));
    const card = json.attachments[0].content;
    const all = JSON.stringify(card.body);
    assert.ok(!all.includes('"TextBlock"'), 'no Markdown-parsed TextBlock');
    for (const fact of card.body.find((b: any) => b.type === 'FactSet').facts) assert.ok(!fact.value.includes('<'));
    assert.ok(card.body[0].items[1].inlines[0].text.startsWith(HOSTILE));
    const output = last<any>(card.body).inlines[0].text;
    assert.ok(output.length <= 8000 && output.startsWith('…') && output.endsWith('THE LAST LINE'));
    assert.ok(Buffer.byteLength(request.body) < 28 * 1024, `${Buffer.byteLength(request.body)} bytes`);
  });
});

describe('mattermost payload', () => {
  const r = useReceiver();
  const k = KINDS[3] as Kind;

  it('sends one attachment with colour, linked title, reason and output text, short fields and footer', async () => {
    const { json } = await r.deliver(k, message({ event: 'on_fail', summary: 'nightly-backup reported a FAILURE: exit 12' }));
    assert.deepEqual(Object.keys(json), ['attachments']);
    const a = json.attachments[0];
    assert.equal(a.color, '#d93025');
    assert.equal(a.title, '🔴 nightly-backup reported a FAILURE: exit 12');
    assert.equal(a.fallback, a.title);
    assert.equal(a.title_link, 'https://overdue.example/v1/monitors/mon_1');
    assert.equal(a.text, '**Reason:** no ping within the grace period\n\n**Output (last lines)**\n```\nstarting backup\nrsync: connection refused\nexit 12\n```');
    assert.deepEqual(a.fields[0], { short: true, title: 'Occurred at', value: '2026-03-29 01:30:00 UTC' });
    assert.deepEqual(last<any>(a.fields), { short: true, title: 'Schedule', value: '`0 3 * * * (Europe/Berlin)`' });
    assert.equal(a.footer, 'Overdue · nightly-backup · FAILED');
  });

  it('entity-escapes < > &, escapes Markdown and breaks every @mention and Slack-style <!channel>', async () => {
    const { json } = await r.deliver(k, hostile());
    const a = json.attachments[0];
    assert.ok(a.title.startsWith(`🔴 <${ZWSP}!channel> & <b> is DOWN: <@${ZWSP}U123> @${ZWSP}here`), a.title);
    assert.ok(a.text.startsWith(`**Reason:** &lt;@${ZWSP}U123&gt; &amp; \\*bold\\* @${ZWSP}here &lt;https\\://evil.example\\|click&gt;`), a.text);
    // The title is plain text (title_link is set), so only mentions matter there; the Markdown parts carry no raw `<`.
    for (const s of strings(json)) assert.ok(!/@(here|channel|everyone|U123)|<!|<https/.test(s), s);
    assert.equal(a.text.split('```').length, 3);
  });

  it('caps the attachment text with a huge output, keeping its end', async () => {
    const { json } = await r.deliver(k, hostile(5000));
    const text: string = json.attachments[0].text;
    assert.ok(text.length <= 6000 && text.endsWith('THE LAST LINE\n```') && text.includes('```\n…'));
  });
});

describe('google chat payload', () => {
  const r = useReceiver();
  const k = KINDS[4] as Kind;

  it('sends { text } with a bold event label, reason, timing, schedule, output block and a link', async () => {
    const { json } = await r.deliver(k, message({ event: 'test', summary: 'Test notification for nightly-backup', reason: null, outputTail: null }));
    assert.deepEqual(json, {
      text: [
        '⚪ *TEST* · Test notification for nightly-backup',
        '*Occurred at:* 2026-03-29 01:30:00 UTC',
        '*Last ping:* 2026-03-28 01:00:05 UTC',
        '*Next expected:* 2026-03-30 01:00:00 UTC',
        `*Schedule:* 0 3 *${ZWSP} *${ZWSP} *${ZWSP} (Europe/Berlin)`,
        '<https://overdue.example/v1/monitors/mon_1|Open monitor>',
      ].join('\n'),
    });
  });

  it('neutralizes <users/all>, links and formatting markers in user text, and keeps output in one block', async () => {
    const { json } = await r.deliver(k, hostile());
    assert.ok(json.text.startsWith(`🔴 *DOWN* · <${ZWSP}!channel> & <${ZWSP}b> is DOWN: <${ZWSP}@U123> @here *${ZWSP}bold*${ZWSP}`), json.text);
    assert.ok(!/<users|<https:\/\/evil|<!/.test(json.text));
    assert.equal(json.text.split('```').length, 3);
  });

  it('stays within 4096 characters with a huge output, keeping its end and the link', async () => {
    const { json } = await r.deliver(k, hostile(5000));
    assert.ok(json.text.length <= 4096, `${json.text.length}`);
    assert.ok(json.text.endsWith('THE LAST LINE\n```\n<https://overdue.example/v1/monitors/mon_1|Open monitor>'));
  });
});

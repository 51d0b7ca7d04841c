import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { ChannelError, type NotificationMessage } from '../../src/notifier/channel.js';
import { OutboundHttp } from '../../src/notifier/outbound-http.js';
import { emailChannel, emailSubject } from '../../src/notifier/channels/email.js';
import { assertInvalid } from '../helpers/assert-invalid.js';

const NAME = '<script>alert(1)</script> backup';
const FROM = 'Overdue <overdue@example.com>';

function message(overrides: Partial<NotificationMessage> = {}): NotificationMessage {
  return {
    idempotencyKey: 'ntf_01J9Z3:chn_7',
    event: 'on_down',
    monitor: { id: 'mon_1', name: NAME, key: 'nightly-backup', url: 'https://overdue.example/v1/monitors/mon_1?a=1&b=2', state: 'down', tags: ['db'], schedule: '0 3 * * *', timezone: 'Europe/Berlin' },
    summary: `${NAME} is DOWN: no ping within the grace period`,
    reason: 'no ping within the grace period & "exit 3"',
    occurredAt: new Date('2026-03-29T01:30:00.000Z'),
    lastPingAt: new Date('2026-03-28T01:00:05.000Z'),
    nextExpectedAt: new Date('2026-03-30T01:00:00.000Z'),
    downForSeconds: null,
    outputTail: 'rsync: <error> connection reset\nexit 3',
    count: 1,
    ...overrides,
  };
}

interface Received {
  rcptTo: string[];
  headers: Map<string, string>;
  text: string;
  html: string;
}

// A small MIME reader, enough for what nodemailer writes: folded headers, RFC 2047 words, QP/base64 parts.
function decodeWords(value: string): string {
  return value.replace(/=\?utf-8\?([QB])\?([^?]*)\?=\s*/gi, (_m, enc: string, data: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : decodeQp(data.replace(/_/g, ' ')),
  );
}
function decodeQp(text: string): string {
  const bytes = text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => `%${hex}`);
  return decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/gi, '%25'));
}
function splitEntity(raw: string): { headers: Map<string, string>; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  const headers = new Map<string, string>();
  for (const line of raw.slice(0, end).replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).toLowerCase(), decodeWords(line.slice(colon + 1).trim()));
  }
  return { headers, body: raw.slice(end + 4) };
}
function parse(raw: string, rcptTo: string[]): Received {
  const { headers, body } = splitEntity(raw);
  const boundary = /boundary="?([^";]+)"?/.exec(headers.get('content-type') ?? '')?.[1];
  assert.ok(boundary, 'expected a multipart message');
  const parts = body.split(`--${boundary}`).slice(1, -1).map((p) => splitEntity(p.replace(/^\r\n/, '')));
  const partOf = (type: string) => {
    const part = parts.find((p) => p.headers.get('content-type')?.startsWith(type));
    assert.ok(part, `expected a ${type} part`);
    const encoding = part.headers.get('content-transfer-encoding');
    const decoded = encoding === 'base64' ? Buffer.from(part.body, 'base64').toString('utf8') : encoding === 'quoted-printable' ? decodeQp(part.body) : part.body;
    return decoded.replace(/\r\n/g, '\n');
  };
  return { rcptTo, headers, text: partOf('text/plain'), html: partOf('text/html') };
}

/** Every step talks to 127.0.0.1 only; a hang fails the test instead of the run. */
const bounded = { timeout: 3000 };

describe('email channel', () => {
  const http = new OutboundHttp({ allowPrivate: true, timeoutMs: 2000 });
  let server: SMTPServer;
  let smtpUrl = '';
  let closedPort = 0;
  let received: Received[] = [];
  /** Recipient → the SMTP reply code the server rejects it with. */
  let rejectRcpt = new Map<string, number>();

  before(async () => {
    server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      logger: false,
      onRcptTo(address, _session, callback) {
        const code = rejectRcpt.get(address.address);
        if (code === undefined) return callback();
        return callback(Object.assign(new Error(code >= 500 ? 'mailbox unavailable' : 'try again later'), { responseCode: code }));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push(parse(Buffer.concat(chunks).toString('utf8'), session.envelope.rcptTo.map((r) => r.address)));
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    smtpUrl = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
    // A port that was just free and is now closed: connecting to it is refused at once.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
  }, bounded);
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }, bounded);

  const channel = () => emailChannel({ url: smtpUrl, from: FROM });
  async function deliver(config: Record<string, unknown>, msg = message()) {
    received = [];
    rejectRcpt = new Map();
    const kind = channel();
    const result = await kind.send(msg, kind.parseConfig(config), http);
    assert.equal(received.length, 1);
    return { result, mail: received[0] as Received };
  }
  async function failure(config: Record<string, unknown>, reject: Map<string, number>, url = smtpUrl): Promise<ChannelError> {
    received = [];
    rejectRcpt = reject;
    const kind = emailChannel({ url, from: FROM });
    const err = await kind.send(message(), kind.parseConfig(config), http).then(
      () => assert.fail('expected the send to fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ChannelError, String(err));
    assert.equal(received.length, 0);
    return err;
  }

  it('sends a text and HTML mail to every recipient with the headline as subject and the event headers', bounded, async () => {
    const { result, mail } = await deliver({ to: ['ops@example.com', 'oncall@example.org'] });
    assert.equal(result.status, 250);
    assert.deepEqual(mail.rcptTo, ['ops@example.com', 'oncall@example.org']);
    assert.equal(mail.headers.get('subject'), `[Overdue] ${NAME} is DOWN`);
    assert.equal(mail.headers.get('from'), FROM);
    assert.equal(mail.headers.get('to'), 'ops@example.com, oncall@example.org');
    assert.equal(mail.headers.get('x-overdue-event'), 'on_down');
    assert.equal(mail.headers.get('x-overdue-idempotency-key'), 'ntf_01J9Z3:chn_7');
    for (const needle of [NAME, 'no ping within the grace period & "exit 3"', 'https://overdue.example/v1/monitors/mon_1?a=1&b=2', '2026-03-29T01:30:00.000Z (UTC)', '2026-03-28T01:00:05.000Z', 'rsync: <error> connection reset', "Check the job's logs", 'pause the monitor']) {
      assert.ok(mail.text.includes(needle), `text lacks ${needle}:\n${mail.text}`);
    }
    assert.ok(mail.html.includes('&#60;script&#62;alert(1)&#60;/script&#62; backup'), mail.html);
    assert.ok(mail.html.includes('no ping within the grace period &#38; &#34;exit 3&#34;'));
    assert.ok(mail.html.includes('<a href="https://overdue.example/v1/monitors/mon_1?a=1&#38;b=2">'));
    assert.ok(mail.html.includes('<pre style="background:#f4f4f4;padding:8px;white-space:pre-wrap">rsync: &#60;error&#62; connection reset\nexit 3</pre>'));
  });

  it('never lets user-provided text through the HTML body unescaped', bounded, async () => {
    const { mail } = await deliver({ to: 'ops@example.com' });
    assert.ok(!mail.html.includes('<script'), mail.html);
    assert.ok(!mail.html.includes('<error>'));
    assert.ok(!mail.html.includes('"exit 3"'));
  });

  it('tells on recovery how long the monitor was down and how many failures a batched alert covers', bounded, async () => {
    const recovery = message({ event: 'on_recovery', summary: `${NAME} has RECOVERED after 1h 2m down`, downForSeconds: 3725, outputTail: null, count: 3, monitor: { ...message().monitor, state: 'up' } });
    const { mail } = await deliver({ to: ['ops@example.com'], subject_prefix: '[prod]' }, recovery);
    assert.equal(mail.headers.get('subject'), `[prod] ${NAME} has RECOVERED after 1h 2m down`);
    assert.equal(mail.headers.get('x-overdue-event'), 'on_recovery');
    assert.match(mail.text, /Down for: +1h 2m/);
    assert.match(mail.text, /covers 3 failures/);
    assert.match(mail.html, /covers 3 failures/);
    assert.match(mail.text, /What to do: Nothing to do/);
    assert.ok(!mail.html.includes('<pre'), 'no output, no <pre>');
  });

  it('keeps the subject on one line of at most 150 characters', bounded, () => {
    const long = message({ summary: `${'x'.repeat(200)}\nsecond line` });
    const subject = emailSubject('[Overdue]', long);
    assert.equal(subject.length, 150);
    assert.ok(subject.endsWith('…') && !subject.includes('\n'));
    const tricky = message({ monitor: { ...message().monitor, name: 'db: nightly' }, summary: 'db: nightly is LATE: expected at 03:00' });
    assert.equal(emailSubject('', tricky), 'db: nightly is LATE');
  });

  it('fails permanently with the reply code when the server rejects the recipient with 550', bounded, async () => {
    const err = await failure({ to: 'gone@example.com' }, new Map([['gone@example.com', 550]]));
    assert.equal(err.permanent, true);
    assert.equal(err.status, 550);
    assert.match(err.message, /550/);
  });

  it('fails transiently when the server defers the recipient with 451', bounded, async () => {
    const err = await failure({ to: 'busy@example.com' }, new Map([['busy@example.com', 451]]));
    assert.equal(err.permanent, false);
    assert.equal(err.status, 451);
  });

  it('succeeds, noting the rejection, when only some recipients are rejected (a retry would mail the others twice)', bounded, async () => {
    received = [];
    rejectRcpt = new Map([['gone@example.com', 550]]);
    const kind = channel();
    const result = await kind.send(message(), kind.parseConfig({ to: ['ops@example.com', 'gone@example.com'] }), http);
    assert.equal(received.length, 1);
    assert.deepEqual(received[0]?.rcptTo, ['ops@example.com']);
    assert.match(result.response ?? '', /rejected: gone@example\.com/);
  });

  it('fails transiently when the SMTP server is not reachable', bounded, async () => {
    const err = await failure({ to: 'ops@example.com' }, new Map(), `smtp://127.0.0.1:${closedPort}`);
    assert.equal(err.permanent, false);
    assert.equal(err.status, null);
  });

  it('fails permanently, naming the settings, when SMTP is not configured or not an smtp URL', bounded, async () => {
    const config = { to: ['ops@example.com'], subject_prefix: '[Overdue]' };
    const unset = await emailChannel({ url: undefined, from: FROM }).send(message(), config, http).catch((e: unknown) => e);
    assert.ok(unset instanceof ChannelError && unset.permanent);
    assert.match(unset.message, /not configured.*SMTP_URL/);
    const noFrom = await emailChannel({ url: smtpUrl, from: '' }).send(message(), config, http).catch((e: unknown) => e);
    assert.ok(noFrom instanceof ChannelError && noFrom.permanent);
    assert.match(noFrom.message, /set SMTP_FROM/);
    const wrong = await emailChannel({ url: 'https://user:hunter2@mail.example.com', from: FROM }).send(message(), config, http).catch((e: unknown) => e);
    assert.ok(wrong instanceof ChannelError && wrong.permanent);
    assert.match(wrong.message, /SMTP_URL must be an smtp/);
    assert.ok(!wrong.message.includes('hunter2'));
  });

  it('normalizes a single address to a list, defaults the prefix, and accepts its own output', bounded, () => {
    const kind = emailChannel({ url: undefined, from: undefined });
    const config = kind.parseConfig({ to: ' ops@example.com ' });
    assert.deepEqual(config, { to: ['ops@example.com'], subject_prefix: '[Overdue]' });
    assert.deepEqual(kind.parseConfig(config), config);
    assert.deepEqual(kind.parseConfig({ to: ['a@x.example', 'b+tag@localhost'], subject_prefix: '' }).subject_prefix, '');
  });

  it('rejects bad configs naming the field', bounded, () => {
    const kind = emailChannel({ url: smtpUrl, from: FROM });
    assertInvalid(() => kind.parseConfig({}), 'config.to', /required/);
    assertInvalid(() => kind.parseConfig({ to: [] }), 'config.to', /1 to 20/);
    assertInvalid(() => kind.parseConfig({ to: 42 }), 'config.to', /email address/);
    assertInvalid(() => kind.parseConfig({ to: 'Ops <ops@example.com>' }), 'config.to', /not an email address/);
    assertInvalid(() => kind.parseConfig({ to: ['ops@example.com', 'not-an-address'] }), 'config.to[1]', /"not-an-address" is not an email address/);
    assertInvalid(() => kind.parseConfig({ to: ['ops@example.com', 7] }), 'config.to[1]', /email address/);
    assertInvalid(() => kind.parseConfig({ to: ['ops@example.com', 'OPS@example.com'] }), 'config.to[1]', /listed twice/);
    assertInvalid(() => kind.parseConfig({ to: Array.from({ length: 21 }, (_, i) => `u${i}@example.com`) }), 'config.to', /1 to 20/);
    assertInvalid(() => kind.parseConfig({ to: 'ops@example.com', subject_prefix: 'x'.repeat(51) }), 'config.subject_prefix', /at most 50/);
    assertInvalid(() => kind.parseConfig({ to: 'ops@example.com', subject_prefix: 'a\r\nBcc: evil@example.com' }), 'config.subject_prefix', /line breaks/);
    assertInvalid(() => kind.parseConfig({ to: 'ops@example.com', cc: 'x@example.com' }), 'config.cc', /not an email setting/);
  });

  it('shows recipients and prefix when redacted: addresses are not secrets', bounded, () => {
    const kind = emailChannel({ url: smtpUrl, from: FROM });
    assert.deepEqual(kind.redact(kind.parseConfig({ to: ['ops@example.com'], subject_prefix: '[db]' })), { to: ['ops@example.com'], subject_prefix: '[db]' });
  });
});

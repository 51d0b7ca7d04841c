/**
 * Email pings (Cronitor's `<code>+<event>@…` addresses): a built-in SMTP listener that turns each accepted
 * recipient of a message into a ping. For hosts that can send mail but cannot make HTTP requests, and for jobs
 * whose only output is cron's mail.
 *
 * Addresses (any domain; the event word is case-insensitive):
 * - `<token>@…` → success; `<token>+run@…` or `+start` → start; `+complete` → success; `+fail` → fail;
 *   `+ok` → ok (reset without a recovery alert);
 * - `<ping_key>+<slug>@…` → success for the monitor with that key in that project, and
 *   `<ping_key>+<slug>+<event>@…` → that event. As on `/ping/<ping_key>/<slug>`, a slug spelled like an event
 *   word cannot be addressed without an event.
 * Unknown recipients are refused at RCPT TO with 550, so a typo bounces to the sender instead of vanishing.
 * The ping's body is the subject, a blank line and the text body (HTML-only mail is converted to text), cut to
 * MAX_PING_BODY_BYTES: payload scanning then applies to subject and text alike.
 */
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { Clock } from '../app/clock.js';
import type { PingIngestor } from '../app/ping-ingestor.js';
import { MAX_PING_BODY_BYTES, type PingInput, type PingKind } from '../domain/ping.js';
import type { Logger } from '../runtime/logger.js';
import type { Store } from '../storage/store.js';

/** The largest message accepted (SMTP SIZE); larger ones are refused with 552 while still being read. */
export const MAX_EMAIL_BYTES = 1024 * 1024;
/** Recipients per message; more are refused with 452 (the sender sends the rest in another transaction). */
export const MAX_EMAIL_RECIPIENTS = 50;

const EVENTS: Readonly<Record<string, PingKind>> = { run: 'start', start: 'start', complete: 'success', fail: 'fail', ok: 'ok' };

export type EmailTarget = { token: string; kind: PingKind } | { pingKey: string; slug: string; kind: PingKind };

/** Reads a recipient address into the monitor and event it names; null when it has no valid shape. */
export function parseRecipient(address: string): EmailTarget | null {
  const at = address.lastIndexOf('@');
  const local = at < 0 ? address : address.slice(0, at);
  const parts = local.split('+');
  if (parts.some((p) => p === '')) return null;
  const [first, second, third] = parts as [string, string | undefined, string | undefined];
  if (parts.length === 1) return { token: first, kind: 'success' };
  const event = (word: string): PingKind | undefined => (Object.hasOwn(EVENTS, word.toLowerCase()) ? EVENTS[word.toLowerCase()] : undefined);
  if (parts.length === 2) {
    const kind = event(second!);
    return kind ? { token: first, kind } : { pingKey: first, slug: second!, kind: 'success' };
  }
  if (parts.length === 3) {
    const kind = event(third!);
    return kind ? { pingKey: first, slug: second!, kind } : null;
  }
  return null;
}

/**
 * The ping body of a raw message: its subject, a blank line, and its text (an HTML-only message converted to
 * text), cut to MAX_PING_BODY_BYTES without splitting a UTF-8 character. A message the MIME parser gives up on
 * is kept raw: the job did report, and a temporary SMTP error would only make the sender retry it forever.
 */
export async function emailPingBody(raw: Buffer): Promise<Buffer> {
  let bytes: Buffer;
  try {
    const mail = await simpleParser(raw, { skipTextToHtml: true, skipImageLinks: true, checksumAlgo: false, maxHtmlLengthToParse: MAX_EMAIL_BYTES });
    bytes = Buffer.from(`${mail.subject ?? ''}\n\n${mail.text ?? ''}`, 'utf8');
  } catch {
    bytes = raw;
  }
  if (bytes.length <= MAX_PING_BODY_BYTES) return bytes;
  let end = MAX_PING_BODY_BYTES;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--; // back off continuation bytes to a character start
  return bytes.subarray(0, end);
}

export interface EmailListenerOptions {
  host: string;
  port: number;
  store: Store;
  ingestor: PingIngestor;
  clock: Clock;
  logger: Logger;
}

export interface EmailListener {
  /** The address actually bound (useful with port 0). */
  address: { host: string; port: number };
  /** Stops accepting connections; a message being received has a few seconds to finish. */
  close(): Promise<void>;
}

/** Starts the SMTP listener; resolves once it is bound, rejects when it cannot bind. */
export async function startEmailListener(options: EmailListenerOptions): Promise<EmailListener> {
  const { store, ingestor, clock, logger } = options;
  /** The ping token and event of a recipient; null for an address that names no monitor. */
  const resolve = async (address: string): Promise<{ token: string; kind: PingKind } | null> => {
    const target = parseRecipient(address);
    if (!target) return null;
    const monitor = 'token' in target ? await store.getMonitorByToken(target.token) : await store.getMonitorBySlug(target.pingKey, target.slug);
    return monitor ? { token: monitor.pingToken, kind: target.kind } : null;
  };

  const server = new SMTPServer({
    banner: 'Overdue email pings',
    // No certificate to offer and no accounts to log in to: plain SMTP, as from a local MTA or a relay.
    disabledCommands: ['AUTH', 'STARTTLS'],
    authOptional: true,
    disableReverseLookup: true,
    size: MAX_EMAIL_BYTES,
    rejectOversized: true,
    maxRecipients: MAX_EMAIL_RECIPIENTS,
    maxClients: 200,
    socketTimeout: 60_000,
    closeTimeout: 5_000,
    logger: false,
    onRcptTo(address, _session, callback) {
      resolve(address.address).then(
        (found) => callback(found ? null : smtpError(550, `5.1.1 <${address.address}>: no monitor has this address`)),
        (err: unknown) => {
          logger.error({ err }, 'email ping: recipient lookup failed');
          callback(smtpError(451, '4.3.0 temporary failure; try again later'));
        },
      );
    },
    onData(stream, session, callback) {
      readMessage(stream)
        .then(async (raw) => {
          if (raw === null) return callback(smtpError(552, '5.3.4 message exceeds the maximum size'));
          const receivedAt = clock.now();
          const body = await emailPingBody(raw);
          const addresses = [...new Set(session.envelope.rcptTo.map((r) => r.address))];
          const recorded = await Promise.all(
            addresses.map(async (address) => {
              const found = await resolve(address);
              if (!found) return false; // the monitor was deleted since RCPT TO
              return (await ingestor.record(emailPing(found.token, found.kind, receivedAt, session, body))).found;
            }),
          );
          callback(null, `OK: ${recorded.filter(Boolean).length} ping(s) recorded`);
        })
        .catch((err: unknown) => {
          logger.error({ err }, 'email ping: recording failed');
          callback(smtpError(451, '4.3.0 temporary failure; try again later'));
        });
    },
  });
  // Socket errors of single clients are reported here; without a listener they would crash the process.
  server.on('error', (err) => logger.warn({ err }, 'email ping: SMTP connection error'));

  await new Promise<void>((ok, fail) => {
    const onError = (err: Error) => fail(err);
    server.server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.server.off('error', onError);
      ok();
    });
  });
  const bound = server.server.address() as AddressInfo;
  let closed: Promise<void> | null = null;
  return {
    address: { host: bound.address, port: bound.port },
    close: () => (closed ??= new Promise<void>((done) => server.close(() => done()))),
  };
}

function emailPing(token: string, kind: PingKind, receivedAt: Date, session: SMTPServerSession, body: Buffer): PingInput {
  return {
    token,
    kind,
    exitCode: null,
    receivedAt,
    source: 'email',
    method: 'SMTP',
    ip: session.remoteAddress ? session.remoteAddress.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '') : null,
    userAgent: null,
    body,
    msg: null,
    details: null,
  };
}

/** The whole message, or null when it went over the size limit (the stream is still drained). */
async function readMessage(stream: SMTPServerDataStream): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_EMAIL_BYTES) chunks.push(chunk);
  }
  return stream.sizeExceeded || size > MAX_EMAIL_BYTES ? null : Buffer.concat(chunks);
}

function smtpError(responseCode: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode });
}

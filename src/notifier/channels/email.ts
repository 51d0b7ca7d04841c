/**
 * The email channel: one message per notification, sent through the server-wide SMTP relay.
 *
 * The relay is server configuration (SMTP_URL such as `smtp://user:pass@mail.example.com:587` or
 * `smtps://…:465`, and SMTP_FROM such as `Overdue <overdue@example.com>`); a channel only chooses recipients
 * and a subject prefix. Without a relay, configs still validate so channels can be set up first, and every
 * send fails permanently saying what to set.
 *
 * Error mapping: an SMTP 5xx reply (550 mailbox unavailable, 535 bad login) is permanent, with the reply
 * code as status; 4xx replies (421, 451), 503, and connection failures or timeouts are transient. When the
 * relay accepts some recipients and rejects others, the message went out: the send succeeds and the
 * rejections are noted in the response, since a retry would mail the accepted recipients twice.
 */
import { createTransport, type NodemailerError, type Transporter } from 'nodemailer';
import { invalid } from '../../domain/errors.js';
import { ChannelError, type ChannelKind, type DeliveryResult, type NotificationMessage } from '../channel.js';
import type { OutboundHttp } from '../outbound-http.js';
import { RESPONSE_LOG_CHARS, settings } from './common.js';

/** The normalized config; parseConfig accepts its own output unchanged. */
export interface EmailConfig {
  to: string[];
  subject_prefix: string;
}

const FIELDS = ['to', 'subject_prefix'];
const MAX_RECIPIENTS = 20;
const MAX_PREFIX = 50;
const DEFAULT_PREFIX = '[Overdue]';
const MAX_SUBJECT = 150;
/** Output tails are short already; the cap keeps a pathological one from making a huge mail. */
const MAX_OUTPUT = 8000;
/** Short enough that a dead relay does not hold a notifier slot for minutes (nodemailer's defaults are 2–10 min). */
const TIMEOUT_MS = 10_000;

// The WHATWG "valid email address": bare addresses only, no display names, ASCII (IDN domains as punycode).
const EMAIL = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const CONTROL = /\p{Cc}/u;
/** Codes of failures to reach or talk to the relay, which may well work on a later attempt. */
const TRANSIENT_CODES = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EDNS', 'ETLS', 'EPROXY', 'EPROTOCOL']);

const ACTION: Record<string, string> = {
  on_recovery: 'Nothing to do: the job is reporting again. Check whether runs were missed while it was down.',
  on_run: 'Nothing to do: this is a notice that the job started.',
  on_complete: 'Nothing to do: this is a notice that the job finished.',
  test: 'Nothing to do: this is a test message, and it arrived, so the channel works.',
};
const DEFAULT_ACTION = "Check the job's logs on the host that runs it. If this is expected (maintenance, a retired job), pause the monitor so it stops alerting.";

// Not common.ts's clip/formatInstant/formatDuration: mails format differently (full ISO instants, durations without
// zero units, output cut without "…"), and changing what mails say is not for a refactor. The cuts below also do not
// guard surrogate pairs as clip() does; adopting clip() would fix that, as a deliberate change.

/** The value quoted for an error message: 80 characters and "…" when longer (81 in all, unlike clip's `max`). */
const shown = (value: string) => JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);

function parseAddress(value: unknown, field: string): string {
  const address = typeof value === 'string' ? value.trim() : '';
  if (address === '') throw invalid(field, 'must be an email address such as ops@example.com');
  if (address.length > 254 || address.indexOf('@') > 64 || !EMAIL.test(address)) {
    throw invalid(field, `${shown(address)} is not an email address (give the bare address, such as ops@example.com)`);
  }
  return address;
}

function parseTo(value: unknown): string[] {
  if (value === undefined || value === null || value === '') throw invalid('config.to', `required: 1 to ${MAX_RECIPIENTS} email addresses`);
  if (typeof value === 'string') return [parseAddress(value, 'config.to')];
  if (!Array.isArray(value)) throw invalid('config.to', `must be an email address or a list of 1 to ${MAX_RECIPIENTS}`);
  if (value.length === 0 || value.length > MAX_RECIPIENTS) throw invalid('config.to', `must list 1 to ${MAX_RECIPIENTS} addresses`);
  const seen = new Set<string>();
  return value.map((v: unknown, i) => {
    const address = parseAddress(v, `config.to[${i}]`);
    if (seen.has(address.toLowerCase())) throw invalid(`config.to[${i}]`, `${shown(address)} is listed twice`);
    seen.add(address.toLowerCase());
    return address;
  });
}

function parsePrefix(value: unknown): string {
  if (value === undefined || value === null) return DEFAULT_PREFIX;
  if (typeof value !== 'string' || value.length > MAX_PREFIX || CONTROL.test(value)) {
    throw invalid('config.subject_prefix', `must be a string of at most ${MAX_PREFIX} characters without line breaks`);
  }
  return value.trim();
}

/** One line: control characters and runs of whitespace become one space; overlong text ends in "…". */
function oneLine(text: string, max: number): string {
  const line = text.replace(/[\s\p{Cc}]+/gu, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** "nightly-backup is DOWN" from "nightly-backup is DOWN: no ping …"; the cut skips the name, which may hold ": ". */
export function emailSubject(prefix: string, m: NotificationMessage): string {
  const first = m.summary.split('\n')[0] ?? '';
  const from = first.startsWith(m.monitor.name) ? m.monitor.name.length : 0;
  const cut = first.indexOf(': ', from);
  return oneLine(`${prefix} ${cut === -1 ? first : first.slice(0, cut)}`, MAX_SUBJECT);
}

/** Full ISO 8601, unlike the chat and push kinds' "2026-03-29 01:30:00 UTC". */
const when = (d: Date | null) => (d === null ? null : `${d.toISOString()} (UTC)`);

/** The two largest non-zero units ("1h", "1d 5m"), where formatDuration shows adjacent ones ("1h 0m", "1d 0h"). */
function duration(s: number): string {
  const parts = [[Math.floor(s / 86400), 'd'], [Math.floor((s % 86400) / 3600), 'h'], [Math.floor((s % 3600) / 60), 'm'], [s % 60, 's']] as const;
  const shownParts = parts.filter(([n]) => n > 0).slice(0, 2);
  return shownParts.length === 0 ? '0s' : shownParts.map(([n, unit]) => `${n}${unit}`).join(' ');
}

/** The label/value rows both bodies show; rows without a value are left out. */
function facts(m: NotificationMessage): [string, string][] {
  const rows: [string, string | null][] = [
    ['Monitor', m.monitor.name],
    ['Event', `${m.event} (monitor is now ${m.monitor.state})`],
    ['Reason', m.reason],
    ['Occurred at', when(m.occurredAt)],
    ['Last ping', m.event === 'test' ? null : (when(m.lastPingAt) ?? 'never')],
    ['Next expected', when(m.nextExpectedAt)],
    ['Down for', m.downForSeconds === null ? null : duration(m.downForSeconds)],
  ];
  return rows.filter((row): row is [string, string] => row[1] !== null && row[1] !== '');
}

/** The end of the output, capped, without the "…" marker that clip(…, 'tail') adds. */
const tail = (m: NotificationMessage) => (m.outputTail === null || m.outputTail === '' ? null : m.outputTail.slice(-MAX_OUTPUT));

export function emailText(m: NotificationMessage): string {
  const output = tail(m);
  return [
    m.summary,
    '',
    ...facts(m).map(([label, value]) => `${`${label}:`.padEnd(15)}${value}`),
    ...(m.count > 1 ? ['', `This alert covers ${m.count} failures.`] : []),
    ...(output === null ? [] : ['', 'Output (last lines):', output]),
    '',
    `Monitor: ${m.monitor.url}`,
    '',
    `What to do: ${ACTION[m.event] ?? DEFAULT_ACTION}`,
    '',
  ].join('\n');
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function emailHtml(m: NotificationMessage): string {
  const output = tail(m);
  // Only http(s) becomes a link: anything else (javascript:…) is shown as text.
  const link = /^https?:\/\//i.test(m.monitor.url) ? `<a href="${escape(m.monitor.url)}">${escape(m.monitor.url)}</a>` : escape(m.monitor.url);
  const rows = facts(m).map(([label, value]) => `<tr><th align="left" valign="top" style="padding:2px 12px 2px 0">${escape(label)}</th><td>${escape(value)}</td></tr>`);
  return [
    '<!DOCTYPE html><html><body style="font-family:sans-serif;font-size:14px;color:#222">',
    `<p style="font-size:16px"><strong>${escape(m.summary)}</strong></p>`,
    `<table cellspacing="0" cellpadding="0">${rows.join('')}</table>`,
    m.count > 1 ? `<p>This alert covers ${m.count} failures.</p>` : '',
    output === null ? '' : `<p>Output (last lines):</p><pre style="background:#f4f4f4;padding:8px;white-space:pre-wrap">${escape(output)}</pre>`,
    `<p>Monitor: ${link}</p>`,
    `<p><strong>What to do:</strong> ${escape(ACTION[m.event] ?? DEFAULT_ACTION)}</p>`,
    '</body></html>',
  ].join('\n');
}

function toChannelError(err: unknown): ChannelError {
  const e = err as NodemailerError;
  const text = `email: ${err instanceof Error ? err.message : String(err)}`;
  if (typeof e.responseCode === 'number') {
    // 503 (bad sequence of commands) is about the session, not the message: a new connection may succeed.
    const permanent = e.permanent ?? (e.responseCode >= 500 && e.responseCode < 600 && e.responseCode !== 503);
    return new ChannelError(text, { permanent, status: e.responseCode });
  }
  // No SMTP reply: a network failure is worth retrying; anything else (missing credentials, a bad From) is config.
  return new ChannelError(text, { permanent: !TRANSIENT_CODES.has(e.code ?? '') });
}

/** SMTP settings are server-wide, so the kind is built once from them; the transport is made on first use. */
export function emailChannel(smtp: { url: string | undefined; from: string | undefined }): ChannelKind<EmailConfig> {
  let transport: Transporter | null = null;

  function transportFor(url: string): Transporter {
    if (transport !== null) return transport;
    let protocol = '';
    try {
      protocol = new URL(url).protocol;
    } catch {
      // The URL may hold a password: never echo it.
    }
    if (protocol !== 'smtp:' && protocol !== 'smtps:') {
      throw new ChannelError('email: SMTP_URL must be an smtp:// or smtps:// URL, such as smtp://user:pass@mail.example.com:587', { permanent: true });
    }
    // Options in the URL's query (e.g. ?tls.rejectUnauthorized=false) take precedence over these.
    transport = createTransport({ url, pool: false, connectionTimeout: TIMEOUT_MS, greetingTimeout: TIMEOUT_MS, socketTimeout: TIMEOUT_MS });
    return transport;
  }

  return {
    kind: 'email',

    parseConfig(input: unknown): EmailConfig {
      const raw = settings(input, 'email', FIELDS, 'an');
      return { to: parseTo(raw.to), subject_prefix: parsePrefix(raw.subject_prefix) };
    },

    // Addresses are not secrets, and the relay's credentials live in the server's environment, not here.
    redact(config: EmailConfig): Record<string, unknown> {
      return { to: [...config.to], subject_prefix: config.subject_prefix };
    },

    async send(message: NotificationMessage, config: EmailConfig, _http: OutboundHttp): Promise<DeliveryResult> {
      const missing = [smtp.url ? null : 'SMTP_URL', smtp.from ? null : 'SMTP_FROM'].filter((name) => name !== null);
      if (!smtp.url || !smtp.from) {
        throw new ChannelError(`email is not configured on this server: set ${missing.join(' and ')} (e.g. SMTP_URL=smtp://user:pass@mail.example.com:587, SMTP_FROM="Overdue <overdue@example.com>")`, { permanent: true });
      }
      const mailer = transportFor(smtp.url);
      let info;
      try {
        info = await mailer.sendMail({
          from: smtp.from,
          to: config.to,
          subject: emailSubject(config.subject_prefix, message),
          text: emailText(message),
          html: emailHtml(message),
          headers: {
            'X-Overdue-Event': message.event,
            'X-Overdue-Idempotency-Key': message.idempotencyKey,
            // RFC 3834: tells vacation responders and list software not to answer an automated message.
            'Auto-Submitted': 'auto-generated',
          },
        });
      } catch (err) {
        throw toChannelError(err);
      }
      const response = String(info.response ?? '');
      const status = Number(/^\d{3}/.exec(response)?.[0] ?? 250);
      const rejected = (info.rejected ?? []).map(String);
      const note = rejected.length === 0 ? '' : ` (rejected: ${rejected.join(', ')})`;
      return { status, response: `${response}${note}`.slice(0, RESPONSE_LOG_CHARS) || null };
    },
  };
}

/**
 * ntfy: one JSON publish (POST to the server root) per notification, to https://ntfy.sh or a self-hosted server.
 * On a server without access control anyone who knows a topic's name can read it ("the topic is essentially a
 * password", say ntfy's docs), so the topic is redacted like a secret and scrubbed from logged answers.
 * `priority` (1–5) applies to problems and tests; recoveries go at ntfy's default 3 so they never wake anyone.
 *
 * The second half of this file holds what every push and incident kind shares (config parsing, message text, the
 * request with its status mapping). It lives here only because this change could not add a module: move it to
 * channels/common.ts when convenient.
 */
import { invalid } from '../../domain/errors.js';
import { ChannelError, type ChannelKind, type DeliveryResult, type NotificationMessage } from '../channel.js';
import { OutboundError, redactUrl, type OutboundHttp } from '../outbound-http.js';

export interface NtfyConfig {
  server: string;
  topic: string;
  token: string | null;
  priority: number | null;
}

const NTFY_FIELDS = ['server', 'topic', 'token', 'priority'];
const TOPIC = /^[-_A-Za-z0-9]{1,64}$/;
// ntfy turns a longer message into an attachment, or refuses it where attachments are off.
const NTFY_MAX_BYTES = 4096;
const EMOJI: Record<string, string> = { on_down: 'rotating_light', on_fail: 'x', on_late: 'hourglass', on_degraded: 'warning', on_overlap: 'warning', on_recovery: 'white_check_mark', on_run: 'arrow_forward', on_complete: 'checkered_flag', test: 'test_tube' };

/** Cuts UTF-8 text to `max` bytes without splitting a character. */
function clipBytes(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  return `${Buffer.from(text).subarray(0, max - 3).toString('utf8').replace(/\uFFFD+$/, '')}…`;
}

export const ntfyChannel: ChannelKind<NtfyConfig> = {
  kind: 'ntfy',

  parseConfig(input: unknown): NtfyConfig {
    const raw = settings(input, 'ntfy', NTFY_FIELDS);
    if (typeof raw.topic !== 'string' || !TOPIC.test(raw.topic)) throw invalid('config.topic', 'required: 1 to 64 letters, digits, "-" or "_"');
    return {
      server: parseBaseUrl('config.server', raw.server, 'https://ntfy.sh'),
      topic: raw.topic,
      token: raw.token === undefined || raw.token === null ? null : parseSecret('config.token', raw.token, TOKEN, 'an access token (tk_…) without spaces'),
      priority: parseInteger('config.priority', raw.priority, 1, 5),
    };
  },

  redact(config: NtfyConfig): Record<string, unknown> {
    return { server: redactUrl(config.server), topic: hint(config.topic), token: config.token === null ? null : hint(config.token), priority: config.priority };
  },

  async send(m: NotificationMessage, config: NtfyConfig, http: OutboundHttp): Promise<DeliveryResult> {
    const priority = m.event === 'on_recovery' ? 3 : (config.priority ?? (isUrgent(m.event) ? 4 : 3));
    const message = clipBytes(withTail(m, 2000, NTFY_MAX_BYTES, (tail) => plainText(m, tail, { headline: false, link: true }), Buffer.byteLength), NTFY_MAX_BYTES);
    const body = { topic: config.topic, title: clip(m.summary, 250), message, priority, tags: [EMOJI[m.event] ?? 'bell', ...m.monitor.tags.slice(0, 5)], click: m.monitor.url };
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (config.token !== null) headers.Authorization = `Bearer ${config.token}`;
    const secrets = config.token === null ? [config.topic] : [config.topic, config.token];
    return callApi(http, { kind: 'ntfy', method: 'POST', url: `${config.server}/`, headers, body: JSON.stringify(body), secrets });
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Shared by the pagerduty, opsgenie, ntfy, pushover, gotify, telegram and matrix kinds.

/** Printable ASCII without spaces: what fits in a header and cannot smuggle a line break. */
export const TOKEN = /^[!-~]{1,512}$/;
const MAX_URL = 2048;
const MAX_SUMMARY = 1000;
const MAX_REASON = 1000;
/** How much of the receiver's answer is kept for the delivery log. */
const RESPONSE_LOG_CHARS = 1024;

/** "…" plus the last 4 characters; short values show nothing, since 4 characters would be much of them. */
export const hint = (value: string) => (value.length >= 12 ? `…${value.slice(-4)}` : '…');

/** The input as a record, refusing unknown keys by name so a misspelt setting does not pass silently. */
export function settings(input: unknown, kind: string, fields: readonly string[]): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalid('config', 'must be an object');
  const raw = input as Record<string, unknown>;
  const unknownKey = Object.keys(raw).find((k) => !fields.includes(k));
  if (unknownKey !== undefined) throw invalid(`config.${unknownKey}`, `is not a ${kind} setting (known: ${fields.join(', ')})`);
  return raw;
}

/**
 * An http(s) base URL, normalized without a trailing slash; `fallback` when absent (null: required). A path prefix is
 * kept for servers behind a reverse proxy; credentials, query and fragment are refused because paths are appended.
 */
export function parseBaseUrl(field: string, value: unknown, fallback: string | null): string {
  if ((value === undefined || value === null) && fallback !== null) return fallback;
  if (typeof value !== 'string' || value.trim() === '') throw invalid(field, 'required: the http(s) URL of the server');
  if (value.length > MAX_URL) throw invalid(field, `must be at most ${MAX_URL} characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(field, 'is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(field, 'must be an http: or https: URL');
  if (url.hostname === '') throw invalid(field, 'must name a host');
  if (url.username !== '' || url.password !== '') throw invalid(field, 'must not contain credentials; use the token setting');
  if (url.search !== '' || url.hash !== '') throw invalid(field, 'must not have a query or fragment');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** A required secret matching `pattern`; the error describes the expected shape and never echoes the value. */
export function parseSecret(field: string, value: unknown, pattern: RegExp, shape: string): string {
  if (value === undefined || value === null || value === '') throw invalid(field, `required: ${shape}`);
  if (typeof value !== 'string' || !pattern.test(value)) throw invalid(field, `must be ${shape}`);
  return value;
}

export function parseInteger(field: string, value: unknown, min: number, max: number): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw invalid(field, `must be an integer from ${min} to ${max}`);
  return value;
}

export const isUrgent = (event: string) => event === 'on_down' || event === 'on_fail';

/** At most `max` characters, marked with "…" when cut, never ending in half a surrogate pair. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max - 1).replace(/[\uD800-\uDBFF]$/, '')}…`;
}

/** The last `max` characters of the run's output (the end is where the error usually is), or null. */
export function outputTail(m: NotificationMessage, max: number): string | null {
  const text = m.outputTail?.replace(/\s+$/, '') ?? '';
  if (text === '' || max <= 0) return null;
  if (text.length <= max) return text;
  // A few characters of the end of a log say nothing; better none.
  return max < 40 ? null : `…${text.slice(-(max - 1)).replace(/^[\uDC00-\uDFFF]/, '')}`;
}

/** `build` with the longest output tail (≤ `max`) that keeps `size` within `limit`; the tail gives way first. */
export function withTail<T>(m: NotificationMessage, max: number, limit: number, build: (tail: string | null) => T, size: (built: T) => number): T {
  let room = Math.min(max, m.outputTail?.length ?? 0);
  for (;;) {
    const built = build(outputTail(m, room));
    const over = size(built) - limit;
    if (over <= 0 || room === 0) return built;
    room = room - over < 40 ? 0 : room - over;
  }
}

export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/** What the reader should do about each event. */
export const ACTION: Record<string, string> = {
  on_down: 'Check that the job ran and can reach Overdue; this clears with its next successful ping.',
  on_fail: 'The job reported a failure: read its output and logs, fix the cause and re-run it.',
  on_late: 'The job has not pinged on time; it will be marked down if no ping arrives within its grace period.',
  on_degraded: 'The job runs, but not as expected: check its output and recent runs.',
  on_overlap: 'A run started while the previous one was still going: look for slow or stuck runs.',
  on_recovery: 'No action needed.',
  test: 'This is a test; no action needed. Real alerts carry the details of what happened.',
};

const when = (d: Date) => d.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC');

/** The facts a message states, as [label, value] in reading order; absent ones are left out. */
export function facts(m: NotificationMessage): Array<[string, string]> {
  const rows: Array<[string, string | null]> = [
    ['Reason', m.reason === null ? null : clip(m.reason, MAX_REASON)],
    ['Occurred at', when(m.occurredAt)],
    ['Last ping', m.lastPingAt !== null ? when(m.lastPingAt) : m.event === 'test' ? null : 'never'],
    ['Next expected', m.nextExpectedAt === null ? null : when(m.nextExpectedAt)],
    ['Down for', m.downForSeconds === null ? null : duration(m.downForSeconds)],
    ['Alerts in this batch', m.count > 1 ? String(m.count) : null],
  ];
  return rows.filter((row): row is [string, string] => row[1] !== null);
}

export function plainText(m: NotificationMessage, tail: string | null, options: { headline: boolean; link: boolean }): string {
  const lines = options.headline ? [clip(m.summary, MAX_SUMMARY)] : [];
  if (ACTION[m.event]) lines.push(ACTION[m.event] as string);
  lines.push('', ...facts(m).map(([label, value]) => `${label}: ${value}`));
  if (tail !== null) lines.push('', 'Output (last lines):', tail);
  if (options.link) lines.push('', `Monitor: ${m.monitor.url}`);
  return lines.join('\n');
}

export const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The message as HTML for Telegram and Matrix; `newline` is "\n" for Telegram and "<br>\n" for Matrix. */
export function htmlText(m: NotificationMessage, tail: string | null, newline: string): string {
  const lines = [`<b>${escapeHtml(clip(m.summary, MAX_SUMMARY))}</b>`];
  if (ACTION[m.event]) lines.push(escapeHtml(ACTION[m.event] as string));
  lines.push('', ...facts(m).map(([label, value]) => `<b>${label}:</b> ${escapeHtml(value)}`));
  if (tail !== null) lines.push('', '<b>Output (last lines):</b>', `<pre>${escapeHtml(tail)}</pre>`);
  lines.push('', `<a href="${escapeHtml(m.monitor.url)}">Open ${escapeHtml(clip(m.monitor.name, 200))} in Overdue</a>`);
  return lines.join(newline);
}

export interface ApiCall {
  kind: string;
  method: 'POST' | 'PUT';
  url: string;
  headers: Record<string, string>;
  body: string;
  /** The URL as errors show it, when the real one carries a secret (Telegram's token is in the path). */
  shownUrl?: string;
  /**
   * Values that must never reach an error message or the delivery log, even if a receiver echoes them. Ones under
   * 8 characters are left alone: replacing every "alerts" in an answer would garble it and hide nothing.
   */
  secrets: string[];
}

/** Whether a reply with this status should be retried later; 3xx here means a redirect that was not followed. */
const transientStatus = (status: number) => status === 408 || status === 429 || status >= 500;

/** Sends one request through the guarded client: 2xx is delivered, 408/429/5xx and transport errors are retried. */
export async function callApi(http: OutboundHttp, call: ApiCall): Promise<DeliveryResult> {
  const shown = call.shownUrl ?? redactUrl(call.url);
  const scrub = (text: string) => call.secrets.reduce((t, secret) => (secret.length < 8 ? t : t.split(secret).join('…')), text.split(redactUrl(call.url)).join(shown));
  let response;
  try {
    response = await http.request({ method: call.method, url: call.url, headers: call.headers, body: call.body });
  } catch (err) {
    const permanent = !(err instanceof OutboundError) || err.code === 'blocked_address' || err.code === 'invalid_url';
    throw new ChannelError(`${call.kind}: ${scrub(err instanceof Error ? err.message : String(err))}`, { permanent });
  }
  const { status } = response;
  const excerpt = scrub(response.body).slice(0, RESPONSE_LOG_CHARS);
  if (status >= 200 && status < 300) return { status, response: excerpt === '' ? null : excerpt };
  const detail = excerpt === '' ? '' : `: ${excerpt.slice(0, 200)}`;
  const redirect = status >= 300 && status < 400 ? ' (a redirect that was not followed; update the URL)' : '';
  throw new ChannelError(`${call.kind} ${shown} answered HTTP ${status}${redirect}${detail}`, { permanent: !transientStatus(status), status });
}

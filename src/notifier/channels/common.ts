/**
 * What the channel kinds share, so each concept has one implementation: config parsing (settings, URLs, secrets),
 * text helpers (clipping, instants, durations), the message text of the push and incident kinds (pagerduty,
 * opsgenie, ntfy, pushover, gotify, telegram, matrix), and the HTTP request with its status → DeliveryResult /
 * ChannelError mapping, used by every HTTP kind (those, the chat kinds and webhook).
 */
import { invalid } from '../../domain/errors.js';
import { ChannelError, type DeliveryResult, type NotificationMessage } from '../channel.js';
import { OutboundError, redactUrl, type OutboundHttp } from '../outbound-http.js';

// ---------------------------------------------------------------------------------------------------------------
// Config parsing

/** Printable ASCII without spaces: what fits in a header and cannot smuggle a line break. */
export const TOKEN = /^[!-~]{1,512}$/;
const MAX_URL = 2048;

/** "…" plus the last 4 characters; short values show nothing, since 4 characters would be much of them. */
export const hint = (value: string) => (value.length >= 12 ? `…${value.slice(-4)}` : '…');

/**
 * The input as a record, refusing unknown keys by name so a misspelt setting does not pass silently. `article` is
 * there because the message reads "is not an email setting" but "is not a ntfy setting".
 */
export function settings(input: unknown, kind: string, fields: readonly string[], article: 'a' | 'an' = 'a'): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalid('config', 'must be an object');
  const raw = input as Record<string, unknown>;
  const unknownKey = Object.keys(raw).find((k) => !fields.includes(k));
  if (unknownKey !== undefined) {
    const known = fields.length === 1 ? `the only one is ${fields[0]}` : `known: ${fields.join(', ')}`;
    throw invalid(`config.${unknownKey}`, `is not ${article} ${kind} setting (${known})`);
  }
  return raw;
}

export interface UrlRules {
  /** What the error for a missing value asks for, after "required: ". */
  required: string;
  /** Set when only https: is allowed (a URL that is itself a secret): why, shown in the error. */
  httpsOnly?: string;
  /**
   * Trim Unicode white space before parsing. The URL parser itself only strips ASCII spaces and controls, so this
   * decides whether e.g. a pasted no-break space is accepted (chat kinds) or refused as invalid (the others).
   */
  trim?: boolean;
}

/** An http(s) URL with a host; each caller adds its own rules on credentials, query and normalization. */
export function parseHttpUrl(field: string, value: unknown, rules: UrlRules): URL {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(field, `required: ${rules.required}`);
  if (value.length > MAX_URL) throw invalid(field, `must be at most ${MAX_URL} characters`);
  let url: URL;
  try {
    url = new URL(rules.trim ? value.trim() : value);
  } catch {
    throw invalid(field, 'is not a valid URL');
  }
  if (rules.httpsOnly !== undefined) {
    if (url.protocol !== 'https:') throw invalid(field, `must be an https: URL (${rules.httpsOnly})`);
  } else if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(field, 'must be an http: or https: URL');
  if (url.hostname === '') throw invalid(field, 'must name a host');
  return url;
}

/**
 * An http(s) base URL, normalized without a trailing slash; `fallback` when absent (null: required). A path prefix is
 * kept for servers behind a reverse proxy; credentials, query and fragment are refused because paths are appended.
 */
export function parseBaseUrl(field: string, value: unknown, fallback: string | null): string {
  if ((value === undefined || value === null) && fallback !== null) return fallback;
  const url = parseHttpUrl(field, value, { required: 'the http(s) URL of the server' });
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

// ---------------------------------------------------------------------------------------------------------------
// Text

/** Cuts `text` to at most `max` code units with "…", keeping its start (`head`) or its end (`tail`, for output). */
export function clip(text: string, max: number, keep: 'head' | 'tail' = 'head'): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  // Never leave half of a surrogate pair: it would be invalid UTF-16 and could be rejected as such.
  if (keep === 'head') return `${text.slice(0, max - 1).replace(/[\uD800-\uDBFF]$/, '')}…`;
  return `…${text.slice(text.length - (max - 1)).replace(/^[\uDC00-\uDFFF]/, '')}`;
}

/** "2026-03-29 01:30:00 UTC": unambiguous for every reader, whatever their locale. */
export const formatInstant = (d: Date) => d.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC');

/** The instant as machine-readable ISO 8601, for JSON payloads; null stays null. */
export const isoOrNull = (d: Date | null) => (d === null ? null : d.toISOString());

/** "45s", "3m 5s", "2h 0m", "1d 4h": the two largest units, rounded to the second. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

// ---------------------------------------------------------------------------------------------------------------
// Message text of the push and incident kinds

const MAX_SUMMARY = 1000;
const MAX_REASON = 1000;

export const isUrgent = (event: string) => event === 'on_down' || event === 'on_fail';

/** The last `max` characters of the run's output (the end is where the error usually is), or null. */
export function outputTail(m: NotificationMessage, max: number): string | null {
  const text = m.outputTail?.replace(/\s+$/, '') ?? '';
  if (text === '' || max <= 0) return null;
  // A few characters of the end of a log say nothing; better none.
  if (text.length > max && max < 40) return null;
  return clip(text, max, 'tail');
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

/** The facts a message states, as [label, value] in reading order; absent ones are left out. */
export function facts(m: NotificationMessage): Array<[string, string]> {
  const rows: Array<[string, string | null]> = [
    ['Reason', m.reason === null ? null : clip(m.reason, MAX_REASON)],
    ['Occurred at', formatInstant(m.occurredAt)],
    ['Last ping', m.lastPingAt !== null ? formatInstant(m.lastPingAt) : m.event === 'test' ? null : 'never'],
    ['Next expected', m.nextExpectedAt === null ? null : formatInstant(m.nextExpectedAt)],
    ['Down for', m.downForSeconds === null ? null : formatDuration(m.downForSeconds)],
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

// ---------------------------------------------------------------------------------------------------------------
// The request

/** How much of the receiver's answer is kept for the delivery log. */
export const RESPONSE_LOG_CHARS = 1024;

export interface ApiCall {
  /** Starts every error message, e.g. "ntfy: request to … failed". */
  kind: string;
  /** How an HTTP status error names the receiver before its URL; `kind` by default (chat kinds: "slack webhook"). */
  receiver?: string;
  method: 'POST' | 'PUT' | 'PATCH' | 'GET';
  url: string;
  headers: Record<string, string>;
  /** Absent for a request without a body (a webhook using GET). */
  body?: string;
  /** The URL as errors show it, when the real one carries a secret (Telegram's token is in the path). */
  shownUrl?: string;
  /**
   * Values that must never reach an error message or the delivery log, even if a receiver echoes them. Ones under
   * 8 characters are left alone: replacing every "alerts" in an answer would garble it and hide nothing.
   */
  secrets?: string[];
}

/** Whether a reply with this status should be retried later; 3xx here means a redirect that was not followed. */
const transientStatus = (status: number) => status === 408 || status === 429 || status >= 500;

/** Sends one request through the guarded client: 2xx is delivered, 408/429/5xx and transport errors are retried. */
export async function callApi(http: OutboundHttp, call: ApiCall): Promise<DeliveryResult> {
  const shown = call.shownUrl ?? redactUrl(call.url);
  const secrets = call.secrets ?? [];
  const scrub = (text: string) => secrets.reduce((t, secret) => (secret.length < 8 ? t : t.split(secret).join('…')), text.split(redactUrl(call.url)).join(shown));
  let response;
  try {
    response = await http.request({ method: call.method, url: call.url, headers: call.headers, body: call.body });
  } catch (err) {
    // Anything but an OutboundError is a bug or a config the client rejected outright; retrying would fail the same way.
    const permanent = !(err instanceof OutboundError) || err.code === 'blocked_address' || err.code === 'invalid_url';
    throw new ChannelError(`${call.kind}: ${scrub(err instanceof Error ? err.message : String(err))}`, { permanent });
  }
  const { status } = response;
  const excerpt = scrub(response.body).slice(0, RESPONSE_LOG_CHARS);
  if (status >= 200 && status < 300) return { status, response: excerpt === '' ? null : excerpt };
  const detail = excerpt === '' ? '' : `: ${excerpt.slice(0, 200)}`;
  const redirect = status >= 300 && status < 400 ? ' (a redirect that was not followed; update the URL)' : '';
  throw new ChannelError(`${call.receiver ?? call.kind} ${shown} answered HTTP ${status}${redirect}${detail}`, { permanent: !transientStatus(status), status });
}

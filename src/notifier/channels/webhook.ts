/**
 * The generic webhook channel: one HTTP request per notification, with a JSON document (or the user's template).
 *
 * Signature scheme, for receivers: with a `secret`, every request carries
 *   X-Overdue-Timestamp: <unix seconds at send time>
 *   X-Overdue-Signature: sha256=<lowercase hex HMAC-SHA256(key = secret as UTF-8, message = "<timestamp>.<body>")>
 * where <body> is the exact raw request body (empty for GET). A receiver recomputes the HMAC over the raw bytes
 * it received, compares in constant time, and rejects timestamps far from its own clock (e.g. > 5 min) so a
 * captured request cannot be replayed later. X-Overdue-Idempotency-Key is stable across re-sends of one alert.
 *
 * Templates: `{{placeholder}}` (spaces inside the braces allowed) from PLACEHOLDERS below. When the Content-Type
 * is JSON (the default), values are inserted JSON-string-escaped without quotes, so write `"text": "{{summary}}"`;
 * otherwise they are inserted as-is. Missing values (e.g. `reason`) become the empty string; a JSON template must
 * still parse when they do, which parseConfig checks.
 */
import { createHmac } from 'node:crypto';
import { invalid } from '../../domain/errors.js';
import { ChannelError, type ChannelKind, type DeliveryResult, type NotificationMessage } from '../channel.js';
import { OutboundError, redactUrl, type OutboundHttp } from '../outbound-http.js';

export const WEBHOOK_METHODS = ['POST', 'PUT', 'PATCH', 'GET'] as const;
export type WebhookMethod = (typeof WEBHOOK_METHODS)[number];

/** The normalized config; parseConfig accepts its own output unchanged. */
export interface WebhookConfig {
  url: string;
  method: WebhookMethod;
  headers: Record<string, string>;
  secret: string | null;
  template: string | null;
}

const FIELDS = ['url', 'method', 'headers', 'secret', 'template'];
const MAX_URL = 2048;
const MAX_HEADERS = 20;
const MAX_HEADER_VALUE = 4096;
const MIN_SECRET = 16;
const MAX_SECRET = 512;
const MAX_TEMPLATE = 10_000;
/** How much of the receiver's answer is kept for the delivery log. */
const RESPONSE_LOG_CHARS = 1024;

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/;
// The characters Node accepts in a header value: checked here so a bad value fails at config time, not at send.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
// Computed by the HTTP client, hop-by-hop, or ours (X-Overdue-*: a custom one could forge the signature).
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect']);
const SECRET_HEADER = /authorization|cookie|token|key|secret|passw|auth|credential|session|signature/i;

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

/** Template placeholders and the value each stands for. */
const PLACEHOLDERS = new Map<string, (m: NotificationMessage) => string | number | null>([
  ['event', (m) => m.event],
  ['summary', (m) => m.summary],
  ['reason', (m) => m.reason],
  ['occurred_at', (m) => m.occurredAt.toISOString()],
  ['count', (m) => m.count],
  ['idempotency_key', (m) => m.idempotencyKey],
  ['monitor.id', (m) => m.monitor.id],
  ['monitor.name', (m) => m.monitor.name],
  ['monitor.key', (m) => m.monitor.key],
  ['monitor.url', (m) => m.monitor.url],
  ['monitor.state', (m) => m.monitor.state],
  ['monitor.tags', (m) => m.monitor.tags.join(', ')],
  ['monitor.schedule', (m) => m.monitor.schedule],
  ['monitor.timezone', (m) => m.monitor.timezone],
  ['last_ping_at', (m) => iso(m.lastPingAt)],
  ['next_expected_at', (m) => iso(m.nextExpectedAt)],
  ['down_for_seconds', (m) => m.downForSeconds],
  ['output_tail', (m) => m.outputTail],
]);
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

/** A message with every nullable field null, to check at config time that a JSON template still parses. */
const SAMPLE: NotificationMessage = {
  idempotencyKey: 'sample',
  event: 'test',
  monitor: { id: 'mon_sample', name: 'sample "job"', key: 'sample', url: 'https://overdue.invalid/', state: 'down', tags: ['a'], schedule: '* * * * *', timezone: 'UTC' },
  summary: 'sample "summary"\nline 2',
  reason: null,
  occurredAt: new Date(0),
  lastPingAt: null,
  nextExpectedAt: null,
  downForSeconds: null,
  outputTail: null,
  count: 1,
};

function defaultBody(m: NotificationMessage): string {
  return JSON.stringify({
    event: m.event,
    summary: m.summary,
    reason: m.reason,
    occurred_at: m.occurredAt.toISOString(),
    count: m.count,
    idempotency_key: m.idempotencyKey,
    monitor: { id: m.monitor.id, name: m.monitor.name, key: m.monitor.key, url: m.monitor.url, state: m.monitor.state, tags: m.monitor.tags, schedule: m.monitor.schedule, timezone: m.monitor.timezone },
    last_ping_at: iso(m.lastPingAt),
    next_expected_at: iso(m.nextExpectedAt),
    down_for_seconds: m.downForSeconds,
    output_tail: m.outputTail,
  });
}

function render(template: string, m: NotificationMessage, json: boolean): string {
  return template.replace(PLACEHOLDER, (_match, name: string) => {
    const value = PLACEHOLDERS.get(name.trim())?.(m) ?? null;
    const text = value === null ? '' : String(value);
    return json ? JSON.stringify(text).slice(1, -1) : text;
  });
}

function contentType(config: Pick<WebhookConfig, 'headers'>): string {
  const custom = Object.entries(config.headers).find(([name]) => name.toLowerCase() === 'content-type');
  return custom ? custom[1] : 'application/json';
}

const isJson = (type: string) => /^application\/([\w.-]+\+)?json\s*(;|$)/i.test(type.trim());

/** Whether a reply with this status should be retried later; 3xx here means a redirect we may not follow. */
const transientStatus = (status: number) => status === 408 || status === 429 || status >= 500;

export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** "…" plus the last 4 characters; short values show nothing, since 4 characters would be much of them. */
const hint = (value: string) => (value.length >= 12 ? `…${value.slice(-4)}` : '…');

function parseUrl(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalid('config.url', 'required: the http(s) URL to call');
  if (value.length > MAX_URL) throw invalid('config.url', `must be at most ${MAX_URL} characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('config.url', 'is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('config.url', 'must be an http: or https: URL');
  if (url.hostname === '') throw invalid('config.url', 'must name a host');
  return url.href;
}

function parseMethod(value: unknown): WebhookMethod {
  if (value === undefined || value === null) return 'POST';
  const method = typeof value === 'string' ? value.toUpperCase() : '';
  const known = WEBHOOK_METHODS.find((m) => m === method);
  if (!known) throw invalid('config.method', `must be one of ${WEBHOOK_METHODS.join(', ')}`);
  return known;
}

function parseHeaders(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid('config.headers', 'must be an object of header name → value');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_HEADERS) throw invalid('config.headers', `at most ${MAX_HEADERS} headers`);
  const seen = new Set<string>();
  for (const [name, v] of entries) {
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(name)) throw invalid('config.headers', `"${name}" is not a valid header name`);
    if (RESERVED_HEADERS.has(lower) || lower.startsWith('x-overdue-')) throw invalid('config.headers', `"${name}" is set by Overdue and cannot be configured`);
    if (seen.has(lower)) throw invalid('config.headers', `"${name}" is given twice`);
    seen.add(lower);
    if (typeof v !== 'string') throw invalid('config.headers', `the value of "${name}" must be a string`);
    if (v.length > MAX_HEADER_VALUE || !HEADER_VALUE.test(v)) {
      throw invalid('config.headers', `the value of "${name}" must be at most ${MAX_HEADER_VALUE} characters without line breaks or control characters`);
    }
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

function parseSecret(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length < MIN_SECRET || value.length > MAX_SECRET) {
    throw invalid('config.secret', `must be a string of ${MIN_SECRET} to ${MAX_SECRET} characters`);
  }
  return value;
}

function parseTemplate(value: unknown, method: WebhookMethod, headers: Record<string, string>): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value === '') throw invalid('config.template', 'must be a non-empty string');
  if (value.length > MAX_TEMPLATE) throw invalid('config.template', `must be at most ${MAX_TEMPLATE} characters`);
  if (method === 'GET') throw invalid('config.template', 'cannot be used with method GET, which sends no body');
  for (const [, name = ''] of value.matchAll(PLACEHOLDER)) {
    if (!PLACEHOLDERS.has(name.trim())) {
      throw invalid('config.template', `unknown placeholder {{${name.trim()}}} (known: ${[...PLACEHOLDERS.keys()].join(', ')})`);
    }
  }
  if (isJson(contentType({ headers }))) {
    try {
      JSON.parse(render(value, SAMPLE, true));
    } catch {
      throw invalid('config.template', 'is not valid JSON once placeholders are filled; values go in without quotes and missing ones are empty, so keep text placeholders inside "…"');
    }
  }
  return value;
}

export const webhookChannel: ChannelKind<WebhookConfig> = {
  kind: 'webhook',

  parseConfig(input: unknown): WebhookConfig {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalid('config', 'must be an object');
    const raw = input as Record<string, unknown>;
    const unknownKey = Object.keys(raw).find((k) => !FIELDS.includes(k));
    if (unknownKey !== undefined) throw invalid(`config.${unknownKey}`, `is not a webhook setting (known: ${FIELDS.join(', ')})`);
    const url = parseUrl(raw.url);
    const method = parseMethod(raw.method);
    const headers = parseHeaders(raw.headers);
    return { url, method, headers, secret: parseSecret(raw.secret), template: parseTemplate(raw.template, method, headers) };
  },

  redact(config: WebhookConfig): Record<string, unknown> {
    return {
      url: redactUrl(config.url),
      method: config.method,
      headers: Object.fromEntries(Object.entries(config.headers).map(([name, value]) => [name, SECRET_HEADER.test(name) ? hint(value) : value])),
      secret: config.secret === null ? null : hint(config.secret),
      template: config.template,
    };
  },

  async send(message: NotificationMessage, config: WebhookConfig, http: OutboundHttp): Promise<DeliveryResult> {
    const hasBody = config.method !== 'GET';
    const type = contentType(config);
    const body = !hasBody ? '' : config.template === null ? defaultBody(message) : render(config.template, message, isJson(type));
    // Send time, not occurred_at: it bounds how long a captured request stays replayable.
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = hasBody ? { 'Content-Type': 'application/json' } : {};
    for (const [name, value] of Object.entries(config.headers)) {
      if (name.toLowerCase() === 'content-type') delete headers['Content-Type'];
      headers[name] = value;
    }
    headers['X-Overdue-Event'] = message.event;
    headers['X-Overdue-Idempotency-Key'] = message.idempotencyKey;
    headers['X-Overdue-Timestamp'] = timestamp;
    if (config.secret !== null) headers['X-Overdue-Signature'] = signWebhook(config.secret, timestamp, body);

    let response;
    try {
      response = await http.request({ method: config.method, url: config.url, headers, body: hasBody ? body : undefined });
    } catch (err) {
      if (err instanceof OutboundError) {
        const permanent = err.code === 'blocked_address' || err.code === 'invalid_url';
        throw new ChannelError(`webhook: ${err.message}`, { permanent });
      }
      // Anything else is a bug or a config the client rejected outright; retrying would fail the same way.
      throw new ChannelError(`webhook: ${err instanceof Error ? err.message : String(err)}`, { permanent: true });
    }
    const { status } = response;
    const excerpt = response.body.slice(0, RESPONSE_LOG_CHARS);
    if (status >= 200 && status < 300) return { status, response: excerpt === '' ? null : excerpt };
    const detail = excerpt === '' ? '' : `: ${excerpt.slice(0, 200)}`;
    const hintText = status >= 300 && status < 400 ? ' (a redirect that was not followed; update the URL)' : '';
    throw new ChannelError(`webhook ${redactUrl(config.url)} answered HTTP ${status}${hintText}${detail}`, { permanent: !transientStatus(status), status });
  },
};

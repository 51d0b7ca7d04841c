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
import type { ChannelKind, DeliveryResult, NotificationMessage } from '../channel.js';
import { redactUrl, type OutboundHttp } from '../outbound-http.js';
import { callApi, hint, isoOrNull, parseHttpUrl, settings } from './common.js';

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
const MAX_HEADERS = 20;
const MAX_HEADER_VALUE = 4096;
const MIN_SECRET = 16;
const MAX_SECRET = 512;
const MAX_TEMPLATE = 10_000;

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/;
// The characters Node accepts in a header value: checked here so a bad value fails at config time, not at send.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
// Computed by the HTTP client, hop-by-hop, or ours (X-Overdue-*: a custom one could forge the signature).
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect']);
const SECRET_HEADER = /authorization|cookie|token|key|secret|passw|auth|credential|session|signature/i;

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
  ['last_ping_at', (m) => isoOrNull(m.lastPingAt)],
  ['next_expected_at', (m) => isoOrNull(m.nextExpectedAt)],
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
    last_ping_at: isoOrNull(m.lastPingAt),
    next_expected_at: isoOrNull(m.nextExpectedAt),
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

export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Unlike a push kind's base URL, this one is called as given: credentials (hidden by redact) and a query are kept. */
const parseUrl = (value: unknown) => parseHttpUrl('config.url', value, { required: 'the http(s) URL to call' }).href;

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
    const raw = settings(input, 'webhook', FIELDS);
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

    // Answers are logged unscrubbed (no `secrets`), as they always were: the signing secret itself is never sent.
    return callApi(http, { kind: 'webhook', method: config.method, url: config.url, headers, body: hasBody ? body : undefined });
  },
};

/**
 * Opsgenie through its Alert API (api.opsgenie.com, or api.eu.opsgenie.com for EU accounts; both answer 202 and
 * process the request asynchronously). A problem creates an alert under the alias `overdue-<monitor id>`; Opsgenie
 * keeps one open alert per alias and counts repeats on it, and a recovery closes the alert by that alias.
 *
 * A test creates an alert under its own alias, `overdue-test-<idempotency key>`, so it never merges into or closes a
 * real one; close it by hand. on_run and on_complete fail permanently: nothing would ever close such an alert.
 * Only a flip out of `down` raises on_recovery, so an alert opened by on_late stays open until then.
 * `priority` (P1–P5) applies to every alert; without it, down/fail are P2, other problems P3 and tests P5.
 */
import { ChannelError, type ChannelKind, type DeliveryResult, type NotificationMessage } from '../channel.js';
import { invalid } from '../../domain/errors.js';
import { redactUrl, type OutboundHttp } from '../outbound-http.js';
import { callApi, clip, hint, isUrgent, isoOrNull, parseBaseUrl, parseSecret, plainText, settings, withTail } from './common.js';

export const OPSGENIE_PRIORITIES = ['P1', 'P2', 'P3', 'P4', 'P5'] as const;
export type OpsgeniePriority = (typeof OPSGENIE_PRIORITIES)[number];

export interface OpsgenieConfig {
  api_key: string;
  api_url: string;
  priority: OpsgeniePriority | null;
}

const FIELDS = ['api_key', 'api_url', 'priority'];
// Integration API keys are UUIDs; the pattern is looser so a format change on their side does not lock users out.
const API_KEY = /^[A-Za-z0-9-]{16,128}$/;
const PROBLEMS = new Set(['on_down', 'on_fail', 'on_late', 'on_degraded', 'on_overlap', 'test']);
// Opsgenie's limits: message 130, description 15 000, alias 512, note 25 000; at most 20 tags of 50 characters.
const MAX_MESSAGE = 130;
const MAX_DESCRIPTION = 15_000;

/** The alias that pairs a monitor's alert with its close. */
export const opsgenieAlias = (monitorId: string) => `overdue-${monitorId}`;

function parsePriority(value: unknown): OpsgeniePriority | null {
  if (value === undefined || value === null) return null;
  const known = OPSGENIE_PRIORITIES.find((p) => typeof value === 'string' && p === value.toUpperCase());
  if (!known) throw invalid('config.priority', `must be one of ${OPSGENIE_PRIORITIES.join(', ')}`);
  return known;
}

function details(m: NotificationMessage): Record<string, string> {
  const all: Record<string, string | null> = {
    event: m.event,
    monitor: m.monitor.name,
    monitor_key: m.monitor.key,
    monitor_url: m.monitor.url,
    reason: m.reason === null ? null : clip(m.reason, 1000),
    occurred_at: m.occurredAt.toISOString(),
    last_ping_at: isoOrNull(m.lastPingAt),
    next_expected_at: isoOrNull(m.nextExpectedAt),
    count: String(m.count),
  };
  return Object.fromEntries(Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== null));
}

function createAlert(m: NotificationMessage, config: OpsgenieConfig): Record<string, unknown> {
  const priority = config.priority ?? (m.event === 'test' ? 'P5' : isUrgent(m.event) ? 'P2' : 'P3');
  return {
    message: clip(m.summary, MAX_MESSAGE),
    alias: m.event === 'test' ? `overdue-test-${m.idempotencyKey}` : opsgenieAlias(m.monitor.id),
    description: clip(
      withTail(m, 8000, MAX_DESCRIPTION, (tail) => plainText(m, tail, { headline: true, link: true }), (text) => text.length),
      MAX_DESCRIPTION,
    ),
    details: details(m),
    entity: clip(m.monitor.name, 512),
    tags: ['overdue', ...m.monitor.tags].slice(0, 20).map((tag) => clip(tag, 50)),
    source: 'Overdue',
    priority,
  };
}

export const opsgenieChannel: ChannelKind<OpsgenieConfig> = {
  kind: 'opsgenie',

  parseConfig(input: unknown): OpsgenieConfig {
    const raw = settings(input, 'opsgenie', FIELDS);
    return {
      api_key: parseSecret('config.api_key', raw.api_key, API_KEY, 'the API key of an Opsgenie API integration'),
      api_url: parseBaseUrl('config.api_url', raw.api_url, 'https://api.opsgenie.com'),
      priority: parsePriority(raw.priority),
    };
  },

  redact(config: OpsgenieConfig): Record<string, unknown> {
    return { api_key: hint(config.api_key), api_url: redactUrl(config.api_url), priority: config.priority };
  },

  async send(m: NotificationMessage, config: OpsgenieConfig, http: OutboundHttp): Promise<DeliveryResult> {
    const headers = { 'Content-Type': 'application/json', Authorization: `GenieKey ${config.api_key}` };
    const common = { kind: 'opsgenie', method: 'POST' as const, headers, secrets: [config.api_key] };
    if (m.event === 'on_recovery') {
      const alias = encodeURIComponent(opsgenieAlias(m.monitor.id));
      const body = { source: 'Overdue', note: clip(m.summary, 25_000) };
      return callApi(http, { ...common, url: `${config.api_url}/v2/alerts/${alias}/close?identifierType=alias`, body: JSON.stringify(body) });
    }
    if (!PROBLEMS.has(m.event)) {
      throw new ChannelError(`opsgenie: ${m.event} is not an incident and nothing would close it; notify a chat or push channel of it instead`, { permanent: true });
    }
    return callApi(http, { ...common, url: `${config.api_url}/v2/alerts`, body: JSON.stringify(createAlert(m, config)) });
  },
};

/**
 * PagerDuty through the Events API v2 (POST <api_url>/v2/enqueue, answered 202): a problem triggers an alert and a
 * recovery resolves it. Every event about one monitor carries the dedup_key `overdue-<monitor id>`, so PagerDuty folds
 * a down and the failure that caused it into one alert, and the recovery resolves exactly that alert.
 *
 * A test triggers an info-severity alert under its own key, `overdue-test-<idempotency key>`: it proves that a page
 * really arrives, never merges into (or resolves) a real incident, and is resolved by hand in PagerDuty.
 * on_run and on_complete are not incidents, and nothing would ever resolve them, so they fail permanently.
 * Only a flip out of `down` raises on_recovery (domain/notify-events.ts), so an alert opened by on_late, on_degraded
 * or on_overlap stays open until the monitor next recovers from down, or until someone resolves it.
 */
import { invalid } from '../../domain/errors.js';
import { ChannelError, type ChannelKind, type DeliveryResult, type NotificationMessage } from '../channel.js';
import { redactUrl, type OutboundHttp } from '../outbound-http.js';
import { ACTION, callApi, clip, hint, isoOrNull, outputTail, parseBaseUrl, settings } from './common.js';

export interface PagerDutyConfig {
  routing_key: string;
  api_url: string;
}

const FIELDS = ['routing_key', 'api_url'];
const ROUTING_KEY = /^[A-Za-z0-9]{32}$/;
const MAX_SUMMARY = 1024;
const MAX_OUTPUT = 4000;
const SEVERITY: Record<string, 'critical' | 'warning' | 'info'> = {
  on_down: 'critical',
  on_fail: 'critical',
  on_late: 'warning',
  on_degraded: 'warning',
  on_overlap: 'warning',
  test: 'info',
};

/** The key that pairs a monitor's triggers with its resolve. */
export const pagerDutyDedupKey = (monitorId: string) => `overdue-${monitorId}`;

function trigger(m: NotificationMessage, config: PagerDutyConfig, severity: string): Record<string, unknown> {
  return {
    routing_key: config.routing_key,
    event_action: 'trigger',
    dedup_key: m.event === 'test' ? `overdue-test-${m.idempotencyKey}` : pagerDutyDedupKey(m.monitor.id),
    payload: {
      summary: clip(m.summary, MAX_SUMMARY),
      // The key is stable and unique in a project; the name is what people read, so it is the component.
      source: m.monitor.key || m.monitor.name,
      severity,
      timestamp: m.occurredAt.toISOString(),
      component: m.monitor.name,
      class: m.event,
      custom_details: {
        what_to_do: ACTION[m.event] ?? null,
        reason: m.reason,
        last_ping_at: isoOrNull(m.lastPingAt),
        next_expected_at: isoOrNull(m.nextExpectedAt),
        output_tail: outputTail(m, MAX_OUTPUT),
        count: m.count,
        monitor_url: m.monitor.url,
        schedule: m.monitor.schedule,
        timezone: m.monitor.timezone,
      },
    },
    client: 'Overdue',
    client_url: m.monitor.url,
    links: [{ href: m.monitor.url, text: `${m.monitor.name} in Overdue` }],
  };
}

export const pagerDutyChannel: ChannelKind<PagerDutyConfig> = {
  kind: 'pagerduty',

  parseConfig(input: unknown): PagerDutyConfig {
    const raw = settings(input, 'pagerduty', FIELDS);
    if (raw.routing_key === undefined || raw.routing_key === null || raw.routing_key === '') {
      throw invalid('config.routing_key', 'required: the 32-character Integration Key of an Events API v2 integration');
    }
    if (typeof raw.routing_key !== 'string' || !ROUTING_KEY.test(raw.routing_key)) {
      throw invalid('config.routing_key', 'must be the 32-character Integration Key (letters and digits) of an Events API v2 integration');
    }
    return { routing_key: raw.routing_key, api_url: parseBaseUrl('config.api_url', raw.api_url, 'https://events.pagerduty.com') };
  },

  redact(config: PagerDutyConfig): Record<string, unknown> {
    return { routing_key: hint(config.routing_key), api_url: redactUrl(config.api_url) };
  },

  async send(m: NotificationMessage, config: PagerDutyConfig, http: OutboundHttp): Promise<DeliveryResult> {
    let event: Record<string, unknown>;
    if (m.event === 'on_recovery') {
      event = { routing_key: config.routing_key, event_action: 'resolve', dedup_key: pagerDutyDedupKey(m.monitor.id) };
    } else {
      const severity = SEVERITY[m.event];
      if (severity === undefined) {
        throw new ChannelError(`pagerduty: ${m.event} is not an incident and nothing would resolve it; notify a chat or push channel of it instead`, { permanent: true });
      }
      event = trigger(m, config, severity);
    }
    return callApi(http, {
      kind: 'pagerduty',
      method: 'POST',
      url: `${config.api_url}/v2/enqueue`,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(event),
      secrets: [config.routing_key],
    });
  },
};

/**
 * The contract between the notifier and each channel kind. A kind is one module in channels/ that validates
 * its config, hides its secrets when echoed, and sends one message through the guarded outbound client.
 */
import type { OutboundHttp } from './outbound-http.js';

/** Events a notification rule can subscribe to. */
export const NOTIFY_EVENTS = ['on_down', 'on_recovery', 'on_late', 'on_degraded', 'on_fail', 'on_overlap', 'on_run', 'on_complete'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** Everything a channel needs to tell a person what happened and what to do. */
export interface NotificationMessage {
  /** Unique per (event, channel); receivers may use it to de-duplicate a re-send after a crash. */
  idempotencyKey: string;
  event: NotifyEvent | 'test';
  monitor: {
    id: string;
    name: string;
    key: string;
    /** Link to the monitor (API URL until the dashboard exists). */
    url: string;
    state: string;
    tags: string[];
    schedule: string;
    timezone: string;
  };
  /** One line: "nightly-backup is DOWN: no ping within the grace period after 2026-…". */
  summary: string;
  /** Why: missed / failed with exit code / timeout / assertion text. */
  reason: string | null;
  occurredAt: Date;
  lastPingAt: Date | null;
  nextExpectedAt: Date | null;
  /** On recovery: how long the monitor was down, in seconds. */
  downForSeconds: number | null;
  /** The last lines of the failing run's output, when there is one. */
  outputTail: string | null;
  /** When several rapid failures are batched into one alert: how many it covers (1 otherwise). */
  count: number;
}

/** A delivery failure. `permanent` ones (bad config, 4xx other than 408/429) are not retried. */
export class ChannelError extends Error {
  readonly permanent: boolean;
  readonly status: number | null;
  constructor(message: string, options: { permanent: boolean; status?: number | null }) {
    super(message);
    this.name = 'ChannelError';
    this.permanent = options.permanent;
    this.status = options.status ?? null;
  }
}

export interface DeliveryResult {
  /** HTTP status of the receiver's answer, when there was one. */
  status: number | null;
  /** The start of the receiver's answer, for the delivery log (capped). */
  response: string | null;
}

export interface ChannelKind<Config = Record<string, unknown>> {
  kind: string;
  /** Validates and normalizes a channel's config; throws invalid(`config.<field>`, …). */
  parseConfig(input: unknown): Config;
  /** The config as shown by the API: secrets replaced by a hint such as "…a1b2". */
  redact(config: Config): Record<string, unknown>;
  /** Sends one message; throws ChannelError on failure. */
  send(message: NotificationMessage, config: Config, http: OutboundHttp): Promise<DeliveryResult>;
}

/**
 * What the chat kinds (Slack, Discord, Teams, Mattermost, Google Chat) share: each is one incoming-webhook URL
 * that takes one JSON POST, so config parsing, redaction and delivery live here, along with the event styles, the
 * facts every message shows and length fitting. Each kind's module only builds its service's payload. What is not
 * chat-specific (URL checks, clipping, instants and durations, the request and its status mapping) is in common.ts.
 *
 * Lengths are measured in UTF-16 code units (String#length), never fewer than the characters or code points
 * the services count, so a fitted text is always within their limit.
 */
import { invalid } from '../../domain/errors.js';
import type { ChannelKind, DeliveryResult, NotificationMessage } from '../channel.js';
import { redactUrl, type OutboundHttp } from '../outbound-http.js';
import { callApi, clip, formatDuration, formatInstant, parseHttpUrl, settings } from './common.js';

/** The config of every chat kind; parseConfig accepts its own output unchanged. */
export interface ChatWebhookConfig {
  url: string;
}

/** Zero-width space: invisible, but splits the character sequences a service would read as markup or mentions. */
export const ZWSP = '\u200b';

/**
 * Only `url`: these webhooks post as the integration configured on the service side, and Slack app webhooks, for
 * one, ignore channel/username/icon overrides. https only: the URL is a bearer secret. Tests that talk to a plain
 * http receiver on 127.0.0.1 pass a config object straight to send() rather than weakening this check.
 */
export function parseChatWebhookConfig(input: unknown, service: string, example: string): ChatWebhookConfig {
  const raw = settings(input, service, ['url']);
  const url = parseHttpUrl('config.url', raw.url, {
    required: `the ${service} incoming webhook URL, like ${example}`,
    httpsOnly: `the ${service} webhook URL is a secret and must not travel in clear text`,
    trim: true,
  });
  if (url.username !== '' || url.password !== '') throw invalid('config.url', 'must not contain credentials');
  return { url: url.href };
}

/** The tokens of these services sit in the path or query, which redactUrl shortens or hides. */
export function redactChatWebhookConfig(config: ChatWebhookConfig): Record<string, unknown> {
  return { url: redactUrl(config.url) };
}

/** POSTs `payload` as JSON; 2xx is delivered, 408/429/5xx and transport failures are transient, the rest permanent. */
export function postJson(service: string, config: ChatWebhookConfig, payload: unknown, http: OutboundHttp): Promise<DeliveryResult> {
  // No `secrets`: the URL is the only secret, and errors and logs show it only through redactUrl.
  return callApi(http, {
    kind: service,
    receiver: `${service} webhook`,
    method: 'POST',
    url: config.url,
    headers: { 'Content-Type': 'application/json; charset=utf-8' },
    body: JSON.stringify(payload),
  });
}

/**
 * A chat kind: the shared config, redaction and delivery around the service's own payload builder.
 * `service` names it in config errors, `example` shows a webhook URL of its shape, `receiver` names it in
 * delivery errors.
 */
export function chatWebhookKind(
  kind: string,
  names: { service: string; example: string; receiver: string },
  payload: (message: NotificationMessage) => unknown,
): ChannelKind<ChatWebhookConfig> {
  return {
    kind,
    parseConfig: (input: unknown) => parseChatWebhookConfig(input, names.service, names.example),
    redact: redactChatWebhookConfig,
    send: (message, config, http) => postJson(names.receiver, config, payload(message), http),
  };
}

export type Tone = 'bad' | 'good' | 'warn' | 'neutral';

export interface EventStyle {
  /** Short upper-case word for the event, e.g. "DOWN". */
  label: string;
  tone: Tone;
  /** A Unicode emoji, so it renders the same everywhere without service-specific shortcodes. */
  emoji: string;
  /** 0xRRGGBB. */
  color: number;
}

const TONE: Record<Tone, { emoji: string; color: number }> = {
  bad: { emoji: '🔴', color: 0xd93025 },
  good: { emoji: '🟢', color: 0x1e8e3e },
  warn: { emoji: '🟠', color: 0xf29900 },
  neutral: { emoji: '⚪', color: 0x9aa0a6 },
};

const EVENTS: Record<NotificationMessage['event'], [string, Tone]> = {
  on_down: ['DOWN', 'bad'],
  on_fail: ['FAILED', 'bad'],
  on_recovery: ['RECOVERED', 'good'],
  on_late: ['LATE', 'warn'],
  on_degraded: ['DEGRADED', 'warn'],
  on_overlap: ['OVERLAP', 'warn'],
  on_run: ['RUN STARTED', 'neutral'],
  on_complete: ['COMPLETED', 'good'],
  test: ['TEST', 'neutral'],
};

export function eventStyle(event: NotificationMessage['event']): EventStyle {
  const [label, tone] = EVENTS[event] ?? [String(event).toUpperCase(), 'neutral'];
  return { label, tone, ...TONE[tone] };
}

export const hexColor = (color: number) => `#${color.toString(16).padStart(6, '0')}`;

/** The timing facts a message shows, in order, as [label, plain value]; absent ones are left out. */
export function timingFacts(m: NotificationMessage): Array<[string, string]> {
  const facts: Array<[string, string]> = [['Occurred at', formatInstant(m.occurredAt)]];
  if (m.downForSeconds !== null) facts.push(['Down for', formatDuration(m.downForSeconds)]);
  facts.push(['Last ping', m.lastPingAt === null ? 'never' : formatInstant(m.lastPingAt)]);
  if (m.nextExpectedAt !== null) facts.push(['Next expected', formatInstant(m.nextExpectedAt)]);
  if (m.count > 1) facts.push(['Alerts batched', String(m.count)]);
  return facts;
}

/** "0 3 * * * (Europe/Berlin)" — the schedule the timing refers to. */
export const scheduleText = (m: NotificationMessage) => `${m.monitor.schedule} (${m.monitor.timezone})`;

/**
 * The longest clip of `raw` whose rendering (escaping, wrapping) fits `max`: escaping can lengthen text, so the
 * raw text is cut before escaping, never an escaped sequence in half. Binary search over the clip length (the
 * rendered length grows with it), so about log2(max) renders. Returns '' when not even "…" fits.
 */
export function fit(raw: string, max: number, render: (text: string) => string, keep: 'head' | 'tail' = 'head'): string {
  const whole = render(raw);
  if (whole.length <= max) return whole;
  let best = '';
  let low = 1;
  let high = Math.min(raw.length - 1, max);
  while (low <= high) {
    const mid = Math.floor((low + high) / 2);
    const out = render(clip(raw, mid, keep));
    if (out.length <= max) {
      best = out;
      low = mid + 1;
    } else high = mid - 1;
  }
  return best;
}

/** Breaks runs of three backticks, so output cannot close the code block it is shown in. */
export const fenceSafe = (text: string) => text.replace(/`(?=``)/g, `\`${ZWSP}`);

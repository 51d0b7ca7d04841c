/**
 * What the chat kinds (Slack, Discord, Teams, Mattermost, Google Chat) share: each is one incoming-webhook URL
 * that takes one JSON POST, so config parsing, redaction, delivery and status mapping live here, along with the
 * facts every message shows and length fitting. Each kind's module only builds its service's payload.
 *
 * Lengths are measured in UTF-16 code units (String#length), never fewer than the characters or code points
 * the services count, so a fitted text is always within their limit.
 */
import { invalid } from '../../domain/errors.js';
import { ChannelError, type DeliveryResult, type NotificationMessage } from '../channel.js';
import { OutboundError, redactUrl, type OutboundHttp } from '../outbound-http.js';

/** The config of every chat kind; parseConfig accepts its own output unchanged. */
export interface ChatWebhookConfig {
  url: string;
}

const MAX_URL = 2048;
/** How much of the receiver's answer is kept for the delivery log. */
const RESPONSE_LOG_CHARS = 1024;
/** Zero-width space: invisible, but splits the character sequences a service would read as markup or mentions. */
export const ZWSP = '\u200b';

/**
 * Only `url`: these webhooks post as the integration configured on the service side, and Slack app webhooks, for
 * one, ignore channel/username/icon overrides. https only: the URL is a bearer secret. Tests that talk to a plain
 * http receiver on 127.0.0.1 pass a config object straight to send() rather than weakening this check.
 */
export function parseChatWebhookConfig(input: unknown, service: string, example: string): ChatWebhookConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalid('config', 'must be an object');
  const raw = input as Record<string, unknown>;
  const unknownKey = Object.keys(raw).find((k) => k !== 'url');
  if (unknownKey !== undefined) throw invalid(`config.${unknownKey}`, `is not a ${service} setting (the only one is url)`);
  const value = raw.url;
  if (typeof value !== 'string' || value.trim() === '') throw invalid('config.url', `required: the ${service} incoming webhook URL, like ${example}`);
  if (value.length > MAX_URL) throw invalid('config.url', `must be at most ${MAX_URL} characters`);
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw invalid('config.url', 'is not a valid URL');
  }
  if (url.protocol !== 'https:') throw invalid('config.url', `must be an https: URL (the ${service} webhook URL is a secret and must not travel in clear text)`);
  if (url.hostname === '') throw invalid('config.url', 'must name a host');
  if (url.username !== '' || url.password !== '') throw invalid('config.url', 'must not contain credentials');
  return { url: url.href };
}

/** The tokens of these services sit in the path or query, which redactUrl shortens or hides. */
export function redactChatWebhookConfig(config: ChatWebhookConfig): Record<string, unknown> {
  return { url: redactUrl(config.url) };
}

/** Whether a reply with this status should be retried later; 3xx here means a redirect that was not followed. */
const transientStatus = (status: number) => status === 408 || status === 429 || status >= 500;

/** POSTs `payload` as JSON; 2xx is delivered, 408/429/5xx and transport failures are transient, the rest permanent. */
export async function postJson(service: string, config: ChatWebhookConfig, payload: unknown, http: OutboundHttp): Promise<DeliveryResult> {
  let response;
  try {
    response = await http.request({ method: 'POST', url: config.url, headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: JSON.stringify(payload) });
  } catch (err) {
    if (err instanceof OutboundError) {
      throw new ChannelError(`${service}: ${err.message}`, { permanent: err.code === 'blocked_address' || err.code === 'invalid_url' });
    }
    // Anything else is a bug or a config the client rejected outright; retrying would fail the same way.
    throw new ChannelError(`${service}: ${err instanceof Error ? err.message : String(err)}`, { permanent: true });
  }
  const { status } = response;
  const excerpt = response.body.slice(0, RESPONSE_LOG_CHARS);
  if (status >= 200 && status < 300) return { status, response: excerpt === '' ? null : excerpt };
  const detail = excerpt === '' ? '' : `: ${excerpt.slice(0, 200)}`;
  const hint = status >= 300 && status < 400 ? ' (a redirect that was not followed; update the URL)' : '';
  throw new ChannelError(`${service} webhook ${redactUrl(config.url)} answered HTTP ${status}${hint}${detail}`, { permanent: !transientStatus(status), status });
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

/** "2026-03-29 01:30:00 UTC": unambiguous for every reader, whatever their locale. */
export const formatInstant = (d: Date) => `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

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

/** Cuts `text` to at most `max` code units with "…", keeping its start (`head`) or its end (`tail`, for output). */
export function clip(text: string, max: number, keep: 'head' | 'tail' = 'head'): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  if (keep === 'head') {
    let cut = text.slice(0, max - 1);
    // Never leave half of a surrogate pair: it would be invalid UTF-16 and could be rejected as such.
    if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
    return `${cut}…`;
  }
  let cut = text.slice(text.length - (max - 1));
  if (/^[\udc00-\udfff]/.test(cut)) cut = cut.slice(1);
  return `…${cut}`;
}

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

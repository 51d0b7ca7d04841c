/**
 * ntfy: one JSON publish (POST to the server root) per notification, to https://ntfy.sh or a self-hosted server.
 * On a server without access control anyone who knows a topic's name can read it ("the topic is essentially a
 * password", say ntfy's docs), so the topic is redacted like a secret and scrubbed from logged answers.
 * `priority` (1–5) applies to problems and tests; recoveries go at ntfy's default 3 so they never wake anyone.
 */
import { invalid } from '../../domain/errors.js';
import type { ChannelKind, DeliveryResult, NotificationMessage } from '../channel.js';
import { redactUrl, type OutboundHttp } from '../outbound-http.js';
import { TOKEN, callApi, clip, hint, isUrgent, parseBaseUrl, parseInteger, parseSecret, plainText, settings, withTail } from './common.js';

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

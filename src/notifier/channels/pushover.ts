/**
 * Pushover: POST <api_url>/1/messages.json, form-encoded (the format its API documents for every client), answered
 * 200 with {"status":1}; an invalid token or user key is a 4xx and is not retried.
 * `priority` (-2 lowest … 1 high, which bypasses quiet hours) applies to problems and tests; without it down/fail go
 * at 1 and the rest at 0. Recoveries always go at 0. Emergency priority (2) is not offered: it needs retry/expire
 * settings and an acknowledgement flow that Overdue does not drive.
 */
import type { ChannelKind, DeliveryResult, NotificationMessage } from '../channel.js';
import { redactUrl, type OutboundHttp } from '../outbound-http.js';
import { callApi, clip, hint, isUrgent, parseBaseUrl, parseInteger, parseSecret, plainText, settings, withTail } from './common.js';

export interface PushoverConfig {
  token: string;
  user: string;
  api_url: string;
  priority: number | null;
}

const FIELDS = ['token', 'user', 'api_url', 'priority'];
const KEY = /^[A-Za-z0-9]{30}$/;
// Pushover's limits, in characters.
const MAX_MESSAGE = 1024;
const MAX_TITLE = 250;
const MAX_URL = 512;

export const pushoverChannel: ChannelKind<PushoverConfig> = {
  kind: 'pushover',

  parseConfig(input: unknown): PushoverConfig {
    const raw = settings(input, 'pushover', FIELDS);
    return {
      token: parseSecret('config.token', raw.token, KEY, "your application's API token (30 letters and digits)"),
      user: parseSecret('config.user', raw.user, KEY, 'a user or group key (30 letters and digits)'),
      api_url: parseBaseUrl('config.api_url', raw.api_url, 'https://api.pushover.net'),
      priority: parseInteger('config.priority', raw.priority, -2, 1),
    };
  },

  redact(config: PushoverConfig): Record<string, unknown> {
    return { token: hint(config.token), user: hint(config.user), api_url: redactUrl(config.api_url), priority: config.priority };
  },

  async send(m: NotificationMessage, config: PushoverConfig, http: OutboundHttp): Promise<DeliveryResult> {
    const priority = m.event === 'on_recovery' ? 0 : (config.priority ?? (isUrgent(m.event) ? 1 : 0));
    // The link goes in Pushover's own url field, shown as a button; only one too long for it goes in the text.
    const linkField = m.monitor.url.length <= MAX_URL;
    const text = withTail(m, 600, MAX_MESSAGE, (tail) => plainText(m, tail, { headline: false, link: !linkField }), (t) => t.length);
    const form = new URLSearchParams({
      token: config.token,
      user: config.user,
      title: clip(m.summary, MAX_TITLE),
      message: clip(text, MAX_MESSAGE),
      priority: String(priority),
      timestamp: String(Math.floor(m.occurredAt.getTime() / 1000)),
    });
    if (linkField) {
      form.set('url', m.monitor.url);
      form.set('url_title', clip(`Open ${m.monitor.name} in Overdue`, 100));
    }
    return callApi(http, {
      kind: 'pushover',
      method: 'POST',
      url: `${config.api_url}/1/messages.json`,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      secrets: [config.token, config.user],
    });
  },
};

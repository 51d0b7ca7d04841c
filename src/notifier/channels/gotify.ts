/**
 * Gotify (self-hosted only, so `server` is required): POST <server>/message with the application token in the
 * X-Gotify-Key header rather than the `?token=` query string its examples use, so the token stays out of access logs
 * and proxies. The message is plain text (client::display) and tapping the notification opens the monitor
 * (client::notification). `priority` (0–10) applies to problems and tests; without it down/fail go at 8, which the
 * Android app shows as a heads-up notification, and the rest at 5. Recoveries always go at 5.
 */
import type { ChannelKind, DeliveryResult, NotificationMessage } from '../channel.js';
import { redactUrl, type OutboundHttp } from '../outbound-http.js';
import { TOKEN, callApi, clip, hint, isUrgent, outputTail, parseBaseUrl, parseInteger, parseSecret, plainText, settings } from './common.js';

export interface GotifyConfig {
  server: string;
  token: string;
  priority: number | null;
}

const FIELDS = ['server', 'token', 'priority'];
// Gotify sets no message limit; this keeps a notification readable on a phone.
const MAX_OUTPUT = 4000;

export const gotifyChannel: ChannelKind<GotifyConfig> = {
  kind: 'gotify',

  parseConfig(input: unknown): GotifyConfig {
    const raw = settings(input, 'gotify', FIELDS);
    return {
      server: parseBaseUrl('config.server', raw.server, null),
      token: parseSecret('config.token', raw.token, TOKEN, 'the token of a Gotify application, without spaces'),
      priority: parseInteger('config.priority', raw.priority, 0, 10),
    };
  },

  redact(config: GotifyConfig): Record<string, unknown> {
    return { server: redactUrl(config.server), token: hint(config.token), priority: config.priority };
  },

  async send(m: NotificationMessage, config: GotifyConfig, http: OutboundHttp): Promise<DeliveryResult> {
    const priority = m.event === 'on_recovery' ? 5 : (config.priority ?? (isUrgent(m.event) ? 8 : 5));
    const body = {
      title: clip(m.summary, 250),
      message: plainText(m, outputTail(m, MAX_OUTPUT), { headline: false, link: true }),
      priority,
      extras: {
        'client::display': { contentType: 'text/plain' },
        'client::notification': { click: { url: m.monitor.url } },
      },
    };
    return callApi(http, {
      kind: 'gotify',
      method: 'POST',
      url: `${config.server}/message`,
      headers: { 'Content-Type': 'application/json', 'X-Gotify-Key': config.token },
      body: JSON.stringify(body),
      secrets: [config.token],
    });
  },
};

/**
 * Telegram through the Bot API: POST <api_url>/bot<token>/sendMessage with an HTML-formatted text. `api_url` points at
 * a self-hosted Bot API server when there is one. Link previews are off (`link_preview_options`, which replaced
 * `disable_web_page_preview` in Bot API 7.0) so the monitor link does not expand into a card.
 *
 * The bot token is part of the URL path, and the outbound client's messages show a path segment's last 4 characters:
 * every error names the URL as `…/bot…/sendMessage` instead, and the token is scrubbed from anything logged.
 * User-provided values (monitor name, reason, output) are HTML-escaped, so they can neither break nor inject markup.
 */
import { invalid } from '../../domain/errors.js';
import type { ChannelKind, DeliveryResult, NotificationMessage } from '../channel.js';
import { redactUrl, type OutboundHttp } from '../outbound-http.js';
import { callApi, hint, htmlText, parseBaseUrl, parseSecret, settings, withTail } from './common.js';

export interface TelegramConfig {
  bot_token: string;
  /** A numeric chat id ("-1001234567890") or a public channel ("@name"), kept as a string: the API takes both. */
  chat_id: string;
  api_url: string;
}

const FIELDS = ['bot_token', 'chat_id', 'api_url'];
const BOT_TOKEN = /^\d{1,20}:[A-Za-z0-9_-]{35}$/;
const NUMERIC_CHAT = /^-?\d{1,20}$/;
const CHANNEL_NAME = /^@[A-Za-z][A-Za-z0-9_]{3,31}$/;
/** Telegram's limit, counted on the text once tags and entities are parsed. */
const MAX_TEXT = 4096;

function parseChatId(value: unknown): string {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value !== 0) return String(value);
  if (typeof value === 'string' && (NUMERIC_CHAT.test(value) || CHANNEL_NAME.test(value))) return value;
  throw invalid('config.chat_id', 'required: a numeric chat id (e.g. -1001234567890) or a public channel as @name');
}

/** The length Telegram counts: tags removed, each entity one character. */
const visibleLength = (html: string) => html.replace(/<[^>]*>/g, '').replace(/&(?:amp|lt|gt|quot);/g, '.').length;

export const telegramChannel: ChannelKind<TelegramConfig> = {
  kind: 'telegram',

  parseConfig(input: unknown): TelegramConfig {
    const raw = settings(input, 'telegram', FIELDS);
    return {
      bot_token: parseSecret('config.bot_token', raw.bot_token, BOT_TOKEN, 'the token @BotFather gave the bot, "<digits>:<35 characters>"'),
      chat_id: parseChatId(raw.chat_id),
      api_url: parseBaseUrl('config.api_url', raw.api_url, 'https://api.telegram.org'),
    };
  },

  redact(config: TelegramConfig): Record<string, unknown> {
    return { bot_token: hint(config.bot_token), chat_id: config.chat_id, api_url: redactUrl(config.api_url) };
  },

  async send(m: NotificationMessage, config: TelegramConfig, http: OutboundHttp): Promise<DeliveryResult> {
    // Summary and reason are capped at 1000 characters each, so without the output the text always fits.
    const text = withTail(m, 3000, MAX_TEXT, (tail) => htmlText(m, tail, '\n'), visibleLength);
    const body = { chat_id: config.chat_id, text, parse_mode: 'HTML', link_preview_options: { is_disabled: true } };
    return callApi(http, {
      kind: 'telegram',
      method: 'POST',
      url: `${config.api_url}/bot${config.bot_token}/sendMessage`,
      shownUrl: `${redactUrl(config.api_url).replace(/\/$/, '')}/bot…/sendMessage`,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      secrets: [config.bot_token],
    });
  },
};

/**
 * Google Chat, through a space's incoming webhook (https://chat.googleapis.com/v1/spaces/<space>/messages?key=…&
 * token=…): one JSON POST of `{ "text": … }` in Chat's own text formatting (`*bold*`, ``` blocks,
 * `<url|label>` links), at most 4096 characters. Google answers 200 with the created message.
 *
 * Escaping: Chat text has no escape character, so user text is neutralized instead: a zero-width space after
 * every `<` (so `<users/all>` mentions nobody and `<url|label>` makes no link) and after every `*`, `_`, `~` and
 * backtick (so they pair up into formatting far less readily; best effort — the rendering rules are undocumented).
 * User text is never wrapped in markers of ours: only fixed labels are bold.
 */
import type { NotificationMessage } from '../channel.js';
import {
  type ChatWebhookConfig,
  chatWebhookKind,
  ZWSP,
  eventStyle,
  fenceSafe,
  fit,
  scheduleText,
  timingFacts,
} from './chat-webhook.js';

export type GoogleChatConfig = ChatWebhookConfig;

const TEXT_MAX = 4096;
const SUMMARY_MAX = 500;
const REASON_MAX = 1000;

export const neutralizeGoogleChat = (text: string) => text.replace(/[<*_~`]/g, `$&${ZWSP}`);
/** Inside a code block only the fence and `<` (annotations) matter; formatting markers are shown as typed. */
const codeSafe = (text: string) => fenceSafe(text).replace(/</g, `<${ZWSP}`);

export function googleChatPayload(m: NotificationMessage): { text: string } {
  const style = eventStyle(m.event);
  const lines = [fit(m.summary, SUMMARY_MAX, (s) => `${style.emoji} *${style.label}* · ${neutralizeGoogleChat(s)}`)];
  if (m.reason !== null && m.reason !== '') lines.push(fit(m.reason, REASON_MAX, (r) => `*Reason:* ${neutralizeGoogleChat(r)}`));
  for (const [label, value] of timingFacts(m)) lines.push(`*${label}:* ${value}`);
  lines.push(`*Schedule:* ${neutralizeGoogleChat(scheduleText(m))}`);
  // The link goes last but is budgeted first, so a long output tail can never push it out.
  const link = `<${m.monitor.url}|Open monitor>`;
  let text = lines.join('\n');
  if (m.outputTail !== null && m.outputTail !== '') {
    const prefix = `${text}\n*Output (last lines):*\n\`\`\`\n`;
    const output = fit(m.outputTail, TEXT_MAX - prefix.length - link.length - 1, (t) => `${codeSafe(t)}\n\`\`\``, 'tail');
    if (output !== '') text = `${prefix}${output}`;
  }
  return { text: `${text}\n${link}` };
}

export const googleChatChannel = chatWebhookKind('google_chat', { service: 'Google Chat', example: 'https://chat.googleapis.com/v1/spaces/…/messages?key=…&token=…', receiver: 'google chat' }, googleChatPayload);

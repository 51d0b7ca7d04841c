/**
 * Mattermost, through an incoming webhook (https://<server>/hooks/<id>): the Slack-compatible JSON format with
 * one message attachment (Mattermost renders attachments, not Block Kit) — colour bar by event, title linking to
 * the monitor, the reason and output tail as Markdown text, timing as short fields. Mattermost answers 200 "ok".
 *
 * Escaping: attachment text and field values are Markdown and are scanned for @mentions; the server also turns
 * Slack-style `<url|label>` and `<!channel>` into links and mentions. So user text gets `&`, `<`, `>` as HTML
 * entities (which Markdown shows as the characters), a backslash before Markdown punctuation, and a zero-width
 * space after every `@` — `@channel`, `@all`, `@here` and `@user` then mention nobody. The title is shown as
 * plain text when title_link is set (it always is) and the fallback is plain, so those only get the `@` break.
 */
import type { NotificationMessage } from '../channel.js';
import {
  type ChatWebhookConfig,
  chatWebhookKind,
  ZWSP,
  eventStyle,
  fenceSafe,
  fit,
  hexColor,
  scheduleText,
  timingFacts,
} from './chat-webhook.js';
import { clip } from './common.js';

export type MattermostConfig = ChatWebhookConfig;

const TITLE_MAX = 300;
const REASON_MAX = 1500;
/** Long attachment text is collapsed behind "Show more"; past this it is noise, not help. */
const TEXT_MAX = 6000;

/** Breaks @mentions (and Slack-style `<!channel>`) without a visible change. */
export const noMentions = (text: string) => text.replace(/@/g, `@${ZWSP}`).replace(/<!/g, `<${ZWSP}!`);

export const escapeMattermost = (text: string) =>
  noMentions(text.replace(/[\\`*_~[\]()#|!:]/g, '\\$&'))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');

export function mattermostPayload(m: NotificationMessage): Record<string, unknown> {
  const style = eventStyle(m.event);
  const headline = noMentions(clip(`${style.emoji} ${m.summary}`, TITLE_MAX));
  let text = m.reason !== null && m.reason !== '' ? fit(m.reason, REASON_MAX, (r) => `**Reason:** ${escapeMattermost(r)}`) : '';
  if (m.outputTail !== null && m.outputTail !== '') {
    // Code blocks are shown verbatim, so the output only needs its fences and mentions broken.
    const prefix = `${text}${text === '' ? '' : '\n\n'}**Output (last lines)**\n\`\`\`\n`;
    const output = fit(m.outputTail, TEXT_MAX - prefix.length, (t) => `${noMentions(fenceSafe(t))}\n\`\`\``, 'tail');
    if (output !== '') text = `${prefix}${output}`;
  }
  const fields = timingFacts(m).map(([title, value]) => ({ short: true, title, value }));
  fields.push({ short: true, title: 'Schedule', value: `\`${noMentions(scheduleText(m).replace(/`/g, "'"))}\`` });
  const attachment: Record<string, unknown> = {
    fallback: headline,
    color: hexColor(style.color),
    title: headline,
    title_link: m.monitor.url,
    fields,
    footer: noMentions(clip(`Overdue · ${m.monitor.key} · ${style.label}`, 300)),
  };
  if (text !== '') attachment.text = text;
  return { attachments: [attachment] };
}

export const mattermostChannel = chatWebhookKind('mattermost', { service: 'Mattermost', example: 'https://mattermost.example.com/hooks/<id>', receiver: 'mattermost' }, mattermostPayload);

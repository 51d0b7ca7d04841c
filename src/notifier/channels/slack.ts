/**
 * Slack, through an incoming webhook (https://hooks.slack.com/services/T…/B…/…): one JSON POST with `text` (the
 * notification and fallback line) and Block Kit `blocks`: a header, a section with the reason and timing
 * fields, the output tail as a code block, and a context line linking to the monitor. Slack answers 200 "ok".
 *
 * Escaping: Slack reads `&`, `<` and `>` as control characters in every text object (`<!channel>` pings a whole
 * channel, `<url|label>` makes a link), so all text goes through escapeSlack. Free text from users (monitor
 * name, reason) is placed in plain_text objects, where mrkdwn (`*bold*`, `_italic_`) is not applied, and the
 * mrkdwn objects that carry user text set `verbatim` so bare URLs and names are not turned into links/mentions.
 */
import type { NotificationMessage } from '../channel.js';
import {
  type ChatWebhookConfig,
  chatWebhookKind,
  eventStyle,
  fenceSafe,
  fit,
  scheduleText,
  timingFacts,
} from './chat-webhook.js';

export type SlackConfig = ChatWebhookConfig;

// Block Kit limits: header text 150, section text 3000, section field 2000 (at most 10), context element 2000.
const HEADER_MAX = 150;
const SECTION_MAX = 3000;
const FIELD_MAX = 2000;
/** The top-level text is allowed far more, but it is a notification line, not a document. */
const TEXT_MAX = 3000;

export const escapeSlack = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Backticks would end the inline code span the value is shown in; they never matter in a schedule. */
const inlineCode = (text: string) => `\`${escapeSlack(text.replace(/`/g, "'"))}\``;

export function slackPayload(m: NotificationMessage): Record<string, unknown> {
  const style = eventStyle(m.event);
  const fields: Array<Record<string, unknown>> = timingFacts(m).map(([label, value]) => ({ type: 'mrkdwn', text: fit(value, FIELD_MAX, (v) => `*${label}*\n${escapeSlack(v)}`) }));
  fields.push({ type: 'mrkdwn', text: fit(scheduleText(m), FIELD_MAX, (v) => `*Schedule*\n${inlineCode(v)}`), verbatim: true });

  const blocks: Array<Record<string, unknown>> = [
    { type: 'header', text: { type: 'plain_text', text: fit(`${style.emoji} ${m.summary}`, HEADER_MAX, escapeSlack) } },
  ];
  const section: Record<string, unknown> = { type: 'section', fields };
  if (m.reason !== null && m.reason !== '') {
    section.text = { type: 'plain_text', text: fit(m.reason, SECTION_MAX, (r) => `Reason: ${escapeSlack(r)}`) };
  }
  blocks.push(section);
  if (m.outputTail !== null && m.outputTail !== '') {
    const text = fit(m.outputTail, SECTION_MAX, (t) => `*Output (last lines)*\n\`\`\`${escapeSlack(fenceSafe(t))}\`\`\``, 'tail');
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text, verbatim: true } });
  }
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: fit(m.monitor.key, FIELD_MAX, (key) => `<${escapeSlack(m.monitor.url)}|Open monitor> · ${inlineCode(key)} · ${style.label}`), verbatim: true }],
  });
  return { text: fit(`${style.emoji} ${m.summary}`, TEXT_MAX, escapeSlack), blocks };
}

export const slackChannel = chatWebhookKind('slack', { service: 'Slack', example: 'https://hooks.slack.com/services/T…/B…/…', receiver: 'slack' }, slackPayload);

/**
 * Discord, through a channel webhook (https://discord.com/api/webhooks/<id>/<token>): one JSON POST with a single
 * embed — title linking to the monitor, description with the reason and output tail, inline timing fields,
 * colour by event and the event time as the embed timestamp. Discord answers 204 No Content.
 *
 * Escaping: `allowed_mentions: { parse: [] }` makes Discord ping nobody, whatever the text says (`@everyone`,
 * `<@id>`); user text is also backslash-escaped so a name like `**x**` or `[x](url)` shows as typed. Limits:
 * title 256, description 4096, ≤ 25 fields of name 256 / value 1024, footer 2048, and 6000 over the whole embed.
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

export type DiscordConfig = ChatWebhookConfig;

const TITLE_MAX = 256;
const DESCRIPTION_MAX = 4096;
const FIELD_VALUE_MAX = 1024;
const EMBED_TOTAL_MAX = 6000;
/** The reason is a line or two; capping it leaves the description's room to the output. */
const REASON_MAX = 1000;

/** Discord drops the backslash before any ASCII punctuation, so escaping every markup character is lossless. */
export const escapeDiscord = (text: string) => text.replace(/[\\*_~`|>#[\]()<@:-]/g, '\\$&');

/** Discord renders `<t:unix:f>` in each reader's own time zone and locale; `R` adds "3 hours ago". */
const discordTime = (d: Date) => `<t:${Math.floor(d.getTime() / 1000)}:f> (<t:${Math.floor(d.getTime() / 1000)}:R>)`;

function fields(m: NotificationMessage): Array<{ name: string; value: string; inline: boolean }> {
  const dates: Record<string, Date | null> = { 'Occurred at': m.occurredAt, 'Last ping': m.lastPingAt, 'Next expected': m.nextExpectedAt };
  const out = timingFacts(m).map(([name, value]) => {
    const date = dates[name];
    return { name, value: date ? discordTime(date) : escapeDiscord(value), inline: true };
  });
  out.push({ name: 'Schedule', value: fit(scheduleText(m), FIELD_VALUE_MAX, (s) => `\`${s.replace(/`/g, "'")}\``), inline: true });
  return out;
}

export function discordPayload(m: NotificationMessage): Record<string, unknown> {
  const style = eventStyle(m.event);
  const title = fit(`${style.emoji} ${m.summary}`, TITLE_MAX, escapeDiscord);
  const embedFields = fields(m);
  const footer = fit(m.monitor.key, 200, (key) => `Overdue · ${key} · ${style.label}`);
  const used = title.length + footer.length + embedFields.reduce((n, f) => n + f.name.length + f.value.length, 0);
  const room = Math.min(DESCRIPTION_MAX, EMBED_TOTAL_MAX - used);

  let description = m.reason !== null && m.reason !== '' ? fit(m.reason, Math.min(REASON_MAX, room), (r) => `**Reason:** ${escapeDiscord(r)}`) : '';
  if (m.outputTail !== null && m.outputTail !== '') {
    const prefix = `${description}${description === '' ? '' : '\n\n'}**Output (last lines)**\n\`\`\`\n`;
    const output = fit(m.outputTail, room - prefix.length, (t) => `${fenceSafe(t)}\n\`\`\``, 'tail');
    if (output !== '') description = `${prefix}${output}`;
  }
  const embed: Record<string, unknown> = {
    title,
    url: m.monitor.url,
    color: style.color,
    fields: embedFields,
    footer: { text: footer },
    timestamp: m.occurredAt.toISOString(),
  };
  if (description !== '') embed.description = description;
  return { allowed_mentions: { parse: [] }, embeds: [embed] };
}

export const discordChannel = chatWebhookKind('discord', { service: 'Discord', example: 'https://discord.com/api/webhooks/<id>/<token>', receiver: 'discord' }, discordPayload);

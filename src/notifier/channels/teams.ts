/**
 * Microsoft Teams, through a Workflows (Power Automate) "When a Teams webhook request is received" URL — the
 * replacement for the retired Office 365 connectors, which accepts Adaptive Cards only. One JSON POST:
 *   { "type": "message", "attachments": [{ "contentType": "application/vnd.microsoft.card.adaptive",
 *     "contentUrl": null, "content": <Adaptive Card 1.4> }] }
 * The flow answers 202 Accepted and posts the card itself.
 *
 * Escaping: TextBlock and FactSet text is Markdown in Teams and has no documented escape, so everything users
 * wrote (monitor name, reason, schedule, output) goes in RichTextBlock TextRuns, which are never parsed as
 * Markdown; FactSet only carries values formatted here. Mentions need <at> tags plus msteams.entities, which are
 * never sent, so nobody is pinged. Workflows cap a message at about 28 KB, far above the caps below.
 */
import type { NotificationMessage } from '../channel.js';
import {
  type ChatWebhookConfig,
  chatWebhookKind,
  type Tone,
  eventStyle,
  scheduleText,
  timingFacts,
} from './chat-webhook.js';
import { clip } from './common.js';

export type TeamsConfig = ChatWebhookConfig;

const TITLE_MAX = 300;
const REASON_MAX = 2000;
const OUTPUT_MAX = 8000;

/** Adaptive Card colour names: cards cannot use arbitrary colours, only the host theme's. */
const COLOR: Record<Tone, string> = { bad: 'Attention', good: 'Good', warn: 'Warning', neutral: 'Default' };
const CONTAINER_STYLE: Record<Tone, string> = { bad: 'attention', good: 'good', warn: 'warning', neutral: 'emphasis' };

const run = (text: string, extra: Record<string, unknown> = {}) => ({ type: 'TextRun', text, ...extra });
const rich = (...inlines: Array<Record<string, unknown>>) => ({ type: 'RichTextBlock', inlines });

export function teamsCard(m: NotificationMessage): Record<string, unknown> {
  const style = eventStyle(m.event);
  const body: Array<Record<string, unknown>> = [
    {
      type: 'Container',
      style: CONTAINER_STYLE[style.tone],
      bleed: true,
      items: [
        rich(run(`${style.emoji} ${style.label}`, { weight: 'Bolder', color: COLOR[style.tone], size: 'Small' })),
        rich(run(clip(m.summary, TITLE_MAX), { weight: 'Bolder', size: 'Medium' })),
      ],
    },
  ];
  if (m.reason !== null && m.reason !== '') body.push(rich(run('Reason: ', { weight: 'Bolder' }), run(clip(m.reason, REASON_MAX))));
  body.push({ type: 'FactSet', facts: timingFacts(m).map(([title, value]) => ({ title, value })) });
  body.push(rich(run('Schedule: ', { weight: 'Bolder' }), run(scheduleText(m), { fontType: 'Monospace' })));
  if (m.outputTail !== null && m.outputTail !== '') {
    body.push(rich(run('Output (last lines)', { weight: 'Bolder' })));
    body.push(rich(run(clip(m.outputTail, OUTPUT_MAX, 'tail'), { fontType: 'Monospace', size: 'Small' })));
  }
  return {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    // Shown where the card cannot be rendered, e.g. in notifications.
    fallbackText: clip(m.summary, TITLE_MAX),
    msteams: { width: 'Full' },
    body,
    actions: [{ type: 'Action.OpenUrl', title: 'Open monitor', url: m.monitor.url }],
  };
}

export function teamsPayload(m: NotificationMessage): Record<string, unknown> {
  return {
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: teamsCard(m) }],
  };
}

export const teamsChannel = chatWebhookKind('teams', { service: 'Microsoft Teams', example: 'https://….logic.azure.com/workflows/…/triggers/manual/paths/invoke?…', receiver: 'teams' }, teamsPayload);

/** Every channel kind the notifier can send through, by name. Adding a kind is one module plus a line here. */
import type { ChannelKind } from './channel.js';
import { discordChannel } from './channels/discord.js';
import { emailChannel } from './channels/email.js';
import { googleChatChannel } from './channels/google-chat.js';
import { gotifyChannel } from './channels/gotify.js';
import { matrixChannel } from './channels/matrix.js';
import { mattermostChannel } from './channels/mattermost.js';
import { ntfyChannel } from './channels/ntfy.js';
import { opsgenieChannel } from './channels/opsgenie.js';
import { pagerDutyChannel } from './channels/pagerduty.js';
import { pushoverChannel } from './channels/pushover.js';
import { slackChannel } from './channels/slack.js';
import { teamsChannel } from './channels/teams.js';
import { telegramChannel } from './channels/telegram.js';
import { webhookChannel } from './channels/webhook.js';

export interface KindSettings {
  smtpUrl: string | undefined;
  smtpFrom: string | undefined;
}

export function buildChannelKinds(settings: KindSettings): ReadonlyMap<string, ChannelKind> {
  const kinds = [
    webhookChannel,
    emailChannel({ url: settings.smtpUrl, from: settings.smtpFrom }),
    slackChannel,
    discordChannel,
    teamsChannel,
    mattermostChannel,
    googleChatChannel,
    pagerDutyChannel,
    opsgenieChannel,
    ntfyChannel,
    pushoverChannel,
    gotifyChannel,
    telegramChannel,
    matrixChannel,
  ] as unknown as ChannelKind[];
  return new Map(kinds.map((k) => [k.kind, k]));
}

/** Every channel kind the notifier can send through, by name. Adding a kind is one module plus a line here. */
import type { ChannelKind } from './channel.js';
import { webhookChannel } from './channels/webhook.js';

export const channelKinds: ReadonlyMap<string, ChannelKind> = new Map<string, ChannelKind>([[webhookChannel.kind, webhookChannel as unknown as ChannelKind]]);

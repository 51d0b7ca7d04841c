/** Every channel kind the notifier can send through, by name. Adding a kind is one module plus a line here. */
import type { ChannelKind } from './channel.js';
import { emailChannel } from './channels/email.js';
import { webhookChannel } from './channels/webhook.js';

export interface KindSettings {
  smtpUrl: string | undefined;
  smtpFrom: string | undefined;
}

export function buildChannelKinds(settings: KindSettings): ReadonlyMap<string, ChannelKind> {
  const kinds: ChannelKind<never>[] = [webhookChannel as ChannelKind<never>, emailChannel({ url: settings.smtpUrl, from: settings.smtpFrom }) as ChannelKind<never>];
  return new Map(kinds.map((k) => [k.kind, k as unknown as ChannelKind]));
}

/** Channels and notification rules: validation through the channel kind, then the store. */
import { AppError, invalid, notFound } from '../domain/errors.js';
import type { ChannelKind, NotifyEvent } from '../notifier/channel.js';
import { NOTIFY_EVENTS } from '../notifier/channel.js';
import type { Channel, NotificationRule } from '../storage/store.js';
import type { AppContext } from './context.js';
import { getMonitor } from './monitors.js';
import { newId } from './secrets.js';

export interface ChannelInput {
  name?: string;
  kind?: string;
  config?: unknown;
}

function kindOf(kinds: ReadonlyMap<string, ChannelKind>, kind: string): ChannelKind {
  const k = kinds.get(kind);
  if (!k) throw invalid('kind', `unknown channel kind "${kind}" (available: ${[...kinds.keys()].join(', ')})`);
  return k;
}

export async function createChannel(ctx: AppContext, kinds: ReadonlyMap<string, ChannelKind>, projectId: string, input: ChannelInput): Promise<Channel> {
  if (!input.name?.trim()) throw invalid('name', 'required');
  if (!input.kind) throw invalid('kind', 'required');
  const config = kindOf(kinds, input.kind).parseConfig(input.config ?? {}) as Record<string, unknown>;
  const now = ctx.clock.now();
  const channel: Channel = { id: newId('chn'), projectId, name: input.name.trim(), kind: input.kind, config, lastError: null, lastErrorAt: null, createdAt: now, updatedAt: now };
  await ctx.store.createChannel(channel);
  return channel;
}

export async function getChannel(ctx: AppContext, projectId: string, id: string): Promise<Channel> {
  const channel = await ctx.store.getChannel(projectId, id);
  if (!channel) throw notFound(`channel ${id}`);
  return channel;
}

/** A config patch replaces the whole config: secrets are never echoed, so a partial merge would be ambiguous. */
export async function updateChannel(ctx: AppContext, kinds: ReadonlyMap<string, ChannelKind>, projectId: string, id: string, input: ChannelInput): Promise<Channel> {
  const current = await getChannel(ctx, projectId, id);
  if (input.kind !== undefined && input.kind !== current.kind) throw invalid('kind', 'cannot be changed; create a new channel instead');
  const next: Channel = { ...current, updatedAt: ctx.clock.now() };
  if (input.name !== undefined) {
    if (!input.name.trim()) throw invalid('name', 'must not be empty');
    next.name = input.name.trim();
  }
  if (input.config !== undefined) next.config = kindOf(kinds, current.kind).parseConfig(input.config) as Record<string, unknown>;
  if (!(await ctx.store.updateChannel(next))) throw notFound(`channel ${id}`);
  return next;
}

export async function deleteChannel(ctx: AppContext, projectId: string, id: string): Promise<void> {
  if (!(await ctx.store.deleteChannel(projectId, id))) throw notFound(`channel ${id}`);
}

export async function addRule(ctx: AppContext, projectId: string, monitorId: string, input: { channel_id: string; event: string }): Promise<NotificationRule> {
  const monitor = await getMonitor(ctx, projectId, monitorId);
  if (!(NOTIFY_EVENTS as readonly string[]).includes(input.event)) throw invalid('event', `must be one of ${NOTIFY_EVENTS.join(', ')}`);
  if (!(await ctx.store.getChannel(projectId, input.channel_id))) throw new AppError('validation_error', `channel_id: no channel ${input.channel_id} in this project`, 'channel_id');
  const rule: NotificationRule = { id: newId('rul'), monitorId: monitor.id, channelId: input.channel_id, event: input.event as NotifyEvent, createdAt: ctx.clock.now() };
  await ctx.store.createRule(rule);
  return rule;
}

export async function listRules(ctx: AppContext, projectId: string, monitorId: string): Promise<NotificationRule[]> {
  const monitor = await getMonitor(ctx, projectId, monitorId);
  return ctx.store.listRules(monitor.id);
}

export async function deleteRule(ctx: AppContext, projectId: string, monitorId: string, ruleId: string): Promise<void> {
  const monitor = await getMonitor(ctx, projectId, monitorId);
  if (!(await ctx.store.deleteRule(monitor.id, ruleId))) throw notFound(`notification rule ${ruleId}`);
}

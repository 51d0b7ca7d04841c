/** /v1/channels, /v1/monitors/:id/notification-rules and /v1/notifications. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import * as channels from '../../app/channels.js';
import type { AppContext } from '../../app/context.js';
import { getMonitor } from '../../app/monitors.js';
import { ChannelError, NOTIFY_EVENTS, type ChannelKind, type NotificationMessage } from '../../notifier/channel.js';
import type { OutboundHttp } from '../../notifier/outbound-http.js';
import type { Channel as StoredChannel, Notification as StoredNotification, NotificationRule } from '../../storage/store.js';
import { errorResponses, IdParams, pageOf } from '../schemas/common.js';

export interface ChannelRoutesOptions {
  ctx: AppContext;
  kinds: ReadonlyMap<string, ChannelKind>;
  http: OutboundHttp;
  baseUrl: () => string;
}

const ChannelInput = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    kind: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'Channel kind, e.g. "webhook"' })),
    config: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'Kind-specific settings; secrets are never echoed back in full' })),
  },
  { additionalProperties: false },
);
const Channel = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  config: Type.Object({}, { additionalProperties: true }),
  last_error: Type.Union([Type.String(), Type.Null()]),
  last_error_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});
const Rule = Type.Object({ id: Type.String(), monitor_id: Type.String(), channel_id: Type.String(), event: Type.String(), created_at: Type.String({ format: 'date-time' }) });
const Notification = Type.Object({
  id: Type.Integer(),
  monitor_id: Type.String(),
  channel_id: Type.String(),
  event: Type.String(),
  status: Type.Enum(['pending', 'sending', 'sent', 'failed']),
  attempts: Type.Integer(),
  next_attempt_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  last_error: Type.Union([Type.String(), Type.Null()]),
  response_code: Type.Union([Type.Integer(), Type.Null()]),
  reason: Type.String(),
  count: Type.Integer({ description: 'Occurrences this notification covers (rapid repeats are batched, at most one alert a minute)' }),
  created_at: Type.String({ format: 'date-time' }),
  sent_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
const TestResult = Type.Object({ ok: Type.Boolean(), status: Type.Union([Type.Integer(), Type.Null()]), response: Type.Union([Type.String(), Type.Null()]), error: Type.Union([Type.String(), Type.Null()]) });

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const channelRoutes: FastifyPluginAsyncTypebox<ChannelRoutesOptions> = async (app, { ctx, kinds, http, baseUrl }) => {
  const show = (c: StoredChannel) => ({
    id: c.id,
    name: c.name,
    kind: c.kind,
    config: kinds.get(c.kind)?.redact(c.config) ?? {},
    last_error: c.lastError,
    last_error_at: iso(c.lastErrorAt),
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  });
  const showRule = (r: NotificationRule) => ({ id: r.id, monitor_id: r.monitorId, channel_id: r.channelId, event: r.event, created_at: r.createdAt.toISOString() });
  const showNotification = (n: StoredNotification) => ({
    id: n.id,
    monitor_id: n.monitorId,
    channel_id: n.channelId,
    event: n.event,
    status: n.status,
    attempts: n.attempts,
    next_attempt_at: n.status === 'pending' ? n.nextAttemptAt.toISOString() : null,
    last_error: n.lastError,
    response_code: n.responseCode,
    reason: n.flip.reason,
    count: n.count,
    created_at: n.createdAt.toISOString(),
    sent_at: iso(n.sentAt),
  });
  const tags = ['notifications'];

  app.post('/channels', { schema: { tags, summary: 'Create a channel', body: ChannelInput, response: { 201: Channel, ...errorResponses } } }, async (req, reply) =>
    reply.code(201).send(show(await channels.createChannel(ctx, kinds, req.principal.projectId, req.body))),
  );
  app.get('/channels', { schema: { tags, summary: "The project's channels", response: { 200: Type.Object({ items: Type.Array(Channel) }), ...errorResponses } } }, async (req) => ({
    items: (await ctx.store.listChannels(req.principal.projectId)).map(show),
  }));
  app.get('/channels/:id', { schema: { tags, summary: 'Get a channel', params: IdParams, response: { 200: Channel, ...errorResponses } } }, async (req) =>
    show(await channels.getChannel(ctx, req.principal.projectId, req.params.id)),
  );
  app.patch('/channels/:id', { schema: { tags, summary: 'Rename a channel or replace its config', params: IdParams, body: ChannelInput, response: { 200: Channel, ...errorResponses } } }, async (req) =>
    show(await channels.updateChannel(ctx, kinds, req.principal.projectId, req.params.id, req.body)),
  );
  app.delete('/channels/:id', { schema: { tags, summary: 'Delete a channel, its rules and its queued notifications', params: IdParams, response: { 204: Type.Null(), ...errorResponses } } }, async (req, reply) => {
    await channels.deleteChannel(ctx, req.principal.projectId, req.params.id);
    return reply.code(204).send(null);
  });
  app.post('/channels/:id/test', { schema: { tags, summary: 'Send a test message now and return the result', params: IdParams, response: { 200: TestResult, ...errorResponses } } }, async (req) => {
    const channel = await channels.getChannel(ctx, req.principal.projectId, req.params.id);
    const kind = kinds.get(channel.kind)!;
    const now = ctx.clock.now();
    const message: NotificationMessage = {
      idempotencyKey: `test_${now.getTime()}`,
      event: 'test',
      monitor: { id: 'mon_test', name: 'Test monitor', key: 'test', url: `${baseUrl()}/v1/channels/${channel.id}`, state: 'up', tags: [], schedule: 'every 1 hour', timezone: 'UTC' },
      summary: `Test message from Overdue for channel "${channel.name}"`,
      reason: null,
      occurredAt: now,
      lastPingAt: null,
      nextExpectedAt: null,
      downForSeconds: null,
      outputTail: null,
      count: 1,
    };
    try {
      const result = await kind.send(message, kind.parseConfig(channel.config), http);
      return { ok: true, status: result.status, response: result.response, error: null };
    } catch (err) {
      return { ok: false, status: err instanceof ChannelError ? err.status : null, response: null, error: err instanceof Error ? err.message : String(err) };
    }
  });

  const RuleParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }), rule_id: Type.String({ minLength: 1, maxLength: 100 }) });
  app.post(
    '/monitors/:id/notification-rules',
    {
      schema: {
        tags,
        summary: 'Notify a channel of an event of this monitor',
        params: IdParams,
        body: Type.Object({ channel_id: Type.String({ minLength: 1, maxLength: 100 }), event: Type.Enum([...NOTIFY_EVENTS]) }, { additionalProperties: false }),
        response: { 201: Rule, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(showRule(await channels.addRule(ctx, req.principal.projectId, req.params.id, req.body))),
  );
  app.get('/monitors/:id/notification-rules', { schema: { tags, summary: "The monitor's notification rules", params: IdParams, response: { 200: Type.Object({ items: Type.Array(Rule) }), ...errorResponses } } }, async (req) => ({
    items: (await channels.listRules(ctx, req.principal.projectId, req.params.id)).map(showRule),
  }));
  app.delete('/monitors/:id/notification-rules/:rule_id', { schema: { tags, summary: 'Remove a notification rule', params: RuleParams, response: { 204: Type.Null(), ...errorResponses } } }, async (req, reply) => {
    await channels.deleteRule(ctx, req.principal.projectId, req.params.id, req.params.rule_id);
    return reply.code(204).send(null);
  });

  app.get(
    '/notifications',
    {
      schema: {
        tags,
        summary: 'Delivery log: every notification with its status, attempts, last error and response code; newest first',
        querystring: Type.Object({
          monitor_id: Type.Optional(Type.String({ maxLength: 100 })),
          channel_id: Type.Optional(Type.String({ maxLength: 100 })),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
          offset: Type.Integer({ minimum: 0, default: 0 }),
        }),
        response: { 200: pageOf(Notification), ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      if (q.monitor_id) await getMonitor(ctx, req.principal.projectId, q.monitor_id);
      const page = await ctx.store.listNotifications(req.principal.projectId, { monitorId: q.monitor_id, channelId: q.channel_id, limit: q.limit, offset: q.offset });
      return { items: page.items.map(showNotification), total: page.total, limit: q.limit, offset: q.offset };
    },
  );
};

/** /v1/notification-lists: named sets of channels that monitors' `notify` settings refer to by key. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { AppContext } from '../../app/context.js';
import { newId } from '../../app/secrets.js';
import { invalid, notFound } from '../../domain/errors.js';
import type { NotificationList as StoredList } from '../../storage/store.js';
import { errorResponses } from '../schemas/common.js';

const Key = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$', description: 'Unique per project; "default" always exists' });
const ListBody = Type.Object(
  { key: Type.Optional(Key), name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), channels: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { maxItems: 50, description: 'Channel ids' })) },
  { additionalProperties: false },
);
const List = Type.Object({ key: Type.String(), name: Type.String(), channels: Type.Array(Type.String()), created_at: Type.String({ format: 'date-time' }) });
const KeyParams = Type.Object({ key: Key });
const tags = ['notifications'];

export const notificationListRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const show = (l: StoredList) => ({ key: l.key, name: l.name, channels: l.channelIds, created_at: l.createdAt.toISOString() });

  app.post('/notification-lists', { schema: { tags, summary: 'Create a notification list', body: ListBody, response: { 201: List, ...errorResponses } } }, async (req, reply) => {
    const key = req.body.key;
    if (!key) throw invalid('key', 'required');
    const list: StoredList = { id: newId('lst'), projectId: req.principal.projectId, key, name: req.body.name ?? key, channelIds: req.body.channels ?? [], createdAt: ctx.clock.now() };
    await ctx.store.createList(list);
    return reply.code(201).send(show((await ctx.store.getList(list.projectId, key))!));
  });
  app.get('/notification-lists', { schema: { tags, summary: "The project's notification lists", response: { 200: Type.Object({ items: Type.Array(List) }), ...errorResponses } } }, async (req) => ({
    items: (await ctx.store.listLists(req.principal.projectId)).map(show),
  }));
  app.get('/notification-lists/:key', { schema: { tags, summary: 'Get a notification list', params: KeyParams, response: { 200: List, ...errorResponses } } }, async (req) => {
    const list = await ctx.store.getList(req.principal.projectId, req.params.key);
    if (!list) throw notFound(`notification list ${req.params.key}`);
    return show(list);
  });
  app.patch('/notification-lists/:key', { schema: { tags, summary: 'Rename a list or replace its channels', params: KeyParams, body: ListBody, response: { 200: List, ...errorResponses } } }, async (req) => {
    const list = await ctx.store.updateList(req.principal.projectId, req.params.key, { name: req.body.name, channelIds: req.body.channels });
    if (!list) throw notFound(`notification list ${req.params.key}`);
    return show(list);
  });
  app.delete('/notification-lists/:key', { schema: { tags, summary: 'Delete a list (not "default")', params: KeyParams, response: { 204: Type.Null(), ...errorResponses } } }, async (req, reply) => {
    if (!(await ctx.store.deleteList(req.principal.projectId, req.params.key))) throw notFound(`notification list ${req.params.key}`);
    return reply.code(204).send(null);
  });
};

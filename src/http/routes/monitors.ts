/** /v1/monitors: CRUD, pause/resume, ping log, runs, flips. Handlers only translate HTTP ↔ use cases. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { AppContext } from '../../app/context.js';
import * as monitors from '../../app/monitors.js';
import { invalid, notFound } from '../../domain/errors.js';
import { errorResponses, IdParams, Pagination, pageOf } from '../schemas/common.js';
import { Flip, Monitor, MonitorInput, MonitorListQuery, PauseInput, Ping, Run } from '../schemas/monitor.js';
import { presentFlip, presentMonitor, presentPing, presentRun } from '../present.js';

export interface MonitorRoutesOptions {
  ctx: AppContext;
  baseUrl: () => string;
}

const tags = ['monitors'];

export const monitorRoutes: FastifyPluginAsyncTypebox<MonitorRoutesOptions> = async (app, { ctx, baseUrl }) => {
  const show = (m: Parameters<typeof presentMonitor>[0]) => presentMonitor(m, baseUrl());

  app.post('/monitors', { schema: { tags, summary: 'Create a monitor', body: MonitorInput, response: { 201: Monitor, ...errorResponses } } }, async (req, reply) => {
    const monitor = await monitors.createMonitor(ctx, req.principal.projectId, req.body);
    return reply.code(201).send(show(monitor));
  });

  app.get('/monitors', { schema: { tags, summary: 'List monitors', querystring: MonitorListQuery, response: { 200: pageOf(Monitor), ...errorResponses } } }, async (req) => {
    const page = await monitors.listMonitors(ctx, req.principal.projectId, req.query);
    return { items: page.items.map(show), total: page.total, limit: req.query.limit, offset: req.query.offset };
  });

  app.get('/monitors/:id', { schema: { tags, summary: 'Get a monitor', params: IdParams, response: { 200: Monitor, ...errorResponses } } }, async (req) =>
    show(await monitors.getMonitor(ctx, req.principal.projectId, req.params.id)),
  );

  app.patch('/monitors/:id', { schema: { tags, summary: 'Update a monitor', params: IdParams, body: MonitorInput, response: { 200: Monitor, ...errorResponses } } }, async (req) =>
    show(await monitors.updateMonitor(ctx, req.principal.projectId, req.params.id, req.body)),
  );

  app.delete('/monitors/:id', { schema: { tags, summary: 'Delete a monitor and its history', params: IdParams, response: { 204: Type.Null(), ...errorResponses } } }, async (req, reply) => {
    await monitors.deleteMonitor(ctx, req.principal.projectId, req.params.id);
    return reply.code(204).send(null);
  });

  app.post('/monitors/:id/pause', { schema: { tags, summary: 'Pause alerts and evaluation (optionally for N hours)', params: IdParams, body: Type.Optional(PauseInput), response: { 200: Monitor, ...errorResponses } } }, async (req) =>
    show(await monitors.pauseMonitor(ctx, req.principal.projectId, req.params.id, req.body?.hours)),
  );

  app.post('/monitors/:id/resume', { schema: { tags, summary: 'Resume a paused monitor', params: IdParams, response: { 200: Monitor, ...errorResponses } } }, async (req) =>
    show(await monitors.resumeMonitor(ctx, req.principal.projectId, req.params.id)),
  );

  app.get('/monitors/:id/pings', { schema: { tags, summary: 'Received pings, newest first', params: IdParams, querystring: Pagination, response: { 200: pageOf(Ping), ...errorResponses } } }, async (req) => {
    const monitor = await monitors.getMonitor(ctx, req.principal.projectId, req.params.id);
    const page = await ctx.store.listPings(monitor.id, req.query.limit, req.query.offset);
    return { items: page.items.map(presentPing), total: page.total, limit: req.query.limit, offset: req.query.offset };
  });

  app.get(
    '/monitors/:id/pings/:ping_id/body',
    { schema: { tags, summary: 'The full stored body of one ping', params: Type.Object({ id: Type.String(), ping_id: Type.Integer({ minimum: 1 }) }), response: { 200: Type.Unsafe<Buffer>(Type.String({ description: 'The raw body bytes' })), ...errorResponses } } },
    async (req, reply) => {
      const monitor = await monitors.getMonitor(ctx, req.principal.projectId, req.params.id);
      const body = await ctx.store.getPingBody(monitor.id, req.params.ping_id);
      if (body === null) throw notFound(`ping ${req.params.ping_id}`);
      return reply.type('text/plain; charset=utf-8').send(body);
    },
  );

  app.get(
    '/monitors/:id/metrics',
    {
      schema: {
        tags,
        summary: 'Payload metric points, oldest first (null = that ping had no value)',
        params: IdParams,
        querystring: Type.Object({
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          from: Type.Optional(Type.String({ format: 'date-time', description: 'Inclusive; default 24 hours before `to`' })),
          to: Type.Optional(Type.String({ format: 'date-time', description: 'Exclusive; default now' })),
          limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 }),
        }),
        response: {
          200: Type.Object({ items: Type.Array(Type.Object({ name: Type.String(), at: Type.String({ format: 'date-time' }), value: Type.Union([Type.Number(), Type.Null()]), ping_id: Type.Integer() })) }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const monitor = await monitors.getMonitor(ctx, req.principal.projectId, req.params.id);
      // Default: up to and including now.
      const to = req.query.to ? new Date(req.query.to) : new Date(ctx.clock.now().getTime() + 1);
      const from = req.query.from ? new Date(req.query.from) : new Date(to.getTime() - 86_400_000);
      if (from > to) throw invalid('from', 'must not be after `to`');
      const points = await ctx.store.listMetricPoints(monitor.id, { name: req.query.name, from, to, limit: req.query.limit });
      return { items: points.map((p) => ({ name: p.name, at: p.at.toISOString(), value: p.value, ping_id: p.pingId })) };
    },
  );

  app.get('/monitors/:id/flips', { schema: { tags, summary: 'State changes, newest first', params: IdParams, querystring: Pagination, response: { 200: pageOf(Flip), ...errorResponses } } }, async (req) => {
    const monitor = await monitors.getMonitor(ctx, req.principal.projectId, req.params.id);
    const page = await ctx.store.listFlips(monitor.id, req.query.limit, req.query.offset);
    return { items: page.items.map(presentFlip), total: page.total, limit: req.query.limit, offset: req.query.offset };
  });

  app.get('/monitors/:id/runs', { schema: { tags, summary: 'Runs (a start paired with its completion), newest first; open runs included', params: IdParams, querystring: Pagination, response: { 200: pageOf(Run), ...errorResponses } } }, async (req) => {
    const monitor = await monitors.getMonitor(ctx, req.principal.projectId, req.params.id);
    const page = await ctx.store.listRuns(monitor.id, req.query.limit, req.query.offset);
    return { items: page.items.map(presentRun), total: page.total, limit: req.query.limit, offset: req.query.offset };
  });
};

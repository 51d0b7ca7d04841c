/**
 * Cronitor's Monitor API under the Cronitor prefix: `/api/monitors` (list, create, bulk create/update in JSON or
 * YAML), `/api/monitors/:key` (read, update, delete), `/api/monitors/:key/pause[/:hours]`, and
 * `/api/monitors.yaml` (the whole configuration, as `generateConfig` downloads it). Authenticated like Cronitor,
 * with `Authorization: Basic base64(API_KEY:)`, or with `Bearer API_KEY`. Monitors are addressed by key.
 * Attribute mapping: src/ingest/cronitor-monitors.ts; bulk bodies: src/ingest/cronitor-bulk.ts. Errors use the
 * API's `{"error": {code, message, field}}` shape (Cronitor documents none).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { AppContext, Principal } from '../../app/context.js';
import { authenticate, requireWrite } from '../../app/keys.js';
import * as monitors from '../../app/monitors.js';
import { AppError, invalid, notFound } from '../../domain/errors.js';
import type { Monitor } from '../../domain/monitor.js';
import { bulkOfJson, bulkOfYaml, bulkReply, cronitorYaml } from '../../ingest/cronitor-bulk.js';
import { batchItemOf, monitorWriteOf, pausedOf, presentCronitorMonitor, withDefaultSchedule } from '../../ingest/cronitor-monitors.js';

export interface CronitorMonitorRoutesOptions {
  ctx: AppContext;
}

/** A YAML request body, kept as text for the bulk reader. */
class YamlBody {
  constructor(readonly text: string) {}
}

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];
const READ_METHODS = new Set(['GET', 'HEAD']);
const tags = ['cronitor'];
const KeyParams = Type.Object({ key: Type.String({ minLength: 1, maxLength: 100, description: 'The monitor\'s key' }) });
const AnyBody = Type.Unknown({ description: 'Cronitor monitor attributes (JSON), or for PUT /api/monitors a Cronitor YAML config' });
/** Read in pages of this size when the whole configuration is wanted. */
const PAGE = 500;

export const cronitorMonitorRoutes: FastifyPluginAsyncTypebox<CronitorMonitorRoutesOptions> = async (app, { ctx }) => {
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_req, body, done) => done(null, new YamlBody(body as string)));
  const principals = new WeakMap<FastifyRequest, Principal>();
  app.addHook('onRequest', async (req, reply) => {
    try {
      const principal = await authenticate(ctx.store, apiKeyOf(req));
      if (!READ_METHODS.has(req.method)) requireWrite(principal);
      principals.set(req, principal);
    } catch (err) {
      if (err instanceof AppError && err.code === 'unauthorized') reply.header('www-authenticate', 'Basic realm="Overdue"');
      throw err;
    }
  });
  const projectOf = (req: FastifyRequest): string => (principals.get(req) as Principal).projectId;
  const byKey = async (req: FastifyRequest, key: string): Promise<Monitor> => {
    const monitor = await monitors.getMonitorByKey(ctx, projectOf(req), key);
    if (!monitor) throw notFound(`monitor "${key}"`);
    return monitor;
  };

  app.get(
    '/api/monitors',
    {
      schema: {
        tags,
        summary: 'List monitors, paged like Cronitor: {total_monitor_count, page, page_size, monitors}',
        querystring: Type.Object({
          page: Type.Integer({ minimum: 1, default: 1 }),
          pageSize: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
          tag: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        }),
      },
    },
    async (req) => {
      const { page, pageSize, tag } = req.query;
      const found = await monitors.listMonitors(ctx, projectOf(req), { tag, limit: pageSize, offset: (page - 1) * pageSize });
      return { total_monitor_count: found.total, page, page_size: pageSize, monitors: found.items.map(presentCronitorMonitor) };
    },
  );

  app.get(
    '/api/monitors.yaml',
    { schema: { tags, summary: 'Every monitor as a Cronitor YAML config (jobs:, heartbeats:); ?group= keeps one group', querystring: Type.Object({ group: Type.Optional(Type.String({ maxLength: 100 })) }) } },
    async (req, reply) => {
      const all: Monitor[] = [];
      for (let offset = 0; ; offset += PAGE) {
        const page = await monitors.listMonitors(ctx, projectOf(req), { limit: PAGE, offset });
        all.push(...page.items);
        if (page.items.length < PAGE) break;
      }
      const group = req.query.group;
      const shown = group === undefined ? all : all.filter((m) => m.extra?.group === group);
      return reply.type('application/yaml; charset=utf-8').send(cronitorYaml(shown.map(presentCronitorMonitor)));
    },
  );

  app.post('/api/monitors', { schema: { tags, summary: 'Create one monitor (201); 409 when its key is taken', body: AnyBody } }, async (req, reply) => {
    if (req.body instanceof YamlBody) throw invalid('body', 'send one monitor as a JSON object here; YAML configs go to PUT /api/monitors');
    const { key, input, paused } = batchItemOf(req.body, 'body');
    const created = await monitors.createMonitor(ctx, projectOf(req), withDefaultSchedule({ ...input, key }));
    return reply.code(201).send(presentCronitorMonitor(await applyPaused(ctx, created, paused)));
  });

  app.put(
    '/api/monitors',
    { schema: { tags, summary: 'Create or update monitors by key, all or nothing: {monitors, rollback}, a JSON array, or YAML (jobs:/heartbeats:); rollback: true validates only', body: AnyBody } },
    async (req, reply) => {
      const bulk = req.body instanceof YamlBody ? bulkOfYaml(req.body.text) : bulkOfJson(req.body);
      const written = await monitors.upsertMonitors(ctx, projectOf(req), bulk.items, { dryRun: bulk.rollback, forCreate: withDefaultSchedule });
      const answer = bulkReply(bulk.shape, written.map(presentCronitorMonitor));
      return reply.type(answer.type).send(answer.body);
    },
  );

  app.get('/api/monitors/:key', { schema: { tags, summary: 'Get a monitor by key', params: KeyParams } }, async (req) => presentCronitorMonitor(await byKey(req, req.params.key)));

  app.put('/api/monitors/:key', { schema: { tags, summary: 'Update a monitor by key (a different "key" in the body renames it)', params: KeyParams, body: AnyBody } }, async (req) => {
    const body = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body) || body instanceof YamlBody) throw invalid('body', 'expected a JSON object of monitor attributes');
    const current = await byKey(req, req.params.key);
    const attrs = body as Record<string, unknown>;
    const monitor = await monitors.updateMonitor(ctx, current.projectId, current.id, monitorWriteOf(attrs, (name) => name));
    return presentCronitorMonitor(await applyPaused(ctx, monitor, pausedOf(attrs, 'paused')));
  });

  app.delete('/api/monitors/:key', { schema: { tags, summary: 'Delete a monitor and its history (204)', params: KeyParams } }, async (req, reply) => {
    const monitor = await byKey(req, req.params.key);
    await monitors.deleteMonitor(ctx, monitor.projectId, monitor.id);
    return reply.code(204).send();
  });

  const pause = async (req: FastifyRequest<{ Params: { key: string; hours?: string } }>) => {
    requireWrite(principals.get(req) as Principal); // a GET that changes the monitor: read-only keys may not
    const monitor = await byKey(req, req.params.key);
    const hours = req.params.hours === undefined ? undefined : Number(req.params.hours);
    const changed = hours === 0 ? await monitors.resumeMonitor(ctx, monitor.projectId, monitor.id) : await monitors.pauseMonitor(ctx, monitor.projectId, monitor.id, hours);
    return presentCronitorMonitor(changed);
  };
  app.get('/api/monitors/:key/pause', { schema: { tags, summary: 'Pause a monitor until resumed', params: KeyParams } }, pause);
  app.get(
    '/api/monitors/:key/pause/:hours',
    {
      schema: {
        tags,
        summary: 'Pause a monitor for <hours> hours; 0 resumes it',
        params: Type.Object({ ...KeyParams.properties, hours: Type.String({ pattern: '^[0-9]{1,7}$', description: 'Whole hours; 0 resumes' }) }),
      },
    },
    pause,
  );
};

/** The API key from `Basic base64(KEY:)` (the user name, or the password when the user name is empty) or `Bearer KEY`. */
function apiKeyOf(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization?.trim();
  if (!header) return undefined;
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=_-]+)$/i.exec(header);
  if (!basic) return undefined;
  const decoded = Buffer.from(basic[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  return user || (colon < 0 ? undefined : decoded.slice(colon + 1)) || undefined;
}

/** Pauses (without an end) or resumes the monitor when `paused` asks for a change. */
async function applyPaused(ctx: AppContext, monitor: Monitor, paused: boolean | undefined): Promise<Monitor> {
  if (paused === true && monitor.state !== 'paused') return monitors.pauseMonitor(ctx, monitor.projectId, monitor.id, undefined);
  if (paused === false && monitor.state === 'paused') return monitors.resumeMonitor(ctx, monitor.projectId, monitor.id);
  return monitor;
}

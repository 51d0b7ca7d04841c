/** /v1/project and /v1/keys: the caller's project (with the settings Sentry and Cronitor clients need) and its API keys. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { AppContext } from '../../app/context.js';
import { createApiKey } from '../../app/keys.js';
import { notFound } from '../../domain/errors.js';
import { sentryDsn } from '../../ingest/sentry-dsn.js';
import { errorResponses, IdParams } from '../schemas/common.js';

const Project = Type.Object({
  id: Type.String(),
  name: Type.String(),
  ping_key: Type.String({ description: 'Addresses monitors by key: /ping/<ping_key>/<slug>, email <ping_key>+<slug>@…' }),
  sentry_dsn: Type.String({ description: "The DSN to give Sentry's SDKs and sentry-cli (SENTRY_DSN): their check-ins then report to this project's monitors" }),
  cronitor_base_url: Type.String({ description: 'The base URL replacing https://cronitor.link and https://cronitor.io in Cronitor clients' }),
  created_at: Type.String({ format: 'date-time' }),
});
const ApiKey = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String({ description: 'First characters of the secret' }),
  read_only: Type.Boolean(),
  created_at: Type.String({ format: 'date-time' }),
});
const NewKey = Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), read_only: Type.Optional(Type.Boolean()) }, { additionalProperties: false });

export interface ProjectRoutesOptions {
  ctx: AppContext;
  /** The public base URL the Sentry DSN and the Cronitor base URL are built from. */
  baseUrl: () => string;
  /** Where the Cronitor-compatible URLs are mounted (default `/cronitor`; '' for the root). */
  cronitorPrefix?: string;
}

export const projectRoutes: FastifyPluginAsyncTypebox<ProjectRoutesOptions> = async (app, { ctx, baseUrl, cronitorPrefix = '/cronitor' }) => {
  app.get('/project', { schema: { tags: ['project'], summary: "The API key's project", response: { 200: Project, ...errorResponses } } }, async (req) => {
    const p = await ctx.store.getProject(req.principal.projectId);
    if (!p) throw notFound('project');
    const base = baseUrl().replace(/\/+$/, '');
    return { id: p.id, name: p.name, ping_key: p.pingKey, sentry_dsn: sentryDsn(base, p), cronitor_base_url: `${base}${cronitorPrefix.replace(/\/+$/, '')}`, created_at: p.createdAt.toISOString() };
  });

  app.get('/keys', { schema: { tags: ['project'], summary: "The project's API keys (secrets are never shown again)", response: { 200: Type.Object({ items: Type.Array(ApiKey) }), ...errorResponses } } }, async (req) => {
    const keys = await ctx.store.listApiKeys(req.principal.projectId);
    return { items: keys.map((k) => ({ id: k.id, name: k.name, prefix: k.prefix, read_only: k.readOnly, created_at: k.createdAt.toISOString() })) };
  });

  app.post(
    '/keys',
    { schema: { tags: ['project'], summary: 'Create an API key; the secret is in this response only', body: Type.Optional(Type.Union([NewKey, Type.Null()])), response: { 201: Type.Intersect([ApiKey, Type.Object({ key: Type.String() })]), ...errorResponses } } },
    async (req, reply) => {
      const { key, secret } = await createApiKey(ctx.store, ctx.clock, req.principal.projectId, { readOnly: req.body?.read_only, name: req.body?.name });
      return reply.code(201).send({ id: key.id, name: key.name, prefix: key.prefix, read_only: key.readOnly, created_at: key.createdAt.toISOString(), key: secret });
    },
  );

  app.delete(
    '/keys/:id',
    { schema: { tags: ['project'], summary: "Revoke an API key (not the project's last read-write key)", params: IdParams, response: { 204: Type.Null(), ...errorResponses } } },
    async (req, reply) => {
      if (!(await ctx.store.deleteApiKey(req.principal.projectId, req.params.id))) throw notFound(`API key ${req.params.id}`);
      return reply.code(204).send(null);
    },
  );
};

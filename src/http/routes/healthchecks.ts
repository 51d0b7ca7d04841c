/**
 * healthchecks.io-compatible ping URLs under `/ping/…` (see src/ingest/healthchecks.ts for the rules), answered in
 * healthchecks' text shape with its `Ping-Body-Limit` and CORS headers. No API key: the token or ping key is the
 * secret.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { AppContext } from '../../app/context.js';
import type { PingIngestor } from '../../app/ping-ingestor.js';
import { MAX_PING_BODY_BYTES } from '../../domain/ping.js';
import type { PingQuery } from '../../domain/ping-params.js';
import { ingestHealthchecksPing, parseHealthchecksPath } from '../../ingest/healthchecks.js';
import { PingQuerySchema } from './pings.js';

export interface HealthchecksRoutesOptions {
  ctx: AppContext;
  ingestor: PingIngestor;
}

/** How much of a body is read: more than is kept, so a long job log is cut to MAX_PING_BODY_BYTES, not refused. */
export const HEALTHCHECKS_READ_LIMIT = 1024 * 1024;

const Params = Type.Object({
  first: Type.String({ minLength: 1, maxLength: 128, description: 'The ping token, or the project\'s ping key (slug URLs)' }),
  second: Type.Optional(Type.String({ maxLength: 128, description: 'After a token: "start", "fail", "log", "ok" or an exit code 0–255. Otherwise the monitor\'s key (slug)' })),
  third: Type.Optional(Type.String({ maxLength: 16, description: 'After a slug: "start", "fail", "log", "ok" or an exit code 0–255' })),
});
const Query = Type.Object({
  ...PingQuerySchema.properties,
  create: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description: '"1" on a slug URL: create the monitor when the project has none with that key (answers 201 Created)' })),
});

type Request = FastifyRequest<{ Params: { first: string; second?: string; third?: string }; Querystring: PingQuery }>;

export const healthchecksRoutes: FastifyPluginAsyncTypebox<HealthchecksRoutesOptions> = async (app, { ctx, ingestor }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: HEALTHCHECKS_READ_LIMIT }, (_req, body, done) => done(null, body));
  app.addHook('onRequest', async (_req, reply) => {
    reply.header('ping-body-limit', String(MAX_PING_BODY_BYTES)).header('access-control-allow-origin', '*');
  });
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return text(reply, 413, 'request body too large');
    if (err.validation) return text(reply, 400, 'invalid url format');
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return text(reply, err.statusCode, err.message);
    req.log.error({ err }, 'unhandled error');
    return text(reply, 500, 'internal error');
  });

  const schema = {
    tags: ['pings'],
    security: [],
    summary: 'healthchecks.io-style ping: /ping/<token>[/<action>] or /ping/<ping_key>/<slug>[/<action>]; answers text "OK"',
    params: Params,
    querystring: Query,
  };
  const handler = async (req: Request, reply: FastifyReply) => {
    const receivedAt = ctx.clock.now();
    const { first, second, third } = req.params;
    const answer = await ingestHealthchecksPing({ ctx, ingestor }, parseHealthchecksPath(first, second, third), {
      receivedAt,
      method: req.method,
      ip: req.ip ?? null,
      userAgent: req.headers['user-agent'] ?? null,
      body: Buffer.isBuffer(req.body) ? req.body : null,
      query: req.query,
    });
    return text(reply, answer.status, answer.text);
  };

  for (const url of ['/ping/:first', '/ping/:first/:second', '/ping/:first/:second/:third']) {
    app.route({ method: ['GET', 'POST'], url, schema, handler, bodyLimit: HEALTHCHECKS_READ_LIMIT });
  }
};

function text(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type('text/plain; charset=utf-8').send(body);
}

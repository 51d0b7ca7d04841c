/**
 * Uptime Kuma push URLs: any method on `/api/push/:token` (see src/ingest/uptime-kuma.ts for the rules), answered
 * in Kuma's JSON shape. No API key: the token is the secret.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { Clock } from '../../app/clock.js';
import type { PingIngestor } from '../../app/ping-ingestor.js';
import type { PingQuery } from '../../domain/ping-params.js';
import { ingestKumaPush, KUMA_NOT_FOUND } from '../../ingest/uptime-kuma.js';

export interface UptimeKumaRoutesOptions {
  ingestor: PingIngestor;
  clock: Clock;
}

/** Kuma ignores bodies; a long one is read up to this and cut to MAX_PING_BODY_BYTES rather than failing the push. */
const READ_LIMIT = 1024 * 1024;

const Param = (description: string) => Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description }));
const Query = Type.Object({
  status: Param('"up" (or absent) records a success; any other value ("down") a failure'),
  msg: Param('A message kept with the ping (first 1000 characters)'),
  ping: Param('A duration in milliseconds (0 to 1e11), kept as the ping\'s duration in seconds; empty or 0 means none'),
});

export const uptimeKumaRoutes: FastifyPluginAsyncTypebox<UptimeKumaRoutesOptions> = async (app, { ingestor, clock }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: READ_LIMIT }, (_req, body, done) => done(null, body));
  // Kuma answers every failure as {"ok":false,"msg":…}; keep that shape whatever went wrong.
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.validation) return reply.code(404).send({ ok: false, msg: KUMA_NOT_FOUND }); // e.g. a 500-character token
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return reply.code(err.statusCode).send({ ok: false, msg: err.message });
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ ok: false, msg: 'internal error' });
  });

  app.all(
    '/api/push/:token',
    {
      schema: {
        tags: ['pings'],
        security: [],
        summary: 'Uptime Kuma push (any method): ?status=up|down&msg=…&ping=<ms>; answers {"ok":true}',
        params: Type.Object({ token: Type.String({ minLength: 1, maxLength: 128, description: 'The monitor\'s ping token' }) }),
        querystring: Query,
      },
      bodyLimit: READ_LIMIT,
    },
    async (req: FastifyRequest<{ Params: { token: string }; Querystring: PingQuery }>, reply: FastifyReply) => {
      const receivedAt = clock.now();
      const answer = await ingestKumaPush(ingestor, req.params.token, {
        receivedAt,
        method: req.method,
        ip: req.ip ?? null,
        userAgent: req.headers['user-agent'] ?? null,
        body: Buffer.isBuffer(req.body) ? req.body : null,
        query: req.query,
      });
      return reply.code(answer.status).send(answer.json);
    },
  );
};


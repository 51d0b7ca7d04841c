/**
 * The native ping URLs: `/v1/ping/:token[/start|/fail|/log|/:exit_code]`, and the same under `/ping/…` (the
 * healthchecks.io shape). No API key: the token is the secret. Answered only after the ping is committed.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { Clock } from '../../app/clock.js';
import type { PingIngestor } from '../../app/ping-ingestor.js';
import { AppError, invalid, notFound } from '../../domain/errors.js';
import { MAX_PING_BODY_BYTES, pingKindFromAction } from '../../domain/ping.js';
import { errorResponses } from '../schemas/common.js';
import { PingReply } from '../schemas/monitor.js';

export interface PingRoutesOptions {
  ingestor: PingIngestor;
  clock: Clock;
}

const Params = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 128 }),
  action: Type.Optional(Type.String({ maxLength: 16, description: '"start", "fail", "log", "ok" (reset without a recovery alert), or an exit code 0–255' })),
});
const Query = Type.Object({ msg: Type.Optional(Type.String()) });

export const pingRoutes: FastifyPluginAsyncTypebox<PingRoutesOptions> = async (app, { ingestor, clock }) => {
  // Pings carry arbitrary bodies (logs, JSON, nothing): keep them as bytes whatever the content-type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_PING_BODY_BYTES }, (_req, body, done) => done(null, body));

  const schema = {
    tags: ['pings'],
    security: [], // the token in the path is the credential
    summary: 'Record a ping: success, start, fail, log, or an exit code (0 = success, 1–255 = failure)',
    params: Params,
    querystring: Query,
    response: { 200: PingReply, ...errorResponses, 413: errorResponses[400] },
  };

  const handler = async (req: FastifyRequest<{ Params: { token: string; action?: string }; Querystring: { msg?: string } }>, reply: FastifyReply) => {
    const receivedAt = clock.now();
    const parsed = pingKindFromAction(req.params.action);
    if (!parsed) throw invalid('action', `"${req.params.action}" is not start, fail, log, ok or an exit code 0–255`);
    const msg = req.query.msg ?? null;
    if (msg !== null && Buffer.byteLength(msg) > MAX_PING_BODY_BYTES) {
      throw new AppError('payload_too_large', `msg: longer than ${MAX_PING_BODY_BYTES} bytes`, 'msg');
    }
    const body = Buffer.isBuffer(req.body) ? req.body : null;
    const outcome = await ingestor.record({
      token: req.params.token,
      kind: parsed.kind,
      exitCode: parsed.exitCode,
      receivedAt,
      source: req.url.startsWith('/v1/') ? 'native' : 'healthchecks',
      method: req.method,
      ip: req.ip ?? null,
      userAgent: req.headers['user-agent'] ?? null,
      body,
      msg,
    });
    if (!outcome.found) throw notFound('monitor with this ping token');
    const state = outcome.state;
    return reply.send(state === 'paused' ? { ok: true, state, message: 'Monitor is paused' } : { ok: true, state });
  };

  for (const prefix of ['/v1/ping', '/ping']) {
    app.route({ method: ['GET', 'POST'], url: `${prefix}/:token`, schema, handler, bodyLimit: MAX_PING_BODY_BYTES });
    app.route({ method: ['GET', 'POST'], url: `${prefix}/:token/:action`, schema, handler, bodyLimit: MAX_PING_BODY_BYTES });
  }
};

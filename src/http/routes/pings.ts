/**
 * The native ping URLs: `/v1/ping/:token[/start|/fail|/log|/:exit_code]`, answered in JSON. No API key: the token
 * is the secret. Answered only after the ping is committed. (`/ping/…`, the healthchecks.io shape, is in
 * healthchecks.ts.)
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { Clock } from '../../app/clock.js';
import type { PingIngestor } from '../../app/ping-ingestor.js';
import { invalid, notFound } from '../../domain/errors.js';
import { MAX_PING_BODY_BYTES, pingKindFromAction } from '../../domain/ping.js';
import { parsePingParams, type PingQuery } from '../../domain/ping-params.js';
import { detailsOrNull } from '../../ingest/request.js';
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
const Param = (description: string) => Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description }));
/** The ping parameters every HTTP ping dialect that takes them documents (see parsePingParams). */
export const PingQuerySchema = Type.Object({
  msg: Param('A message kept with the ping (first 1000 characters); `message` is accepted too'),
  message: Param('Same as msg'),
  host: Param('The host the job ran on'),
  series: Param('Run id pairing a start with its completion (also `rid`, `check_in_id`); ≤ 64 characters'),
  rid: Param('Same as series'),
  check_in_id: Param('Same as series'),
  status_code: Param('The job\'s exit or status code (integer)'),
  duration: Param('How long the run took, in seconds (decimal)'),
  env: Param('Environment, e.g. production'),
  release: Param('Release or version of the job'),
  metric: Param('Repeatable: name:value or type:name:value, e.g. count:12, error_count:1'),
});

export const pingRoutes: FastifyPluginAsyncTypebox<PingRoutesOptions> = async (app, { ingestor, clock }) => {
  // Pings carry arbitrary bodies (logs, JSON, nothing): keep them as bytes whatever the content-type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_PING_BODY_BYTES }, (_req, body, done) => done(null, body));

  const schema = {
    tags: ['pings'],
    security: [], // the token in the path is the credential
    summary: 'Record a ping: success, start, fail, log, or an exit code (0 = success, 1–255 = failure)',
    params: Params,
    querystring: PingQuerySchema,
    response: { 200: PingReply, ...errorResponses, 413: errorResponses[400] },
  };

  const handler = async (req: FastifyRequest<{ Params: { token: string; action?: string }; Querystring: PingQuery }>, reply: FastifyReply) => {
    const receivedAt = clock.now();
    const parsed = pingKindFromAction(req.params.action);
    if (!parsed) throw invalid('action', `"${req.params.action}" is not start, fail, log, ok or an exit code 0–255`);
    const { msg, ...details } = parsePingParams(req.query);
    const body = Buffer.isBuffer(req.body) ? req.body : null;
    const outcome = await ingestor.record({
      token: req.params.token,
      kind: parsed.kind,
      exitCode: parsed.exitCode,
      receivedAt,
      source: 'native',
      method: req.method,
      ip: req.ip ?? null,
      userAgent: req.headers['user-agent'] ?? null,
      body,
      msg,
      details: detailsOrNull(details),
    });
    if (!outcome.found) throw notFound('monitor with this ping token');
    const state = outcome.state;
    return reply.send(state === 'paused' ? { ok: true, state, message: 'Monitor is paused' } : { ok: true, state });
  };

  app.route({ method: ['GET', 'POST'], url: '/v1/ping/:token', schema, handler, bodyLimit: MAX_PING_BODY_BYTES });
  app.route({ method: ['GET', 'POST'], url: '/v1/ping/:token/:action', schema, handler, bodyLimit: MAX_PING_BODY_BYTES });
};

/**
 * The native ping URLs: `/v1/ping/:token[/start|/fail|/log|/:exit_code]`, and the same under `/ping/…` (the
 * healthchecks.io shape). No API key: the token is the secret. Answered only after the ping is committed.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { Clock } from '../../app/clock.js';
import type { PingIngestor } from '../../app/ping-ingestor.js';
import { invalid, notFound } from '../../domain/errors.js';
import { MAX_PING_BODY_BYTES, pingKindFromAction, type PingDetails } from '../../domain/ping.js';
import { parsePingParams, type PingQuery } from '../../domain/ping-params.js';
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
const Query = Type.Object({
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
    querystring: Query,
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
      source: req.url.startsWith('/v1/') ? 'native' : 'healthchecks',
      method: req.method,
      ip: req.ip ?? null,
      userAgent: req.headers['user-agent'] ?? null,
      body,
      msg,
      details: hasDetails(details) ? details : null,
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

function hasDetails(d: PingDetails): boolean {
  return d.host !== null || d.series !== null || d.statusCode !== null || d.duration !== null || d.env !== null || d.release !== null || d.metrics.length > 0;
}

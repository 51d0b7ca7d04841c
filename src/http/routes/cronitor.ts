/**
 * Cronitor-compatible ping URLs, registered under the Cronitor prefix (OVERDUE_CRONITOR_PREFIX, default
 * `/cronitor`; see src/ingest/cronitor.ts for the rules): telemetry `/p|ping/<key>/<monitor_key>?state=…` and
 * per-monitor `/<code>[/<event>]`, `/<code>/pause/<hours>`. GET, POST and HEAD; answers are text, 200 for every
 * well-formed request as Cronitor answers. The Monitor API under the same prefix is cronitor-monitors.ts.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { AppContext } from '../../app/context.js';
import type { PingIngestor } from '../../app/ping-ingestor.js';
import type { PingQuery } from '../../domain/ping-params.js';
import { ingestCronitorCode, ingestCronitorTelemetry } from '../../ingest/cronitor.js';
import type { PingRequest } from '../../ingest/request.js';
import { PingQuerySchema } from './pings.js';

/** Where the Cronitor URLs live when OVERDUE_CRONITOR_PREFIX is not set. */
export const DEFAULT_CRONITOR_PREFIX = '/cronitor';

/** The base URL a Cronitor client uses instead of https://cronitor.link and https://cronitor.io. */
export function cronitorBaseUrl(baseUrl: string, prefix = DEFAULT_CRONITOR_PREFIX): string {
  return `${baseUrl.replace(/\/+$/, '')}${prefix}`;
}

export interface CronitorRoutesOptions {
  ctx: AppContext;
  ingestor: PingIngestor;
  autoCreate: boolean;
}

/** Cronitor discards ping bodies; Overdue keeps the first MAX_PING_BODY_BYTES of one read up to this size. */
const READ_LIMIT = 1024 * 1024;

const Param = (description: string) => Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description }));
const Query = Type.Object({
  state: Param('run, complete, fail, ok or tick (telemetry URLs); absent means tick'),
  auth_key: Param('The project\'s ping key or an API key: when given, it must belong to the monitor\'s project'),
  ...PingQuerySchema.properties,
});
const Key = (description: string) => Type.String({ minLength: 1, maxLength: 128, description });

type Request<P> = FastifyRequest<{ Params: P; Querystring: PingQuery }>;

export const cronitorRoutes: FastifyPluginAsyncTypebox<CronitorRoutesOptions> = async (app, { ctx, ingestor, autoCreate }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: READ_LIMIT }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return text(reply, 413, 'request body too large');
    if (err.validation) return text(reply, 400, `invalid url: ${err.message}`);
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return text(reply, err.statusCode, err.message);
    req.log.error({ err }, 'unhandled error');
    return text(reply, 500, 'internal error');
  });
  const deps = { ctx, ingestor, autoCreate };
  const pingRequest = (req: FastifyRequest<{ Querystring: PingQuery }>): PingRequest => ({
    receivedAt: ctx.clock.now(),
    method: req.method,
    ip: req.ip ?? null,
    userAgent: req.headers['user-agent'] ?? null,
    body: Buffer.isBuffer(req.body) ? req.body : null,
    query: req.query,
  });
  const common = { method: ['GET', 'POST'] as ('GET' | 'POST')[], bodyLimit: READ_LIMIT };
  const schema = (summary: string, params: ReturnType<typeof Type.Object>) => ({ tags: ['pings'], security: [], summary, params, querystring: Query });

  const telemetry = async (req: Request<{ key: string; monitor: string }>, reply: FastifyReply) => {
    const answer = await ingestCronitorTelemetry(deps, req.params.key, req.params.monitor, pingRequest(req));
    return text(reply, answer.status, answer.text);
  };
  const TelemetryParams = Type.Object({ key: Key('A project API key (as Cronitor clients send it) or the project\'s ping key'), monitor: Key('The monitor\'s key; an unknown one creates the monitor') });
  for (const url of ['/p/:key/:monitor', '/ping/:key/:monitor']) {
    app.route({ ...common, url, handler: telemetry, schema: schema('Cronitor telemetry ping: ?state=run|complete|fail|ok|tick (answers 200 "OK")', TelemetryParams) });
  }

  const code = async (req: Request<{ code: string; event?: string; hours?: string }>, reply: FastifyReply) => {
    // `/<code>/pause/<hours>` and `/<code>/p/<hours>` carry their event in the route, not in a parameter.
    const event = req.params.hours === undefined ? req.params.event : 'pause';
    const answer = await ingestCronitorCode(deps, req.params.code, event, req.params.hours, pingRequest(req));
    return text(reply, answer.status, answer.text);
  };
  const CodeParams = Type.Object({
    code: Key('The monitor\'s ping token or its key'),
    event: Type.Optional(Type.String({ maxLength: 16, description: 'run, complete, fail, ok, or r, c, f; none means run' })),
    hours: Type.Optional(Type.String({ maxLength: 16, description: 'After pause or p: hours to pause; 0 resumes' })),
  });
  const codeSchema = schema('Cronitor per-monitor ping URL: /<code>[/run|/complete|/fail|/ok|/pause/<hours>] (answers 200 "OK")', CodeParams);
  app.route({ ...common, url: '/:code', handler: code, schema: codeSchema });
  app.route({ ...common, url: '/:code/:event', handler: code, schema: codeSchema });
  for (const pause of ['pause', 'p']) {
    app.route({ ...common, url: `/:code/${pause}/:hours`, handler: code, schema: codeSchema });
  }
};

function text(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type('text/plain; charset=utf-8').send(body);
}

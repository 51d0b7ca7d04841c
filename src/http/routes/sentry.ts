/**
 * Sentry's ingestion URLs, so Sentry's SDKs, `sentry-cli monitors run` and curl scripts written for Sentry crons
 * report to Overdue once their DSN is the project's (`GET /v1/project` → `sentry_dsn`):
 * - `POST /api/:project_id/envelope/`: envelopes; `check_in` items are recorded, other items ignored; `200 {}`;
 * - `GET|POST /api/:project_id/cron/:slug/:key/` (and without `:key`, with the key in `X-Sentry-Auth` or
 *   `?sentry_key=`): one check-in from the query, or from a JSON body; `202` with an empty body.
 * Errors answer in Relay's shape, `{"detail": …}`: 400 malformed, 401 no key, 403 unknown key or project id,
 * 413 too large, 415 unknown content encoding. See src/ingest/sentry.ts for the rules.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { AppContext } from '../../app/context.js';
import type { PingIngestor } from '../../app/ping-ingestor.js';
import { AppError } from '../../domain/errors.js';
import type { PingQuery } from '../../domain/ping-params.js';
import type { Project } from '../../storage/store.js';
import { firstValue } from '../../ingest/request.js';
import { authenticateSentry, recordCheckIn, type CheckInRequest, type SentryDeps } from '../../ingest/sentry.js';
import { BodyDecodeError, decodeBody } from '../../ingest/sentry-body.js';
import { readCheckIn, readCheckInQuery, type CheckIn } from '../../ingest/sentry-check-in.js';
import { parseDsn, sentryKeyOfAuthHeader } from '../../ingest/sentry-dsn.js';
import { EnvelopeError, parseEnvelope } from '../../ingest/sentry-envelope.js';

export interface SentryRoutesOptions {
  ctx: AppContext;
  ingestor: PingIngestor;
}

/** Largest body read, compressed or not: envelopes of other kinds (events, spans) may be large, and are dropped. */
export const SENTRY_READ_LIMIT = 10 * 1024 * 1024;
/** Relay's limit for one check-in item. */
export const MAX_CHECK_IN_BYTES = 100 * 1024;

const ProjectId = Type.String({ pattern: '^[0-9]{1,20}$', description: "The DSN's project id (`GET /v1/project` → `sentry_dsn`)" });
const Param = (description: string) => Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description }));
const EnvelopeQuery = Type.Object({
  sentry_key: Param("The DSN's public key (the JS SDK sends it here; sentry-cli sends X-Sentry-Auth instead)"),
  sentry_version: Param('Ignored'),
  sentry_client: Param('Ignored'),
});
const CronQuery = Type.Object({
  status: Param('"in_progress", "ok" or "error" (required unless the body is JSON)'),
  check_in_id: Param('The run id (a UUID): pairs in_progress with ok/error. Without it, ok/error closes the latest open run'),
  environment: Param('The environment; other than "production", its own monitor <slug>.<environment>'),
  duration: Param('Seconds the job ran'),
  release: Param('The release'),
  sentry_key: Param("The DSN's public key, when the path has none"),
});
const CronParams = Type.Object({
  project_id: ProjectId,
  slug: Type.String({ minLength: 1, maxLength: 200, description: 'The monitor slug (slugified as Sentry does)' }),
  key: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "The DSN's public key (or the project's ping key)" })),
});

type EnvelopeRequest = FastifyRequest<{ Params: { project_id: string }; Querystring: PingQuery }>;
type CronRequest = FastifyRequest<{ Params: { project_id: string; slug: string; key?: string }; Querystring: PingQuery }>;

export const sentryRoutes: FastifyPluginAsyncTypebox<SentryRoutesOptions> = async (app, { ctx, ingestor }) => {
  const deps: SentryDeps = { ctx, ingestor };
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: SENTRY_READ_LIMIT }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return detail(reply, 413, `request body exceeds ${SENTRY_READ_LIMIT} bytes`);
    if (err.validation) return detail(reply, 400, err.validation[0]?.instancePath === '/project_id' ? 'bad project path parameter' : err.message);
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return detail(reply, err.statusCode, err.message);
    req.log.error({ err }, 'unhandled error');
    return detail(reply, 500, 'internal error');
  });

  const envelopeSchema = {
    tags: ['pings'],
    security: [],
    summary: 'Sentry envelope: check_in items are recorded as pings, other items ignored; answers 200 {}',
    params: Type.Object({ project_id: ProjectId }),
    querystring: EnvelopeQuery,
  };
  const envelopeHandler = async (req: EnvelopeRequest, reply: FastifyReply) => {
    const request = requestOf(req, ctx.clock.now());
    const body = await readBody(req, reply);
    if (body === null) return reply;
    let envelope;
    try {
      envelope = parseEnvelope(body);
    } catch (err) {
      if (err instanceof EnvelopeError) return reply.code(400).send({ detail: 'invalid event envelope', causes: [err.message] });
      throw err;
    }
    const key = headerKey(req) ?? queryKey(req.query) ?? parseDsn(envelope.headers.dsn)?.publicKey ?? null;
    const project = await authenticated(ctx, key, req.params.project_id, reply);
    if (!project) return reply;
    for (const item of envelope.items) {
      if (item.type !== 'check_in') continue;
      if (item.payload.length > MAX_CHECK_IN_BYTES) {
        req.log.warn({ bytes: item.payload.length }, 'sentry check-in dropped: over 100 KiB');
        continue;
      }
      let json: unknown;
      try {
        json = JSON.parse(item.payload.toString('utf8'));
      } catch {
        req.log.warn('sentry check-in dropped: its payload is not JSON');
        continue;
      }
      await ingestLogged(deps, project, () => readCheckIn(json), request, req.log);
    }
    const eventId = envelope.headers.event_id;
    return reply.code(200).send(typeof eventId === 'string' ? { id: eventId } : {});
  };
  // The spellings without the trailing slash (Relay routes both) stay out of the OpenAPI document.
  for (const url of ['/api/:project_id/envelope/', '/api/:project_id/envelope']) {
    app.post(url, { schema: { ...envelopeSchema, hide: !url.endsWith('/') }, bodyLimit: SENTRY_READ_LIMIT }, envelopeHandler);
  }

  const cronSchema = {
    tags: ['pings'],
    security: [],
    summary: 'Sentry HTTP check-in: ?status=in_progress|ok|error[&check_in_id=…&environment=…&duration=…], or a JSON body; answers 202',
    params: CronParams,
    querystring: CronQuery,
  };
  const cronHandler = async (req: CronRequest, reply: FastifyReply) => {
    const request = requestOf(req, ctx.clock.now());
    const body = await readBody(req, reply);
    if (body === null) return reply;
    let checkIn: CheckIn;
    try {
      checkIn = isJson(req) ? readCheckIn(parseJson(body), req.params.slug) : readCheckInQuery(req.query, req.params.slug);
    } catch (err) {
      if (err instanceof AppError) return detail(reply, 400, err.message);
      throw err;
    }
    const key = req.params.key ?? headerKey(req) ?? queryKey(req.query);
    const project = await authenticated(ctx, key, req.params.project_id, reply);
    if (!project) return reply;
    const failure = await ingestLogged(deps, project, () => checkIn, request, req.log);
    if (failure) return detail(reply, 400, failure);
    return reply.code(202).send();
  };
  // GET and POST only, as Relay: a HEAD (a link checker) must not record a check-in.
  for (const url of ['/api/:project_id/cron/:slug/:key/', '/api/:project_id/cron/:slug/:key', '/api/:project_id/cron/:slug/', '/api/:project_id/cron/:slug']) {
    app.route({ method: ['GET', 'POST'], url, schema: { ...cronSchema, hide: !url.endsWith('/') }, handler: cronHandler, bodyLimit: SENTRY_READ_LIMIT, exposeHeadRoute: false });
  }
};

/**
 * Reads and records one check-in, logging one that is ignored or invalid (the clients never see why: Sentry
 * answers them alike). Returns the validation message when the check-in was invalid, else null.
 */
async function ingestLogged(deps: SentryDeps, project: Project, read: () => CheckIn, request: CheckInRequest, log: FastifyBaseLogger): Promise<string | null> {
  let checkIn: CheckIn | null = null;
  try {
    checkIn = read();
    const outcome = await recordCheckIn(deps, project, checkIn, request);
    if (!outcome.recorded) log.warn({ project: project.id, slug: checkIn.slug, environment: checkIn.environment }, `sentry check-in ignored: ${outcome.reason}`);
    return null;
  } catch (err) {
    if (!(err instanceof AppError) || err.code === 'internal_error') throw err;
    log.warn({ project: project.id, slug: checkIn?.slug }, `sentry check-in dropped: ${err.message}`);
    return err.message;
  }
}

async function authenticated(ctx: AppContext, key: string | null, projectId: string, reply: FastifyReply): Promise<Project | null> {
  const result = await authenticateSentry(ctx, key, projectId);
  if ('detail' in result) {
    detail(reply, result.status, result.detail);
    return null;
  }
  return result;
}

/** The decoded body (empty when none was sent), or null once an error answer has been sent. */
async function readBody(req: FastifyRequest, reply: FastifyReply): Promise<Buffer | null> {
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  try {
    return await decodeBody(raw, req.headers['content-encoding'], SENTRY_READ_LIMIT);
  } catch (err) {
    if (!(err instanceof BodyDecodeError)) throw err;
    detail(reply, err.status, err.message);
    return null;
  }
}

function requestOf(req: FastifyRequest, receivedAt: Date): CheckInRequest {
  return { receivedAt, method: req.method, ip: req.ip ?? null, userAgent: req.headers['user-agent'] ?? null };
}

function headerKey(req: FastifyRequest): string | null {
  const header = req.headers['x-sentry-auth'];
  return sentryKeyOfAuthHeader(Array.isArray(header) ? header[0] : header) ?? sentryKeyOfAuthHeader(req.headers.authorization);
}

function queryKey(query: PingQuery): string | null {
  return firstValue(query, 'sentry_key')?.trim() || null;
}

function isJson(req: FastifyRequest): boolean {
  return (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json');
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new AppError('validation_error', 'invalid JSON data');
  }
}

function detail(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).type('application/json').send({ detail: message });
}

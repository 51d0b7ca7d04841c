/**
 * One mapping from errors to responses: `{ "error": { "code", "message", "field"? } }`. Domain codes map to
 * statuses here and nowhere else; 5xx details are logged, not shown. Unknown paths answer 404, known paths
 * with the wrong method 405 (with an Allow header).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import { AppError, type ErrorCode } from '../../domain/errors.js';

const STATUS: Record<ErrorCode, number> = {
  validation_error: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  internal_error: 500,
  unavailable: 503,
};

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export function sendError(reply: FastifyReply, status: number, code: string, message: string, field?: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send({ error: field ? { code, message, field } : { code, message } });
}

export function installErrorHandling(app: FastifyInstance): void {
  // A shadow router of every registered path, used only to tell "wrong method" from "no such path".
  const shadow = FindMyWay({ ignoreTrailingSlash: true });
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const m of methods) {
      const method = m.toUpperCase() as HTTPMethod;
      // Fastify may register twins that differ only by a trailing slash, which the shadow treats as one.
      if (shadow.find(method, route.url) === null) shadow.on(method, route.url, () => undefined);
    }
  });

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = METHODS.filter((m) => m !== request.method && shadow.find(m, path) !== null);
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      return sendError(reply, 405, 'method_not_allowed', `${request.method} is not allowed on ${path}; use ${allowed.join(', ')}`);
    }
    return sendError(reply, 404, 'not_found', `no route for ${request.method} ${path}`);
  });

  app.setErrorHandler((err: FastifyError | AppError, request, reply) => {
    if (err instanceof AppError) {
      // Clients and load balancers may retry elsewhere or a little later; one second is a polite first wait.
      if (err.code === 'unavailable') reply.header('retry-after', '1');
      return sendError(reply, STATUS[err.code], err.code, err.message, err.field);
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      const first = fe.validation[0];
      const field = fieldOf(fe.validationContext, first?.instancePath, first?.params);
      const detail = first?.message ?? 'is invalid';
      return sendError(reply, 400, 'validation_error', `${field}: ${detail}`, field);
    }
    switch (fe.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendError(reply, 413, 'payload_too_large', `request body exceeds ${request.routeOptions.bodyLimit ?? 'the'} bytes limit`);
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendError(reply, 415, 'unsupported_media_type', `content-type ${request.headers['content-type'] ?? '(none)'} is not accepted here; send application/json`);
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return sendError(reply, 400, 'invalid_json', 'body: empty JSON body; send a JSON object or omit the content-type header', 'body');
    }
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      const code = fe instanceof SyntaxError || fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ? 'invalid_json' : 'bad_request';
      return sendError(reply, fe.statusCode, code, fe.message);
    }
    request.log.error({ err }, 'unhandled error');
    return sendError(reply, 500, 'internal_error', 'internal error; see the server log');
  });
}

function fieldOf(context: string | undefined, instancePath: string | undefined, params: unknown): string {
  const path = (instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  const missing = (params as { missingProperty?: string; additionalProperty?: string } | undefined) ?? {};
  const extra = missing.missingProperty ?? missing.additionalProperty;
  const name = [path, extra].filter(Boolean).join('.');
  if (name) return name;
  return context === 'body' ? 'body' : context ?? 'request';
}

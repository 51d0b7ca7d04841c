/** Bearer-key authentication for the /v1 API: every request gets a principal; read-only keys cannot mutate. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../../app/context.js';
import { authenticate, requireWrite } from '../../app/keys.js';
import type { Store } from '../../storage/store.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function requireApiKey(app: FastifyInstance, store: Store): void {
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    request.principal = await authenticate(store, bearerOf(request));
    if (!READ_METHODS.has(request.method)) requireWrite(request.principal);
  });
}

function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

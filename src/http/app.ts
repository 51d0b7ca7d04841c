/**
 * Builds the HTTP application. Never listens: the runtime (or a test, via `inject` or `listen(0)`) decides.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AppContext } from '../app/context.js';
import type { Metrics } from '../app/metrics.js';
import type { PingIngestor } from '../app/ping-ingestor.js';
import type { ChannelKind } from '../notifier/channel.js';
import type { OutboundHttp } from '../notifier/outbound-http.js';
import type { Logger } from '../runtime/logger.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { requireApiKey } from './plugins/auth.js';
import { installErrorHandling } from './plugins/errors.js';
import { healthRoutes } from './routes/health.js';
import { channelRoutes } from './routes/channels.js';
import { cronitorRoutes, DEFAULT_CRONITOR_PREFIX } from './routes/cronitor.js';
import { cronitorMonitorRoutes } from './routes/cronitor-monitors.js';
import { monitorRoutes } from './routes/monitors.js';
import { notificationListRoutes } from './routes/notification-lists.js';
import { healthchecksRoutes } from './routes/healthchecks.js';
import { pingRoutes } from './routes/pings.js';
import { projectRoutes } from './routes/project.js';
import { sentryRoutes } from './routes/sentry.js';
import { uptimeKumaRoutes } from './routes/uptime-kuma.js';

export interface AppDeps {
  ctx: AppContext;
  ingestor: PingIngestor;
  metrics: Metrics;
  scheduler: Scheduler | null;
  /** The public base URL ping URLs are built from; a function because it may be known only once listening. */
  baseUrl: () => string;
  logger: Logger;
  version: string;
  /** Proxies allowed to set X-Forwarded-For: false, true, or addresses/CIDRs. */
  trustProxy?: boolean | string[];
  kinds: ReadonlyMap<string, ChannelKind>;
  http: OutboundHttp;
  /** Cronitor-compatible URLs: their path prefix (default `/cronitor`) and whether telemetry creates unknown monitors (default true). */
  cronitor?: { prefix: string; autoCreate: boolean };
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Per-request logs would cost more than the ping itself; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    trustProxy: deps.trustProxy ?? false,
    // Unknown fields are errors, not silently dropped: a typo like "grace_second" must not pass unnoticed.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  installErrorHandling(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Overdue API', version: deps.version, description: 'Cron job and heartbeat monitoring. Authenticate with `Authorization: Bearer <API key>`.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get('/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(healthRoutes, { store: deps.ctx.store, metrics: deps.metrics, scheduler: deps.scheduler, version: deps.version });
  await app.register(pingRoutes, { ingestor: deps.ingestor, clock: deps.ctx.clock });
  await app.register(healthchecksRoutes, { ctx: deps.ctx, ingestor: deps.ingestor });
  await app.register(uptimeKumaRoutes, { ingestor: deps.ingestor, clock: deps.ctx.clock });
  const cronitor = { prefix: DEFAULT_CRONITOR_PREFIX, autoCreate: true, ...deps.cronitor };
  await app.register(cronitorRoutes, { prefix: cronitor.prefix, ctx: deps.ctx, ingestor: deps.ingestor, autoCreate: cronitor.autoCreate });
  await app.register(cronitorMonitorRoutes, { prefix: cronitor.prefix, ctx: deps.ctx });
  await app.register(sentryRoutes, { ctx: deps.ctx, ingestor: deps.ingestor });
  await app.register(
    async (api) => {
      requireApiKey(api, deps.ctx.store);
      await api.register(monitorRoutes, { ctx: deps.ctx, baseUrl: deps.baseUrl });
      await api.register(projectRoutes, { ctx: deps.ctx, baseUrl: deps.baseUrl, cronitorPrefix: cronitor.prefix });
      await api.register(notificationListRoutes, { ctx: deps.ctx });
      await api.register(channelRoutes, { ctx: deps.ctx, kinds: deps.kinds, http: deps.http, baseUrl: deps.baseUrl });
    },
    { prefix: '/v1' },
  );
  return app;
}

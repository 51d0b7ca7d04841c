/**
 * Composition root: config → store → use-case context → HTTP app, scheduler, notifier, wired by the wake bus.
 * The node runs the roles OVERDUE_ROLES names (api, scheduler, notifier); every node serves /healthz, /readyz
 * and /metrics. Start and stop are idempotent and graceful: stop closes the listener first, then lets in-flight
 * ping batches commit, then the workers, the wake bus and the store.
 */
import type { FastifyInstance } from 'fastify';
import { systemClock, type Clock } from '../app/clock.js';
import type { AppContext } from '../app/context.js';
import { bootstrap, type BootstrapResult } from '../app/keys.js';
import { Metrics } from '../app/metrics.js';
import { PingIngestor } from '../app/ping-ingestor.js';
import { rolesOf, smtpListenOf, trustProxyOf, type Config, type Role, cronitorOptionsOf } from '../config/config.js';
import { AppError } from '../domain/errors.js';
import { buildApp } from '../http/app.js';
import { sendError } from '../http/plugins/errors.js';
import { startEmailListener, type EmailListener } from '../ingest/email.js';
import { buildChannelKinds } from '../notifier/kinds.js';
import { Notifier } from '../notifier/notifier.js';
import { OutboundHttp } from '../notifier/outbound-http.js';
import { Pruner } from '../scheduler/pruner.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { openStore, openWakeBus } from '../storage/open-store.js';
import type { Store } from '../storage/store.js';
import type { WakeBus } from '../storage/wake-bus.js';
import type { Logger } from './logger.js';
import { VERSION } from './version.js';

export interface RunningServer {
  app: FastifyInstance;
  store: Store;
  scheduler: Scheduler;
  pruner: Pruner;
  notifier: Notifier;
  bootstrapped: BootstrapResult | null;
  /** What this node runs (OVERDUE_ROLES). */
  roles: readonly Role[];
  wakeBus: WakeBus;
  /** The address actually bound (useful with PORT=0). */
  url: string;
  /** The SMTP listener's bound address for email pings, when SMTP_LISTEN is set. */
  smtp: { host: string; port: number } | null;
  stop(): Promise<void>;
}

export interface ServerOptions {
  clock?: Clock;
  logger: Logger;
  /** Start the background workers of the node's roles (default true); tests may drive `scheduler.tick()` themselves. */
  runScheduler?: boolean;
  /** Listen on HOST:PORT (default true); tests may use `app.inject`. */
  listen?: boolean;
}

/** How often the scheduler looks at the database at the least; deadlines sooner than this are announced to other nodes. */
const SCHEDULER_POLL_MS = 5_000;
/** Paths every node serves, whatever its roles. */
const OPERATIONS_PATHS = new Set(['/healthz', '/readyz', '/metrics']);
/** How long a starting node waits for an unreachable database before giving up. */
const DATABASE_WAIT_MS = 60_000;

export async function startServer(config: Config, options: ServerOptions): Promise<RunningServer> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger;
  const roles = rolesOf(config);
  const runs = (role: Role) => roles.includes(role);
  const store = await openStoreWaiting(config, logger);
  let bus: WakeBus | null = null;
  try {
    const bootstrapped = await bootstrap(store, clock, config.OVERDUE_BOOTSTRAP_API_KEY);
    let boundPort = config.PORT;
    const baseUrl = () => config.OVERDUE_BASE_URL ?? `http://localhost:${boundPort}`;
    const http = new OutboundHttp({ allowPrivate: config.OVERDUE_ALLOW_PRIVATE_TARGETS, version: VERSION });
    const channelKinds = buildChannelKinds({ smtpUrl: config.SMTP_URL, smtpFrom: config.SMTP_FROM });
    const wake = await openWakeBus(store, { now: () => clock.now().getTime(), horizonMs: SCHEDULER_POLL_MS, logger: logger.child({ role: 'wake-bus' }) });
    bus = wake;
    const notifier = new Notifier(store, clock, logger.child({ role: 'notifier' }), { baseUrl, http, kinds: channelKinds });
    const scheduler = new Scheduler(store, clock, logger.child({ role: 'scheduler' }), { maxSleepMs: SCHEDULER_POLL_MS }, () => wake.notificationsQueued());
    const pruner = new Pruner(store, logger.child({ role: 'pruner' }), { keep: config.OVERDUE_PING_RETENTION });
    if (runs('scheduler')) wake.onDeadline((d) => scheduler.poke(d));
    if (runs('notifier')) wake.onNotifications(() => notifier.poke());
    const ctx: AppContext = { store, clock, deadlineChanged: (d) => wake.deadlineChanged(d), flipped: () => wake.notificationsQueued() };
    const metrics = new Metrics(roles);
    const ingestor = new PingIngestor(store, {
      // PostgreSQL locks a batch's monitors until it commits; the SQLite stores decide in order without locks.
      separateTokens: store.capabilities.backend === 'postgres',
      onCommitted: (pings, outcomes) => {
        metrics.countBatch(pings, outcomes);
        // One wake-up for the batch's earliest deadline wakes the scheduler as early as one per ping would.
        let earliest: Date | null = null;
        for (const o of outcomes) if (o.found && o.deadline && (earliest === null || o.deadline < earliest)) earliest = o.deadline;
        wake.deadlineChanged(earliest);
        if (outcomes.some((o) => o.found && o.notificationsQueued)) wake.notificationsQueued();
      },
    });
    const app = await buildApp({ ctx, ingestor, metrics, scheduler: runs('scheduler') ? scheduler : null, baseUrl, logger, version: VERSION, trustProxy: trustProxyOf(config), kinds: channelKinds, http, cronitor: cronitorOptionsOf(config) });
    if (!runs('api')) {
      // Without the api role a node serves only its operational endpoints (for probes and Prometheus).
      app.addHook('onRequest', async (request, reply) => {
        const path = request.url.split('?')[0] ?? '/';
        if (!OPERATIONS_PATHS.has(path)) return sendError(reply, 404, 'not_found', `this node does not serve ${path}: it runs ${roles.join(', ')}, not the api role`);
      });
    }
    let url = baseUrl();
    if (options.listen !== false) {
      url = await app.listen({ port: config.PORT, host: config.HOST });
      boundPort = Number(new URL(url).port);
    }
    // Email pings are pings: only nodes with the api role receive them.
    const smtpListen = runs('api') ? smtpListenOf(config) : null;
    let email: EmailListener | null = null;
    if (smtpListen) {
      email = await startEmailListener({ ...smtpListen, store, ingestor, clock, logger: logger.child({ role: 'email' }) }).catch(async (err: unknown) => {
        await app.close();
        throw err;
      });
      logger.info({ address: email.address }, 'listening for email pings (SMTP)');
    }
    if (options.runScheduler !== false) {
      if (runs('scheduler')) {
        scheduler.start();
        pruner.start();
      }
      if (runs('notifier')) notifier.start();
    }

    let stopped: Promise<void> | null = null;
    const stop = () =>
      (stopped ??= (async () => {
        await email?.close();
        await app.close();
        await scheduler.stop();
        await notifier.stop();
        await pruner.stop();
        await wake.close();
        await store.close();
      })());
    return { app, store, scheduler, pruner, notifier, bootstrapped, roles, wakeBus: wake, url, smtp: email?.address ?? null, stop };
  } catch (err) {
    await bus?.close();
    await store.close();
    throw err;
  }
}

/**
 * Opens the configured store; a database that cannot be reached yet (it may be starting alongside this node) is
 * retried with back-off for up to DATABASE_WAIT_MS before start-up fails.
 */
async function openStoreWaiting(config: Config, logger: Logger): Promise<Store> {
  const open = () => openStore(config.DATABASE_URL, { sqliteSync: config.OVERDUE_SQLITE_SYNC as 'full' | 'normal', worker: true });
  const giveUpAt = Date.now() + DATABASE_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await open();
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'unavailable') || Date.now() >= giveUpAt) throw err;
      const delay = Math.min(5_000, 250 * 2 ** attempt);
      logger.warn({ err: err.cause ?? err, retryInMs: delay }, 'the database is unreachable; waiting for it');
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

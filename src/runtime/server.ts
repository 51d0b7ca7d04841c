/**
 * Composition root: config → store → use-case context → HTTP app, scheduler. Start and stop are idempotent
 * and graceful: stop closes the listener first, then lets in-flight ping batches commit, then the store.
 */
import type { FastifyInstance } from 'fastify';
import { systemClock, type Clock } from '../app/clock.js';
import type { AppContext } from '../app/context.js';
import { bootstrap, type BootstrapResult } from '../app/keys.js';
import { Metrics } from '../app/metrics.js';
import { PingIngestor } from '../app/ping-ingestor.js';
import { smtpListenOf, trustProxyOf, type Config } from '../config/config.js';
import { buildApp } from '../http/app.js';
import { startEmailListener, type EmailListener } from '../ingest/email.js';
import { buildChannelKinds } from '../notifier/kinds.js';
import { Notifier } from '../notifier/notifier.js';
import { OutboundHttp } from '../notifier/outbound-http.js';
import { Pruner } from '../scheduler/pruner.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { openStore } from '../storage/open-store.js';
import type { Store } from '../storage/store.js';
import type { Logger } from './logger.js';
import { VERSION } from './version.js';

export interface RunningServer {
  app: FastifyInstance;
  store: Store;
  scheduler: Scheduler;
  pruner: Pruner;
  notifier: Notifier;
  bootstrapped: BootstrapResult | null;
  /** The address actually bound (useful with PORT=0). */
  url: string;
  /** The SMTP listener's bound address for email pings, when SMTP_LISTEN is set. */
  smtp: { host: string; port: number } | null;
  stop(): Promise<void>;
}

export interface ServerOptions {
  clock?: Clock;
  logger: Logger;
  /** Start the scheduler loop (default true); tests may drive `scheduler.tick()` themselves. */
  runScheduler?: boolean;
  /** Listen on HOST:PORT (default true); tests may use `app.inject`. */
  listen?: boolean;
}

export async function startServer(config: Config, options: ServerOptions): Promise<RunningServer> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger;
  const store = await openStore(config.DATABASE_URL, { sqliteSync: config.OVERDUE_SQLITE_SYNC as 'full' | 'normal', worker: true });
  try {
    const bootstrapped = await bootstrap(store, clock, config.OVERDUE_BOOTSTRAP_API_KEY);
    let boundPort = config.PORT;
    const baseUrl = () => config.OVERDUE_BASE_URL ?? `http://localhost:${boundPort}`;
    const http = new OutboundHttp({ allowPrivate: config.OVERDUE_ALLOW_PRIVATE_TARGETS, version: VERSION });
    const channelKinds = buildChannelKinds({ smtpUrl: config.SMTP_URL, smtpFrom: config.SMTP_FROM });
    const notifier = new Notifier(store, clock, logger.child({ role: 'notifier' }), { baseUrl, http, kinds: channelKinds });
    const scheduler = new Scheduler(store, clock, logger.child({ role: 'scheduler' }), {}, () => notifier.poke());
    const pruner = new Pruner(store, logger.child({ role: 'pruner' }), { keep: config.OVERDUE_PING_RETENTION });
    const ctx: AppContext = { store, clock, deadlineChanged: (d) => scheduler.poke(d), flipped: () => notifier.poke() };
    const metrics = new Metrics();
    const ingestor = new PingIngestor(store, {
      onCommitted: (pings, outcomes) => {
        metrics.countBatch(pings, outcomes);
        for (const o of outcomes) if (o.found) scheduler.poke(o.deadline);
        if (outcomes.some((o) => o.found && o.notificationsQueued)) notifier.poke();
      },
    });
    const app = await buildApp({ ctx, ingestor, metrics, scheduler, baseUrl, logger, version: VERSION, trustProxy: trustProxyOf(config), kinds: channelKinds, http });
    let url = baseUrl();
    if (options.listen !== false) {
      url = await app.listen({ port: config.PORT, host: config.HOST });
      boundPort = Number(new URL(url).port);
    }
    const smtpListen = smtpListenOf(config);
    let email: EmailListener | null = null;
    if (smtpListen) {
      email = await startEmailListener({ ...smtpListen, store, ingestor, clock, logger: logger.child({ role: 'email' }) }).catch(async (err: unknown) => {
        await app.close();
        throw err;
      });
      logger.info({ address: email.address }, 'listening for email pings (SMTP)');
    }
    if (options.runScheduler !== false) {
      scheduler.start();
      notifier.start();
      pruner.start();
    }

    let stopped: Promise<void> | null = null;
    const stop = () =>
      (stopped ??= (async () => {
        await email?.close();
        await app.close();
        await scheduler.stop();
        await notifier.stop();
        await pruner.stop();
        await store.close();
      })());
    return { app, store, scheduler, pruner, notifier, bootstrapped, url, smtp: email?.address ?? null, stop };
  } catch (err) {
    await store.close();
    throw err;
  }
}

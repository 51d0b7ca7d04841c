/**
 * Operational endpoints: liveness, readiness and Prometheus metrics. No API key (expose them only where you
 * mean to). Liveness stays 200 while the database is down (restarting the process would not bring it back);
 * readiness is 503 then, so a load balancer sends requests to nodes that can serve them.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Metrics } from '../../app/metrics.js';
import { MONITOR_STATES } from '../../domain/monitor.js';
import type { Scheduler } from '../../scheduler/scheduler.js';
import type { Store } from '../../storage/store.js';
import { sendError } from '../plugins/errors.js';

/** A database that takes longer than this to answer one indexed read counts as unreachable. */
const PROBE_TIMEOUT_MS = 2_000;

/** Whether the database answers a cheap indexed read within the probe timeout. */
async function databaseReachable(store: Store): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([store.nextDeadline().then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface HealthOptions {
  store: Store;
  metrics: Metrics;
  scheduler: Scheduler | null;
  version: string;
}

export const healthRoutes: FastifyPluginAsyncTypebox<HealthOptions> = async (app, { store, metrics, scheduler, version }) => {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['operations'],
        security: [],
        summary: 'Liveness: the process answers; also reports its roles and whether the database answers',
        response: {
          200: Type.Object({
            ok: Type.Boolean(),
            version: Type.String(),
            database: Type.String(),
            database_reachable: Type.Boolean(),
            roles: Type.Array(Type.String()),
          }),
        },
      },
    },
    async () => ({ ok: true, version, database: store.capabilities.backend, database_reachable: await databaseReachable(store), roles: [...metrics.roles] }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        security: [],
        summary: 'Readiness: 200 while the database answers, 503 while it does not',
        response: { 200: Type.Object({ ok: Type.Boolean(), database_reachable: Type.Boolean() }) },
      },
    },
    async (_req, reply) => {
      if (await databaseReachable(store)) return { ok: true, database_reachable: true };
      return sendError(reply.header('retry-after', '1'), 503, 'unavailable', 'the database is unreachable');
    },
  );

  app.get('/metrics', { schema: { tags: ['operations'], security: [], summary: 'Prometheus metrics', produces: ['text/plain'] } }, async (_req, reply) => {
    const states = await store.countMonitorsByState();
    const lines: string[] = [
      '# HELP overdue_pings_received_total Pings recorded, by kind and dialect.',
      '# TYPE overdue_pings_received_total counter',
    ];
    for (const [key, n] of metrics.pingsByKind) {
      const [kind, source] = key.split('\u0000');
      lines.push(`overdue_pings_received_total{kind="${kind}",source="${source}"} ${n}`);
    }
    lines.push(
      '# HELP overdue_pings_unknown_token_total Pings refused because no monitor has the token.',
      '# TYPE overdue_pings_unknown_token_total counter',
      `overdue_pings_unknown_token_total ${metrics.unknownTokenPings}`,
      '# HELP overdue_ping_batches_total Group commits of pings.',
      '# TYPE overdue_ping_batches_total counter',
      `overdue_ping_batches_total ${metrics.pingBatches}`,
      '# HELP overdue_monitors Monitors by state.',
      '# TYPE overdue_monitors gauge',
      ...MONITOR_STATES.map((s) => `overdue_monitors{state="${s}"} ${states[s] ?? 0}`),
      '# HELP overdue_node_role The roles this node runs (1 per role).',
      '# TYPE overdue_node_role gauge',
      ...metrics.roles.map((r) => `overdue_node_role{role="${r}"} 1`),
    );
    if (store.divergences !== undefined) {
      lines.push(
        '# HELP overdue_sqlite_decision_divergences_total Ping batches the HTTP thread and the SQLite thread decided differently (should stay 0).',
        '# TYPE overdue_sqlite_decision_divergences_total counter',
        `overdue_sqlite_decision_divergences_total ${store.divergences}`,
      );
    }
    if (scheduler) {
      lines.push(
        '# HELP overdue_scheduler_lag_seconds How late the last scheduler pass handled its most overdue deadline.',
        '# TYPE overdue_scheduler_lag_seconds gauge',
        `overdue_scheduler_lag_seconds ${(scheduler.stats.lastLagMs / 1000).toFixed(3)}`,
        '# HELP overdue_scheduler_transitions_total State changes made by the scheduler.',
        '# TYPE overdue_scheduler_transitions_total counter',
        `overdue_scheduler_transitions_total ${scheduler.stats.transitions}`,
      );
    }
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(lines.join('\n') + '\n');
  });
};

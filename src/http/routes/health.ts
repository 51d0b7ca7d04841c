/** Operational endpoints: liveness and Prometheus metrics. No API key (expose them only where you mean to). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Metrics } from '../../app/metrics.js';
import { MONITOR_STATES } from '../../domain/monitor.js';
import type { Scheduler } from '../../scheduler/scheduler.js';
import type { Store } from '../../storage/store.js';

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
        summary: 'Liveness and database reachability',
        response: { 200: Type.Object({ ok: Type.Boolean(), version: Type.String(), database: Type.String(), roles: Type.Array(Type.String()) }) },
      },
    },
    async () => {
      await store.nextDeadline(); // a cheap indexed read proves the database answers
      return { ok: true, version, database: store.capabilities.backend, roles: scheduler ? ['api', 'scheduler', 'notifier'] : ['api'] };
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
    );
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

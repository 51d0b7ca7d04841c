/** Builds the message a person receives from an outbox row and the monitor it is about. */
import type { Monitor } from '../domain/monitor.js';
import type { Notification } from '../storage/store.js';
import type { NotificationMessage, NotifyEvent } from './channel.js';

const HEADLINE: Record<string, string> = {
  on_down: 'is DOWN',
  on_fail: 'reported a FAILURE',
  on_recovery: 'has RECOVERED',
  on_late: 'is LATE',
  on_degraded: 'is DEGRADED',
  on_run: 'STARTED a run',
  on_complete: 'COMPLETED a run',
};

export function buildMessage(n: Notification, monitor: Monitor, baseUrl: string, downSince: Date | null): NotificationMessage {
  const downFor = n.event === 'on_recovery' && downSince ? Math.max(0, Math.round((n.flip.at.getTime() - downSince.getTime()) / 1000)) : null;
  const headline = `${monitor.name} ${HEADLINE[n.event] ?? n.event}`;
  return {
    idempotencyKey: `ntf_${n.id}`,
    event: n.event as NotifyEvent,
    monitor: {
      id: monitor.id,
      name: monitor.name,
      key: monitor.key,
      url: `${baseUrl}/v1/monitors/${monitor.id}`,
      state: n.flip.to,
      tags: monitor.tags,
      schedule: monitor.schedule,
      timezone: monitor.timezone,
    },
    summary:
      (downFor !== null ? `${headline} after ${formatSeconds(downFor)} down` : `${headline}: ${n.flip.reason}`) +
      (n.count > 1 ? ` (${n.count} times in the last minutes; repeats are batched to one alert a minute)` : ''),
    reason: n.flip.reason,
    occurredAt: n.flip.at,
    lastPingAt: monitor.lastPingAt,
    nextExpectedAt: monitor.nextExpectedAt,
    downForSeconds: downFor,
    outputTail: n.outputTail,
    count: n.count,
  };
}

function formatSeconds(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

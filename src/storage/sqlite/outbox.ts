/**
 * The notification outbox: rows written in the same transaction as the state change that causes them, then
 * claimed by notifier workers with compare-and-set and finished with the delivery outcome.
 */
import type { Database } from './driver.js';
import type { Alert, Flip, Monitor } from '../../domain/monitor.js';
import { eventsOfFlip } from '../../domain/notify-events.js';
import type { DeliveryOutcome, Notification, NotificationFilter, Page } from '../store.js';
import { ms, notificationFromRow, type NotificationRow } from './rows.js';
import type { Statements } from './statements.js';

/** Each (monitor, channel, event) is notified at most once per this window; see enqueue(). */
const BATCH_WINDOW_MS = 60_000;

interface OutboxEvent {
  project_id: string;
  monitor_id: string;
  dedup_prefix: string;
  event: string;
  at: number;
  from_state: string;
  to_state: string;
  reason: string;
  output_tail: string | null;
}

/** Stores flips and, in the same transaction, the outbox rows of the notification rules they trigger. */
export function writeFlips(stmt: Statements, monitor: Pick<Monitor, 'id' | 'projectId' | 'downReason'>, flips: Flip[], output_tail: string | null = null): number {
  let queued = 0;
  for (const f of flips) {
    const flipId = Number(stmt.insertFlip.run(monitor.id, ms(f.at), f.from, f.to, f.reason, f.kind ?? null).lastInsertRowid);
    for (const event of eventsOfFlip(f, monitor.downReason)) {
      queued += enqueue(stmt, { project_id: monitor.projectId, monitor_id: monitor.id, dedup_prefix: `flip:${flipId}`, event, at: f.at.getTime(), from_state: f.from, to_state: f.to, reason: f.reason, output_tail });
    }
  }
  return queued;
}

/**
 * Whether writeFlips(flips) and writeAlerts(alerts) would queue or merge any notification for this monitor
 * now: true when a rule names one of their events (every such rule has a channel, and each write queues or
 * merges one row per channel). Lets a store answer a ping before writing its rows.
 */
export function wouldQueue(stmt: Statements, monitor: Pick<Monitor, 'id' | 'downReason'>, flips: Flip[], alerts: Alert[]): boolean {
  return raisesRuled(monitor, flips, alerts, (event) => ruleChannels(stmt, monitor.id, event).length > 0);
}

/** Whether any event of these flips and alerts is one that `ruled` says has a rule. */
export function raisesRuled(monitor: Pick<Monitor, 'downReason'>, flips: Flip[], alerts: Alert[], ruled: (event: string) => boolean): boolean {
  return flips.some((f) => eventsOfFlip(f, monitor.downReason).some(ruled)) || alerts.some((a) => ruled(a.event));
}

/** The events with at least one channel to notify for this monitor. */
export function ruledEvents(stmt: Statements, monitorId: string): string[] {
  return stmt.ruledEvents.all({ m: monitorId }) as string[];
}

/**
 * The channels with a rule for (monitor, event), remembered per connection: every success ping raises an
 * `on_complete` alert, and looking its rules up each time was a tenth of the ping path's CPU. The store calls
 * forgetRuleChannels around every call that may change rules, lists, channels or monitors.
 */
const ruleCache = new WeakMap<Statements, Map<string, string[]>>();
const RULE_CACHE_MAX = 100_000;

function ruleChannels(stmt: Statements, monitorId: string, event: string): string[] {
  let cache = ruleCache.get(stmt);
  if (!cache) ruleCache.set(stmt, (cache = new Map()));
  const key = `${monitorId}\n${event}`;
  let channels = cache.get(key);
  if (!channels) {
    if (cache.size >= RULE_CACHE_MAX) cache.clear();
    channels = stmt.ruleChannels.all({ m: monitorId, e: event }) as string[];
    cache.set(key, channels);
  }
  return channels;
}

export function forgetRuleChannels(stmt: Statements): void {
  ruleCache.get(stmt)?.clear();
}

/**
 * Queues one event for every channel with a rule for it. Noise control: each (monitor, channel, event) is
 * sent at most once a minute; an occurrence inside that minute is held until the minute is over, and
 * further ones merge into the held notification (its count grows, its details become the latest).
 */
/** Returns how many notifications were queued or merged. */
function enqueue(stmt: Statements, e: OutboxEvent): number {
  let queued = 0;
  for (const channel_id of ruleChannels(stmt, e.monitor_id, e.event)) {
    const key = { monitor_id: e.monitor_id, channel_id, event: e.event, at: e.at };
    const held = stmt.heldNotification.get(key) as number | undefined;
    if (held !== undefined) {
      stmt.mergeIntoHeld.run({ id: held, at: e.at, from_state: e.from_state, to_state: e.to_state, reason: e.reason, output_tail: e.output_tail });
      queued++;
      continue;
    }
    const last = stmt.lastNotifiedAt.get(key) as number | null;
    const next_attempt_at = last !== null && e.at - last < BATCH_WINDOW_MS ? last + BATCH_WINDOW_MS : e.at;
    queued += stmt.enqueue.run({ ...e, channel_id, next_attempt_at }).changes;
  }
  return queued;
}

/** Queues repeated alerts (no state change) for the rules of their event, in the caller's transaction. */
export function writeAlerts(stmt: Statements, monitor: Pick<Monitor, 'id' | 'projectId' | 'state'>, alerts: Alert[], dedupPrefix: string, output_tail: string | null = null): number {
  let queued = 0;
  for (const a of alerts) {
    queued += enqueue(stmt, { project_id: monitor.projectId, monitor_id: monitor.id, dedup_prefix: `${dedupPrefix}:${a.sequence}`, event: a.event, at: a.at.getTime(), from_state: monitor.state, to_state: monitor.state, reason: a.reason, output_tail });
  }
  return queued;
}

export function claimNotifications(db: Database, stmt: Statements, now: Date, leaseUntil: Date, limit: number): Notification[] {
  // One UPDATE … RETURNING is the compare-and-set: a row moves to `sending` for exactly one claimer.
  const rows = db.transaction(() => stmt.claim.all({ now: now.getTime(), lease: leaseUntil.getTime(), limit }) as NotificationRow[]).immediate();
  return rows.map(notificationFromRow).sort((a, b) => a.id - b.id);
}

export function finishNotification(db: Database, stmt: Statements, id: number, o: DeliveryOutcome): void {
  db.transaction(() => {
    if (o.ok) {
      stmt.delivered.run(o.at.getTime(), o.responseCode, id);
    } else if (o.retryAt) {
      stmt.retryLater.run(o.retryAt.getTime(), o.error, o.responseCode, id);
    } else {
      const row = stmt.failedForGood.get(o.error, o.responseCode, id) as { channel_id: string } | undefined;
      if (row) stmt.channelFailed.run(o.error, o.at.getTime(), row.channel_id);
    }
  }).immediate();
}

export function listNotifications(db: Database, projectId: string, f: NotificationFilter): Page<Notification> {
  const where = ['project_id = @projectId'];
  if (f.monitorId) where.push('monitor_id = @monitorId');
  if (f.channelId) where.push('channel_id = @channelId');
  const params = { projectId, monitorId: f.monitorId ?? null, channelId: f.channelId ?? null, limit: f.limit, offset: f.offset };
  const cond = where.join(' AND ');
  const rows = db.prepare(`SELECT * FROM notifications WHERE ${cond} ORDER BY id DESC LIMIT @limit OFFSET @offset`).all(params) as NotificationRow[];
  const total = db.prepare(`SELECT count(*) FROM notifications WHERE ${cond}`).pluck().get(params) as number;
  return { items: rows.map(notificationFromRow), total };
}

export function nextNotificationAt(stmt: Statements): Date | null {
  const v = stmt.nextNotification.get() as number | null;
  return v === null ? null : new Date(v);
}

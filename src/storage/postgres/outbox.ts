/**
 * The notification outbox: flips and the rows of the notifications they raise, written in the transaction of
 * the state change that causes them; then claimed by notifier workers (any process) and finished with the
 * delivery outcome.
 */
import type pg from 'pg';
import type { Alert, Flip, Monitor } from '../../domain/monitor.js';
import { eventsOfFlip } from '../../domain/notify-events.js';
import type { DeliveryOutcome, Notification, NotificationFilter, Page } from '../store.js';
import { all, first, inTransaction, prepared, run, type Queryable } from './db.js';
import { notificationFromRow, pgText, type NotificationRow } from './rows.js';

/** Each (monitor, channel, event) is notified at most once per this window; see enqueue(). */
const BATCH_WINDOW_MS = 60_000;

/** The channels a monitor's event goes to: its channel rules plus the members of its lists, each once. */
export type RuleChannels = (monitorId: string, event: string) => readonly string[];

/** Reads the routing of every event of these monitors in one query, for a transaction that may raise many. */
export async function loadRuleChannels(db: Queryable, monitorIds: string[]): Promise<RuleChannels> {
  const rows = await all<{ monitor_id: string; event: string; channel_id: string }>(
    db,
    prepared(
      'overdue_rule_channels',
      `SELECT monitor_id, event, channel_id FROM notification_rules WHERE monitor_id = ANY($1::text[]) AND channel_id IS NOT NULL
       UNION
       SELECT r.monitor_id, r.event, lc.channel_id FROM notification_rules r JOIN notification_list_channels lc ON lc.list_id = r.list_id
       WHERE r.monitor_id = ANY($1::text[])
       ORDER BY channel_id`,
    ),
    [monitorIds],
  );
  const byEvent = new Map<string, string[]>();
  for (const r of rows) {
    const key = `${r.monitor_id}\u0000${r.event}`;
    byEvent.set(key, [...(byEvent.get(key) ?? []), r.channel_id]);
  }
  return (monitorId, event) => byEvent.get(`${monitorId}\u0000${event}`) ?? [];
}

/** Inserts flips (of any monitors) in one statement; returns their ids in input order. */
export async function insertFlips(db: Queryable, flips: { monitorId: string; flip: Flip }[]): Promise<number[]> {
  if (flips.length === 0) return [];
  const col = <T>(pick: (f: { monitorId: string; flip: Flip }) => T): T[] => flips.map(pick);
  const rows = await all<{ id: number }>(
    db,
    prepared(
      'overdue_insert_flips',
      `INSERT INTO flips (monitor_id, at, from_state, to_state, reason, kind)
       SELECT monitor_id, at, from_state, to_state, reason, kind
       FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS u(monitor_id, at, from_state, to_state, reason, kind, ord)
       ORDER BY ord
       RETURNING id`,
    ),
    [col((f) => f.monitorId), col((f) => f.flip.at), col((f) => f.flip.from), col((f) => f.flip.to), col((f) => pgText(f.flip.reason)), col((f) => f.flip.kind ?? null)],
  );
  // Identity values drawn in ordinality order ascend with it (see insertPings).
  return rows.map((r) => r.id).sort((a, b) => a - b);
}

interface OutboxEvent {
  projectId: string;
  monitorId: string;
  dedupPrefix: string;
  event: string;
  at: Date;
  from: string;
  to: string;
  reason: string;
  outputTail: string | null;
}

/** Queues the notifications of one stored flip; returns how many were queued or merged. */
export async function enqueueFlip(db: Queryable, rules: RuleChannels, monitor: Pick<Monitor, 'id' | 'projectId' | 'downReason'>, flip: Flip, flipId: number, outputTail: string | null): Promise<number> {
  let queued = 0;
  for (const event of eventsOfFlip(flip, monitor.downReason)) {
    queued += await enqueue(db, rules, { projectId: monitor.projectId, monitorId: monitor.id, dedupPrefix: `flip:${flipId}`, event, at: flip.at, from: flip.from, to: flip.to, reason: flip.reason, outputTail });
  }
  return queued;
}

/** Queues repeated alerts (no state change) for the rules of their event; returns how many were queued or merged. */
export async function enqueueAlerts(db: Queryable, rules: RuleChannels, monitor: Pick<Monitor, 'id' | 'projectId' | 'state'>, alerts: Alert[], dedupPrefix: string, outputTail: string | null): Promise<number> {
  let queued = 0;
  for (const a of alerts) {
    queued += await enqueue(db, rules, { projectId: monitor.projectId, monitorId: monitor.id, dedupPrefix: `${dedupPrefix}:${a.sequence}`, event: a.event, at: a.at, from: monitor.state, to: monitor.state, reason: a.reason, outputTail });
  }
  return queued;
}

/** Stores one monitor's flips and queues what they and `alerts` raise, in the caller's transaction. */
export async function writeFlipsAndAlerts(db: Queryable, monitor: Monitor, flips: Flip[], alerts: Alert[], alertPrefix: string): Promise<number> {
  if (flips.length === 0 && alerts.length === 0) return 0;
  const rules = await loadRuleChannels(db, [monitor.id]);
  const flipIds = await insertFlips(db, flips.map((flip) => ({ monitorId: monitor.id, flip })));
  let queued = 0;
  for (const [i, flip] of flips.entries()) queued += await enqueueFlip(db, rules, monitor, flip, flipIds[i] as number, null);
  return queued + (await enqueueAlerts(db, rules, monitor, alerts, alertPrefix, null));
}

/**
 * Queues one event for every channel with a rule for it. Noise control: each (monitor, channel, event) is
 * sent at most once a minute; an occurrence inside that minute is held until the minute is over, and
 * further ones merge into the held notification (its count grows, its details become the latest).
 * Callers hold the monitor's row lock, so two transactions never merge into or hold the same row at once.
 */
async function enqueue(db: Queryable, rules: RuleChannels, e: OutboxEvent): Promise<number> {
  let queued = 0;
  for (const channelId of rules(e.monitorId, e.event)) {
    const key = [e.monitorId, channelId, e.event];
    // Merging re-checks that the held row is still unclaimed: a notifier in another process may have taken it
    // since (its clock may run ahead), and then this occurrence gets a row of its own.
    const merged = await run(
      db,
      `UPDATE notifications SET count = count + 1, flip_at = $4, from_state = $5, to_state = $6, reason = $7, output_tail = $8
       WHERE id = (SELECT id FROM notifications WHERE monitor_id = $1 AND channel_id = $2 AND event = $3 AND status = 'pending' AND attempts = 0 AND next_attempt_at > $4
                   ORDER BY id DESC LIMIT 1)
         AND status = 'pending' AND attempts = 0`,
      [...key, e.at, e.from, e.to, pgText(e.reason), pgText(e.outputTail)],
    );
    if (merged > 0) {
      queued++;
      continue;
    }
    const last = await first<{ at: Date }>(db, 'SELECT coalesce(sent_at, next_attempt_at) AS at FROM notifications WHERE monitor_id = $1 AND channel_id = $2 AND event = $3 ORDER BY id DESC LIMIT 1', key);
    const due = last && e.at.getTime() - last.at.getTime() < BATCH_WINDOW_MS ? new Date(last.at.getTime() + BATCH_WINDOW_MS) : e.at;
    queued += await run(
      db,
      `INSERT INTO notifications (project_id, monitor_id, channel_id, event, dedup_key, flip_at, from_state, to_state, reason, output_tail, status, next_attempt_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11, $6)
       ON CONFLICT (dedup_key) DO NOTHING`,
      [e.projectId, e.monitorId, channelId, e.event, `${e.dedupPrefix}:${e.event}:${channelId}`, e.at, e.from, e.to, pgText(e.reason), pgText(e.outputTail), due],
    );
  }
  return queued;
}

/**
 * Claims due rows for this worker. SKIP LOCKED lets workers in several processes claim side by side: a row
 * another claimer is taking is skipped, not waited for, and moves to `sending` for exactly one of them.
 */
export async function claimNotifications(db: Queryable, now: Date, leaseUntil: Date, limit: number): Promise<Notification[]> {
  const rows = await all<NotificationRow>(
    db,
    `UPDATE notifications SET status = 'sending', claimed_until = $2, attempts = attempts + 1
     WHERE id IN (
       SELECT id FROM notifications
       WHERE (status = 'pending' AND next_attempt_at <= $1) OR (status = 'sending' AND claimed_until <= $1)
       ORDER BY next_attempt_at LIMIT $3
       FOR UPDATE SKIP LOCKED)
     RETURNING *`,
    [now, leaseUntil, limit],
  );
  return rows.map(notificationFromRow).sort((a, b) => a.id - b.id);
}

export async function finishNotification(pool: pg.Pool, id: number, o: DeliveryOutcome): Promise<void> {
  if (o.ok) {
    await pool.query("UPDATE notifications SET status = 'sent', sent_at = $2, response_code = $3, last_error = NULL, claimed_until = NULL WHERE id = $1 AND status = 'sending'", [id, o.at, o.responseCode]);
  } else if (o.retryAt) {
    await pool.query("UPDATE notifications SET status = 'pending', next_attempt_at = $2, last_error = $3, response_code = $4, claimed_until = NULL WHERE id = $1 AND status = 'sending'", [id, o.retryAt, o.error, o.responseCode]);
  } else {
    // The row and its channel's last error commit together.
    await inTransaction(pool, async (tx) => {
      const row = await first<{ channel_id: string }>(tx, "UPDATE notifications SET status = 'failed', last_error = $2, response_code = $3, claimed_until = NULL WHERE id = $1 AND status = 'sending' RETURNING channel_id", [id, o.error, o.responseCode]);
      if (row) await tx.query('UPDATE channels SET last_error = $2, last_error_at = $3 WHERE id = $1', [row.channel_id, o.error, o.at]);
    });
  }
}

const NOTIFICATION_FILTER = 'project_id = $1 AND ($2::text IS NULL OR monitor_id = $2) AND ($3::text IS NULL OR channel_id = $3)';

export async function listNotifications(db: Queryable, projectId: string, f: NotificationFilter): Promise<Page<Notification>> {
  const params = [projectId, f.monitorId || null, f.channelId || null];
  const rows = await all<NotificationRow>(db, `SELECT * FROM notifications WHERE ${NOTIFICATION_FILTER} ORDER BY id DESC LIMIT $4 OFFSET $5`, [...params, f.limit, f.offset]);
  const total = await first<{ n: number }>(db, `SELECT count(*) AS n FROM notifications WHERE ${NOTIFICATION_FILTER}`, params);
  return { items: rows.map(notificationFromRow), total: total?.n ?? 0 };
}

/** The earliest instant a pending row is due or a claim's lease runs out, or null. */
export async function nextNotificationAt(db: Queryable): Promise<Date | null> {
  const r = await first<{ at: Date | null }>(
    db,
    "SELECT min(CASE status WHEN 'pending' THEN next_attempt_at ELSE claimed_until END) AS at FROM notifications WHERE status IN ('pending', 'sending')",
  );
  return r?.at ?? null;
}

/** Monitor rows: reads, the compare-and-set update, the scheduler's deadline queries and the ping path's lock and write-back. */
import type { Monitor, MonitorState } from '../../domain/monitor.js';
import type { MonitorFilter, Page } from '../store.js';
import { all, epochSeconds, first, prepared, run, type Queryable } from './db.js';
import type { KnownMonitors } from './known-monitors.js';
import { MONITOR_COLUMNS, MONITOR_SELECT, monitorFromRow, monitorValues, openRunsJson, pgText, type MonitorRow } from './rows.js';

/*
 * due_at, the scheduler's index (migration 7), is never later than the deadline: a whole-row write sets it to
 * the deadline, a ping's status write only lowers it (so the usual ping, which moves the deadline later, changes
 * no indexed column and is a HOT update), and dueMonitors raises a stale one when the scheduler reaches it.
 */
const DEADLINE_PARAM = MONITOR_COLUMNS.indexOf('deadline') + 1;
const INSERT_MONITOR = `INSERT INTO monitors (${MONITOR_SELECT}, due_at) VALUES (${MONITOR_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')}, $${DEADLINE_PARAM})`;
/** Every column but the identity (id, project, creation time). */
const UPDATABLE = MONITOR_COLUMNS.flatMap((c, i) => (c === 'id' || c === 'project_id' || c === 'created_at' ? [] : [{ column: c, index: i }]));
/** $1 the id, then the updatable columns, then the expected version. */
const UPDATE_MONITOR = `UPDATE monitors SET ${UPDATABLE.map(({ column }, i) => `${column} = $${i + 2}`).join(', ')},
  due_at = $${UPDATABLE.findIndex(({ column }) => column === 'deadline') + 2}
  WHERE id = $1 AND version = $${UPDATABLE.length + 2}`;

export async function insertMonitor(db: Queryable, m: Monitor): Promise<void> {
  await db.query(INSERT_MONITOR, monitorValues(m));
}

export async function getMonitor(db: Queryable, projectId: string, id: string): Promise<Monitor | null> {
  const r = await first<MonitorRow>(db, `SELECT ${MONITOR_SELECT} FROM monitors WHERE project_id = $1 AND id = $2`, [projectId, id]);
  return r ? monitorFromRow(r) : null;
}

export async function getMonitorById(db: Queryable, id: string): Promise<Monitor | null> {
  const r = await first<MonitorRow>(db, `SELECT ${MONITOR_SELECT} FROM monitors WHERE id = $1`, [id]);
  return r ? monitorFromRow(r) : null;
}

/** By the project's ping key and the monitor's key (slug), both exact. */
export async function getMonitorBySlug(db: Queryable, pingKey: string, key: string): Promise<Monitor | null> {
  const r = await first<MonitorRow>(db, `SELECT ${MONITOR_SELECT} FROM monitors WHERE key = $2 AND project_id = (SELECT id FROM projects WHERE ping_key = $1)`, [pingKey, key]);
  return r ? monitorFromRow(r) : null;
}

export async function getMonitorByToken(db: Queryable, token: string): Promise<Monitor | null> {
  const r = await first<MonitorRow>(db, `SELECT ${MONITOR_SELECT} FROM monitors WHERE ping_token = $1`, [token]);
  return r ? monitorFromRow(r) : null;
}

/** A null filter value matches everything: the statements stay fixed and the planner drops the unused test. */
const MONITOR_FILTER = 'project_id = $1 AND ($2::text IS NULL OR state = $2) AND ($3::text IS NULL OR tags ? $3)';

export async function listMonitors(db: Queryable, projectId: string, f: MonitorFilter): Promise<Page<Monitor>> {
  const params = [projectId, f.state || null, f.tag || null];
  const rows = await all<MonitorRow>(db, `SELECT ${MONITOR_SELECT} FROM monitors WHERE ${MONITOR_FILTER} ORDER BY created_at, id LIMIT $4 OFFSET $5`, [...params, f.limit, f.offset]);
  const total = await first<{ n: number }>(db, `SELECT count(*) AS n FROM monitors WHERE ${MONITOR_FILTER}`, params);
  return { items: rows.map(monitorFromRow), total: total?.n ?? 0 };
}

/** Writes the whole monitor if its stored version is still `expectedVersion`; false when it was not. */
export async function updateMonitorIfVersion(db: Queryable, m: Monitor, expectedVersion: number): Promise<boolean> {
  const values = monitorValues(m);
  return (await run(db, UPDATE_MONITOR, [m.id, ...UPDATABLE.map(({ index }) => values[index]), expectedVersion])) === 1;
}

export async function deleteMonitor(db: Queryable, projectId: string, id: string): Promise<boolean> {
  return (await run(db, 'DELETE FROM monitors WHERE project_id = $1 AND id = $2', [projectId, id])) === 1;
}

/**
 * First raises the due_at the scheduler has reached but the deadline has not (a ping moved it later, or away).
 * Rows are locked in id order, as ping batches lock theirs, so waiting for a batch cannot deadlock; skipping
 * locked rows instead would leave their due_at in the past, and the scheduler polling for them meanwhile. (The
 * candidates come from the due_at index as an array, so the lock reads them by primary key, whatever the plan.)
 */
export async function dueMonitors(db: Queryable, now: Date, limit: number): Promise<Monitor[]> {
  await run(
    db,
    `UPDATE monitors m SET due_at = m.deadline
     FROM (SELECT l.id FROM monitors l
           WHERE l.id = ANY (ARRAY (SELECT id FROM monitors WHERE due_at <= $1 AND (deadline IS NULL OR deadline > $1) ORDER BY due_at LIMIT $2))
           ORDER BY l.id FOR NO KEY UPDATE OF l) s
     WHERE m.id = s.id`,
    [now, limit],
  );
  const rows = await all<MonitorRow>(db, `SELECT ${MONITOR_SELECT} FROM monitors WHERE due_at <= $1 AND deadline <= $1 ORDER BY deadline, id LIMIT $2`, [now, limit]);
  return rows.map(monitorFromRow);
}

export async function nextDeadline(db: Queryable): Promise<Date | null> {
  return (await first<{ at: Date | null }>(db, 'SELECT min(due_at) AS at FROM monitors'))?.at ?? null;
}

export async function countMonitorsByState(db: Queryable): Promise<Partial<Record<MonitorState, number>>> {
  const out: Partial<Record<MonitorState, number>> = {};
  for (const r of await all<{ state: MonitorState; n: number }>(db, 'SELECT state, count(*) AS n FROM monitors GROUP BY state')) out[r.state] = r.n;
  return out;
}

/** The monitors of a ping batch, locked, and which of them have notification rules. */
export interface LockedMonitors {
  monitors: Monitor[];
  /** Ids of the monitors with at least one rule: only their events can queue notifications. */
  ruled: Set<string>;
}

/**
 * The monitors of these ping tokens, locked for the rest of the transaction. Locks are taken in id order, so
 * two batches sharing monitors wait for each other instead of deadlocking. NO KEY UPDATE is the lock the
 * status write needs: it excludes other batches and compare-and-set updates, yet lets other transactions
 * insert rows that merely reference the monitor (rules, for instance). The lock reads only each row's id and
 * version, and whether it has rules (every success ping raises `on_complete`, so without this a batch would
 * always ask for its rules in a statement of its own); the full rows are read (and kept in `known`) only for
 * monitors `known` does not hold at that version.
 */
export async function lockMonitorsByToken(db: Queryable, tokens: string[], known: KnownMonitors): Promise<LockedMonitors> {
  const locked = await all<{ id: string; ping_token: string; version: number; has_rules: boolean }>(db, LOCK_BY_TOKEN, [tokens]);
  const monitors: Monitor[] = [];
  const ruled = new Set<string>();
  const missing: string[] = [];
  for (const r of locked) {
    if (r.has_rules) ruled.add(r.id);
    const m = known.get(r.ping_token, r.id, r.version);
    if (m) monitors.push(m);
    else missing.push(r.id);
  }
  if (missing.length === 0) return { monitors, ruled };
  for (const row of await all<MonitorRow>(db, LOCKED_BY_ID, [missing])) {
    const m = monitorFromRow(row);
    known.remember(m); // read under the lock: the committed row
    monitors.push(m);
  }
  return { monitors, ruled };
}

const LOCK_BY_TOKEN = prepared(
  'overdue_lock_monitors',
  `SELECT id, ping_token, version, EXISTS (SELECT 1 FROM notification_rules r WHERE r.monitor_id = m.id) AS has_rules
   FROM monitors m WHERE ping_token = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE OF m`,
);
const LOCKED_BY_ID = prepared('overdue_locked_monitors', `SELECT ${MONITOR_SELECT} FROM monitors WHERE id = ANY($1::text[])`);

/** The status columns a ping changes, with their SQL types, for the multi-row write-back. */
const STATUS_COLUMNS: [column: string, type: string, value: (m: Monitor) => unknown][] = [
  ['state', 'text', (m) => m.state],
  ['down_reason', 'text', (m) => m.downReason],
  ['down_exit_code', 'int', (m) => m.downExitCode],
  ['last_ping_at', 'timestamptz', (m) => m.lastPingAt],
  ['running_since', 'timestamptz', (m) => m.runningSince],
  ['open_runs', 'jsonb', (m) => openRunsJson(m.openRuns)],
  ['last_duration', 'float8', (m) => m.lastDuration],
  ['state_reason', 'text', (m) => pgText(m.stateReason)],
  ['missed_streak', 'int', (m) => m.missedStreak],
  ['failure_streak', 'int', (m) => m.failureStreak],
  ['success_streak', 'int', (m) => m.successStreak],
  ['next_expected_at', 'timestamptz', (m) => m.nextExpectedAt],
  ['deadline', 'timestamptz', (m) => m.deadline],
  ['paused_until', 'timestamptz', (m) => m.pausedUntil],
  ['down_alerts', 'int', (m) => m.downAlerts],
  ['realert_at', 'timestamptz', (m) => m.realertAt],
  ['version', 'bigint', (m) => m.version],
  ['updated_at', 'timestamptz', (m) => m.updatedAt],
];
/** Instants travel as epoch seconds (see epochSeconds). */
const isInstant = (type: string) => type === 'timestamptz';

/**
 * The multi-row status write, its parameters numbered from `$first` (the ping path runs it inside the statement
 * that inserts the pings: one statement instead of two per batch).
 */
export function statusWriteSql(first: number): string {
  return `UPDATE monitors m SET ${STATUS_COLUMNS.map(([c, type]) => (isInstant(type) ? `${c} = to_timestamp(u.${c})` : `${c} = u.${c}`)).join(', ')},
     due_at = CASE WHEN u.deadline IS NOT NULL AND (m.due_at IS NULL OR to_timestamp(u.deadline) < m.due_at) THEN to_timestamp(u.deadline) ELSE m.due_at END
   FROM unnest($${first}::text[], ${STATUS_COLUMNS.map(([, type], i) => `$${first + i + 1}::${isInstant(type) ? 'float8' : type}[]`).join(', ')}) AS u(id, ${STATUS_COLUMNS.map(([c]) => c).join(', ')})
   WHERE m.id = u.id`;
}

/** The parameters of statusWriteSql for these monitors (their rows must be locked by the transaction). */
export function statusWriteValues(monitors: Monitor[]): unknown[] {
  return [monitors.map((m) => m.id), ...STATUS_COLUMNS.map(([, type, value]) => (isInstant(type) ? monitors.map((m) => epochSeconds(value(m) as Date | null)) : monitors.map(value)))];
}

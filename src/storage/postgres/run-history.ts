/**
 * The run history. A run that began with a start ping is a row of `runs` whose id is that ping's id, opened and
 * closed from the `RunChange`s of monitors' transitions. A completion that closed no started run is kept on its
 * own ping row (`run_*` columns, written with the ping; see unpairedCompletion in domain/runs.ts): most heartbeats never send a
 * start, and a second row per ping would double what each one writes. Both list in one order, by id.
 *
 * A batch of pings may open and close many runs. Rather than one statement per change, the changes are
 * applied in order to an in-memory view of the runs still open (read once, under the monitors' row locks,
 * which every writer of these monitors' runs holds), then written with one INSERT and one UPDATE. The result
 * is what applying them one by one gives: a close pairs with the newest open row of the same monitor, run id
 * and start.
 */
import type { RunChange, RunClose, RunRecord } from '../../domain/runs.js';
import type { Page } from '../store.js';
import { all, epochSeconds, first, prepared, run, type Queryable } from './db.js';
import { pgText, runFromRow, type RunRow } from './rows.js';

export interface RunWrite {
  monitorId: string;
  change: RunChange;
  /** The ping that caused it; null for the scheduler's timeouts. */
  pingId: number | null;
}

/** The ping's `run_*` columns for its unpaired completion (all null when it has none). */
export interface PingRunColumns {
  outcome: string | null;
  duration: number | null;
  failureKind: string | null;
  reason: string | null;
}

export function pingRunColumns(c: RunClose | null): PingRunColumns {
  return c ? { outcome: c.outcome, duration: c.duration, failureKind: c.failureKind, reason: pgText(c.reason) } : { outcome: null, duration: null, failureKind: null, reason: null };
}

type NewRun = Omit<RunRow, 'start_ping_id'>;
type Closing = Pick<RunRow, 'finished_at' | 'duration' | 'outcome' | 'failure_kind' | 'exit_code' | 'reason' | 'end_ping_id'>;

/** An open run row: stored (by id) or created earlier in this write (by its index in the insert). */
interface OpenRow {
  monitorId: string;
  runKey: string | null;
  startedAt: number;
  row: { id: number } | { insert: number };
}

/**
 * Writes the run changes other than unpaired completions on their own pings (written with the ping). A close
 * whose start row is gone (pruned) becomes its ping's completion; without a ping (a scheduler timeout) it is dropped.
 */
export async function writeRuns(db: Queryable, writes: RunWrite[]): Promise<void> {
  const relevant = writes.filter((w) => !(w.change.type === 'close' && w.change.startedAt === null));
  if (relevant.length === 0) return;
  const open = await openRows(db, relevant);
  const inserts: NewRun[] = [];
  const updates: (Closing & { id: number })[] = [];
  const onPings: { pingId: number; columns: PingRunColumns }[] = [];
  for (const { monitorId, change: c, pingId } of relevant) {
    const runKey = pgText(c.runId);
    if (c.type === 'open') {
      if (pingId === null) continue;
      inserts.push({ id: pingId, monitor_id: monitorId, run_key: runKey, started_at: c.startedAt, finished_at: null, duration: null, outcome: 'running', failure_kind: null, exit_code: null, reason: null, end_ping_id: null });
      open.push({ monitorId, runKey, startedAt: c.startedAt.getTime(), row: { insert: inserts.length - 1 } });
      continue;
    }
    const closing: Closing = { finished_at: c.finishedAt, duration: c.duration, outcome: c.outcome, failure_kind: c.failureKind, exit_code: c.exitCode, reason: pgText(c.reason), end_ping_id: pingId };
    const startedAt = c.startedAt?.getTime();
    const at = open.findLastIndex((o) => o.monitorId === monitorId && o.runKey === runKey && o.startedAt === startedAt);
    const [paired] = at < 0 ? [] : open.splice(at, 1);
    if (!paired) {
      if (pingId !== null) onPings.push({ pingId, columns: pingRunColumns(c) });
    } else if ('insert' in paired.row) {
      Object.assign(inserts[paired.row.insert] as NewRun, closing);
    } else {
      updates.push({ id: paired.row.id, ...closing });
    }
  }
  await insertRuns(db, inserts);
  await closeRuns(db, updates);
  for (const { pingId, columns: r } of onPings) {
    await db.query('UPDATE pings SET run_outcome = $2, run_duration = $3, run_failure_kind = $4, run_reason = $5 WHERE id = $1', [pingId, r.outcome, r.duration, r.failureKind, r.reason]);
  }
}

/** The stored open runs of the monitors that close one, oldest row first. */
async function openRows(db: Queryable, writes: RunWrite[]): Promise<OpenRow[]> {
  const monitorIds = [...new Set(writes.filter((w) => w.change.type === 'close' && w.change.startedAt !== null).map((w) => w.monitorId))];
  if (monitorIds.length === 0) return [];
  const rows = await all<{ id: number; monitor_id: string; run_key: string | null; started_at: Date }>(
    db,
    prepared('overdue_open_runs', "SELECT id, monitor_id, run_key, started_at FROM runs WHERE monitor_id = ANY($1::text[]) AND outcome = 'running' ORDER BY id"),
    [monitorIds],
  );
  return rows.map((r) => ({ monitorId: r.monitor_id, runKey: r.run_key, startedAt: r.started_at.getTime(), row: { id: r.id } }));
}

async function insertRuns(db: Queryable, rows: NewRun[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <T>(pick: (r: NewRun) => T): T[] => rows.map(pick);
  await run(
    db,
    prepared(
      'overdue_insert_runs',
      `INSERT INTO runs (id, monitor_id, run_key, started_at, finished_at, duration, outcome, failure_kind, exit_code, reason, end_ping_id)
       SELECT id, monitor_id, run_key, to_timestamp(started_at), to_timestamp(finished_at), duration, outcome, failure_kind, exit_code, reason, end_ping_id
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::float8[], $7::text[], $8::text[], $9::int[], $10::text[], $11::bigint[])
         AS u(id, monitor_id, run_key, started_at, finished_at, duration, outcome, failure_kind, exit_code, reason, end_ping_id)`,
    ),
    [
      col((r) => r.id), col((r) => r.monitor_id), col((r) => r.run_key), col((r) => epochSeconds(r.started_at)), col((r) => epochSeconds(r.finished_at)), col((r) => r.duration),
      col((r) => r.outcome), col((r) => r.failure_kind), col((r) => r.exit_code), col((r) => r.reason), col((r) => r.end_ping_id),
    ],
  );
}

async function closeRuns(db: Queryable, rows: (Closing & { id: number })[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <T>(pick: (r: Closing & { id: number }) => T): T[] => rows.map(pick);
  await run(
    db,
    prepared(
      'overdue_close_runs',
      `UPDATE runs r SET finished_at = u.finished_at, duration = u.duration, outcome = u.outcome, failure_kind = u.failure_kind, exit_code = u.exit_code,
         reason = u.reason, end_ping_id = u.end_ping_id
       FROM unnest($1::bigint[], $2::timestamptz[], $3::float8[], $4::text[], $5::text[], $6::int[], $7::text[], $8::bigint[])
         AS u(id, finished_at, duration, outcome, failure_kind, exit_code, reason, end_ping_id)
       WHERE r.id = u.id`,
    ),
    [col((r) => r.id), col((r) => r.finished_at), col((r) => r.duration), col((r) => r.outcome), col((r) => r.failure_kind), col((r) => r.exit_code), col((r) => r.reason), col((r) => r.end_ping_id)],
  );
}

/** Started runs and the completions kept on pings, newest first. */
export async function listRuns(db: Queryable, monitorId: string, limit: number, offset: number): Promise<Page<RunRecord>> {
  const rows = await all<RunRow>(
    db,
    `SELECT id, monitor_id, run_key, started_at, finished_at, duration, outcome, failure_kind, exit_code, reason, id AS start_ping_id, end_ping_id
       FROM runs WHERE monitor_id = $1
     UNION ALL
     SELECT id, monitor_id, details->>'series', NULL, received_at, run_duration, run_outcome, run_failure_kind, exit_code, run_reason, NULL, id
       FROM pings WHERE monitor_id = $1 AND run_outcome IS NOT NULL
     ORDER BY id DESC LIMIT $2 OFFSET $3`,
    [monitorId, limit, offset],
  );
  const total = await first<{ n: number }>(
    db,
    'SELECT (SELECT count(*) FROM runs WHERE monitor_id = $1) + (SELECT count(*) FROM pings WHERE monitor_id = $1 AND run_outcome IS NOT NULL) AS n',
    [monitorId],
  );
  return { items: rows.map(runFromRow), total: total?.n ?? 0 };
}

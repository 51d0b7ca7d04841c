/** What is recorded per ping: the pings themselves and their payload metrics; reading flips; pruning old pings. */
import type { Flip, Monitor } from '../../domain/monitor.js';
import type { PingInput, PingRecord } from '../../domain/ping.js';
import type { MetricPoint, Page } from '../store.js';
import { all, epochSeconds, first, prepared, run, type Queryable } from './db.js';
import { flipFromRow, pgJson, pgText, pingFromRow, type FlipRow, type PingRow } from './rows.js';
import { statusWriteSql, statusWriteValues } from './monitor-queries.js';
import type { PingRunColumns } from './run-history.js';

/** Bytes of the body read for a list's preview: enough for BODY_PREVIEW_CHARS characters of UTF-8. */
const BODY_HEAD_BYTES = 800;

/**
 * Inserts the pings of a batch (each with its unpaired completion, if any: see run-history.ts) in one statement
 * and returns their ids in input order; `statuses` (monitors whose status the batch changed, locked by the
 * transaction) are written by the same statement. Rows are inserted in ordinality order, so the identity values
 * this transaction draws ascend with it; sorting the returned ids therefore restores input order without
 * relying on RETURNING's order.
 */
export async function insertPings(db: Queryable, pings: { monitorId: string; ping: PingInput; run: PingRunColumns }[], statuses: Monitor[] = []): Promise<number[]> {
  if (pings.length === 0) return [];
  const col = <T>(pick: (p: PingInput, monitorId: string) => T): T[] => pings.map(({ ping, monitorId }) => pick(ping, monitorId));
  const runCol = <T>(pick: (r: PingRunColumns) => T): T[] => pings.map(({ run }) => pick(run));
  const bodyOf = (p: PingInput) => (p.body && p.body.length > 0 ? p.body : null);
  const values = [
    col((_, monitorId) => monitorId), col((p) => epochSeconds(p.receivedAt)), col((p) => p.kind), col((p) => p.exitCode), col((p) => pgText(p.source)),
    col((p) => pgText(p.method)), col((p) => pgText(p.ip)), col((p) => pgText(p.userAgent)), col(bodyOf), col((p) => bodyOf(p)?.length ?? 0),
    col((p) => pgText(p.msg)), col((p) => (p.details ? pgJson(p.details) : null)),
    runCol((r) => r.outcome), runCol((r) => r.duration), runCol((r) => r.failureKind), runCol((r) => r.reason),
  ];
  const rows = statuses.length === 0 ? await all<{ id: number }>(db, INSERT_PINGS, values) : await all<{ id: number }>(db, INSERT_PINGS_AND_STATUSES, [...values, ...statusWriteValues(statuses)]);
  return rows.map((r) => r.id).sort((a, b) => a - b);
}

const INSERT_PINGS_SQL = `INSERT INTO pings (monitor_id, received_at, kind, exit_code, source, method, ip, user_agent, body, body_size, msg, details, run_outcome, run_duration, run_failure_kind, run_reason)
     SELECT monitor_id, to_timestamp(received_at), kind, exit_code, source, method, ip, user_agent, body, body_size, msg, details::jsonb, run_outcome, run_duration, run_failure_kind, run_reason
     FROM unnest($1::text[], $2::float8[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bytea[], $10::int[], $11::text[], $12::text[],
                 $13::text[], $14::float8[], $15::text[], $16::text[])
       WITH ORDINALITY AS u(monitor_id, received_at, kind, exit_code, source, method, ip, user_agent, body, body_size, msg, details, run_outcome, run_duration, run_failure_kind, run_reason, ord)
     ORDER BY ord
     RETURNING id`;
const INSERT_PINGS = prepared('overdue_insert_pings', INSERT_PINGS_SQL);
/** A data-modifying CTE always runs to completion, whether or not the outer statement reads it. */
const INSERT_PINGS_AND_STATUSES = prepared('overdue_insert_pings_statuses', `WITH statuses AS (${statusWriteSql(17)}) ${INSERT_PINGS_SQL}`);

export interface MetricRow {
  monitorId: string;
  pingId: number;
  name: string;
  at: Date;
  value: number | null;
}

/** Inserts payload-metric points in one statement, in the given order. */
export async function insertMetricPoints(db: Queryable, points: MetricRow[]): Promise<void> {
  if (points.length === 0) return;
  const col = <T>(pick: (p: MetricRow) => T): T[] => points.map(pick);
  await run(
    db,
    prepared(
      'overdue_insert_metric_points',
      `INSERT INTO ping_metrics (monitor_id, ping_id, name, at, value)
       SELECT monitor_id, ping_id, name, at, value
       FROM unnest($1::text[], $2::bigint[], $3::text[], $4::timestamptz[], $5::float8[]) WITH ORDINALITY AS u(monitor_id, ping_id, name, at, value, ord)
       ORDER BY ord`,
    ),
    [col((p) => p.monitorId), col((p) => p.pingId), col((p) => p.name), col((p) => p.at), col((p) => p.value)],
  );
}

export async function listPings(db: Queryable, monitorId: string, limit: number, offset: number): Promise<Page<PingRecord>> {
  const rows = await all<PingRow>(
    db,
    `SELECT id, monitor_id, received_at, kind, exit_code, source, method, ip, user_agent, body_size, substring(body FROM 1 FOR ${BODY_HEAD_BYTES}) AS body_head, msg, details
     FROM pings WHERE monitor_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3`,
    [monitorId, limit, offset],
  );
  const total = await first<{ n: number }>(db, 'SELECT count(*) AS n FROM pings WHERE monitor_id = $1', [monitorId]);
  return { items: rows.map(pingFromRow), total: total?.n ?? 0 };
}

export async function getPingBody(db: Queryable, monitorId: string, pingId: number): Promise<Buffer | null> {
  const r = await first<{ body: Buffer | null }>(db, 'SELECT body FROM pings WHERE monitor_id = $1 AND id = $2', [monitorId, pingId]);
  if (!r) return null;
  return r.body ?? Buffer.alloc(0);
}

export async function listFlips(db: Queryable, monitorId: string, limit: number, offset: number): Promise<Page<Flip & { id: number }>> {
  const rows = await all<FlipRow>(db, 'SELECT id, at, from_state, to_state, reason, kind FROM flips WHERE monitor_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3', [monitorId, limit, offset]);
  const total = await first<{ n: number }>(db, 'SELECT count(*) AS n FROM flips WHERE monitor_id = $1', [monitorId]);
  return { items: rows.map(flipFromRow), total: total?.n ?? 0 };
}

export async function listMetricPoints(db: Queryable, monitorId: string, q: { name?: string; from: Date; to: Date; limit: number }): Promise<MetricPoint[]> {
  const rows = await all<{ name: string; at: Date; value: number | null; ping_id: number }>(
    db,
    `SELECT name, at, value, ping_id FROM ping_metrics
     WHERE monitor_id = $1 AND ($2::text IS NULL OR name = $2) AND at >= $3 AND at < $4 ORDER BY at, id LIMIT $5`,
    [monitorId, q.name ?? null, q.from, q.to, q.limit],
  );
  return rows.map((r) => ({ name: r.name, at: r.at, value: r.value, pingId: r.ping_id }));
}

/**
 * Keeps the newest `keep` pings (and finished runs) per monitor, walking at most `monitors` monitors after `after`. Each statement
 * commits on its own: a pass needs no atomicity, and short statements never hold up the ping path.
 */
export async function prunePings(db: Queryable, keep: number, after: string | null, monitors: number, maxRows: number): Promise<{ deleted: number; next: string | null }> {
  const ids = (await all<{ id: string }>(db, 'SELECT id FROM monitors WHERE id > $1 ORDER BY id LIMIT $2', [after ?? '', monitors])).map((r) => r.id);
  let deleted = 0;
  for (const [i, id] of ids.entries()) {
    const cutoff = await first<{ id: number }>(db, 'SELECT id FROM pings WHERE monitor_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2', [id, keep]);
    if (cutoff) {
      deleted += await run(db, 'DELETE FROM pings WHERE id IN (SELECT id FROM pings WHERE monitor_id = $1 AND id <= $2 ORDER BY id LIMIT $3)', [id, cutoff.id, maxRows - deleted]);
    }
    const runCutoff = await first<{ id: number }>(db, 'SELECT id FROM runs WHERE monitor_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2', [id, keep]);
    // Runs are at most one per ping, so the same bound keeps this short; they are not counted in `deleted`.
    if (runCutoff) await db.query("DELETE FROM runs WHERE id IN (SELECT id FROM runs WHERE monitor_id = $1 AND id <= $2 AND outcome <> 'running' ORDER BY id LIMIT $3)", [id, runCutoff.id, maxRows]);
    // Out of budget: continue with this same monitor next time, it may have more to delete.
    if (deleted >= maxRows) return { deleted, next: ids[i - 1] ?? after ?? '' };
  }
  return { deleted, next: ids.length < monitors ? null : (ids.at(-1) ?? null) };
}

/** Reading and pruning what was recorded per ping: the pings themselves, flips and payload metrics. */
import type { Database } from './driver.js';
import type { Flip } from '../../domain/monitor.js';
import type { PingRecord } from '../../domain/ping.js';
import type { MetricPoint, Page } from '../store.js';
import { flipFromRow, pingFromRow, type FlipRow, type PingRow } from './rows.js';
import { WHOLE_CHAIN, type Statements } from './statements.js';

/** `head` is the monitor's newest ping id (0 when it has none): its pings are a chain back from there. */
export function listPings(stmt: Statements, monitorId: string, head: number, limit: number, offset: number): Page<PingRecord> {
  const rows = stmt.listPings.all({ m: monitorId, head, upto: offset + limit, offset }) as PingRow[];
  return { items: rows.map(pingFromRow), total: stmt.countPings.get({ m: monitorId, head, upto: WHOLE_CHAIN }) as number };
}

export function getPingBody(stmt: Statements, monitorId: string, pingId: number): Buffer | null {
  const r = stmt.pingBody.get(monitorId, pingId) as { body: Buffer | null } | undefined;
  if (!r) return null;
  return r.body ?? Buffer.alloc(0);
}

export function listFlips(stmt: Statements, monitorId: string, limit: number, offset: number): Page<Flip & { id: number }> {
  const rows = stmt.listFlips.all(monitorId, limit, offset) as FlipRow[];
  return { items: rows.map(flipFromRow), total: stmt.countFlips.get(monitorId) as number };
}

export function listMetricPoints(db: Database, monitorId: string, q: { name?: string; from: Date; to: Date; limit: number }): MetricPoint[] {
  const rows = db
    .prepare(
      `SELECT name, at, value, ping_id FROM ping_metrics WHERE monitor_id = @monitorId ${q.name === undefined ? '' : 'AND name = @name'}
         AND at >= @from AND at < @to ORDER BY at, id LIMIT @limit`,
    )
    .all({ monitorId, name: q.name ?? null, from: q.from.getTime(), to: q.to.getTime(), limit: q.limit }) as { name: string; at: number; value: number | null; ping_id: number }[];
  return rows.map((r) => ({ name: r.name, at: new Date(r.at), value: r.value, pingId: r.ping_id }));
}

/** Keeps the newest `keep` pings (and finished runs) per monitor, walking at most `monitors` monitors after `after`; the caller flushes first. */
export function prunePings(db: Database, stmt: Statements, headOf: (monitorId: string) => number, keep: number, after: string | null, monitors: number, maxRows: number): { deleted: number; next: string | null } {
  return db
    .transaction(() => {
      const ids = stmt.monitorIdsAfter.all(after ?? '', monitors) as string[];
      let deleted = 0;
      for (const [i, id] of ids.entries()) {
        deleted += stmt.deleteOldPings.run({ m: id, head: headOf(id), upto: WHOLE_CHAIN, keep, max: maxRows - deleted }).changes;
        const runCutoff = stmt.runCutoff.get(id, keep) as number | undefined;
        if (runCutoff !== undefined) stmt.deleteOldRuns.run(id, runCutoff, maxRows); // runs are at most one per ping: same bound
        // Out of budget: continue with this same monitor next time, it may have more to delete.
        if (deleted >= maxRows) return { deleted, next: ids[i - 1] ?? after ?? '' };
      }
      return { deleted, next: ids.length < monitors ? null : (ids.at(-1) ?? null) };
    })
    .immediate();
}

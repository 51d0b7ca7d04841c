/** The run history: rows opened and closed from the `RunChange`s of a monitor's transitions. */
import type { RunChange, RunRecord } from '../../domain/runs.js';
import type { Page } from '../store.js';
import { ms, runFromRow, type RunRow } from './rows.js';
import type { Statements } from './statements.js';

/** Writes a transition's run changes; `pingId` is the ping that caused them (null for the scheduler's timeouts). */
export function writeRuns(stmt: Statements, monitorId: string, changes: readonly RunChange[], pingId: number | null): void {
  for (const c of changes) {
    if (c.type === 'open') {
      stmt.openRun.run(monitorId, c.runId, c.startedAt.getTime(), pingId);
      continue;
    }
    const row = {
      monitor_id: monitorId,
      run_key: c.runId,
      started_at: ms(c.startedAt),
      finished_at: c.finishedAt.getTime(),
      duration: c.duration,
      outcome: c.outcome,
      failure_kind: c.failureKind,
      exit_code: c.exitCode,
      reason: c.reason,
      end_ping_id: pingId,
    };
    // A completion without a start, or whose start row was pruned, is a run of its own.
    if (c.startedAt === null || stmt.closeRun.run(row).changes === 0) stmt.insertClosedRun.run(row);
  }
}

export function listRuns(stmt: Statements, monitorId: string, limit: number, offset: number): Page<RunRecord> {
  const rows = stmt.listRuns.all(monitorId, limit, offset) as RunRow[];
  return { items: rows.map(runFromRow), total: stmt.countRuns.get(monitorId) as number };
}

/**
 * The run history. A run that began with a start ping is a row of `runs` whose id is that ping's id, opened
 * and closed from the `RunChange`s of the monitor's transitions. A completion that closed no started run is
 * kept on its own ping row (`run_*` columns), written with the ping: most heartbeats never send a start, and
 * a second row per ping would double what each ping writes.
 */
import type { RunChange, RunClose, RunRecord } from '../../domain/runs.js';
import type { Page } from '../store.js';
import { runFromRow, type RunRow } from './rows.js';
import { WHOLE_CHAIN, type Statements } from './statements.js';

/** The ping columns describing an unpaired completion (all null for other pings). */
export function pingRunColumns(run: RunClose | null): [string | null, number | null, string | null, string | null] {
  return run ? [run.outcome, run.duration, run.failureKind, run.reason] : [null, null, null, null];
}

/**
 * Writes a transition's run changes other than the unpaired completion (which went in with its ping); `pingId`
 * is the ping that caused them (null for the scheduler's timeouts).
 */
export function writeRuns(stmt: Statements, monitorId: string, changes: readonly RunChange[], pingId: number | null): void {
  for (const c of changes) {
    if (c.type === 'open') {
      if (pingId !== null) stmt.openRun.run(pingId, monitorId, c.runId, c.startedAt.getTime());
      continue;
    }
    if (c.startedAt === null) continue;
    const row = {
      monitor_id: monitorId,
      run_key: c.runId,
      started_at: c.startedAt.getTime(),
      finished_at: c.finishedAt.getTime(),
      duration: c.duration,
      outcome: c.outcome,
      failure_kind: c.failureKind,
      exit_code: c.exitCode,
      reason: c.reason,
      end_ping_id: pingId,
    };
    // Its start row was pruned: the completion stands as a run of its own.
    if (stmt.closeRun.run(row).changes === 0 && pingId !== null) stmt.markPingAsRun.run(row);
  }
}

/** `head`: the monitor's newest ping id (unpaired completions are on its chain of pings, see ping-history.ts). */
export function listRuns(stmt: Statements, monitorId: string, head: number, limit: number, offset: number): Page<RunRecord> {
  const rows = stmt.listRuns.all({ m: monitorId, head, upto: WHOLE_CHAIN, limit, offset }) as RunRow[];
  return { items: rows.map(runFromRow), total: stmt.countRuns.get({ m: monitorId, head, upto: WHOLE_CHAIN }) as number };
}

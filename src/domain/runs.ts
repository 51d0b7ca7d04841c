/**
 * Runs: a start paired with its completion. The monitor's status keeps its open runs (small, bounded); the
 * store keeps every run as history from the `RunChange`s a transition emits.
 */
import type { RunRules } from './run-rules.js';

/** How a run ended. `degraded`: succeeded outside the expected runtime; `abandoned`: dropped unfinished. */
export const RUN_OUTCOMES = ['running', 'success', 'degraded', 'failed', 'timeout', 'abandoned'] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

/** What made a run a failure: a fail ping, a non-zero exit code, a failure keyword, a violated assertion. */
export type FailureKind = 'fail' | 'exit_code' | 'keyword' | 'assertion';

/** Run ids are opaque client strings (`rid`, `series`, `check_in_id`); longer ones are refused at the edge. */
export const MAX_RUN_ID_CHARS = 64;

/** Open runs kept per monitor: a start beyond this abandons the oldest, so a job that never completes cannot grow the status without bound. */
export const MAX_OPEN_RUNS = 20;

export interface OpenRun {
  /** The client's run id; null when it sent none (then completions pair with the latest open run). */
  runId: string | null;
  startedAt: Date;
  /** The latest start or progress ping of this run (for `inactivity_timeout`). */
  activeAt: Date;
}

export type RunChange =
  | { type: 'open'; runId: string | null; startedAt: Date }
  | {
      type: 'close';
      runId: string | null;
      /** The start this completion paired with; null for a completion without a start. */
      startedAt: Date | null;
      finishedAt: Date;
      /** Seconds: the client's `duration` when sent, else measured from the start; null when unknown. */
      duration: number | null;
      outcome: Exclude<RunOutcome, 'running'>;
      failureKind: FailureKind | null;
      exitCode: number | null;
      /** Why it is not a plain success (failure reason, runtime out of range, timeout). */
      reason: string | null;
    };

export type RunClose = Extract<RunChange, { type: 'close' }>;

/**
 * The completion a ping carries as a run of its own (one that closed no started run), if any. Both stores keep
 * it on the ping's row rather than as a row of runs: most heartbeats never send a start.
 */
export function unpairedCompletion(changes: readonly RunChange[]): RunClose | null {
  return changes.find((c): c is RunClose => c.type === 'close' && c.startedAt === null) ?? null;
}

/** A run as stored and listed. */
export interface RunRecord {
  id: number;
  monitorId: string;
  runId: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  duration: number | null;
  outcome: RunOutcome;
  failureKind: FailureKind | null;
  exitCode: number | null;
  reason: string | null;
  startPingId: number | null;
  endPingId: number | null;
}

/**
 * The open run a ping belongs to: the one with its run id when it sent one (none if no such run is open),
 * else the most recently started. Returns the run and the open runs without it.
 */
export function takeOpenRun(open: readonly OpenRun[], runId: string | null | undefined): { run: OpenRun | null; rest: OpenRun[] } {
  let index = -1;
  if (runId) index = open.findIndex((r) => r.runId === runId);
  else if (open.length > 0) index = latestIndex(open);
  if (index < 0) return { run: null, rest: [...open] };
  return { run: open[index] ?? null, rest: open.filter((_, i) => i !== index) };
}

function latestIndex(open: readonly OpenRun[]): number {
  let best = 0;
  open.forEach((r, i) => {
    if (r.startedAt.getTime() >= (open[best]?.startedAt.getTime() ?? 0)) best = i;
  });
  return best;
}

/** The most recent start among the open runs, or null when none is open. */
export function latestStart(open: readonly OpenRun[]): Date | null {
  return open.length === 0 ? null : (open[latestIndex(open)]?.startedAt ?? null);
}

/**
 * When an open run times out: `max_runtime` after its start (else the schedule's expected time, or its start
 * if later, plus grace), or `inactivity_timeout` after its last sign of life, whichever comes first.
 */
export function runTimeoutAt(run: OpenRun, rules: RunRules, nextExpectedAt: Date | null, graceSeconds: number): Date {
  const start = run.startedAt.getTime();
  let at = rules.maxRuntime !== null ? start + rules.maxRuntime * 1000 : Math.max(start, nextExpectedAt?.getTime() ?? start) + graceSeconds * 1000;
  if (rules.inactivityTimeout !== null) at = Math.min(at, run.activeAt.getTime() + rules.inactivityTimeout * 1000);
  return new Date(at);
}

/** Seconds between two instants, to the millisecond. */
export function secondsBetween(from: Date, to: Date): number {
  return (to.getTime() - from.getTime()) / 1000;
}

export function sameOpenRuns(a: readonly OpenRun[], b: readonly OpenRun[]): boolean {
  return a === b || (a.length === b.length && a.every((r, i) => r.runId === b[i]?.runId && r.startedAt.getTime() === b[i]?.startedAt.getTime() && r.activeAt.getTime() === b[i]?.activeAt.getTime()));
}

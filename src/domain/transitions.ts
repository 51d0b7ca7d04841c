/**
 * The monitor state machine: `(status, event, now) → (status', flips)`. Pure: the caller passes the clock
 * reading and the schedule's `next` function, and persists the result in one transaction.
 */
import { MAX_DOWN_ALERTS, statusOf, type Alert, type DownReason, type Flip, type MonitorState, type MonitorStatus } from './monitor.js';
import { runtimeViolation, type RunRules } from './run-rules.js';
import { latestStart, MAX_OPEN_RUNS, runTimeoutAt, sameOpenRuns, secondsBetween, takeOpenRun, type FailureKind, type OpenRun, type RunChange } from './runs.js';

/** `runId` pairs a start with its completion; `duration` is the client's own measurement, in seconds. */
interface RunInfo {
  runId?: string | null;
  duration?: number | null;
}

export type MonitorEvent =
  | ({ type: 'success' } & RunInfo)
  | { type: 'start'; runId?: string | null }
  /** `note` says why, when it was not the endpoint (e.g. a failure keyword in a success ping's output). */
  | ({ type: 'fail'; exitCode?: number | null; note?: string; failureKind?: FailureKind } & RunInfo)
  /** A sign of life from an open run: pushes its inactivity deadline back without completing it. */
  | { type: 'progress'; runId?: string | null }
  | { type: 'log' }
  /** A manual reset to up: like a success, but leaving down this way raises no recovery alert. */
  | { type: 'reset' }
  /** The scheduler found the stored deadline passed (late, down, timeout, end of pause, or a repeat alert). */
  | { type: 'deadline' }
  | { type: 'pause'; until?: Date | null }
  | { type: 'resume' }
  /** Schedule or grace edited: expectations are recomputed from the last ping. */
  | { type: 'reschedule' };

/** What the state machine needs to know about a monitor besides its status. */
export interface Timing {
  graceSeconds: number;
  /** Repeat the down alert this often while down; 0 = never. */
  realertSeconds: number;
  /** The schedule's next expected instant strictly after `after`; null if it never fires again. */
  next: (after: Date) => Date | null;
  rules: RunRules;
}

export interface Transition {
  status: MonitorStatus;
  flips: Flip[];
  /** Notifications raised without a state change: repeats of the down alert, overlaps, lifecycle events. */
  alerts: Alert[];
  /** Runs opened and closed, for the store's run history. */
  runs: RunChange[];
}

export function initialStatus(createdAt: Date, timing: Timing): MonitorStatus {
  const nextExpectedAt = timing.next(createdAt);
  return {
    state: 'pending',
    downReason: null,
    downExitCode: null,
    lastPingAt: null,
    runningSince: null,
    openRuns: [],
    lastDuration: null,
    stateReason: null,
    missedStreak: 0,
    failureStreak: 0,
    successStreak: 0,
    nextExpectedAt,
    deadline: nextExpectedAt,
    pausedUntil: null,
    downAlerts: 0,
    realertAt: null,
    version: 0,
  };
}

export function applyEvent(current: MonitorStatus, event: MonitorEvent, now: Date, timing: Timing): Transition {
  const s = statusOf(current);
  const t: Transition = { status: s, flips: [], alerts: [], runs: [] };
  const moveTo = (to: MonitorState, reason: string, options: { notify?: false } = {}): void => {
    if (s.state === to) return;
    t.flips.push(options.notify === false ? { at: now, from: s.state, to, reason, notify: false } : { at: now, from: s.state, to, reason });
    s.state = to;
    // An incident starts with the flip into down (its alert is the first); leaving down ends it.
    s.downAlerts = to === 'down' ? 1 : 0;
    s.realertAt = to === 'down' && timing.realertSeconds > 0 ? new Date(now.getTime() + timing.realertSeconds * 1000) : null;
    s.stateReason = to === 'down' ? describeDown(s) : null;
  };
  const paused = s.state === 'paused';

  switch (event.type) {
    case 'log':
      return { status: current, flips: [], alerts: [], runs: [] };

    case 'start':
      openRun(s, t, event.runId ?? null, now, timing.rules);
      if (!paused && s.state !== 'down') moveTo('running', 'start ping received');
      break;

    case 'progress': {
      const { run, rest } = takeOpenRun(s.openRuns, event.runId);
      if (run) s.openRuns = [...rest, { ...run, activeAt: now }].sort(byStart);
      break;
    }

    case 'reset':
      s.lastPingAt = now;
      for (const run of s.openRuns) t.runs.push(closeChange(run, now, 'abandoned', 'reset by an ok ping'));
      setOpenRuns(s, []);
      s.downReason = null;
      s.downExitCode = null;
      s.missedStreak = s.failureStreak = s.successStreak = 0;
      s.nextExpectedAt = timing.next(now);
      if (!paused) moveTo('up', 'reset by an ok ping', { notify: false });
      break;

    case 'success':
      completeWithSuccess(s, t, event, now, timing, moveTo, paused);
      break;

    case 'fail':
      completeWithFailure(s, t, event, now, timing, moveTo, paused);
      break;

    case 'deadline':
      if (s.deadline === null || now < s.deadline || paused) {
        if (paused) applyDeadline(s, now, timing, moveTo);
        break; // a stale claim: someone else already moved it
      }
      timeOutRuns(s, t, now, timing, moveTo);
      if (s.state === 'down') realert(s, now, timing, t.alerts);
      else if (s.state !== 'running') applyDeadline(s, now, timing, moveTo, t.flips);
      break;

    case 'pause':
      s.pausedUntil = event.until ?? null;
      // Only an explicit failure survives a pause: missed deadlines are not evaluated while paused.
      if (s.downReason !== 'failed') {
        s.downReason = null;
        s.downExitCode = null;
      }
      if (!paused) moveTo('paused', event.until ? `paused until ${event.until.toISOString()}` : 'paused');
      else if (s.pausedUntil !== current.pausedUntil) t.flips.push({ at: now, from: 'paused', to: 'paused', reason: 'pause extended' });
      break;

    case 'resume':
      if (paused) resume(s, now, timing, moveTo, 'resumed');
      break;

    case 'reschedule':
      reschedule(s, now, timing, moveTo);
      break;
  }

  s.deadline = deadlineOf(s, timing);
  if (!sameStatus(s, current)) s.version = current.version + 1;
  return t;
}

type MoveTo = (to: MonitorState, reason: string, options?: { notify?: false }) => void;

const byStart = (a: OpenRun, b: OpenRun): number => a.startedAt.getTime() - b.startedAt.getTime();

function setOpenRuns(s: MonitorStatus, runs: OpenRun[]): void {
  s.openRuns = runs;
  s.runningSince = latestStart(runs);
}

/** A start: a new open run (a repeated start with the same run id is a sign of life, not a second run). */
function openRun(s: MonitorStatus, t: Transition, runId: string | null, now: Date, rules: RunRules): void {
  if (runId !== null && s.openRuns.some((r) => r.runId === runId)) {
    setOpenRuns(s, s.openRuns.map((r) => (r.runId === runId ? { ...r, activeAt: now } : r)));
    return;
  }
  if (s.openRuns.length > 0 && rules.overlapPolicy === 'alert' && s.state !== 'paused') {
    const oldest = s.openRuns[0];
    t.alerts.push({ at: now, event: 'on_overlap', sequence: 0, reason: `a run started while ${s.openRuns.length === 1 ? 'another run was' : `${s.openRuns.length} other runs were`} still open (oldest started ${oldest?.startedAt.toISOString() ?? '?'})` });
  }
  const runs = [...s.openRuns, { runId, startedAt: now, activeAt: now }];
  while (runs.length > MAX_OPEN_RUNS) {
    const dropped = runs.shift();
    if (dropped) t.runs.push(closeChange(dropped, now, 'abandoned', `more than ${MAX_OPEN_RUNS} runs open at once`));
  }
  t.runs.push({ type: 'open', runId, startedAt: now });
  setOpenRuns(s, runs);
}

function closeChange(run: OpenRun, now: Date, outcome: 'abandoned' | 'timeout', reason: string): RunChange {
  return { type: 'close', runId: run.runId, startedAt: run.startedAt, finishedAt: now, duration: secondsBetween(run.startedAt, now), outcome, failureKind: null, exitCode: null, reason };
}

/** Pairs a completion with its open run: the run, the remaining open runs, and the run's duration. */
function pairCompletion(s: MonitorStatus, event: RunInfo, now: Date): { run: OpenRun | null; rest: OpenRun[]; duration: number | null } {
  const { run, rest } = takeOpenRun(s.openRuns, event.runId);
  const duration = event.duration ?? (run ? secondsBetween(run.startedAt, now) : null);
  return { run, rest, duration };
}

function completeWithSuccess(s: MonitorStatus, t: Transition, event: RunInfo, now: Date, timing: Timing, moveTo: MoveTo, paused: boolean): void {
  const { run, rest, duration } = pairCompletion(s, event, now);
  const outOfRange = runtimeViolation(duration, timing.rules.expectedRuntime);
  t.runs.push({ type: 'close', runId: run?.runId ?? event.runId ?? null, startedAt: run?.startedAt ?? null, finishedAt: now, duration, outcome: outOfRange ? 'degraded' : 'success', failureKind: null, exitCode: null, reason: outOfRange });
  setOpenRuns(s, rest);
  s.lastPingAt = now;
  if (duration !== null) s.lastDuration = duration;
  s.nextExpectedAt = timing.next(now);
  s.missedStreak = 0;
  s.failureStreak = 0;
  if (paused) {
    s.downReason = null;
    s.downExitCode = null;
    return;
  }
  if (s.state === 'down') {
    s.successStreak += 1;
    if (s.successStreak < timing.rules.recoveryThreshold) return; // not yet: still down, its incident goes on
    const why = `recovered: ${timing.rules.recoveryThreshold > 1 ? `${s.successStreak} successes in a row` : 'success ping'} after ${downDescription(s)}`;
    s.downReason = null;
    s.downExitCode = null;
    settle(s, rest, outOfRange, why, moveTo);
    return;
  }
  s.successStreak += 1;
  s.downReason = null;
  s.downExitCode = null;
  settle(s, rest, outOfRange, 'success ping received', moveTo);
}

/** After a completion that is not a failure: running while other runs are open, else degraded or up. */
function settle(s: MonitorStatus, rest: OpenRun[], outOfRange: string | null, reason: string, moveTo: MoveTo): void {
  if (rest.length > 0 && s.state === 'running') return;
  if (outOfRange) {
    moveTo('degraded', `${reason}, but ${outOfRange}`);
    s.stateReason = outOfRange;
  } else {
    moveTo(rest.length > 0 ? 'running' : 'up', reason);
  }
}

function completeWithFailure(s: MonitorStatus, t: Transition, event: Extract<MonitorEvent, { type: 'fail' }>, now: Date, timing: Timing, moveTo: MoveTo, paused: boolean): void {
  const { run, rest, duration } = pairCompletion(s, event, now);
  const exitCode = event.exitCode ?? null;
  const failureKind: FailureKind = event.failureKind ?? (exitCode !== null ? 'exit_code' : 'fail');
  const what = event.note ? `${describeFailure(exitCode)}: ${event.note}` : describeFailure(exitCode);
  setOpenRuns(s, rest);
  s.lastPingAt = now;
  if (duration !== null) s.lastDuration = duration;
  s.nextExpectedAt = timing.next(now);
  s.successStreak = 0;
  s.missedStreak = 0; // it ran: the misses before it were not in a row with the ones after
  const wasDown = s.state === 'down';
  if (!paused && !wasDown) s.failureStreak += 1;
  const tolerated = !paused && !wasDown && s.failureStreak <= timing.rules.failureTolerance;
  const reason = tolerated ? `${what} (tolerated: failure ${s.failureStreak} of ${timing.rules.failureTolerance} allowed)` : what;
  t.runs.push({ type: 'close', runId: run?.runId ?? event.runId ?? null, startedAt: run?.startedAt ?? null, finishedAt: now, duration, outcome: 'failed', failureKind, exitCode, reason });
  if (tolerated) {
    if (s.state === 'running' && rest.length === 0) moveTo(s.lastPingAt ? 'up' : 'pending', reason);
    else if (s.state === 'late' || s.state === 'pending') moveTo('up', reason);
    return;
  }
  s.downReason = 'failed';
  s.downExitCode = exitCode;
  if (!paused) moveTo('down', event.note ? `${describeDown(s)}: ${event.note}` : describeDown(s));
}

function describeFailure(exitCode: number | null): string {
  return exitCode !== null ? `failure ping (exit code ${exitCode})` : 'failure ping';
}

/** Closes the open runs whose time is up; unless tolerated, a timeout makes the monitor down. */
function timeOutRuns(s: MonitorStatus, t: Transition, now: Date, timing: Timing, moveTo: MoveTo): void {
  const expired = s.openRuns.filter((r) => runTimeoutAt(r, timing.rules, s.nextExpectedAt, timing.graceSeconds) <= now);
  if (expired.length === 0) return;
  const rest = s.openRuns.filter((r) => !expired.includes(r));
  for (const run of expired) t.runs.push(closeChange(run, now, 'timeout', `no completion by ${runTimeoutAt(run, timing.rules, s.nextExpectedAt, timing.graceSeconds).toISOString()}`));
  const latest = expired[expired.length - 1] as OpenRun;
  s.successStreak = 0; // a timeout is a failure: successes towards a recovery start again
  if (s.state === 'down') {
    setOpenRuns(s, rest);
    return;
  }
  s.failureStreak += 1;
  if (s.failureStreak <= timing.rules.failureTolerance) {
    setOpenRuns(s, rest);
    if (rest.length === 0 && s.state === 'running') moveTo(s.lastPingAt ? 'up' : 'pending', `run started at ${latest.startedAt.toISOString()} timed out (tolerated: failure ${s.failureStreak} of ${timing.rules.failureTolerance} allowed)`);
    return;
  }
  s.downReason = 'timeout';
  s.downExitCode = null;
  s.runningSince = latest.startedAt; // for the reason text
  moveTo('down', describeDown(s));
  setOpenRuns(s, rest);
}

/** While down: repeat the alert every realert interval, up to MAX_DOWN_ALERTS per incident. */
function realert(s: MonitorStatus, now: Date, timing: Timing, alerts: Alert[]): void {
  if (s.realertAt === null || now < s.realertAt || s.downAlerts >= MAX_DOWN_ALERTS) return;
  s.downAlerts += 1;
  const last = s.downAlerts >= MAX_DOWN_ALERTS;
  alerts.push({
    at: now,
    event: 'on_down',
    sequence: s.downAlerts,
    reason: `still down: ${downDescription(s)} (alert ${s.downAlerts} of ${MAX_DOWN_ALERTS}${last ? '; no more until it recovers' : ''})`,
  });
  s.realertAt = last || timing.realertSeconds <= 0 ? null : new Date(now.getTime() + timing.realertSeconds * 1000);
}

/** The schedule's deadline (late, then down or a tolerated miss), or the end of a timed pause. */
function applyDeadline(s: MonitorStatus, now: Date, timing: Timing, moveTo: MoveTo, flips: Flip[] = []): void {
  if (s.state === 'paused') {
    if (s.pausedUntil !== null && now >= s.pausedUntil) resume(s, now, timing, moveTo, 'pause expired');
    return;
  }
  if (!s.nextExpectedAt || now < s.nextExpectedAt) return;
  const downAt = s.nextExpectedAt.getTime() + timing.graceSeconds * 1000;
  if (now.getTime() < downAt) {
    moveTo('late', `expected a ping at ${s.nextExpectedAt.toISOString()}, none yet`);
    return;
  }
  if (s.missedStreak < timing.rules.scheduleTolerance) {
    // Tolerated: logged as a missed flip that alerts no one, and the next expected run becomes the one to wait for.
    s.missedStreak += 1;
    s.successStreak = 0;
    const back: MonitorState = s.state === 'late' ? (s.lastPingAt ? 'up' : 'pending') : s.state;
    flips.push({ at: now, from: s.state, to: back, kind: 'missed', notify: false, reason: `missed the run expected at ${s.nextExpectedAt.toISOString()} (${s.missedStreak} of ${timing.rules.scheduleTolerance} tolerated)` });
    s.state = back;
    s.nextExpectedAt = timing.next(s.nextExpectedAt);
    return;
  }
  s.downReason = 'missed';
  s.downExitCode = null;
  s.successStreak = 0;
  moveTo('down', describeDown(s));
}

function resume(s: MonitorStatus, now: Date, timing: Timing, moveTo: MoveTo, why: string): void {
  s.pausedUntil = null;
  if (s.downReason === 'failed') {
    moveTo('down', `${why} while failing: ${describeDown(s)}`);
    return;
  }
  // A fresh expectation from now: time spent paused must not count as missed runs.
  s.nextExpectedAt = timing.next(now);
  if (s.openRuns.length > 0) moveTo('running', why);
  else moveTo(s.lastPingAt ? 'up' : 'pending', why);
}

function reschedule(s: MonitorStatus, now: Date, timing: Timing, moveTo: MoveTo): void {
  s.nextExpectedAt = timing.next(s.lastPingAt ?? now);
  if (s.state === 'late' && s.nextExpectedAt && now < s.nextExpectedAt) {
    moveTo(s.lastPingAt ? 'up' : 'pending', 'schedule changed');
  }
}

/** The next instant the scheduler must look at this monitor, or null when only a ping can change it. */
export function deadlineOf(s: MonitorStatus, timing: Pick<Timing, 'graceSeconds' | 'rules'>): Date | null {
  if (s.state === 'paused') return s.pausedUntil;
  let at: number | null = null;
  switch (s.state) {
    case 'pending':
    case 'up':
    case 'degraded':
      at = s.nextExpectedAt?.getTime() ?? null;
      break;
    case 'late':
      at = s.nextExpectedAt ? s.nextExpectedAt.getTime() + timing.graceSeconds * 1000 : null;
      break;
    case 'down':
      at = s.realertAt?.getTime() ?? null;
      break;
    case 'running':
      break;
  }
  for (const run of s.openRuns) {
    const timeout = runTimeoutAt(run, timing.rules, s.nextExpectedAt, timing.graceSeconds).getTime();
    if (at === null || timeout < at) at = timeout;
  }
  return at === null ? null : new Date(at);
}

/** What made the monitor down, as recorded when it went down. */
function downDescription(s: MonitorStatus): string {
  return s.stateReason ?? describeDown(s);
}

export function describeDown(s: Pick<MonitorStatus, 'downReason' | 'downExitCode' | 'nextExpectedAt' | 'runningSince'>): string {
  const reason: DownReason | null = s.downReason;
  switch (reason) {
    case 'failed':
      return s.downExitCode !== null ? `failure ping (exit code ${s.downExitCode})` : 'failure ping';
    case 'missed':
      return `no ping within the grace period after ${s.nextExpectedAt?.toISOString() ?? 'the expected time'}`;
    case 'timeout':
      return s.runningSince ? `run started at ${s.runningSince.toISOString()} did not complete in time` : 'a run did not complete in time';
    default:
      return 'down';
  }
}

function sameStatus(a: MonitorStatus, b: MonitorStatus): boolean {
  return (
    a.state === b.state &&
    a.downReason === b.downReason &&
    a.downExitCode === b.downExitCode &&
    sameTime(a.lastPingAt, b.lastPingAt) &&
    sameTime(a.runningSince, b.runningSince) &&
    sameOpenRuns(a.openRuns, b.openRuns) &&
    a.lastDuration === b.lastDuration &&
    a.stateReason === b.stateReason &&
    a.missedStreak === b.missedStreak &&
    a.failureStreak === b.failureStreak &&
    a.successStreak === b.successStreak &&
    sameTime(a.nextExpectedAt, b.nextExpectedAt) &&
    sameTime(a.deadline, b.deadline) &&
    sameTime(a.pausedUntil, b.pausedUntil) &&
    a.downAlerts === b.downAlerts &&
    sameTime(a.realertAt, b.realertAt)
  );
}

function sameTime(a: Date | null, b: Date | null): boolean {
  return a === b || (a !== null && b !== null && a.getTime() === b.getTime());
}

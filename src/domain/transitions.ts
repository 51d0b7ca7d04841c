/**
 * The monitor state machine: `(status, event, now) → (status', flips)`. Pure: the caller passes the clock
 * reading and the schedule's `next` function, and persists the result in one transaction.
 */
import { MAX_DOWN_ALERTS, type Alert, type DownReason, type Flip, type MonitorState, type MonitorStatus } from './monitor.js';

export type MonitorEvent =
  | { type: 'success' }
  | { type: 'start' }
  /** `note` says why, when it was not the endpoint (e.g. a failure keyword in a success ping's output). */
  | { type: 'fail'; exitCode?: number | null; note?: string }
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
}

export interface Transition {
  status: MonitorStatus;
  flips: Flip[];
  /** Notifications raised without a state change: repeats of the down alert. */
  alerts: Alert[];
}

export function initialStatus(createdAt: Date, timing: Timing): MonitorStatus {
  const nextExpectedAt = timing.next(createdAt);
  return {
    state: 'pending',
    downReason: null,
    downExitCode: null,
    lastPingAt: null,
    runningSince: null,
    nextExpectedAt,
    deadline: nextExpectedAt,
    pausedUntil: null,
    downAlerts: 0,
    realertAt: null,
    version: 0,
  };
}

export function applyEvent(current: MonitorStatus, event: MonitorEvent, now: Date, timing: Timing): Transition {
  const s: MonitorStatus = { ...current };
  const flips: Flip[] = [];
  const alerts: Alert[] = [];
  const moveTo = (to: MonitorState, reason: string, options: { notify?: false } = {}): void => {
    if (s.state === to) return;
    flips.push(options.notify === false ? { at: now, from: s.state, to, reason, notify: false } : { at: now, from: s.state, to, reason });
    s.state = to;
    // An incident starts with the flip into down (its alert is the first); leaving down ends it.
    s.downAlerts = to === 'down' ? 1 : 0;
    s.realertAt = to === 'down' && timing.realertSeconds > 0 ? new Date(now.getTime() + timing.realertSeconds * 1000) : null;
  };
  const paused = s.state === 'paused';

  switch (event.type) {
    case 'log':
      return { status: current, flips, alerts };

    case 'start':
      s.runningSince = now;
      if (!paused && s.state !== 'down') moveTo('running', 'start ping received');
      break;

    case 'reset':
      s.lastPingAt = now;
      s.runningSince = null;
      s.downReason = null;
      s.downExitCode = null;
      s.nextExpectedAt = timing.next(now);
      if (!paused) moveTo('up', 'reset by an ok ping', { notify: false });
      break;

    case 'success': {
      const wasDown = s.state === 'down';
      s.lastPingAt = now;
      s.runningSince = null;
      s.downReason = null;
      s.downExitCode = null;
      s.nextExpectedAt = timing.next(now);
      if (!paused) moveTo('up', wasDown ? `recovered: success ping after ${describeDown(current)}` : 'success ping received');
      break;
    }

    case 'fail':
      s.lastPingAt = now;
      s.runningSince = null;
      s.nextExpectedAt = timing.next(now);
      s.downReason = 'failed';
      s.downExitCode = event.exitCode ?? null;
      if (!paused) moveTo('down', event.note ? `${describeDown(s)}: ${event.note}` : describeDown(s));
      break;

    case 'deadline':
      if (s.state === 'down') realert(s, now, timing, alerts);
      else applyDeadline(s, now, timing, moveTo);
      break;

    case 'pause':
      s.pausedUntil = event.until ?? null;
      // Only an explicit failure survives a pause: missed deadlines are not evaluated while paused.
      if (s.downReason !== 'failed') {
        s.downReason = null;
        s.downExitCode = null;
      }
      if (!paused) moveTo('paused', event.until ? `paused until ${event.until.toISOString()}` : 'paused');
      else if (s.pausedUntil !== current.pausedUntil) flips.push({ at: now, from: 'paused', to: 'paused', reason: 'pause extended' });
      break;

    case 'resume':
      if (paused) resume(s, now, timing, moveTo, 'resumed');
      break;

    case 'reschedule':
      reschedule(s, now, timing, moveTo);
      break;
  }

  s.deadline = deadlineOf(s, timing.graceSeconds);
  if (!sameStatus(s, current)) s.version = current.version + 1;
  return { status: s, flips, alerts };
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
    reason: `still down: ${describeDown(s)} (alert ${s.downAlerts} of ${MAX_DOWN_ALERTS}${last ? '; no more until it recovers' : ''})`,
  });
  s.realertAt = last || timing.realertSeconds <= 0 ? null : new Date(now.getTime() + timing.realertSeconds * 1000);
}

type MoveTo = (to: MonitorState, reason: string, options?: { notify?: false }) => void;

function applyDeadline(s: MonitorStatus, now: Date, timing: Timing, moveTo: MoveTo): void {
  if (s.deadline === null || now < s.deadline) return; // a stale claim: someone else already moved it
  const graceMs = timing.graceSeconds * 1000;
  switch (s.state) {
    case 'pending':
    case 'up':
    case 'degraded':
    case 'late': {
      if (!s.nextExpectedAt) return;
      const downAt = s.nextExpectedAt.getTime() + graceMs;
      if (now.getTime() >= downAt) {
        s.downReason = 'missed';
        s.downExitCode = null;
        moveTo('down', describeDown(s));
      } else {
        moveTo('late', `expected a ping at ${s.nextExpectedAt.toISOString()}, none yet`);
      }
      return;
    }
    case 'running':
      s.downReason = 'timeout';
      s.downExitCode = null;
      moveTo('down', describeDown(s));
      s.runningSince = null; // the run is over: a later resume must not bring it back as running
      return;
    case 'paused':
      resume(s, now, timing, moveTo, 'pause expired');
      return;
    case 'down':
      return;
  }
}

function resume(s: MonitorStatus, now: Date, timing: Timing, moveTo: MoveTo, why: string): void {
  s.pausedUntil = null;
  if (s.downReason === 'failed') {
    moveTo('down', `${why} while failing: ${describeDown(s)}`);
    return;
  }
  // A fresh expectation from now: time spent paused must not count as missed runs.
  s.nextExpectedAt = timing.next(now);
  if (s.runningSince) moveTo('running', why);
  else moveTo(s.lastPingAt ? 'up' : 'pending', why);
}

function reschedule(s: MonitorStatus, now: Date, timing: Timing, moveTo: MoveTo): void {
  s.nextExpectedAt = timing.next(s.lastPingAt ?? now);
  if (s.state === 'late' && s.nextExpectedAt && now < s.nextExpectedAt) {
    moveTo(s.lastPingAt ? 'up' : 'pending', 'schedule changed');
  }
}

/** The next instant the scheduler must look at this monitor, or null when only a ping can change it. */
export function deadlineOf(s: MonitorStatus, graceSeconds: number): Date | null {
  const graceMs = graceSeconds * 1000;
  switch (s.state) {
    case 'pending':
    case 'up':
    case 'degraded':
      return s.nextExpectedAt;
    case 'late':
      return s.nextExpectedAt ? new Date(s.nextExpectedAt.getTime() + graceMs) : null;
    case 'running': {
      const started = s.runningSince?.getTime() ?? 0;
      const base = Math.max(started, s.nextExpectedAt?.getTime() ?? started);
      return new Date(base + graceMs);
    }
    case 'paused':
      return s.pausedUntil;
    case 'down':
      return s.realertAt;
  }
}

export function describeDown(s: Pick<MonitorStatus, 'downReason' | 'downExitCode' | 'nextExpectedAt' | 'runningSince'>): string {
  const reason: DownReason | null = s.downReason;
  switch (reason) {
    case 'failed':
      return s.downExitCode !== null ? `failure ping (exit code ${s.downExitCode})` : 'failure ping';
    case 'missed':
      return `no ping within the grace period after ${s.nextExpectedAt?.toISOString() ?? 'the expected time'}`;
    case 'timeout':
      return `run started at ${s.runningSince?.toISOString() ?? 'an unknown time'} did not complete in time`;
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

import type { Assertion } from './assertions.js';
import type { Notify } from './notify.js';
import type { PayloadMetricRule } from './payload-metrics.js';
import type { PayloadScanning } from './payload-scanning.js';
import type { RunRules } from './run-rules.js';
import type { OpenRun } from './runs.js';

/** The monitor as the domain sees it: configuration plus the evaluated runtime state. */

export const MONITOR_STATES = ['pending', 'up', 'late', 'running', 'degraded', 'down', 'paused'] as const;
export type MonitorState = (typeof MONITOR_STATES)[number];

export const MONITOR_TYPES = ['job', 'heartbeat', 'check'] as const;
export type MonitorType = (typeof MONITOR_TYPES)[number];

/** Why a monitor is down: `missed` (grace elapsed), `failed` (a failure ping), `timeout` (a run never completed). */
export type DownReason = 'missed' | 'failed' | 'timeout';

export interface MonitorConfig {
  name: string;
  key: string;
  type: MonitorType;
  /** The schedule as the user wrote it (or `every N seconds` for `expected_interval_sec`). */
  schedule: string;
  timezone: string;
  graceSeconds: number;
  tags: string[];
  /** Repeat the down alert this often while the monitor stays down; 0 = never. */
  realertSeconds: number;
  /** Which notification lists get its alerts (expanded into rules by the store). */
  notify: Notify;
  /** Keywords in a ping's body or msg that make it a success or a failure; null = no scanning. */
  payloadScanning: PayloadScanning | null;
  /** JSONPath rules extracting numbers from JSON ping bodies into per-monitor time series. */
  payloadMetrics: PayloadMetricRule[];
  /** Cronitor assertions checked on each successful completion (`metric.duration < 5 min`, …). */
  assertions: Assertion[];
  /** Runtime bounds, tolerances, recovery threshold and overlap policy. */
  runRules: RunRules;
  /** Descriptive attributes (note, group, metadata, …); absent or `{}` when none is set. */
  extra?: MonitorExtra;
}

/**
 * Cronitor's descriptive attributes: kept as given and shown back, never evaluated. A missing key is unset.
 * `defaultName` / `defaultNote` are provisioning defaults: the note shown is `note`, else `defaultNote`; the
 * name follows `defaultName` only while nobody has set the name by hand (see mergeMonitorConfig).
 */
export interface MonitorExtra {
  note?: string;
  defaultNote?: string;
  defaultName?: string;
  group?: string;
  platform?: string;
  /** Arbitrary JSON key/value pairs (e.g. what cronitor-kubernetes records about a CronJob). */
  metadata?: Record<string, unknown>;
}

export interface MonitorStatus {
  state: MonitorState;
  downReason: DownReason | null;
  /** Exit code of the failure ping that made the monitor down, when it sent one. */
  downExitCode: number | null;
  lastPingAt: Date | null;
  /** The latest start of a run that has not completed yet; null when no run is open. */
  runningSince: Date | null;
  /** Runs started and not yet completed, timed out or abandoned, oldest first. */
  openRuns: OpenRun[];
  /** Seconds the last completed run took, when known. */
  lastDuration: number | null;
  /**
   * Why the monitor is down or degraded, as it was when it got there (the run that timed out, the run outside
   * its expected runtime); later alerts and the recovery name it. Null in other states.
   */
  stateReason: string | null;
  /** Consecutive missed runs, failures and successes, for the tolerances and the recovery threshold. */
  missedStreak: number;
  failureStreak: number;
  successStreak: number;
  nextExpectedAt: Date | null;
  /**
   * The next instant at which the scheduler must evaluate this monitor (late, down, timeout, or the end of a
   * timed pause); null when nothing can happen without a ping. Stored and indexed: "what is due" is a range query.
   */
  deadline: Date | null;
  pausedUntil: Date | null;
  /** Down alerts raised in the current incident (the first one included); 0 when not down. */
  downAlerts: number;
  /** When the next repeat of the down alert is due; null when none will be. */
  realertAt: Date | null;
  /** Bumped on every state write; workers update with compare-and-set on it. */
  version: number;
}

export interface Monitor extends MonitorConfig, MonitorStatus {
  id: string;
  projectId: string;
  pingToken: string;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * The status fields of a monitor (or of a status), as a new object. Written out rather than spread: a spread
 * of a whole Monitor takes V8's slow cloning path, and the ping path copies a status once per ping (the
 * decision measured 6 µs per ping with spreads, most of it in that copy and the garbage it leaves).
 */
export function statusOf(s: MonitorStatus): MonitorStatus {
  return {
    state: s.state,
    downReason: s.downReason,
    downExitCode: s.downExitCode,
    lastPingAt: s.lastPingAt,
    runningSince: s.runningSince,
    openRuns: s.openRuns,
    lastDuration: s.lastDuration,
    stateReason: s.stateReason,
    missedStreak: s.missedStreak,
    failureStreak: s.failureStreak,
    successStreak: s.successStreak,
    nextExpectedAt: s.nextExpectedAt,
    deadline: s.deadline,
    pausedUntil: s.pausedUntil,
    downAlerts: s.downAlerts,
    realertAt: s.realertAt,
    version: s.version,
  };
}

/** The monitor with this status (and `updatedAt`), as a new object: `{ ...monitor, ...status, updatedAt }` without the spread's cost (see statusOf; fields written out for the same reason). */
export function withStatus(m: Monitor, s: MonitorStatus, updatedAt: Date): Monitor {
  const next: Monitor = {
    id: m.id,
    projectId: m.projectId,
    pingToken: m.pingToken,
    createdAt: m.createdAt,
    updatedAt,
    name: m.name,
    key: m.key,
    type: m.type,
    schedule: m.schedule,
    timezone: m.timezone,
    graceSeconds: m.graceSeconds,
    tags: m.tags,
    realertSeconds: m.realertSeconds,
    notify: m.notify,
    payloadScanning: m.payloadScanning,
    payloadMetrics: m.payloadMetrics,
    assertions: m.assertions,
    runRules: m.runRules,
    state: s.state,
    downReason: s.downReason,
    downExitCode: s.downExitCode,
    lastPingAt: s.lastPingAt,
    runningSince: s.runningSince,
    openRuns: s.openRuns,
    lastDuration: s.lastDuration,
    stateReason: s.stateReason,
    missedStreak: s.missedStreak,
    failureStreak: s.failureStreak,
    successStreak: s.successStreak,
    nextExpectedAt: s.nextExpectedAt,
    deadline: s.deadline,
    pausedUntil: s.pausedUntil,
    downAlerts: s.downAlerts,
    realertAt: s.realertAt,
    version: s.version,
  };
  if (m.extra !== undefined) next.extra = m.extra;
  return next;
}

/** At most this many down alerts per incident; then silence until recovery. */
export const MAX_DOWN_ALERTS = 10;

/** A notification raised without a state change (a repeated down alert). */
export interface Alert {
  at: Date;
  /**
   * on_down: a repeat while down; on_run / on_complete: a job's start or successful completion was reported;
   * on_overlap: a run started while another was open (with `overlap_policy: alert`).
   */
  event: 'on_down' | 'on_run' | 'on_complete' | 'on_overlap';
  reason: string;
  /** For repeats, which alert of the incident this is (2 = the first repeat); 0 otherwise. */
  sequence: number;
}

/** A state change, kept as history (`GET /v1/monitors/:id/flips`). */
export interface Flip {
  at: Date;
  from: MonitorState;
  to: MonitorState;
  /** Human-readable cause: "grace period elapsed", "failure ping (exit code 2)", … */
  reason: string;
  /** False for a change that must not alert (a manual reset, a tolerated miss); not stored. */
  notify?: false;
  /** `missed`: a missed run that `schedule_tolerance` let pass (logged, not alerted). Absent for plain state changes. */
  kind?: 'missed';
}

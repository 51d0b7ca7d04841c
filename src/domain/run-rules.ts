/**
 * A monitor's rules about its runs: how long a run may take (`expected_runtime`, `max_runtime`,
 * `inactivity_timeout`), how many misses and failures are tolerated before alerting, how many successes end
 * an incident, and what a start during another run means (`overlap_policy`).
 */
import { invalid } from './errors.js';
import { formatDuration, parseDuration } from './duration.js';

export const OVERLAP_POLICIES = ['allow', 'alert'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

export interface RunRules {
  /** Seconds; a successful run outside [min, max] leaves the monitor degraded. Either bound may be absent. */
  expectedRuntime: { min: number | null; max: number | null } | null;
  /** Seconds after its start at which an open run is timed out; null = the schedule's expected time plus grace. */
  maxRuntime: number | null;
  /** Seconds without a start or progress ping after which an open run is timed out; null = no such limit. */
  inactivityTimeout: number | null;
  /** Consecutive missed runs tolerated before down (each still logged as a `missed` flip). */
  scheduleTolerance: number;
  /** Consecutive failures (and timeouts) tolerated before down. */
  failureTolerance: number;
  /** Consecutive successes needed to leave down (Sentry's recovery_threshold); 1 = the first success. */
  recoveryThreshold: number;
  overlapPolicy: OverlapPolicy;
}

export const DEFAULT_RUN_RULES: RunRules = {
  expectedRuntime: null,
  maxRuntime: null,
  inactivityTimeout: null,
  scheduleTolerance: 0,
  failureTolerance: 0,
  recoveryThreshold: 1,
  overlapPolicy: 'allow',
};

export interface RunRulesInput {
  /** `{"min": "30s", "max": "5m"}` (durations or seconds); null removes it. */
  expected_runtime?: unknown;
  /** Seconds or a duration string; null removes it. */
  max_runtime?: number | string | null;
  inactivity_timeout?: number | string | null;
  schedule_tolerance?: number | null;
  failure_tolerance?: number | null;
  recovery_threshold?: number | null;
  overlap_policy?: string | null;
}

const MAX_RUNTIME_SECONDS = 30 * 86_400;
const MAX_TOLERANCE = 100;

/** Applies the run-rule fields present in `input` to `current`; throws naming the first invalid field. */
export function mergeRunRules(current: RunRules, input: RunRulesInput): RunRules {
  const next: RunRules = { ...current };
  if (input.expected_runtime !== undefined) next.expectedRuntime = parseExpectedRuntime(input.expected_runtime);
  if (input.max_runtime !== undefined) next.maxRuntime = optionalDuration(input.max_runtime, 'max_runtime');
  if (input.inactivity_timeout !== undefined) next.inactivityTimeout = optionalDuration(input.inactivity_timeout, 'inactivity_timeout');
  if (input.schedule_tolerance !== undefined) next.scheduleTolerance = count(input.schedule_tolerance, 'schedule_tolerance', 0, 0);
  if (input.failure_tolerance !== undefined) next.failureTolerance = count(input.failure_tolerance, 'failure_tolerance', 0, 0);
  if (input.recovery_threshold !== undefined) next.recoveryThreshold = count(input.recovery_threshold, 'recovery_threshold', 1, 1);
  if (input.overlap_policy !== undefined) {
    const policy = input.overlap_policy ?? 'allow';
    if (!(OVERLAP_POLICIES as readonly string[]).includes(policy)) throw invalid('overlap_policy', `must be "allow" or "alert", got "${policy}"`);
    next.overlapPolicy = policy as OverlapPolicy;
  }
  return next;
}

function parseExpectedRuntime(input: unknown): RunRules['expectedRuntime'] {
  if (input === null) return null;
  if (typeof input !== 'object' || Array.isArray(input)) throw invalid('expected_runtime', 'expected {"min": "30s", "max": "5m"} (either bound may be left out)');
  const { min, max, ...rest } = input as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) throw invalid(`expected_runtime.${extra}`, 'unknown key (expected "min" and "max")');
  const bounds = {
    min: min === undefined || min === null ? null : parseDuration(min, 'expected_runtime.min', { max: MAX_RUNTIME_SECONDS }),
    max: max === undefined || max === null ? null : parseDuration(max, 'expected_runtime.max', { min: 1, max: MAX_RUNTIME_SECONDS }),
  };
  if (bounds.min === null && bounds.max === null) throw invalid('expected_runtime', 'give "min", "max" or both (or null to remove it)');
  if (bounds.min !== null && bounds.max !== null && bounds.min > bounds.max) throw invalid('expected_runtime', `min (${bounds.min}s) is greater than max (${bounds.max}s)`);
  return bounds;
}

function optionalDuration(input: number | string | null, field: string): number | null {
  if (input === null || input === 0) return null;
  return parseDuration(input, field, { min: 1, max: MAX_RUNTIME_SECONDS });
}

function count(input: number | null, field: string, min: number, whenNull: number): number {
  if (input === null) return whenNull;
  if (!Number.isInteger(input) || input < min || input > MAX_TOLERANCE) throw invalid(field, `must be a whole number from ${min} to ${MAX_TOLERANCE}, got ${input}`);
  return input;
}

/** Why a successful run's duration is outside the expected range, or null when it is inside (or unknown). */
export function runtimeViolation(duration: number | null, expected: RunRules['expectedRuntime']): string | null {
  if (duration === null || expected === null) return null;
  if (expected.min !== null && duration < expected.min) return `ran ${formatDuration(duration)}, expected at least ${formatDuration(expected.min)}`;
  if (expected.max !== null && duration > expected.max) return `ran ${formatDuration(duration)}, expected at most ${formatDuration(expected.max)}`;
  return null;
}

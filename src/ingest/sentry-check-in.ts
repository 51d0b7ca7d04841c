/**
 * Sentry check-ins: reading one (from an envelope item, a JSON body or a query string) into a checked shape, the
 * monitor key it addresses (slug and environment), and the monitor settings its `monitor_config` stands for.
 * Pure: no I/O.
 */
import { invalid } from '../domain/errors.js';
import type { Monitor } from '../domain/monitor.js';
import type { MonitorConfigInput } from '../domain/monitor-config.js';
import type { PingKind } from '../domain/ping.js';
import { MAX_LABEL_LENGTH, type PingQuery } from '../domain/ping-params.js';
import { MAX_RUN_ID_CHARS } from '../domain/runs.js';
import { parseSchedule } from '../domain/schedule.js';
import { firstValue } from './request.js';

export const CHECK_IN_STATUSES = ['in_progress', 'ok', 'error'] as const;
export type CheckInStatus = (typeof CHECK_IN_STATUSES)[number];

/** What each status means for the monitor. */
export const PING_KIND_OF_STATUS: Readonly<Record<CheckInStatus, PingKind>> = { in_progress: 'start', ok: 'success', error: 'fail' };

/** The environment whose check-ins go to the monitor keyed by the bare slug (also used when none is sent). */
export const DEFAULT_ENVIRONMENT = 'production';

/** Sentry's limits: slugs (after slugification) and environment names, in characters. */
export const MAX_SLUG_CHARS = 50;
export const MAX_ENVIRONMENT_CHARS = 64;
/** Sentry's upper bound for `checkin_margin` and `max_runtime`, in minutes (28 days). */
export const MAX_CONFIG_MINUTES = 40_320;
/** Sentry's defaults for the `monitor_config` fields left out. */
export const DEFAULT_CHECKIN_MARGIN_MINUTES = 1;
export const DEFAULT_MAX_RUNTIME_MINUTES = 30;
/** Overdue's largest failure tolerance and recovery threshold (Sentry allows up to 720; larger values are capped). */
const MAX_THRESHOLD = 100;

export const INTERVAL_UNITS = ['year', 'month', 'week', 'day', 'hour', 'minute'] as const;
export type IntervalUnit = (typeof INTERVAL_UNITS)[number];

/**
 * Seconds per interval unit. A month is 31 days and a year 366: an interval schedule expects the next check-in
 * that long after the last one, and the longest month or year must not look like a missed run.
 */
const UNIT_SECONDS: Readonly<Record<IntervalUnit, number>> = { year: 366 * 86_400, month: 31 * 86_400, week: 604_800, day: 86_400, hour: 3_600, minute: 60 };

export type SentrySchedule = { type: 'crontab'; value: string } | { type: 'interval'; value: number; unit: IntervalUnit };

/** A `monitor_config` as sent (units as Sentry's: minutes), with left-out fields null. */
export interface SentryMonitorConfig {
  schedule: SentrySchedule;
  checkinMargin: number | null;
  maxRuntime: number | null;
  timezone: string | null;
  failureIssueThreshold: number | null;
  recoveryThreshold: number | null;
}

export interface CheckIn {
  /** The client's check-in id in Sentry's form (32 lower-case hex digits for a UUID); null for none or the nil UUID. */
  checkInId: string | null;
  /** The monitor slug, slugified as Sentry does (see sentrySlug). */
  slug: string;
  status: CheckInStatus;
  /** Seconds; null when not sent. */
  duration: number | null;
  /** As sent (trimmed); null when not sent or empty. */
  environment: string | null;
  release: string | null;
  monitorConfig: SentryMonitorConfig | null;
}

/**
 * Reads a check-in JSON object: an envelope's `check_in` item, or the body of a JSON POST to the cron endpoint
 * (whose path gives the slug: `slugFromPath` then wins over any `monitor_slug` in the body). Unknown fields
 * (`contexts`, `owner`, …) are ignored.
 * - `check_in_id`: optional. A UUID (with or without dashes, any case) is normalized to 32 lower-case hex
 *   digits, and the nil UUID means "none" (the completion then closes the latest open run); any other string
 *   of 1–64 characters is kept as it is.
 * - `monitor_slug`: required; see sentrySlug.
 * - `status`: `in_progress`, `ok` or `error` (Sentry computes `missed` itself and drops other values).
 * - `duration`: optional non-negative number of seconds.
 * - `environment`: optional, at most 64 characters; `release`: optional, cut to 255 characters.
 * - `monitor_config`: optional; see readMonitorConfig.
 * @throws AppError `validation_error` naming the field at fault.
 */
export function readCheckIn(input: unknown, slugFromPath?: string): CheckIn {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalid('check_in', 'must be a JSON object');
  const o = input as Record<string, unknown>;
  const slug = slugFromPath ?? o.monitor_slug;
  if (typeof slug !== 'string') throw invalid('monitor_slug', 'required (a string)');
  const config = o.monitor_config;
  return {
    checkInId: readCheckInId(o.check_in_id),
    slug: sentrySlug(slug),
    status: readStatus(o.status),
    duration: readDuration(o.duration),
    environment: readEnvironment(o.environment),
    release: readRelease(o.release),
    monitorConfig: config === undefined || config === null ? null : readMonitorConfig(config),
  };
}

/**
 * Reads a check-in from the cron endpoint's query string (`status`, `check_in_id`, `environment`, `duration`,
 * and `release`), with the slug from the path; the same rules as readCheckIn. Values are strings here, so
 * `duration` must be a plain decimal number.
 */
export function readCheckInQuery(query: PingQuery, slug: string): CheckIn {
  const durationText = firstValue(query, 'duration')?.trim();
  let duration: number | undefined;
  if (durationText !== undefined && durationText !== '') {
    if (!/^(?:\d+(?:\.\d*)?|\.\d+)$/.test(durationText)) throw invalid('duration', `must be a non-negative number of seconds, got "${durationText.slice(0, 40)}"`);
    duration = Number(durationText);
  }
  return readCheckIn({
    check_in_id: firstValue(query, 'check_in_id'),
    status: firstValue(query, 'status'),
    environment: firstValue(query, 'environment'),
    release: firstValue(query, 'release'),
    duration,
  }, slug);
}

/**
 * Slugifies a monitor slug as Sentry does before looking the monitor up: accents stripped, lower case, characters
 * other than letters, digits, `_`, `-` and spaces dropped, runs of spaces and dashes turned into one `-`, leading
 * and trailing `-`/`_` removed, then cut to 50 characters. So `Nightly Job` addresses the monitor `nightly-job`,
 * and a slug never contains a `.` (which the environment suffix uses).
 * @throws AppError `validation_error` on `monitor_slug` when nothing is left.
 */
export function sentrySlug(raw: string): string {
  const slug = raw
    .normalize('NFKD')
    .replace(/[^\x20-\x7e]/g, '')
    .toLowerCase()
    .replace(/[^\w\s-]/g, '')
    .replace(/[-\s]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, MAX_SLUG_CHARS)
    .replace(/-+$/, '');
  if (slug === '') throw invalid('monitor_slug', `"${raw.slice(0, 60)}" has no letters or digits`);
  return slug;
}

/**
 * The key of the Overdue monitor a check-in goes to: the slug for the default environment (`production`, or none
 * sent), else `<slug>.<environment>`, with every run of characters other than letters, digits, `_` and `-` in the
 * environment written as one `-` (`staging` → `nightly.staging`, `eu west` → `nightly.eu-west`).
 * @throws AppError `validation_error` on `environment` when the key would exceed 100 characters.
 */
export function monitorKeyOf(slug: string, environment: string | null): string {
  if (environment === null || environment === DEFAULT_ENVIRONMENT) return slug;
  const key = `${slug}.${environment.replace(/[^A-Za-z0-9_-]+/g, '-')}`;
  if (key.length > 100) throw invalid('environment', `"${environment}" makes the monitor key "${key.slice(0, 40)}…" longer than 100 characters`);
  return key;
}

/** The name of a monitor created for a check-in: the slug, with the environment for non-default environments. */
export function monitorNameOf(slug: string, environment: string | null): string {
  return environment === null || environment === DEFAULT_ENVIRONMENT ? slug : `${slug} (${environment})`;
}

/**
 * Reads a `monitor_config`: `schedule` (`{"type":"crontab","value":"0 * * * *"}` or
 * `{"type":"interval","value":30,"unit":"minute"}`, unit one of year, month, week, day, hour, minute) is
 * required; `checkin_margin` (minutes, 0–40320), `max_runtime` (minutes, 1–40320), `timezone`,
 * `failure_issue_threshold` and `recovery_threshold` (whole numbers ≥ 1) are optional, null meaning left out.
 * The crontab and the time zone are checked here too, so errors name Sentry's fields.
 * @throws AppError `validation_error` naming `monitor_config.<field>`.
 */
export function readMonitorConfig(input: unknown): SentryMonitorConfig {
  const field = 'monitor_config';
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalid(field, 'must be a JSON object');
  const o = input as Record<string, unknown>;
  const timezone = optional(o.timezone, (v) => {
    if (typeof v !== 'string' || v.trim() === '') throw invalid(`${field}.timezone`, 'must be a time zone name such as "Europe/Berlin"');
    return v.trim();
  });
  const schedule = readSchedule(o.schedule);
  if (schedule.type === 'crontab') parseSchedule(schedule.value, timezone ?? 'UTC', `${field}.schedule.value`, `${field}.timezone`);
  else parseSchedule('hourly', timezone ?? 'UTC', `${field}.schedule`, `${field}.timezone`); // checks the zone alone
  return {
    schedule,
    checkinMargin: optional(o.checkin_margin, (v) => number(v, `${field}.checkin_margin`, 0, MAX_CONFIG_MINUTES)),
    maxRuntime: optional(o.max_runtime, (v) => number(v, `${field}.max_runtime`, 1, MAX_CONFIG_MINUTES)),
    timezone,
    failureIssueThreshold: optional(o.failure_issue_threshold, (v) => integer(v, `${field}.failure_issue_threshold`, 1)),
    recoveryThreshold: optional(o.recovery_threshold, (v) => integer(v, `${field}.recovery_threshold`, 1)),
  };
}

/**
 * The Overdue settings a `monitor_config` stands for. Sentry replaces a monitor's config with the one sent, so
 * left-out fields take Sentry's defaults rather than keeping earlier values:
 * - crontab → `schedule`; interval → `expected_interval_sec` (a month counts 31 days, a year 366);
 * - `checkin_margin` minutes → `grace_seconds` (default 1 minute);
 * - `max_runtime` minutes → `max_runtime` (default 30 minutes);
 * - `timezone` → `timezone` (default UTC);
 * - `failure_issue_threshold` N → `failure_tolerance` and `schedule_tolerance` N−1 (default 0: the first failure
 *   or miss alerts). Sentry counts "consecutive missed or error check-ins"; Overdue counts misses and failures
 *   apart, each up to N−1;
 * - `recovery_threshold` M → `recovery_threshold` M (default 1). Both thresholds are capped at 100.
 */
export function monitorInputOf(config: SentryMonitorConfig): MonitorConfigInput {
  const s = config.schedule;
  return {
    ...(s.type === 'crontab' ? { schedule: s.value } : { expected_interval_sec: s.value * UNIT_SECONDS[s.unit] }),
    timezone: config.timezone ?? 'UTC',
    grace_seconds: Math.round((config.checkinMargin ?? DEFAULT_CHECKIN_MARGIN_MINUTES) * 60),
    max_runtime: Math.round((config.maxRuntime ?? DEFAULT_MAX_RUNTIME_MINUTES) * 60),
    failure_tolerance: Math.min((config.failureIssueThreshold ?? 1) - 1, MAX_THRESHOLD),
    schedule_tolerance: Math.min((config.failureIssueThreshold ?? 1) - 1, MAX_THRESHOLD),
    recovery_threshold: Math.min(config.recoveryThreshold ?? 1, MAX_THRESHOLD),
  };
}

/**
 * The settings of an existing monitor as create input, for the monitor of a new environment of its slug: the
 * same schedule, grace, rules, notifications and tags (plus `env:<environment>`).
 */
export function monitorInputCopying(base: Monitor, environment: string): MonitorConfigInput {
  const r = base.runRules;
  return {
    type: base.type,
    schedule: base.schedule,
    timezone: base.timezone,
    grace_seconds: base.graceSeconds,
    tags: [...base.tags.filter((t) => !t.startsWith('env:')), `env:${environment}`],
    realert_interval: base.realertSeconds === 0 ? 0 : `${base.realertSeconds}s`,
    notify: base.notify,
    payload_scanning: base.payloadScanning && { success_keyword: base.payloadScanning.successKeywords, failure_keyword: base.payloadScanning.failureKeywords },
    payload_metrics: base.payloadMetrics,
    assertions: base.assertions.map((a) => a.text),
    expected_runtime: r.expectedRuntime,
    max_runtime: r.maxRuntime,
    inactivity_timeout: r.inactivityTimeout,
    schedule_tolerance: r.scheduleTolerance,
    failure_tolerance: r.failureTolerance,
    recovery_threshold: r.recoveryThreshold,
    overlap_policy: r.overlapPolicy,
  };
}

const UUID = /^(?:[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

function readCheckInId(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw invalid('check_in_id', 'must be a string (a UUID)');
  const id = v.trim();
  if (id === '') return null;
  if (UUID.test(id)) {
    const simple = id.replaceAll('-', '').toLowerCase();
    return /^0+$/.test(simple) ? null : simple;
  }
  if (id.length > MAX_RUN_ID_CHARS) throw invalid('check_in_id', `must be a UUID or at most ${MAX_RUN_ID_CHARS} characters`);
  return id;
}

function readStatus(v: unknown): CheckInStatus {
  if (typeof v === 'string' && (CHECK_IN_STATUSES as readonly string[]).includes(v)) return v as CheckInStatus;
  const got = v === undefined ? 'nothing' : JSON.stringify(v)?.slice(0, 40);
  throw invalid('status', `must be "in_progress", "ok" or "error", got ${got}`);
}

function readDuration(v: unknown): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw invalid('duration', `must be a non-negative number of seconds, got ${JSON.stringify(v)?.slice(0, 40)}`);
  return v;
}

function readEnvironment(v: unknown): string | null {
  const env = optionalText(v, 'environment');
  if (env !== null && env.length > MAX_ENVIRONMENT_CHARS) throw invalid('environment', `must be at most ${MAX_ENVIRONMENT_CHARS} characters, got ${env.length}`);
  return env;
}

function readRelease(v: unknown): string | null {
  const release = optionalText(v, 'release');
  return release === null ? null : release.slice(0, MAX_LABEL_LENGTH);
}

function optionalText(v: unknown, field: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw invalid(field, 'must be a string');
  const text = v.trim();
  return text === '' ? null : text;
}

function readSchedule(v: unknown): SentrySchedule {
  const field = 'monitor_config.schedule';
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw invalid(field, 'required: {"type": "crontab", "value": "0 * * * *"} or {"type": "interval", "value": 30, "unit": "minute"}');
  }
  const o = v as Record<string, unknown>;
  if (o.type === 'crontab') {
    if (typeof o.value !== 'string') throw invalid(`${field}.value`, 'must be a crontab string such as "0 * * * *"');
    return { type: 'crontab', value: o.value };
  }
  if (o.type === 'interval') {
    const value = integer(o.value, `${field}.value`, 1);
    if (typeof o.unit !== 'string' || !(INTERVAL_UNITS as readonly string[]).includes(o.unit)) {
      throw invalid(`${field}.unit`, `must be one of ${INTERVAL_UNITS.join(', ')}`);
    }
    const unit = o.unit as IntervalUnit;
    if (!Number.isSafeInteger(value * UNIT_SECONDS[unit])) throw invalid(`${field}.value`, 'is too large');
    return { type: 'interval', value, unit };
  }
  throw invalid(`${field}.type`, 'must be "crontab" or "interval"');
}

function optional<T>(v: unknown, read: (v: unknown) => T): T | null {
  return v === undefined || v === null ? null : read(v);
}

function number(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw invalid(field, `must be a number of minutes from ${min} to ${max}, got ${JSON.stringify(v)?.slice(0, 40)}`);
  return v;
}

function integer(v: unknown, field: string, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw invalid(field, `must be a whole number of at least ${min}, got ${JSON.stringify(v)?.slice(0, 40)}`);
  return v;
}

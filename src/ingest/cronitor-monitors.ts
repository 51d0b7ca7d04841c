/**
 * Cronitor's Monitor API attributes ↔ Overdue monitors: reading a Cronitor monitor object into a create/update
 * request, and showing a monitor the way Cronitor clients read it. The routes are in
 * src/http/routes/cronitor-monitors.ts; the YAML document shape is in cronitor-yaml.ts.
 *
 * Attributes read: key, type (job; heartbeat or event; check is refused: Overdue does not probe URLs), name,
 * defaultName, note, defaultNote, schedule (or a one-element `schedules` list, as the CLI sends), timezone,
 * grace_seconds, assertions, notify, tags, group, metadata, platform, paused, realert_interval,
 * schedule_tolerance, failure_tolerance, and Overdue's own ping_token. Read-only attributes (created, disabled,
 * initialized, passing, running, …) and attributes that do not apply (request, environments, …) are ignored, so
 * a monitor read from the API can be sent back as it is. A null value leaves the attribute as it is, except for
 * the descriptive ones (note, group, metadata, …), which it clears.
 */
import type { BatchItem, MonitorWrite } from '../app/monitors.js';
import { invalid } from '../domain/errors.js';
import type { Monitor, MonitorType } from '../domain/monitor.js';
import { AUTO_CREATE_SETTINGS } from './cronitor.js';

/** Cronitor's `type` values and the Overdue type each stands for; `check` is recognised only to refuse it. */
const TYPES: Readonly<Record<string, MonitorType>> = { job: 'job', heartbeat: 'heartbeat', event: 'heartbeat', check: 'check' };

/** The most monitors one bulk request may carry. */
export const MAX_BULK_MONITORS = 1000;

/**
 * Reads one Cronitor monitor object into a batch item. `where` prefixes error fields (`monitors[2]`); `type`
 * is the type a YAML section implies (`jobs:` → job), used when the object names none.
 * @throws AppError `validation_error` naming the attribute.
 */
export function batchItemOf(value: unknown, where: string, impliedType?: string): BatchItem {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(where, 'expected a monitor object such as {"key": "nightly-backup", "type": "job", "schedule": "0 0 * * *"}');
  const a = value as Record<string, unknown>;
  const field = (name: string) => `${where}.${name}`;
  const key = a.key;
  if (typeof key !== 'string' || key.trim() === '') throw invalid(field('key'), 'required: the monitor\'s unique key');
  return { key, input: monitorWriteOf(a, field, impliedType), paused: pausedOf(a, field('paused')) };
}

/** The `paused` attribute: true pauses, false resumes, absent or null leaves it. */
export function pausedOf(a: Record<string, unknown>, field: string): boolean | undefined {
  return optional(a, 'paused', () => field, 'boolean');
}

/** The attributes of a Cronitor monitor object as a create/update request (see the module comment). */
export function monitorWriteOf(a: Record<string, unknown>, field: (name: string) => string, impliedType?: string): MonitorWrite {
  const input: MonitorWrite = {};
  const typeName = a.type ?? impliedType;
  if (typeName !== undefined && typeName !== null) {
    if (typeof typeName !== 'string' || !Object.hasOwn(TYPES, typeName)) throw invalid(field('type'), `must be job, heartbeat or event, got ${JSON.stringify(typeName)}`);
    if (TYPES[typeName] === 'check') throw invalid(field('type'), 'check monitors (URLs probed by the server) are not supported: Overdue watches jobs and heartbeats that report in');
    input.type = TYPES[typeName];
  }
  if (typeof a.key === 'string') input.key = a.key;
  const text = (name: string) => optional(a, name, field, 'string');
  input.name = text('name');
  input.schedule = text('schedule');
  const schedules = a.schedules;
  if (schedules !== undefined && schedules !== null) {
    if (!Array.isArray(schedules) || schedules.some((s) => typeof s !== 'string')) throw invalid(field('schedules'), 'must be a list of schedule strings');
    if (schedules.length > 1) throw invalid(field('schedules'), `a monitor has one schedule here, got ${schedules.length}; use one cron expression or split the monitor`);
    if (schedules.length === 1) {
      if (input.schedule !== undefined && input.schedule !== schedules[0]) throw invalid(field('schedules'), 'differs from "schedule"; give one of them');
      input.schedule = schedules[0] as string;
    }
  }
  input.timezone = text('timezone');
  input.grace_seconds = numberOrText(a, 'grace_seconds', field);
  input.realert_interval = realertOf(a.realert_interval, field('realert_interval'));
  input.schedule_tolerance = integer(a, 'schedule_tolerance', field);
  input.failure_tolerance = integer(a, 'failure_tolerance', field);
  if (a.assertions !== undefined) input.assertions = a.assertions;
  if (a.notify !== undefined && a.notify !== null) input.notify = typeof a.notify === 'string' ? [a.notify] : a.notify;
  if (a.tags !== undefined) {
    if (a.tags !== null && (!Array.isArray(a.tags) || a.tags.some((t) => typeof t !== 'string'))) throw invalid(field('tags'), 'must be a list of strings');
    input.tags = (a.tags as string[] | null) ?? [];
  }
  input.default_name = clearable(a, 'defaultName', field);
  input.note = clearable(a, 'note', field);
  input.default_note = clearable(a, 'defaultNote', field);
  input.group = clearable(a, 'group', field);
  input.platform = clearable(a, 'platform', field);
  if (a.metadata !== undefined) input.metadata = metadataOf(a.metadata, field('metadata'));
  input.ping_token = text('ping_token');
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as MonitorWrite;
}

/**
 * Completes a monitor about to be created without a schedule: Cronitor lets a monitor learn its schedule, and
 * Overdue needs one, so it expects a ping every day with an hour of grace (as a monitor created by telemetry).
 */
export function withDefaultSchedule(input: MonitorWrite): MonitorWrite {
  if (input.schedule !== undefined || input.expected_interval_sec !== undefined) return input;
  return { ...input, expected_interval_sec: AUTO_CREATE_SETTINGS.expected_interval_sec, grace_seconds: input.grace_seconds ?? AUTO_CREATE_SETTINGS.grace_seconds };
}

/** A monitor as Cronitor's API shows it, with its read-only attributes mapped from Overdue's states. */
export function presentCronitorMonitor(m: Monitor) {
  const extra = m.extra ?? {};
  const events = m.notify.events;
  return {
    key: m.key,
    name: m.name,
    defaultName: extra.defaultName ?? null,
    type: m.type,
    schedule: m.schedule,
    timezone: m.timezone,
    grace_seconds: m.graceSeconds,
    assertions: m.assertions.map((x) => x.text),
    notify: events.run || events.complete ? { alerts: m.notify.alerts, events } : m.notify.alerts,
    tags: m.tags,
    group: extra.group ?? null,
    note: extra.note ?? extra.defaultNote ?? null,
    defaultNote: extra.defaultNote ?? null,
    metadata: extra.metadata ?? null,
    platform: extra.platform ?? null,
    paused: m.state === 'paused',
    realert_interval: m.realertSeconds === 0 ? null : intervalText(m.realertSeconds),
    schedule_tolerance: m.runRules.scheduleTolerance,
    failure_tolerance: m.runRules.failureTolerance,
    created: m.createdAt.toISOString(),
    disabled: false,
    initialized: m.lastPingAt !== null || m.openRuns.length > 0 || (m.state !== 'pending' && m.state !== 'paused'),
    // Degraded and down are failing; a paused monitor is failing while it keeps a failure for its resume.
    passing: m.state === 'paused' ? m.downReason === null : m.state !== 'degraded' && m.state !== 'down',
    running: m.openRuns.length > 0,
  };
}

export type CronitorMonitor = ReturnType<typeof presentCronitorMonitor>;

/** "8 hours", "30 minutes", "1 hour", "90 seconds": the largest unit that divides evenly. */
function intervalText(seconds: number): string {
  for (const [unit, size] of [['day', 86_400], ['hour', 3600], ['minute', 60]] as const) {
    if (seconds % size === 0) return `${seconds / size} ${unit}${seconds === size ? '' : 's'}`;
  }
  return `${seconds} seconds`;
}

function optional(a: Record<string, unknown>, name: string, field: (name: string) => string, type: 'string'): string | undefined;
function optional(a: Record<string, unknown>, name: string, field: (name: string) => string, type: 'boolean'): boolean | undefined;
function optional(a: Record<string, unknown>, name: string, field: (name: string) => string, type: 'string' | 'boolean'): string | boolean | undefined {
  const v = a[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== type) throw invalid(field(name), `must be a ${type}, got ${JSON.stringify(v)}`);
  return v as string | boolean;
}

/** A descriptive attribute: a string sets it, null or "" clears it. */
function clearable(a: Record<string, unknown>, name: string, field: (name: string) => string): string | null | undefined {
  const v = a[name];
  if (v === undefined || v === null) return v;
  if (typeof v !== 'string') throw invalid(field(name), `must be a string or null, got ${JSON.stringify(v)}`);
  return v;
}

function numberOrText(a: Record<string, unknown>, name: string, field: (name: string) => string): number | string | undefined {
  const v = a[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' && typeof v !== 'string') throw invalid(field(name), `must be a number of seconds or a duration like "5 minutes", got ${JSON.stringify(v)}`);
  return v;
}

function integer(a: Record<string, unknown>, name: string, field: (name: string) => string): number | null | undefined {
  const v = a[name];
  if (v === undefined || v === null) return v;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalid(field(name), `must be a whole number, got ${JSON.stringify(v)}`);
  return v;
}

/** An integer (hours), or an interval expression such as "8 hours" or "every 8 hours"; null turns repeats off. */
function realertOf(v: unknown, field: string): number | string | null | undefined {
  if (v === undefined || v === null) return v;
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') throw invalid(field, `must be a number of hours or an interval like "8 hours", got ${JSON.stringify(v)}`);
  return v.trim().replace(/^every\s+/i, '');
}

/** A JSON object, or (as some integrations send it) a string holding one; null clears it. */
function metadataOf(v: unknown, field: string): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    throw invalid(field, 'must be a JSON object of key/value pairs');
  }
}

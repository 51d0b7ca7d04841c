/**
 * Turns a create/update request's fields into a valid monitor configuration, or throws an error naming the
 * field. Shapes (types, lengths) are checked earlier by the route schema; this checks meaning.
 */
import { invalid } from './errors.js';
import { parseDuration } from './duration.js';
import type { MonitorConfig, MonitorExtra, MonitorType } from './monitor.js';
import { DEFAULT_NOTIFY, parseNotify } from './notify.js';
import { parseAssertions } from './assertions.js';
import { parsePayloadMetrics } from './payload-metrics.js';
import { parsePayloadScanning } from './payload-scanning.js';
import { DEFAULT_RUN_RULES, mergeRunRules, type RunRulesInput } from './run-rules.js';
import { intervalSchedule, isValidTimezone, parseSchedule, type Schedule } from './schedule.js';

export interface MonitorConfigInput extends RunRulesInput {
  name?: string;
  key?: string;
  type?: MonitorType;
  schedule?: string;
  expected_interval_sec?: number;
  timezone?: string;
  grace_seconds?: number | string;
  /** 9n9s spelling of grace_seconds. */
  grace?: number | string;
  tags?: string[];
  /** Repeat interval of the down alert: an integer is hours (as in Cronitor), or a duration string; 0 turns it off. */
  realert_interval?: number | string | null;
  /** Cronitor's notify: list keys, or {alerts, events}. */
  notify?: unknown;
  /** 9n9s payload scanning: {success_keyword, failure_keyword}, each a string or a list; null turns it off. */
  payload_scanning?: unknown;
  /** 9n9s payload metrics: [{name, path}] JSONPath rules; [] or null turns them off. */
  payload_metrics?: unknown;
  /** Cronitor assertions: ["metric.duration < 5 min", "metric.count > 0"]; [] or null removes them. */
  assertions?: unknown;
  /** Descriptive attributes (Cronitor's), kept and shown back; null or "" unsets one. See MonitorExtra. */
  note?: string | null;
  default_note?: string | null;
  /** The name to use while nobody has set one: on create when `name` is absent, later only while the name is still the previous default (or the key). */
  default_name?: string | null;
  group?: string | null;
  platform?: string | null;
  /** A JSON object of arbitrary key/value pairs (at most 10 000 characters as JSON); null unsets it. */
  metadata?: unknown;
}

export const DEFAULT_GRACE_SECONDS = 60;
export const DEFAULT_REALERT_SECONDS = 8 * 3600;
export const MAX_GRACE_SECONDS = 366 * 86400;
const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
export const MAX_NOTE_LENGTH = 2000;
export const MAX_METADATA_JSON = 10_000;

/** The config for a new monitor. `key` defaults to a slug of the name (the caller de-duplicates it). */
export function newMonitorConfig(input: MonitorConfigInput): MonitorConfig {
  const name = input.name?.trim() || input.default_name?.trim() || input.key;
  if (!name) throw invalid('name', 'required');
  if (input.schedule === undefined && input.expected_interval_sec === undefined) {
    throw invalid('schedule', 'required: give "schedule" (cron, "every 5 minutes", "at 14:30", …) or "expected_interval_sec"');
  }
  return mergeMonitorConfig(
    { name, key: slugify(name), type: 'job', schedule: '', timezone: 'UTC', graceSeconds: DEFAULT_GRACE_SECONDS, tags: [], realertSeconds: DEFAULT_REALERT_SECONDS, notify: DEFAULT_NOTIFY, payloadScanning: null, payloadMetrics: [], assertions: [], runRules: DEFAULT_RUN_RULES, extra: {} },
    { ...input, name },
  );
}

/** Applies a partial update to an existing config. Throws on any invalid field; the existing config is untouched. */
export function mergeMonitorConfig(current: MonitorConfig, input: MonitorConfigInput): MonitorConfig {
  if (input.schedule !== undefined && input.expected_interval_sec !== undefined) {
    throw invalid('schedule', 'give either "schedule" or "expected_interval_sec", not both');
  }
  if (input.grace_seconds !== undefined && input.grace !== undefined) {
    throw invalid('grace_seconds', 'give either "grace_seconds" or "grace", not both');
  }
  const next: MonitorConfig = { ...current, tags: [...current.tags] };
  if (input.name !== undefined) {
    const name = input.name.trim();
    if (!name) throw invalid('name', 'must not be empty');
    next.name = name;
  }
  if (input.key !== undefined) {
    if (!KEY_PATTERN.test(input.key)) throw invalid('key', 'must be 1–100 characters of letters, digits, ".", "_" or "-", starting with a letter or digit');
    next.key = input.key;
  }
  next.extra = mergeExtra(current.extra ?? {}, input);
  if (input.name === undefined && input.default_name !== undefined) {
    // A provisioning default must not undo a name someone chose: follow it only while the name is still a default.
    const unchanged = current.name === current.key || current.name === current.extra?.defaultName;
    if (unchanged) next.name = next.extra.defaultName ?? next.key;
  }
  if (input.type !== undefined) next.type = input.type;
  if (input.timezone !== undefined) {
    if (!isValidTimezone(input.timezone)) throw invalid('timezone', `unknown time zone "${input.timezone}" (use an IANA name such as "Europe/Berlin" or "UTC")`);
    next.timezone = input.timezone;
  }
  if (input.expected_interval_sec !== undefined) next.schedule = intervalSchedule(input.expected_interval_sec).text;
  else if (input.schedule !== undefined) next.schedule = parseSchedule(input.schedule, next.timezone).text;
  else if (input.timezone !== undefined) parseSchedule(next.schedule, next.timezone); // re-check the kept schedule in its new zone
  const grace = input.grace_seconds ?? input.grace;
  if (grace !== undefined) {
    const field = input.grace_seconds !== undefined ? 'grace_seconds' : 'grace';
    next.graceSeconds = parseDuration(grace, field, { integerUnit: 'seconds', min: 0, max: MAX_GRACE_SECONDS });
  }
  if (input.tags !== undefined) next.tags = normalizeTags(input.tags);
  if (input.notify !== undefined) next.notify = parseNotify(input.notify);
  if (input.payload_scanning !== undefined) next.payloadScanning = parsePayloadScanning(input.payload_scanning);
  if (input.payload_metrics !== undefined) next.payloadMetrics = parsePayloadMetrics(input.payload_metrics);
  if (input.assertions !== undefined) next.assertions = parseAssertions(input.assertions);
  next.runRules = mergeRunRules(current.runRules, input);
  if (input.realert_interval !== undefined) {
    next.realertSeconds =
      input.realert_interval === null || input.realert_interval === 0
        ? 0
        : parseDuration(input.realert_interval, 'realert_interval', { integerUnit: 'hours', min: 60, max: 30 * 86400 });
  }
  return next;
}

/** The parsed schedule of a stored config (valid by construction). */
export function scheduleOf(config: Pick<MonitorConfig, 'schedule' | 'timezone'>): Schedule {
  return parseSchedule(config.schedule, config.timezone);
}

/** Seconds between expected pings for interval schedules; null for calendar (cron) schedules. */
export function intervalSecondsOf(schedule: Schedule): number | null {
  return schedule.kind === 'interval' ? schedule.seconds : null;
}

/** The descriptive attributes after an update: given ones replace, null or blank ones unset, absent ones stay. */
function mergeExtra(current: MonitorExtra, input: MonitorConfigInput): MonitorExtra {
  const next: MonitorExtra = { ...current };
  const text = (key: 'note' | 'defaultNote' | 'defaultName' | 'group' | 'platform', field: string, value: string | null | undefined, max: number) => {
    if (value === undefined) return;
    if (value !== null && typeof value !== 'string') throw invalid(field, 'must be a string or null');
    const trimmed = value?.trim() ?? '';
    if (trimmed.length > max) throw invalid(field, `must be at most ${max} characters, got ${trimmed.length}`);
    if (trimmed === '') delete next[key];
    else next[key] = trimmed;
  };
  text('note', 'note', input.note, MAX_NOTE_LENGTH);
  text('defaultNote', 'default_note', input.default_note, MAX_NOTE_LENGTH);
  text('defaultName', 'default_name', input.default_name, 200);
  text('group', 'group', input.group, 100);
  text('platform', 'platform', input.platform, 50);
  if (input.metadata !== undefined) {
    const m = input.metadata;
    if (m === null) delete next.metadata;
    else if (typeof m !== 'object' || Array.isArray(m)) throw invalid('metadata', 'must be a JSON object of key/value pairs, or null');
    else {
      const json = JSON.stringify(m);
      if (json.length > MAX_METADATA_JSON) throw invalid('metadata', `must be at most ${MAX_METADATA_JSON} characters as JSON, got ${json.length}`);
      next.metadata = JSON.parse(json) as Record<string, unknown>; // a plain copy: no prototypes, no undefined values
    }
  }
  return next;
}

function normalizeTags(tags: string[]): string[] {
  const out: string[] = [];
  for (const raw of tags) {
    const tag = raw.trim();
    if (!tag) throw invalid('tags', 'tags must not be empty strings');
    if (!out.includes(tag)) out.push(tag);
  }
  return out;
}

export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-._]+|[-._]+$/g, '')
    .slice(0, 80);
  return slug || 'monitor';
}

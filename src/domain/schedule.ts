import { Cron } from 'croner';
import { parseDuration } from './duration.js';
import { invalid } from './errors.js';

/**
 * When a monitor expects its next ping. Cron expressions are always 5 fields, stored upper-case
 * with single spaces (macros and "at HH:MM" already expanded); `text` is what the user wrote,
 * normalized (trimmed, single spaces, lower-case except for cron expressions).
 */
export type Schedule =
  | { kind: 'interval'; seconds: number; text: string }
  | { kind: 'cron'; expression: string; timezone: string; text: string };

const EXPECTED =
  'expected a 5-field cron expression, a macro like @daily, "every N minutes|hours|days", "hourly", "daily", "weekly" or "at HH:MM"';

const NAMED_INTERVALS: Readonly<Record<string, number>> = { hourly: 3600, daily: 86_400, weekly: 604_800 };

const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *', '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@hourly': '0 * * * *',
};

const AT_TIME = /^(?:(?:every day|daily) )?at (\d{1,2}):(\d{2})(?::(\d{2}))?$/;
// Only the minute and hour fields decide whether 5–7 words are "meant as cron" (they never hold letters).
const CRON_TIME_FIELD = /^[0-9*,/?-]+$/;
// Any instant works: without a year field a pattern that matches at all matches after it.
const NEVER_REFERENCE = new Date(Date.UTC(2000, 0, 1));
const CACHE_LIMIT = 1000;

/**
 * Parses the user's schedule text (see the module's accepted forms: intervals such as
 * "every 5 minutes"/"hourly"/"daily"/"weekly", "at HH:MM", "every day at HH:MM", "daily at HH:MM",
 * @macros and 5-field cron expressions with Vixie/cronsim semantics).
 *
 * `timezone` must be an IANA name; it is returned with canonical letter case ("europe/berlin" →
 * "Europe/Berlin") but aliases are kept as given. It is validated for interval schedules too.
 * @throws AppError `validation_error` on `timezoneField` for an unknown zone, and on `field` for
 *   every other problem (unknown form, bad cron field, 6/7 fields, a pattern that never matches,
 *   an interval below 1 second).
 */
export function parseSchedule(text: string, timezone: string, field = 'schedule', timezoneField = 'timezone'): Schedule {
  if (typeof text !== 'string') throw invalid(field, `${EXPECTED}, got ${text === null ? 'null' : typeof text}`);
  const zone = canonicalTimezone(timezone, timezoneField);
  const normalized = text.trim().replace(/\s+/g, ' ');
  if (normalized === '') throw invalid(field, `is empty; ${EXPECTED}`);
  const lower = normalized.toLowerCase();

  const named = NAMED_INTERVALS[lower];
  if (named !== undefined) return { kind: 'interval', seconds: named, text: lower };

  const at = AT_TIME.exec(lower);
  if (at) {
    const [, hour = '', minute = '', second] = at;
    if (Number(hour) > 23 || Number(minute) > 59 || (second !== undefined && second !== '00')) {
      throw invalid(field, `bad time in "${normalized}" (expected HH:MM on a 24-hour clock, 00:00 to 23:59; seconds are not supported)`);
    }
    return cronSchedule(`${Number(minute)} ${Number(hour)} * * *`, zone, lower, field);
  }

  if (lower.startsWith('every ')) return everySchedule(lower, field);

  if (lower.startsWith('@')) {
    const expansion = MACROS[lower];
    if (expansion === undefined) {
      throw invalid(field, `unknown macro "${normalized}"; accepted: ${Object.keys(MACROS).join(', ')}`);
    }
    return cronSchedule(expansion, zone, lower, field);
  }

  const fields = normalized.split(' ');
  const cronLike = fields.length >= 5 && fields.length <= 7 && fields.slice(0, 2).every((f) => CRON_TIME_FIELD.test(f));
  if (cronLike && fields.length !== 5) {
    throw invalid(field, `"${normalized}" has ${fields.length} fields; only 5-field cron expressions are accepted (minute hour day-of-month month day-of-week, no seconds or year field)`);
  }
  if (cronLike) return cronSchedule(normalized, zone, normalized, field);
  throw invalid(field, `${EXPECTED}, got "${normalized}"`);
}

function everySchedule(lower: string, field: string): Schedule {
  let amount = lower.slice('every '.length);
  if (!/[a-z]/.test(amount)) throw invalid(field, `"${lower}" needs a unit; ${EXPECTED}`);
  if (/^[a-z]+$/.test(amount)) amount = `1 ${amount}`; // "every minute"
  let seconds: number;
  try {
    seconds = parseDuration(amount, field);
  } catch {
    throw invalid(field, `cannot read "${lower}" as an interval; ${EXPECTED}`);
  }
  if (seconds < 1) throw invalid(field, `interval "${lower}" is shorter than 1 second; intervals must be at least 1 second`);
  return { kind: 'interval', seconds, text: lower };
}

function cronSchedule(expression: string, timezone: string, text: string, field: string): Schedule {
  const canonical = expression.toUpperCase();
  const compiled = compile(canonical, timezone, field, text);
  if (compiled.cron.nextRun(NEVER_REFERENCE) === null) {
    const why = compiled.domAndDow ? ' (day-of-month and day-of-week must both match, because one of them starts with "*")' : '';
    throw invalid(field, `"${text}" never matches any date${why}`);
  }
  return { kind: 'cron', expression: canonical, timezone, text };
}

/**
 * An interval schedule from a whole number of seconds (>= 1), e.g. from `expected_interval_sec`.
 * `text` uses the largest unit that divides evenly: 3600 → "every 1 hour", 300 → "every 5 minutes",
 * 90 → "every 90 seconds".
 * @throws AppError `validation_error` on `field` if `seconds` is not a safe integer >= 1.
 */
export function intervalSchedule(seconds: number, field = 'expected_interval_sec'): Schedule {
  if (typeof seconds !== 'number' || !Number.isSafeInteger(seconds) || seconds < 1) {
    throw invalid(field, `must be a whole number of seconds, at least 1, got ${String(seconds)}`);
  }
  const [unit, size] = INTERVAL_UNITS.find(([, s]) => seconds % s === 0) ?? ['second', 1];
  const count = seconds / size;
  return { kind: 'interval', seconds, text: `every ${count} ${unit}${count === 1 ? '' : 's'}` };
}

const INTERVAL_UNITS: ReadonlyArray<readonly [string, number]> = [['week', 604_800], ['day', 86_400], ['hour', 3600], ['minute', 60]];

/** True if `tz` is an IANA zone name the runtime knows (any letter case). UTC offsets such as "+01:00" are not zones. */
export function isValidTimezone(tz: string): boolean {
  return zoneSpelling(tz) !== null;
}

// Known zones, as given → canonical letter case. Intl lookups cost ~50 µs each.
const zones = new Map<string, string>();

function zoneSpelling(tz: string): string | null {
  if (typeof tz !== 'string' || tz === '' || /^[+-]/.test(tz)) return null;
  const known = zones.get(tz);
  if (known !== undefined) return known;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
  // Intl also maps aliases ("US/Eastern" → "America/New_York"); keep the user's zone, fix only its case.
  const spelling = resolved.toLowerCase() === tz.toLowerCase() ? resolved : tz;
  remember(zones, tz, spelling);
  return spelling;
}

function canonicalTimezone(tz: string, field: string): string {
  const spelling = zoneSpelling(tz);
  if (spelling === null) {
    const shown = typeof tz === 'string' ? `"${tz}"` : String(tz);
    throw invalid(field, `unknown time zone ${shown}; use an IANA name such as "UTC", "Europe/Berlin" or "America/New_York"`);
  }
  return spelling;
}

/** Map.set bounded to CACHE_LIMIT entries: the first in insertion order goes (compile re-inserts hits, so its cache is LRU). */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= CACHE_LIMIT) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
  map.set(key, value);
}

/**
 * The first expected instant strictly after `after`. Interval: `after + seconds` (milliseconds
 * kept). Cron: the next match strictly after `after` truncated to the second, evaluated in
 * `schedule.timezone` with Debian cron's DST rules: a fixed-time job (neither minute nor hour
 * starts with "*") whose wall time falls in a DST gap runs once at the first minute after the gap,
 * and in a repeated hour runs once, at the first pass; every other job follows real time (nothing
 * in the gap, both passes of a repeated hour). Returns null only if a cron expression has no
 * match before the year 3000, croner's search horizon (parseSchedule already rejects patterns
 * that never match at all).
 * @throws RangeError if `after` is not a valid Date; AppError if a hand-built cron schedule is invalid.
 */
export function nextExpected(schedule: Schedule, after: Date): Date | null {
  assertValidDate(after);
  if (schedule.kind === 'interval') return new Date(after.getTime() + schedule.seconds * 1000);
  return compile(schedule.expression, schedule.timezone).cron.nextRun(after);
}

/**
 * The next `count` instants strictly after `after`, each strictly after the previous, by the same
 * rules as nextExpected. Shorter than `count` only if a cron expression stops matching.
 * @throws AppError `validation_error` on `count` unless it is an integer from 0 to 1000; RangeError
 *   if `after` is not a valid Date.
 */
export function nextExpectedRuns(schedule: Schedule, after: Date, count: number): Date[] {
  assertValidDate(after);
  if (!Number.isInteger(count) || count < 0 || count > 1000) {
    throw invalid('count', `must be a whole number from 0 to 1000, got ${String(count)}`);
  }
  if (schedule.kind === 'interval') {
    return Array.from({ length: count }, (_, i) => new Date(after.getTime() + (i + 1) * schedule.seconds * 1000));
  }
  if (count === 0) return [];
  return compile(schedule.expression, schedule.timezone).cron.nextRuns(count, after);
}

function assertValidDate(value: Date): void {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new RangeError('after must be a valid Date');
}

// ---------------------------------------------------------------------------------------------
// Cron compilation: validate like cronsim (Vixie cron as Healthchecks evaluates it), then hand croner
// explicit value lists so that only our parser's semantics count (shared/reference/cron.md, "Thin
// wrapper needed to match cronsim").

interface CompiledCron { cron: Cron; domAndDow: boolean }

interface FieldSpec { name: string; min: number; max: number; names?: readonly string[]; accepted: string }

const MINUTE: FieldSpec = { name: 'minute', min: 0, max: 59, accepted: '0-59' };
const HOUR: FieldSpec = { name: 'hour', min: 0, max: 23, accepted: '0-23' };
const DOM: FieldSpec = { name: 'day-of-month', min: 1, max: 31, accepted: '1-31, L, LW or nW' };
const MONTH: FieldSpec = {
  name: 'month', min: 1, max: 12, accepted: '1-12 or JAN-DEC',
  names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
};
// 7 is Sunday as well, and cronsim's steps run up to 7 (`1/2` includes Sunday as 7).
const DOW: FieldSpec = {
  name: 'day-of-week', min: 0, max: 7, accepted: '0-7 or SUN-SAT (0 and 7 are Sunday), nL, n#k',
  names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
};
const SPECS = [MINUTE, HOUR, DOM, MONTH, DOW] as const;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

type Fail = (detail: string) => never;

interface ParsedField {
  values: number[];
  /** L, LW, nW (day-of-month); nL, n#k (day-of-week) — passed to croner verbatim. */
  specials: string[];
}

const cache = new Map<string, CompiledCron>();

/**
 * Parses and validates a 5-field expression; results are cached (LRU, CACHE_LIMIT entries).
 * `shown` is the user's spelling, quoted in error messages.
 */
function compile(expression: string, timezone: string, field = 'schedule', shown = expression): CompiledCron {
  const key = `${timezone}\n${expression}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  if (!isValidTimezone(timezone)) throw invalid('timezone', `unknown time zone "${String(timezone)}"`);
  const raw = expression.trim().toUpperCase().split(/\s+/);
  if (raw.length !== 5) throw invalid(field, `"${shown}" must have exactly 5 fields`);

  const parsed = raw.map((text, i) => {
    const spec = SPECS[i] as FieldSpec;
    const fail: Fail = (detail) => {
      throw invalid(field, `bad ${spec.name} in "${shown}" (${detail})`);
    };
    return parseField(text, spec, fail);
  });
  const [minute, hour, dom, month, dow] = parsed as [ParsedField, ParsedField, ParsedField, ParsedField, ParsedField];
  const [rawMinute, rawHour, rawDom, rawMonth, rawDow] = raw as [string, string, string, string, string];
  checkDayExists(dom, month, (detail) => {
    throw invalid(field, `bad day-of-month in "${shown}" (${detail})`);
  });

  // Vixie/Debian: AND when either day field starts with "*" (cronsim has no "?"; we read it as "*").
  const domAndDow = /^[*?]/.test(rawDom) || /^[*?]/.test(rawDow);
  const pattern = [
    emitTimeField(rawMinute, minute, MINUTE),
    emitTimeField(rawHour, hour, HOUR),
    emitDayField(rawDom, dom),
    emitDayField(rawMonth, month),
    emitDayField(rawDow, { values: dow.values.map((d) => d % 7), specials: dow.specials }),
  ].join(' ');

  let compiled: CompiledCron;
  try {
    // Only ever a calculator (no callback, never started): nextRun/nextRuns with an explicit date.
    compiled = { cron: new Cron(pattern, { timezone, fixedTimeRule: 'no-wildcard', sloppyRanges: true, domAndDow, mode: '5-part' }), domAndDow };
  } catch (err) {
    throw invalid(field, `cannot evaluate "${shown}" (${err instanceof Error ? err.message : String(err)})`);
  }
  remember(cache, key, compiled);
  return compiled;
}

function parseField(text: string, spec: FieldSpec, fail: Fail): ParsedField {
  if (text === '*' || (text === '?' && (spec === DOM || spec === DOW))) {
    return { values: range(spec.min, spec === DOW ? 6 : spec.max), specials: [] };
  }
  const values = new Set<number>();
  const specials: string[] = [];
  for (const term of text.split(',')) {
    if (term === '') fail(`empty item in the list "${text}"`);
    const special = spec === DOM ? domSpecial(term, text, fail) : spec === DOW ? dowSpecial(term, fail) : null;
    if (special !== null) specials.push(special);
    else for (const v of expandTerm(term, spec, fail)) values.add(v);
  }
  return { values: [...values].sort((a, b) => a - b), specials };
}

function domSpecial(term: string, whole: string, fail: Fail): string | null {
  // cronsim reads L/n and LW/n as plain L and LW.
  const last = /^(LW?)(?:\/(\d+))?$/.exec(term);
  if (last) {
    if (last[2] !== undefined && Number(last[2]) === 0) fail(`step in "${term}" must be at least 1`);
    if (last[1] === 'LW' && whole !== term) fail('LW must be the only value in the field');
    return last[1] as string;
  }
  const nearest = /^(\d+)W$/.exec(term);
  if (nearest) {
    const day = Number(nearest[1]);
    if (day < 1 || day > 31) fail(`"${term}": the day before W must be 1-31`);
    return `${day}W`;
  }
  if (/[LW]/.test(term)) {
    fail(`"${term}" is not accepted; use L (last day), LW (last weekday) or nW (weekday nearest day n) as a single value, not in ranges or steps`);
  }
  return null;
}

function dowSpecial(term: string, fail: Fail): string | null {
  const lastOf = /^(\d+)L$/.exec(term);
  if (lastOf) return `${value(lastOf[1] as string, DOW, fail) % 7}L`;
  if (term.includes('L')) {
    fail(`"${term}" is not accepted; nL takes one day number 0-7 (5L = last Friday of the month), not a name, range or step`);
  }
  const nth = /^([0-9A-Z]+)#(\d+)$/.exec(term);
  if (nth) {
    const k = Number(nth[2]);
    if (k < 1 || k > 5) fail(`"${term}": the week after # must be 1-5 (1#2 = second Monday)`);
    return `${value(nth[1] as string, DOW, fail) % 7}#${k}`;
  }
  if (term.includes('#')) fail(`"${term}" is not accepted; n#k takes one day (number or name) and a week 1-5, e.g. MON#2`);
  return null;
}

/** cronsim's term semantics: `*`, `a`, `a-b`, `*\/n`, `a-b/n` and `a/n` (from a to the field's max). */
function expandTerm(term: string, spec: FieldSpec, fail: Fail): number[] {
  const slash = term.indexOf('/');
  if (slash < 0) return term === '*' ? range(spec.min, spec.max) : rangeTerm(term, spec, fail);
  const base = term.slice(0, slash);
  const stepText = term.slice(slash + 1);
  if (!/^\d+$/.test(stepText)) fail(`step in "${term}" must be a whole number`);
  const step = Number(stepText);
  const size = spec.max - spec.min + 1;
  if (step < 1) fail(`step in "${term}" must be at least 1`);
  // cronsim accepts e.g. */100 (= the first value only), croner rejects it; we reject it clearly.
  if (step > size) fail(`step ${step} in "${term}" is larger than the field's range ${spec.min}-${spec.max}; use a step from 1 to ${size}`);
  let values: number[];
  if (base === '*') values = range(spec.min, spec.max);
  else if (base.includes('-')) values = rangeTerm(base, spec, fail);
  else values = range(value(base, spec, fail), spec.max);
  return values.filter((_, i) => i % step === 0);
}

function rangeTerm(term: string, spec: FieldSpec, fail: Fail): number[] {
  const dash = term.indexOf('-');
  if (dash < 0) return [value(term, spec, fail)];
  const from = value(term.slice(0, dash), spec, fail);
  const to = value(term.slice(dash + 1), spec, fail);
  if (to < from) {
    const hint = spec === DOW ? ', or a list such as SAT,SUN for a range over the weekend' : '';
    fail(`range "${term}" goes backwards; write the smaller value first${hint}`);
  }
  return range(from, to);
}

function value(text: string, spec: FieldSpec, fail: Fail): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < spec.min || n > spec.max) fail(`${text} is out of range; accepted: ${spec.accepted}`);
    return n;
  }
  const index = spec.names?.indexOf(text) ?? -1;
  if (index >= 0) return index + spec.min;
  return fail(`"${text}" is not a valid value; accepted: ${spec.accepted}, lists (a,b), ranges (a-b) and steps (*/n, a-b/n, a/n)`);
}

/** cronsim rejects a day-of-month that no selected month has (`0 0 30 2 *`); croner would just never match. */
function checkDayExists(dom: ParsedField, month: ParsedField, fail: Fail): void {
  if (dom.specials.some((s) => s === 'L' || s === 'LW')) return;
  const days = [...dom.values, ...dom.specials.map((s) => Number.parseInt(s, 10))];
  const longest = Math.max(...month.values.map((m) => DAYS_IN_MONTH[m - 1] ?? 31));
  if (days.length === 0 || Math.min(...days) <= longest) return;
  const sorted = [...new Set(days)].sort((a, b) => a - b);
  fail(`no selected month has ${sorted.length === 1 ? `day ${sorted[0]}` : `any of days ${sorted.join(', ')}`}`);
}

function emitTimeField(raw: string, field: ParsedField, spec: FieldSpec): string {
  if (!raw.startsWith('*')) return field.values.join(',');
  if (field.values.length === spec.max - spec.min + 1) return '*';
  // croner must still see a "*" so the job stays a wildcard (real-time) job across DST; `*/size` is
  // just the field's first value, which every "*"-led field contains.
  return [`*/${spec.max - spec.min + 1}`, ...field.values.filter((v) => v !== spec.min)].join(',');
}

function emitDayField(raw: string, field: ParsedField): string {
  // Only a literal "*"/"?" may stay a wildcard: with OR logic croner ignores a "*" field, while a
  // full list such as 0-6 must still match every day (Vixie).
  if (raw === '*' || raw === '?') return '*';
  return [...new Set(field.values), ...field.specials].join(',');
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

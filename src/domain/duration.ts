import { invalid } from './errors.js';

/** The unit a bare number (or numeric string) is read in. */
export type IntegerUnit = 'seconds' | 'minutes' | 'hours';

export interface DurationOptions {
  /** Unit of a bare number such as `120` or `"120"`; default `'seconds'`. */
  integerUnit?: IntegerUnit;
  /** Smallest accepted result, in seconds (inclusive). */
  min?: number;
  /** Largest accepted result, in seconds (inclusive). */
  max?: number;
}

const UNIT_SECONDS: Readonly<Record<string, number>> = {
  s: 1, sec: 1, secs: 1, second: 1, seconds: 1,
  m: 60, min: 60, mins: 60, minute: 60, minutes: 60,
  h: 3600, hr: 3600, hrs: 3600, hour: 3600, hours: 3600,
  d: 86_400, day: 86_400, days: 86_400,
  w: 604_800, week: 604_800, weeks: 604_800,
};

const INTEGER_UNIT_SECONDS: Readonly<Record<IntegerUnit, number>> = { seconds: 1, minutes: 60, hours: 3600 };

const NUMBER = String.raw`(?:\d+(?:\.\d+)?|\.\d+)`;
const BARE_NUMBER = new RegExp(`^${NUMBER}$`);
// Sticky, so consecutive parts must touch: "1h30m", "1 hour 30 minutes".
const PART = new RegExp(String.raw`(${NUMBER})\s*([a-z]+)\s*`, 'y');

function expected(unit: IntegerUnit): string {
  return `a number of ${unit} or a duration like "90s", "10m", "1h30m", "1.5 hours", "2 days"`;
}

/**
 * Parses a duration given as a number of `integerUnit`s (default seconds; a numeric string such as
 * `"120"` counts as a number) or a string such as "90s", "10m", "1h", "2 minutes", "1.5 hours",
 * "5 min", "1d", "2 weeks", "1h30m", "1 hour 30 minutes". Units (case-insensitive):
 * s/sec/secs/second/seconds, m/min/mins/minute/minutes, h/hr/hrs/hour/hours, d/day/days,
 * w/week/weeks. Returns whole seconds; fractions are rounded half up (`"2.5s"` → 3).
 *
 * `min`/`max` are inclusive bounds in seconds, checked after rounding.
 * @throws AppError `validation_error` (via `invalid(field, …)`) for anything that is not a number or
 *   string, empty text, NaN/Infinity, negatives, unknown units, unreadable text, a result beyond
 *   `Number.MAX_SAFE_INTEGER`, or a result outside `min`/`max`. The message names `field`.
 */
export function parseDuration(input: unknown, field: string, options: DurationOptions = {}): number {
  const integerUnit = options.integerUnit ?? 'seconds';
  const exact = toSeconds(input, field, integerUnit);
  const seconds = Math.round(exact); // non-negative here, so Math.round is "half up"
  if (!Number.isSafeInteger(seconds)) {
    throw invalid(field, `is too large (${String(input)})`);
  }
  if (options.min !== undefined && seconds < options.min) {
    throw invalid(field, `must be at least ${formatDuration(options.min)}, got ${formatDuration(seconds)}`);
  }
  if (options.max !== undefined && seconds > options.max) {
    throw invalid(field, `must be at most ${formatDuration(options.max)}, got ${formatDuration(seconds)}`);
  }
  return seconds;
}

function toSeconds(input: unknown, field: string, integerUnit: IntegerUnit): number {
  const unitSeconds = INTEGER_UNIT_SECONDS[integerUnit];
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw invalid(field, `must be a finite number, got ${String(input)}`);
    if (input < 0) throw invalid(field, `must not be negative, got ${input}`);
    return input * unitSeconds;
  }
  if (typeof input !== 'string') {
    const got = input === null ? 'null' : Array.isArray(input) ? 'an array' : input === undefined ? 'nothing' : `${/^[aeiou]/.test(typeof input) ? 'an' : 'a'} ${typeof input}`;
    throw invalid(field, `expected ${expected(integerUnit)}, got ${got}`);
  }
  const text = input.trim().toLowerCase();
  if (text === '') throw invalid(field, `is empty; expected ${expected(integerUnit)}`);
  if (text.startsWith('-')) throw invalid(field, `must not be negative, got "${input.trim()}"`);
  if (BARE_NUMBER.test(text)) return Number(text) * unitSeconds;

  let total = 0;
  PART.lastIndex = 0; // shared sticky regex: a previous call may have thrown mid-way
  while (PART.lastIndex < text.length) {
    const at = PART.lastIndex;
    const match = PART.exec(text);
    if (match === null) {
      throw invalid(field, `cannot read "${input.trim()}" as a duration at "${text.slice(at)}"; expected ${expected(integerUnit)}`);
    }
    const [, amount = '', unit = ''] = match;
    const size = UNIT_SECONDS[unit];
    if (size === undefined) {
      throw invalid(field, `unknown unit "${unit}" in "${input.trim()}"; use s, sec, m, min, h, hr, d, w or the words second(s), minute(s), hour(s), day(s), week(s)`);
    }
    total += Number(amount) * size;
  }
  return total;
}

/**
 * Human form for messages: 90 → "1m 30s", 3600 → "1h", 0 → "0s", 93784 → "1d 2h 3m 4s".
 * Days are the largest unit (8 days → "8d"). Fractions are rounded to whole seconds; a negative
 * value gets a leading "-"; NaN/Infinity are returned as `String(seconds)`.
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  let rest = Math.round(Math.abs(seconds));
  if (rest === 0) return '0s';
  const parts: string[] = [];
  for (const [suffix, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${suffix}`);
    rest -= count * size;
  }
  return (seconds < 0 ? '-' : '') + parts.join(' ');
}

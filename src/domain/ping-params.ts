/**
 * Cronitor-style ping query parameters (msg, host, series, status_code, duration, env, release, metric),
 * read from an already-decoded query object into one normalized shape.
 */
import { invalid } from './errors.js';
import type { PingDetails, PingMetric } from './ping.js';

export type { PingMetric };

export interface PingParams extends PingDetails {
  /** From `msg`, else `message`; at most 1000 characters kept (longer text is truncated, not rejected). */
  msg: string | null;
}

export type PingQuery = Record<string, string | string[] | undefined>;

export const MAX_MSG_LENGTH = 1000;
export const MAX_SERIES_LENGTH = 64;
export const MAX_LABEL_LENGTH = 255;
export const MAX_METRICS = 20;

const INTEGER = /^[+-]?\d+$/;
const UNSIGNED_DECIMAL = /^(?:\d+(?:\.\d*)?|\.\d+)$/;
const SIGNED_DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
const METRIC_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
// Exit codes: POSIX gives 0-255, Windows gives 32-bit codes seen either signed (-1073741819) or unsigned (3221225477).
const MIN_STATUS_CODE = -(2 ** 31);
const MAX_STATUS_CODE = 2 ** 32 - 1;
/** Metrics that feed assertions must be counts (non-negative integers) or a duration (non-negative). */
const COUNT_METRICS = new Set(['count', 'error_count']);

/**
 * Reads the ping parameters from a parsed query object (values as the URL parser gives them: a string,
 * an array for a repeated key, or undefined). Values are already percent- and `+`-decoded by that parser
 * and are not decoded again, so a literal "%20" or "+" in a message stays as it is.
 *
 * Rules for every parameter except `metric`: a repeated key uses its first value; values are trimmed; an
 * empty value counts as absent (scripts often send `?msg=$MSG` with `$MSG` unset), giving null.
 * - `msg` (alias `message`; `msg` wins): truncated to 1000 characters, never splitting a surrogate pair.
 * - `host`, `env`, `release`: at most 255 characters.
 * - `series` (aliases `rid`, `check_in_id`; precedence series > rid > check_in_id): at most 64 characters,
 *   any characters otherwise. The error names the parameter actually used.
 * - `status_code`: an integer from -2147483648 to 4294967295 (covers POSIX and Windows exit codes).
 * - `duration`: a non-negative decimal number of seconds ("12.345"; no sign, no exponent).
 * - `metric` (repeatable, at most 20): `name:value` (Cronitor SDKs: `count:12`, `error_count:3`,
 *   `duration:1.5`) or `type:name:value` (Cronitor CLI: `count:processed:100`, kept as name
 *   "count:processed" so that a typed metric never overwrites the plain one). Names and types match
 *   /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/; a value is a decimal number, and `count`/`error_count` must be
 *   non-negative integers and `duration` non-negative, because those feed assertions.
 *
 * @throws AppError `validation_error` naming the parameter (`series`, `rid`, `check_in_id`, `host`, `env`,
 *   `release`, `status_code`, `duration`, `metric`) for a value that is too long or not a valid number.
 */
export function parsePingParams(query: PingQuery): PingParams {
  return {
    msg: truncate(first(query, 'msg') ?? first(query, 'message'), MAX_MSG_LENGTH),
    host: label(query, 'host', MAX_LABEL_LENGTH),
    series: label(query, 'series', MAX_SERIES_LENGTH) ?? label(query, 'rid', MAX_SERIES_LENGTH) ?? label(query, 'check_in_id', MAX_SERIES_LENGTH),
    statusCode: statusCode(first(query, 'status_code')),
    duration: duration(first(query, 'duration')),
    env: label(query, 'env', MAX_LABEL_LENGTH),
    release: label(query, 'release', MAX_LABEL_LENGTH),
    metrics: metrics(all(query, 'metric')),
  };
}

/** All trimmed, non-empty values of `key`. Own properties only, so a polluted prototype is never read. */
function all(query: PingQuery, key: string): string[] {
  const raw = Object.hasOwn(query, key) ? query[key] : undefined;
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return values.filter((v): v is string => typeof v === 'string').map((v) => v.trim()).filter((v) => v !== '');
}

function first(query: PingQuery, key: string): string | null {
  const raw = Object.hasOwn(query, key) ? query[key] : undefined;
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  return text === '' ? null : text;
}

function label(query: PingQuery, key: string, max: number): string | null {
  const value = first(query, key);
  if (value !== null && value.length > max) throw invalid(key, `must be at most ${max} characters, got ${value.length}`);
  return value;
}

function truncate(text: string | null, max: number): string | null {
  if (text === null || text.length <= max) return text;
  const cut = text.charCodeAt(max - 1);
  // A high surrogate as the last kept unit would leave half a character: drop it too.
  return text.slice(0, cut >= 0xd800 && cut <= 0xdbff ? max - 1 : max);
}

function statusCode(text: string | null): number | null {
  if (text === null) return null;
  if (!INTEGER.test(text)) throw invalid('status_code', `must be an integer exit code such as 0 or 1, got "${clip(text)}"`);
  const value = Number(text); // a huge digit string gives Infinity, caught by the range check
  if (!(value >= MIN_STATUS_CODE && value <= MAX_STATUS_CODE)) {
    throw invalid('status_code', `must be from ${MIN_STATUS_CODE} to ${MAX_STATUS_CODE}, got ${clip(text)}`);
  }
  return value === 0 ? 0 : value; // "-0" → 0
}

function duration(text: string | null): number | null {
  if (text === null) return null;
  if (SIGNED_DECIMAL.test(text) && text.startsWith('-')) throw invalid('duration', `must not be negative, got ${clip(text)}`);
  const value = UNSIGNED_DECIMAL.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(value)) throw invalid('duration', `must be a number of seconds such as 12 or 12.345, got "${clip(text)}"`);
  return value;
}

function metrics(values: string[]): PingMetric[] {
  if (values.length > MAX_METRICS) throw invalid('metric', `at most ${MAX_METRICS} metric parameters are allowed, got ${values.length}`);
  return values.map(metric);
}

function metric(text: string): PingMetric {
  const parts = text.split(':').map((p) => p.trim());
  if (parts.length < 2 || parts.length > 3) {
    throw invalid('metric', `expected "name:value" or "type:name:value" such as "count:12" or "count:processed:100", got "${clip(text)}"`);
  }
  const valueText = parts.pop() ?? '';
  for (const part of parts) {
    if (!METRIC_NAME.test(part)) {
      throw invalid('metric', `bad name "${clip(part)}" in "${clip(text)}": use letters, digits, "_", "." or "-", starting with a letter or "_"`);
    }
  }
  const name = parts.join(':');
  const value = SIGNED_DECIMAL.test(valueText) ? Number(valueText) : NaN;
  if (!Number.isFinite(value)) throw invalid('metric', `value of "${name}" must be a number, got "${clip(valueText)}"`);
  if (COUNT_METRICS.has(name) && !(Number.isInteger(value) && value >= 0)) {
    throw invalid('metric', `${name} must be a non-negative integer, got "${clip(valueText)}"`);
  }
  if (name === 'duration' && value < 0) throw invalid('metric', `duration must not be negative, got "${clip(valueText)}"`);
  return { name, value: value === 0 ? 0 : value };
}

/** Echoes at most 40 characters of a bad value, so an error message stays readable. */
function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/**
 * Cronitor-style assertions for job and heartbeat monitors ("metric.duration < 5 min"): parsing a monitor's
 * `assertions[]` and checking a finished run's metrics against them. Check-monitor assertions (`response.*`,
 * `resource.*`, `ssl_certificate.*`) are recognised only to reject them with a clear message.
 */
import { parseDuration } from './duration.js';
import { invalid } from './errors.js';

export type AssertionMetric = 'duration' | 'count' | 'error_count' | 'error_rate';
export type AssertionOperator = '<' | '<=' | '=' | '!=' | '>=' | '>';

export interface Assertion {
  /** The assertion as the user wrote it, trimmed (kept for display and round-trips). */
  text: string;
  metric: AssertionMetric;
  op: AssertionOperator;
  /** duration: whole seconds; count, error_count: a non-negative integer; error_rate: a fraction in [0, 1]. */
  value: number;
}

/** What a run reported. `undefined`/`null` (or a non-finite number) means "not reported". */
export interface RunMetrics {
  /** Seconds; fractions allowed. */
  duration?: number | null;
  count?: number | null;
  error_count?: number | null;
}

export const MAX_ASSERTIONS = 20;
export const MAX_ASSERTION_LENGTH = 200;

const METRICS: readonly AssertionMetric[] = ['duration', 'count', 'error_count', 'error_rate'];
const OPERATORS: readonly AssertionOperator[] = ['<', '<=', '=', '!=', '>=', '>'];
const CHECK_PREFIXES = ['response.', 'resource.', 'ssl_certificate.'];
const SYNTAX = '"{metric} {operator} {value}", e.g. "metric.duration < 5 min" or "metric.error_count <= 2"';
const ALLOWED_METRICS = METRICS.map((m) => `metric.${m}`).join(', ');
const ALLOWED_OPERATORS = OPERATORS.join(', ');

const NAME = /^([A-Za-z_][A-Za-z0-9_.]*)\s*/;
const OPERATOR = /^([<>=!]+|\S+)\s*/;
const DECIMAL = /^(?:\d+(?:\.\d*)?|\.\d+)$/;

/**
 * Parses a monitor's `assertions`: an array of at most 20 strings of at most 200 characters, each
 * `"{metric} {operator} {value}"` with any (or no) whitespace between the parts. Metric names are
 * case-insensitive. `null`/`undefined` mean "no assertions" and give `[]`.
 *
 * Values by metric:
 * - `metric.duration`: an interval read by `parseDuration` ("5 min", "30s", "2 minutes", "1.5 h", "1h30m");
 *   a bare number is seconds. Kept as whole seconds, rounded half up ("1.5s" → 2).
 * - `metric.count`, `metric.error_count`: a non-negative integer.
 * - `metric.error_rate`: a fraction from 0 to 1 ("0.05"), or a percentage from 0% to 100% ("5%" → 0.05).
 *   A bare number above 1 is rejected rather than guessed: "5" could mean 5% or 500%.
 *
 * @throws AppError `validation_error` naming `field` when the input is not an array or has too many entries,
 *   and naming `${field}[i]` for an entry that is not a string, is too long, names an unknown or check-only
 *   assertion, has an unknown or missing operator, or a missing or invalid value. Messages list what is accepted.
 */
export function parseAssertions(input: unknown, field = 'assertions'): Assertion[] {
  if (input === null || input === undefined) return [];
  if (!Array.isArray(input)) throw invalid(field, `must be an array of strings like ${SYNTAX}`);
  if (input.length > MAX_ASSERTIONS) {
    throw invalid(field, `at most ${MAX_ASSERTIONS} assertions are allowed, got ${input.length}`);
  }
  return input.map((item, i) => parseAssertion(item, `${field}[${i}]`));
}

function parseAssertion(input: unknown, field: string): Assertion {
  if (typeof input !== 'string') throw invalid(field, `must be a string like ${SYNTAX}`);
  const text = input.trim();
  if (text === '') throw invalid(field, `is empty; expected ${SYNTAX}`);
  if (text.length > MAX_ASSERTION_LENGTH) {
    throw invalid(field, `must be at most ${MAX_ASSERTION_LENGTH} characters, got ${text.length}`);
  }

  const nameMatch = NAME.exec(text);
  if (nameMatch === null) throw invalid(field, `cannot read "${text}"; expected ${SYNTAX}`);
  const name = (nameMatch[1] ?? '').toLowerCase();
  const metric = metricOf(name, field);

  const rest = text.slice(nameMatch[0].length);
  const opMatch = OPERATOR.exec(rest);
  if (opMatch === null) {
    throw invalid(field, `"${text}" has no operator and value after ${name}; expected ${SYNTAX}`);
  }
  const op = opMatch[1] ?? '';
  if (!isOperator(op)) {
    throw invalid(field, `unknown operator "${op}" in "${text}"; use one of ${ALLOWED_OPERATORS}`);
  }

  const valueText = rest.slice(opMatch[0].length).trim();
  if (valueText === '') throw invalid(field, `"${text}" has no value after "${op}"; expected ${SYNTAX}`);
  return { text, metric, op, value: parseValue(metric, valueText, field) };
}

function metricOf(name: string, field: string): AssertionMetric {
  if (name.startsWith('metric.')) {
    const metric = name.slice('metric.'.length);
    if ((METRICS as readonly string[]).includes(metric)) return metric as AssertionMetric;
  }
  if (CHECK_PREFIXES.some((prefix) => name.startsWith(prefix))) {
    throw invalid(field, `"${name}" applies to check monitors, which are not supported here; use ${ALLOWED_METRICS}`);
  }
  throw invalid(field, `unknown assertion "${name}"; use ${ALLOWED_METRICS}`);
}

function isOperator(op: string): op is AssertionOperator {
  return (OPERATORS as readonly string[]).includes(op);
}

function parseValue(metric: AssertionMetric, text: string, field: string): number {
  switch (metric) {
    case 'duration':
      return parseDuration(text, field);
    case 'count':
    case 'error_count':
      return parseCount(metric, text, field);
    case 'error_rate':
      return parseRate(text, field);
  }
}

function parseCount(metric: AssertionMetric, text: string, field: string): number {
  if (text.startsWith('-')) throw invalid(field, `metric.${metric} must not be negative, got "${text}"`);
  if (DECIMAL.test(text) && !/^\d+$/.test(text)) {
    throw invalid(field, `metric.${metric} must be a whole number, got "${text}"`);
  }
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value)) {
    throw invalid(field, `metric.${metric} must be a whole number such as 0 or 10, got "${text}"`);
  }
  return value;
}

function parseRate(text: string, field: string): number {
  const percent = text.endsWith('%');
  const digits = (percent ? text.slice(0, -1) : text).trim();
  if (digits.startsWith('-')) throw invalid(field, `metric.error_rate must not be negative, got "${text}"`);
  if (!DECIMAL.test(digits)) {
    throw invalid(field, `metric.error_rate must be a fraction from 0 to 1 such as 0.05, or a percentage such as 5%, got "${text}"`);
  }
  const value = percent ? Number(digits) / 100 : Number(digits);
  if (value > 1) {
    const hint = percent ? '' : `; for ${digits}% write ${Number(digits) / 100} or ${digits}%`;
    throw invalid(field, `metric.error_rate must be at most 1 (100%), got "${text}"${hint}`);
  }
  return value;
}

/**
 * The assertions `metrics` violate, in the order given. An assertion holds when `actual {op} value` is true
 * (exact comparison; a duration of 300.5 s violates "metric.duration = 5 min").
 *
 * A metric the run did not report (`undefined`, `null`, NaN or ±Infinity) violates nothing: an assertion
 * can only fail on evidence, so a client that never sends `count` is not alerted for "metric.count > 0".
 * `error_rate` is `error_count / count`, known only when both are reported and `count > 0`.
 */
export function violatedAssertions(assertions: Assertion[], metrics: RunMetrics): Assertion[] {
  const actual: Record<AssertionMetric, number | null> = {
    duration: known(metrics.duration),
    count: known(metrics.count),
    error_count: known(metrics.error_count),
    error_rate: null,
  };
  if (actual.count !== null && actual.error_count !== null && actual.count > 0) {
    actual.error_rate = actual.error_count / actual.count;
  }
  return assertions.filter((a) => {
    const value = actual[a.metric];
    return value !== null && !holds(value, a.op, a.value);
  });
}

function known(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function holds(actual: number, op: AssertionOperator, expected: number): boolean {
  switch (op) {
    case '<': return actual < expected;
    case '<=': return actual <= expected;
    case '=': return actual === expected;
    case '!=': return actual !== expected;
    case '>=': return actual >= expected;
    case '>': return actual > expected;
  }
}

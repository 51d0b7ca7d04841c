/**
 * 9n9s-style payload metrics: named JSONPath rules that pull numbers out of JSON ping bodies, to be kept
 * as per-monitor time series.
 *
 * JSONPath engine: `jsonpath-rfc9535`, an implementation of the IETF standard (RFC 9535). Its filter
 * expressions (`[?@.x > 1]`) are a closed grammar evaluated by the library's interpreter; no part of a path
 * ever reaches `eval`/`new Function`, unlike the JavaScript-expression filters of older JSONPath libraries.
 * On top of that, paths may not call the regex functions `match()`/`search()` (see FUNCTIONS below).
 */
import { query } from 'jsonpath-rfc9535';
import parseJsonPath from 'jsonpath-rfc9535/parser';
import { invalid } from './errors.js';

export interface PayloadMetricRule {
  name: string;
  path: string;
}

export const MAX_PAYLOAD_METRICS = 20;
export const MAX_PATH_LENGTH = 500;

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
const NUMERIC_STRING = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const EXAMPLE = '[{"name": "rows", "path": "$.stats.rows"}]';

/*
 * RFC 9535 functions a path may call. `match()` and `search()` are left out on purpose: they compile a
 * regular expression (which may come from the ping body itself, e.g. `match(@.a, @.b)`), and a pattern such
 * as "(a+)+$" on a long string backtracks for minutes, blocking the server. Unknown names are rejected here
 * because the library would only notice them when evaluating, silently giving no match.
 */
const FUNCTIONS = new Set(['length', 'count', 'value']);

/**
 * Parses a monitor's `payload_metrics`: an array of at most 20 `{name, path}` objects (no other keys).
 * `name` matches /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/ and is unique (case-sensitive); `path` is an RFC 9535
 * JSONPath of at most 500 characters starting with `$`, e.g. `$.stats.rows`, `$.jobs[0].count`,
 * `$..rows`, `$.items[?@.kind == 'rows'].n`; of the functions only length(), count() and value() are allowed.
 * `null`/`undefined` give `[]`.
 *
 * @throws AppError `validation_error` naming `field` (not an array, too many rules) or
 *   `${field}[i]`, `${field}[i].name`, `${field}[i].path` for the rule at fault.
 */
export function parsePayloadMetrics(input: unknown, field = 'payload_metrics'): PayloadMetricRule[] {
  if (input === null || input === undefined) return [];
  if (!Array.isArray(input)) throw invalid(field, `must be an array like ${EXAMPLE}`);
  if (input.length > MAX_PAYLOAD_METRICS) {
    throw invalid(field, `at most ${MAX_PAYLOAD_METRICS} rules are allowed, got ${input.length}`);
  }
  const seen = new Set<string>();
  return input.map((item: unknown, i) => {
    const at = `${field}[${i}]`;
    const rule = parseRule(item, at);
    if (seen.has(rule.name)) throw invalid(`${at}.name`, `"${rule.name}" is used by an earlier rule; names must be unique`);
    seen.add(rule.name);
    return rule;
  });
}

function parseRule(input: unknown, field: string): PayloadMetricRule {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalid(field, 'must be an object like {"name": "rows", "path": "$.stats.rows"}');
  }
  for (const key of Object.keys(input)) {
    if (key !== 'name' && key !== 'path') throw invalid(field, `unknown key "${key}"; a rule has only "name" and "path"`);
  }
  const { name, path } = input as Record<string, unknown>;
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw invalid(`${field}.name`, `must be 1-64 characters of letters, digits, "_", "." or "-", starting with a letter or "_"; got ${describe(name)}`);
  }
  return { name, path: checkPath(path, `${field}.path`) };
}

function checkPath(path: unknown, field: string): string {
  if (typeof path !== 'string') throw invalid(field, `must be a JSONPath string such as "$.stats.rows"; got ${describe(path)}`);
  if (path.length > MAX_PATH_LENGTH) throw invalid(field, `must be at most ${MAX_PATH_LENGTH} characters, got ${path.length}`);
  if (!path.startsWith('$')) throw invalid(field, `"${path}" must start with "$", e.g. "$.stats.rows"`);
  let ast: unknown;
  try {
    ast = parseJsonPath(path);
  } catch (err) {
    throw invalid(field, `"${path}" is not a valid JSONPath (RFC 9535)${position(err)}; e.g. "$.stats.rows" or "$.jobs[0].count"`);
  }
  const fn = forbiddenFunction(ast);
  if (fn !== null) throw invalid(field, `"${path}" calls ${fn}(), which is not allowed; use length(), count() or value()`);
  return path;
}

function position(err: unknown): string {
  // The parser's errors carry a location; its message lists every expected token, too long to show.
  const offset = (err as { location?: { start?: { offset?: unknown } } } | null)?.location?.start?.offset;
  return typeof offset === 'number' ? ` at character ${offset + 1}` : '';
}

/** The first function in the syntax tree whose name is not in FUNCTIONS, or null. */
function forbiddenFunction(node: unknown): string | null {
  if (typeof node !== 'object' || node === null) return null;
  const { type, name } = node as { type?: unknown; name?: unknown };
  if (type === 'FunctionExpr' && typeof name === 'string' && !FUNCTIONS.has(name)) return name;
  for (const child of Object.values(node)) {
    const found = forbiddenFunction(child);
    if (found !== null) return found;
  }
  return null;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  return value === undefined ? 'nothing' : value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/**
 * One `{name, value}` per rule, in rule order. Never throws. `value` is null when:
 * - `body` is null, empty or not JSON (a leading UTF-8 byte-order mark is ignored);
 * - the path matches nothing;
 * - the first match is not a number: booleans, null, objects and arrays give null.
 *
 * If the path matches several values, the first in document order is taken (`$.jobs[*].rows` → the first
 * job's), whether or not later ones are numeric, so a result never depends on scanning past the first match.
 * A string holding a plain decimal number ("42", " -1.5 ", "1e3") counts as that number, because many tools
 * emit JSON numbers as strings; "0x10", "Infinity", "" and "12 rows" do not. Non-finite results
 * (a JSON literal such as 1e999) give null.
 */
export function extractPayloadMetrics(rules: PayloadMetricRule[], body: string | null): { name: string; value: number | null }[] {
  const document = parseJson(body);
  return rules.map(({ name, path }) => ({ name, value: document === undefined ? null : firstNumber(document, path) }));
}

type Json = Parameters<typeof query>[0];

function parseJson(body: string | null): Json | undefined {
  if (body === null || body === '') return undefined;
  try {
    return JSON.parse(body.charCodeAt(0) === 0xfeff ? body.slice(1) : body) as Json;
  } catch {
    return undefined;
  }
}

function firstNumber(document: Json, path: string): number | null {
  try {
    return toNumber(query(document, path)[0]);
  } catch {
    // An invalid stored path, or a stack overflow on a pathologically deep document: no value, not an outage.
    return null;
  }
}

function toNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (!NUMERIC_STRING.test(text)) return null;
  const number = Number(text);
  return Number.isFinite(number) ? number : null;
}

/**
 * 9n9s-style payload scanning: keywords looked for in a ping's body and message that decide whether the
 * ping reports a success or a failure, whatever endpoint it was sent to.
 */
import { invalid } from './errors.js';

export interface PayloadScanning {
  successKeywords: string[];
  failureKeywords: string[];
}

export type ScanVerdict =
  | { outcome: 'failure'; keyword: string }
  | { outcome: 'success'; keyword: string }
  | { outcome: 'none' };

export const MAX_KEYWORDS = 20;
export const MAX_KEYWORD_LENGTH = 200;

const KEYS = { success_keyword: 'successKeywords', failure_keyword: 'failureKeywords' } as const;

/**
 * Parses a monitor's `payload_scanning`: `{ success_keyword?, failure_keyword? }`, each a string or an array
 * of at most 20 strings. A keyword is kept exactly as written (leading/trailing spaces are significant, so
 * " ok" can avoid matching "broken"), must not be empty or only whitespace, and is at most 200 characters.
 *
 * Returns `null` for `null`/`undefined` and also when no keyword is configured at all (`{}` or empty arrays),
 * so `null` is the one way to say "no scanning".
 *
 * @throws AppError `validation_error` naming `field` for a non-object or an unknown key, `${field}.<key>` for a
 *   wrong type or too many keywords, `${field}.<key>[i]` for a bad keyword, and `${field}.failure_keyword[i]` for a
 *   keyword that is also a success keyword (compared case-insensitively, like the scan itself).
 */
export function parsePayloadScanning(input: unknown, field = 'payload_scanning'): PayloadScanning | null {
  if (input === null || input === undefined) return null;
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw invalid(field, 'must be an object like {"success_keyword": "OK", "failure_keyword": ["ERROR", "Traceback"]}');
  }
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(KEYS, key)) {
      throw invalid(field, `unknown key "${key}"; use success_keyword and/or failure_keyword`);
    }
  }
  const record = input as Record<string, unknown>;
  const rules: PayloadScanning = {
    successKeywords: parseKeywords(record.success_keyword, `${field}.success_keyword`),
    failureKeywords: parseKeywords(record.failure_keyword, `${field}.failure_keyword`),
  };
  const success = new Set(rules.successKeywords.map(fold));
  rules.failureKeywords.forEach((keyword, i) => {
    if (success.has(fold(keyword))) {
      throw invalid(`${field}.failure_keyword[${i}]`, `"${keyword}" is also a success keyword; a keyword can only be one of them`);
    }
  });
  return rules.successKeywords.length + rules.failureKeywords.length === 0 ? null : rules;
}

function parseKeywords(input: unknown, field: string): string[] {
  if (input === undefined || input === null) return [];
  const list = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(list)) throw invalid(field, 'must be a string or an array of strings');
  if (list.length > MAX_KEYWORDS) throw invalid(field, `at most ${MAX_KEYWORDS} keywords are allowed, got ${list.length}`);
  return list.map((keyword: unknown, i) => {
    const at = typeof input === 'string' ? field : `${field}[${i}]`;
    if (typeof keyword !== 'string') throw invalid(at, 'must be a string');
    if (keyword.trim() === '') throw invalid(at, 'must not be empty');
    if (keyword.length > MAX_KEYWORD_LENGTH) {
      throw invalid(at, `must be at most ${MAX_KEYWORD_LENGTH} characters, got ${keyword.length}`);
    }
    return keyword;
  });
}

/*
 * Matching is a case-insensitive substring search. Log output varies in case between tools, versions and
 * log levels ("ERROR", "Error", "error:"), and a user who writes "error" means all of them; a user who needs
 * an exact-case match has no real use case that a more specific keyword does not serve better.
 * Case folding is JavaScript's Unicode-aware toLowerCase (not full case folding: "ß" does not match "SS").
 */
function fold(text: string): string {
  return text.toLowerCase();
}

/**
 * Scans `texts` (typically the ping body decoded as UTF-8 and the `msg` parameter; `null`, `undefined` and
 * empty entries are skipped) for the keywords of `rules`, case-insensitively, anywhere in the text.
 *
 * A failure keyword wins over a success keyword, wherever each appears. The verdict names the first keyword
 * in configured order that occurs in any text. Each text is searched on its own, so a keyword never matches
 * across the boundary between two texts.
 *
 * Cost: each text is lower-cased once, then searched with `indexOf` per keyword, so a 100 KB body with
 * 40 keywords costs a few million character comparisons and no regular expressions (no backtracking risk).
 */
export function scanPayload(rules: PayloadScanning, texts: (string | null | undefined)[]): ScanVerdict {
  if (rules.successKeywords.length + rules.failureKeywords.length === 0) return { outcome: 'none' };
  const folded = texts.filter((t): t is string => typeof t === 'string' && t !== '').map(fold);
  if (folded.length === 0) return { outcome: 'none' };
  const found = (keyword: string): boolean => {
    const needle = fold(keyword);
    return folded.some((text) => text.includes(needle));
  };
  const failure = rules.failureKeywords.find(found);
  if (failure !== undefined) return { outcome: 'failure', keyword: failure };
  const success = rules.successKeywords.find(found);
  if (success !== undefined) return { outcome: 'success', keyword: success };
  return { outcome: 'none' };
}

/**
 * What the CLI writes: aligned tables and `key: value` blocks for people, JSON for scripts, and one
 * `error: <message>` line on stderr with a meaningful exit code.
 */
import { CommanderError } from 'commander';
import { AppError } from '../domain/errors.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the CLI reports as `error: <message>` and exits with `exitCode`. */
export class CliError extends Error {
  readonly exitCode: ExitCode;

  constructor(message: string, exitCode: ExitCode = EXIT.failed) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

// Names, messages and log lines come from other people's input: never let them drive the terminal.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function sanitize(text: string): string {
  return text.replace(CONTROL, '\uFFFD');
}

export function printLine(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** JSON as the API sent it (pretty-printed; same data). */
export function printJson(value: unknown): void {
  printLine(JSON.stringify(value, null, 2));
}

/** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [headers, ...rows].map((row) => row.map((cell) => sanitize(cell).replace(/[\t\n]/g, ' ')));
  const widths = headers.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  return all
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd())
    .join('\n');
}

/** One `key: value` line per field, values aligned; null shows as "-", arrays comma-separated. */
export function formatFields(record: Readonly<Record<string, unknown>>): string {
  const keys = Object.keys(record);
  const width = Math.max(0, ...keys.map((k) => k.length)) + 1;
  return keys.map((k) => `${`${k}:`.padEnd(width)} ${sanitize(formatValue(record[k])).replace(/[\t\n]/g, ' ')}`).join('\n');
}

export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.map(formatValue).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** An API instant without the milliseconds, which nobody reads in a table: "2025-03-09T07:00:00Z". */
export function formatInstant(iso: string | null | undefined): string {
  if (!iso) return '-';
  return iso.replace(/\.\d+Z$/, 'Z');
}

/**
 * Prints `err` for the user and returns the process exit code. Commander has already printed its own
 * usage errors (and help), so those only map to a code.
 */
export function reportError(err: unknown): ExitCode {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (err instanceof CliError) {
    printError(err.message);
    return err.exitCode;
  }
  if (err instanceof AppError) {
    printError(err.message);
    return EXIT.failed;
  }
  printError(err instanceof Error ? err.message : String(err));
  return EXIT.failed;
}

function printError(message: string): void {
  process.stderr.write(`error: ${sanitize(message)}\n`);
}

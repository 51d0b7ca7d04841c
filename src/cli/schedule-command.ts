/**
 * `overdue schedule next "<expr>"`: the next expected runs of a schedule, computed locally by the same
 * domain code the server uses, so a user can check a cron expression and time zone before creating a monitor.
 */
import type { Command } from 'commander';
import { nextExpectedRuns, parseSchedule } from '../domain/schedule.js';
import { addJsonOption, integerIn, wantsJson } from './options.js';
import { CliError, printJson, printLine } from './output.js';

interface NextOptions {
  tz?: string;
  after?: string;
  count: number;
}

// A date alone means midnight UTC; a time needs its offset, because JavaScript reads "2025-03-08T12:00"
// as local time and the answer would silently depend on the machine.
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/i;

export function registerScheduleCommands(program: Command): void {
  const schedule = program.command('schedule').description('check schedule expressions locally (no server needed)');

  addJsonOption(schedule.command('next').description('print the next expected runs of a schedule, as UTC instants'))
    .argument('<expr>', 'cron expression, @macro, "every 5 minutes", "hourly", "at 14:30", …')
    .option('--tz <zone>', 'IANA time zone the schedule is read in (default UTC)')
    .option('--after <instant>', 'start after this ISO 8601 instant, e.g. 2025-03-08T12:00:00Z (default now)')
    .option('--count <n>', 'how many runs (1–100)', integerIn(1, 100), 5)
    .action((expr: string, opts: NextOptions, command: Command) => {
      const timezone = opts.tz ?? 'UTC';
      const after = opts.after === undefined ? new Date() : parseInstant(opts.after);
      const next = nextExpectedRuns(parseSchedule(expr, timezone), after, opts.count).map((d) => d.toISOString());
      if (wantsJson(command)) return printJson({ schedule: expr, timezone, after: after.toISOString(), next });
      for (const instant of next) printLine(instant);
    });
}

function parseInstant(text: string): Date {
  const date = new Date(text);
  if (!ISO_INSTANT.test(text) || Number.isNaN(date.getTime()) || !isCalendarDate(text.slice(0, 10))) {
    throw new CliError(`--after: "${text}" is not an ISO 8601 instant such as 2025-03-08T12:00:00Z (a time needs "Z" or an offset like +01:00)`);
  }
  return date;
}

// `new Date` rolls "2025-02-30" over to March 2; a typo should be an error instead.
function isCalendarDate(ymd: string): boolean {
  const [y = 0, m = 0, d = 0] = ymd.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

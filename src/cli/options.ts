/**
 * Options and argument parsers shared by several commands. Shared options are declared on the program and
 * again on each command that uses them: commander hands everything after a command's own option to that
 * command, so `overdue monitors create --name x --json` only works if `create` knows `--json` too.
 * Read them with `optsWithGlobals()`, which merges both levels.
 */
import { InvalidArgumentError, type Command } from 'commander';

export function addJsonOption(command: Command): Command {
  return command.option('--json', "print the API's JSON instead of a table (for scripts)");
}

export function addClientOptions(command: Command, options: { apiKey: boolean } = { apiKey: true }): Command {
  // No commander defaults: a default on the command would override a value given before the command name.
  command.option('--url <url>', 'server URL (env OVERDUE_URL, default http://localhost:8080)');
  if (options.apiKey) command.option('--api-key <key>', 'API key (env OVERDUE_API_KEY)');
  return addJsonOption(command);
}

export function wantsJson(command: Command): boolean {
  return command.optsWithGlobals<{ json?: boolean }>().json === true;
}

/** A commander argument parser for whole numbers from `min` to `max`. */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    return n;
  };
}

/** A commander argument parser for numbers greater than 0 and at most `max`. */
export function positiveNumberUpTo(max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > max) {
      throw new InvalidArgumentError(`expected a number greater than 0 and at most ${max}.`);
    }
    return n;
  };
}

/** For repeatable options such as `--tag a --tag b`. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

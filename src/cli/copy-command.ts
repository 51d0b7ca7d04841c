/**
 * `overdue copy --from sqlite://… --to postgres://…`: moves an installation to PostgreSQL. The source server
 * must be stopped; the target must be empty unless --force (which replaces its contents). Prints the rows
 * copied per table.
 */
import type { Command } from 'commander';
import { isPostgresUrl, sqlitePathOf } from '../storage/open-store.js';
import { copySqliteToPostgres } from '../storage/postgres/copy-from-sqlite.js';
import { addJsonOption, wantsJson } from './options.js';
import { CliError, EXIT, formatTable, printJson, printLine } from './output.js';
import { redactPassword } from './server-command.js';

interface CopyOptions {
  from: string;
  to: string;
  force?: boolean;
}

export function registerCopyCommand(program: Command): void {
  addJsonOption(program.command('copy').description('copy everything from a SQLite database into a PostgreSQL database (stop the server first)'))
    .requiredOption('--from <url>', 'the SQLite database, sqlite://<path>')
    .requiredOption('--to <url>', 'the PostgreSQL database, postgres://user:pass@host:port/db')
    .option('--force', 'replace whatever the target database holds (default: refuse a non-empty target)')
    .action(async (opts: CopyOptions, command: Command) => {
      const from = sqlitePathOf(opts.from);
      if (from === null || from === ':memory:') throw new CliError(`--from: expected sqlite://<path>, got "${opts.from}"`, EXIT.usage);
      if (!isPostgresUrl(opts.to)) throw new CliError(`--to: expected postgres://…, got "${redactPassword(opts.to)}"`, EXIT.usage);
      const counts = await copySqliteToPostgres({ from, to: { url: opts.to }, force: opts.force === true });
      if (wantsJson(command)) return printJson({ tables: Object.fromEntries(counts.map((c) => [c.table, c.rows])) });
      printLine(`Copied ${opts.from} to ${redactPassword(opts.to)}:`);
      printLine(formatTable(['table', 'rows'], counts.map((c) => [c.table, String(c.rows)])));
    });
}

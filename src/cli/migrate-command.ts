/**
 * `overdue migrate`: brings the database's schema up to date and exits. Servers migrate at start-up too (once,
 * under a lock, when several start together); this is for upgrading before the new version's nodes start.
 */
import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { migrateDatabase } from '../storage/open-store.js';
import { addJsonOption, wantsJson } from './options.js';
import { printJson, printLine } from './output.js';
import { redactPassword } from './server-command.js';

export function registerMigrateCommand(program: Command): void {
  addJsonOption(program.command('migrate').description('apply pending schema migrations to the database and exit'))
    .option('--database <url>', 'database URL (env DATABASE_URL, default sqlite://./data/overdue.db)')
    .action(async (opts: { database?: string }, command: Command) => {
      const url = loadConfig({ DATABASE_URL: opts.database ?? process.env.DATABASE_URL }).DATABASE_URL;
      const { applied, version } = await migrateDatabase(url);
      if (wantsJson(command)) return printJson({ applied, version });
      const where = redactPassword(url);
      printLine(applied.length === 0 ? `${where} is up to date (schema version ${version}).` : `Applied migration${applied.length === 1 ? '' : 's'} ${applied.join(', ')} to ${where} (schema version ${version}).`);
    });
}

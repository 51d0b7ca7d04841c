#!/usr/bin/env node
/**
 * The `overdue` command. Exit codes: 0 ok, 1 the API or a validation refused, 2 usage error,
 * 3 the server cannot be reached.
 */
import { Command } from 'commander';
import { VERSION } from '../runtime/version.js';
import { registerCopyCommand } from './copy-command.js';
import { registerKeysCommands } from './keys-command.js';
import { registerMigrateCommand } from './migrate-command.js';
import { registerMonitorsCommands } from './monitors-command.js';
import { addClientOptions } from './options.js';
import { reportError } from './output.js';
import { registerPingCommand } from './ping-command.js';
import { registerScheduleCommands } from './schedule-command.js';
import { registerServerCommand } from './server-command.js';

function buildProgram(): Command {
  const program = new Command('overdue')
    .description('Overdue: monitoring for cron jobs, pipelines, backups and workers')
    .version(VERSION)
    // Thrown instead of exiting, so one place maps every failure to an exit code. Subcommands created
    // with `.command()` after this inherit it.
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  addClientOptions(program);
  registerServerCommand(program);
  registerMigrateCommand(program);
  registerCopyCommand(program);
  registerMonitorsCommands(program);
  registerPingCommand(program);
  registerScheduleCommands(program);
  registerKeysCommands(program);
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportError(err);
}

/**
 * `overdue keys create`: makes an API key directly in the database. It is the admin's way in when no key is
 * at hand (the bootstrap key was lost, or a read-only key is wanted for a dashboard), so it needs database
 * access rather than an API key.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { systemClock } from '../app/clock.js';
import { createApiKey } from '../app/keys.js';
import { loadConfig } from '../config/config.js';
import { openStore, sqlitePathOf } from '../storage/open-store.js';
import type { Project, Store } from '../storage/store.js';
import { addJsonOption, wantsJson } from './options.js';
import { CliError, printJson, printLine } from './output.js';

interface CreateOptions {
  readOnly?: boolean;
  name?: string;
  database?: string;
  project?: string;
}

export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description('manage API keys directly in the database');

  addJsonOption(keys.command('create').description('create an API key and print its secret (shown only once)'))
    .option('--read-only', 'the key can read but not change anything')
    .option('--name <name>', 'a name to tell the key apart in lists')
    .option('--database <url>', 'database URL (env DATABASE_URL, default sqlite://./data/overdue.db)')
    .option('--project <id>', 'the project to create the key in (required when the database has several)')
    .action(async (opts: CreateOptions, command: Command) => {
      const databaseUrl = loadConfig({ DATABASE_URL: opts.database ?? process.env.DATABASE_URL }).DATABASE_URL;
      const sqlitePath = sqlitePathOf(databaseUrl);
      // Opening a missing SQLite file would create an empty database: a typo in the path must not do that.
      if (sqlitePath !== null && (sqlitePath === ':memory:' || !existsSync(sqlitePath))) {
        throw new CliError(`no database at ${databaseUrl}; start \`overdue server\` once to create it, or pass --database`);
      }
      const store = await openStore(databaseUrl);
      try {
        const project = await projectFor(store, opts.project);
        const { key, secret } = await createApiKey(store, systemClock, project.id, { readOnly: opts.readOnly === true, name: opts.name });
        if (wantsJson(command)) return printJson({ id: key.id, name: key.name, read_only: key.readOnly, key: secret });
        printLine(`Created ${key.readOnly ? 'read-only' : 'read-write'} API key "${key.name}" (${key.id}) in project "${project.name}" (${project.id}).`);
        printLine('The key is shown only this once; store it now:');
        printLine();
        printLine(`    ${secret}`);
        printLine();
        printLine(`    export OVERDUE_API_KEY=${secret}`);
      } finally {
        await store.close();
      }
    });
}

async function projectFor(store: Store, projectId: string | undefined): Promise<Project> {
  const projects = await store.listProjects();
  if (projectId !== undefined) {
    const project = projects.find((p) => p.id === projectId);
    if (!project) throw new CliError(`--project: no project "${projectId}"; projects: ${describe(projects)}`);
    return project;
  }
  if (projects.length === 0) throw new CliError('the database has no project yet; start `overdue server` once to create the default project');
  if (projects.length > 1) throw new CliError(`the database has ${projects.length} projects; choose one with --project (${describe(projects)})`);
  return projects[0] as Project;
}

function describe(projects: readonly Project[]): string {
  return projects.length === 0 ? 'none' : projects.map((p) => `${p.id} "${p.name}"`).join(', ');
}

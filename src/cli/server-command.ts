/** `overdue server`: runs the API and ping receiver, the scheduler and the notifier (or the roles named) until SIGINT/SIGTERM. */
import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { createLogger } from '../runtime/logger.js';
import { startServer } from '../runtime/server.js';
import { VERSION } from '../runtime/version.js';
import { printLine } from './output.js';

interface ServerOptions {
  port?: string;
  host?: string;
  database?: string;
  role?: string;
}

export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('run the Overdue server (configured by environment variables; these flags override them)')
    .option('--port <n>', 'port to listen on (env PORT, default 8080; 0 picks a free one)')
    .option('--host <host>', 'interface to listen on (env HOST, default 0.0.0.0)')
    .option('--database <url>', 'database URL (env DATABASE_URL, default sqlite://./data/overdue.db)')
    .option('--role <roles>', 'what this node runs: api, scheduler, notifier, comma-separated, or all (env OVERDUE_ROLES, default all)')
    .action(async (opts: ServerOptions) => {
      // Flags become the variables they stand for, so the one config schema validates both the same way.
      const env: Record<string, string | undefined> = { ...process.env };
      if (opts.port !== undefined) env.PORT = opts.port;
      if (opts.host !== undefined) env.HOST = opts.host;
      if (opts.database !== undefined) env.DATABASE_URL = opts.database;
      if (opts.role !== undefined) env.OVERDUE_ROLES = opts.role;
      const config = loadConfig(env);
      const logger = createLogger(config.LOG_LEVEL);
      const running = await startServer(config, { logger });
      // Before the banner: whoever waits for it may signal right away.
      let stopping = false;
      const shutdown = (signal: NodeJS.Signals) => {
        // A second signal means "now": don't wait for in-flight work a second time.
        if (stopping) process.exit(1);
        stopping = true;
        logger.info({ signal }, 'stopping');
        running.stop().then(
          () => process.exit(0),
          (err: unknown) => {
            logger.error({ err }, 'error while stopping');
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', shutdown);
      process.on('SIGTERM', shutdown);
      const roles = running.roles.length === 3 ? '' : `; roles: ${running.roles.join(', ')}`;
      printLine(`Overdue ${VERSION} listening on ${running.url} (database: ${redactPassword(config.DATABASE_URL)}${roles})`);
      const secret = running.bootstrapped?.printableSecret;
      if (secret) printBootstrapKey(secret);
    });
}

function printBootstrapKey(secret: string): void {
  const rule = '='.repeat(72);
  printLine(rule);
  printLine('A default project and an admin API key were created. The key is shown only this once:');
  printLine();
  printLine(`    ${secret}`);
  printLine();
  printLine('Store it now, e.g. for the CLI:');
  printLine(`    export OVERDUE_API_KEY=${secret}`);
  printLine('(If it is lost, create another with `overdue keys create`.)');
  printLine(rule);
}

/** Database URLs may carry a password (postgres://user:secret@host/db); the start-up line goes to logs. */
export function redactPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, '$1***@');
}

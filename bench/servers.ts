/**
 * The two servers the ping benchmark compares, each run in its own process:
 *   node dist/bench/servers.js bare <port>
 *   node dist/bench/servers.js overdue <port> <database url>
 * Each prints "ready <port>" once listening.
 */
import { createServer } from 'node:http';
import { loadConfig } from '../src/config/config.js';
import { silentLogger } from '../src/runtime/logger.js';
import { startServer } from '../src/runtime/server.js';

const [mode, portArg, databaseUrl] = process.argv.slice(2);
const port = Number(portArg ?? 0);

if (mode === 'bare') {
  // The baseline: the least a Node server can do for the same request and the same reply.
  const body = JSON.stringify({ ok: true, state: 'up' });
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/v1/ping/')) {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    } else {
      res.writeHead(404).end();
    }
  });
  server.listen(port, '127.0.0.1', () => console.log(`ready ${(server.address() as { port: number }).port}`));
} else if (mode === 'overdue') {
  const config = loadConfig({ ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', OVERDUE_SQLITE_SYNC: 'full', OVERDUE_BOOTSTRAP_API_KEY: 'odk_bench_bootstrap_key_0123456789' });
  const server = await startServer(config, { logger: silentLogger });
  console.log(`ready ${new URL(server.url).port}`);
  process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
} else {
  console.error('usage: servers.js bare|overdue <port> [database url]');
  process.exit(2);
}

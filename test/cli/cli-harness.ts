/**
 * Runs the built `overdue` binary as a child process against a real server started in the test process.
 * Children get a minimal environment so a developer's own OVERDUE_* variables never leak into a test.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { startServer, type RunningServer } from '../../src/runtime/server.js';

/** dist/test/cli/ → dist/src/cli/main.js */
export const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
export const TEST_API_KEY = 'od_test_0123456789abcdef0123456789abcdef';

const execFileAsync = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function childEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', ...env };
}

/** Runs `overdue <args>`; never rejects for a non-zero exit (the code is in the result). */
export async function runCli(args: string[], env: Record<string, string> = {}, input?: string): Promise<CliResult> {
  const promise = execFileAsync(process.execPath, [CLI_MAIN, ...args], { env: childEnv(env), timeout: 15_000 });
  // Closed stdin, so a command that reads it (ping --body -) can never wait forever.
  promise.child.stdin?.end(input ?? '');
  try {
    const { stdout, stderr } = await promise;
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: unknown; killed?: boolean; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err; // killed by the timeout or could not start: a test bug, not a result
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

export interface TestServer {
  running: RunningServer;
  url: string;
  dir: string;
  databaseUrl: string;
  /** The environment for a CLI child that talks to this server with the admin key. */
  env: Record<string, string>;
  /** Calls the API directly, to check the CLI against it. */
  api(method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; json: unknown }>;
  close(): Promise<void>;
}

export async function startTestServer(): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'overdue-cli-'));
  const databaseUrl = `sqlite://${join(dir, 't.db')}`;
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATABASE_URL: databaseUrl, OVERDUE_BOOTSTRAP_API_KEY: TEST_API_KEY, LOG_LEVEL: 'silent' });
  const running = await startServer(config, { logger: silentLogger });
  const url = running.url;
  return {
    running,
    url,
    dir,
    databaseUrl,
    env: { OVERDUE_URL: url, OVERDUE_API_KEY: TEST_API_KEY },
    async api(method, path, body, key = TEST_API_KEY) {
      const headers: Record<string, string> = { authorization: `Bearer ${key}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : null };
    },
    async close() {
      await running.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The value on a `key: value` line of the CLI's field output. */
export function field(stdout: string, key: string): string | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith(`${key}:`));
  return line?.slice(key.length + 1).trim();
}

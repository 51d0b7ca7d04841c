/** A real server on a real SQLite file in a temp dir, with a manual clock, for API tests via `inject`. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { startServer, type RunningServer } from '../../src/runtime/server.js';
import { ManualClock } from './clock.js';

export const TEST_KEY = 'odk_test_admin_key_0123456789abcdefghijkl';

export interface TestServer extends RunningServer {
  clock: ManualClock;
  dir: string;
  /** Authorized JSON request helper. */
  api: (method: string, url: string, body?: unknown, key?: string) => Promise<{ status: number; json: any; headers: Record<string, unknown>; text: string }>;
  close: () => Promise<void>;
}

export async function startTestServer(env: Record<string, string> = {}, options: { listen?: boolean; runScheduler?: boolean; clock?: ManualClock } = {}): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'overdue-test-'));
  const clock = options.clock ?? new ManualClock();
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: `sqlite://${join(dir, 'overdue.db')}`,
    OVERDUE_BASE_URL: 'http://overdue.test',
    OVERDUE_BOOTSTRAP_API_KEY: TEST_KEY,
    LOG_LEVEL: 'silent',
    ...env,
  });
  const server = await startServer(config, { logger: silentLogger, clock, listen: options.listen ?? false, runScheduler: options.runScheduler ?? false });
  const api: TestServer['api'] = async (method, url, body, key = TEST_KEY) => {
    const res = await server.app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      payload: body === undefined ? undefined : JSON.stringify(body),
    });
    let json: unknown = null;
    try {
      json = res.body ? JSON.parse(res.body) : null;
    } catch {
      json = null;
    }
    return { status: res.statusCode, json, headers: res.headers, text: res.body };
  };
  const close = async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
  return { ...server, clock, dir, api, close };
}

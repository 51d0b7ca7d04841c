import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnv, CLI_MAIN, runCli } from './cli-harness.js';

const BOUND_MS = 10_000;

/** Resolves with everything the child printed once `pattern` matches its stdout; rejects if it exits first. */
function waitForOutput(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${BOUND_MS} ms; stdout: ${out} stderr: ${err}`)), BOUND_MS);
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (pattern.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}; stdout: ${out} stderr: ${err}`));
    });
  });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not exit within ${BOUND_MS} ms`)), BOUND_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

describe('overdue server', () => {
  let dir: string;
  let child: ChildProcess | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'overdue-cli-server-'));
  });
  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('starts on --port 0, prints its URL and the one-time admin key, serves, and exits 0 on SIGTERM', async () => {
    child = spawn(process.execPath, [CLI_MAIN, 'server', '--port', '0', '--host', '127.0.0.1', '--database', `sqlite://${join(dir, 's.db')}`], {
      env: childEnv({ LOG_LEVEL: 'silent' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = await waitForOutput(child, /export OVERDUE_API_KEY=\S+\n[\s\S]*\n=+\n/);
    const url = /^Overdue \S+ listening on (http:\/\/127\.0\.0\.1:\d+) \(database: sqlite:\/\/.*s\.db\)$/m.exec(out)?.[1];
    assert.ok(url, out);
    assert.match(out, /A default project and an admin API key were created\. The key is shown only this once/);
    const key = /export OVERDUE_API_KEY=(\S+)/.exec(out)?.[1] ?? '';

    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { ok: boolean }).ok, true);
    const listed = await runCli(['monitors', 'list'], { OVERDUE_URL: url, OVERDUE_API_KEY: key });
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stdout, '0 of 0 monitors\n');

    child.kill('SIGTERM');
    assert.deepEqual(await exitOf(child), { code: 0, signal: null });
  });

  it('does not print a key again on the next start', async () => {
    child = spawn(process.execPath, [CLI_MAIN, 'server', '--port', '0', '--host', '127.0.0.1'], {
      env: childEnv({ LOG_LEVEL: 'silent', DATABASE_URL: `sqlite://${join(dir, 's.db')}` }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = await waitForOutput(child, /listening on .*\n/);
    assert.doesNotMatch(out, /OVERDUE_API_KEY/);
    child.kill('SIGINT');
    assert.deepEqual(await exitOf(child), { code: 0, signal: null });
  });

  it('exits 1 naming the variable for a bad configuration', async () => {
    const r = await runCli(['server', '--port', '99999', '--database', `sqlite://${join(dir, 'never.db')}`], { LOG_LEVEL: 'silent' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: PORT: /);
  });
});

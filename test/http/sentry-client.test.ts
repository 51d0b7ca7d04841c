/**
 * Acceptance: the real Sentry clients against a listening server, aimed at it only through the DSN, as a user
 * migrating from Sentry crons would — `@sentry/node` (`captureCheckIn`, `withMonitor` with a monitor config) and
 * `sentry-cli monitors run` (SENTRY_DSN) — create and update monitors, and produce the runs and states expected.
 *
 * The SDK runs with its default integrations, OpenTelemetry and module hooks off, so it sends nothing but the check-ins, and
 * only to 127.0.0.1. Every client call is bounded: SDK flushes wait at most 5 s, sentry-cli runs at most 30 s.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as Sentry from '@sentry/node';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { sentryProject, type SentryProject } from '../helpers/sentry.js';

// The SDK's transport honours http_proxy; the test server is local.
process.env.no_proxy = ['127.0.0.1', 'localhost', process.env.no_proxy].filter(Boolean).join(',');
process.env.NO_PROXY = process.env.no_proxy;

const FLUSH_MS = 5000;

describe('Sentry clients against Overdue', () => {
  let s: TestServer;
  let p: SentryProject;
  before(async () => {
    s = await startTestServer({}, { listen: true });
    p = await sentryProject(s);
  });
  after(async () => {
    await Sentry.close(FLUSH_MS);
    await s.close();
  });

  /** (Re)starts the SDK on the project's DSN, aimed at the test server, for one environment. */
  const initSdk = async (environment?: string) => {
    await Sentry.close(FLUSH_MS);
    Sentry.init({
      dsn: p.localDsn,
      environment,
      release: 'myapp@1.2.3',
      defaultIntegrations: false,
      enableOpenTelemetrySetup: false,
      enableRuntimeChannelInjection: false,
      sendClientReports: false,
    });
  };
  const flush = async () => assert.equal(await Sentry.flush(FLUSH_MS), true, 'the SDK delivered everything in time');
  const bySlug = async (key: string) => {
    const m = await s.store.getMonitorBySlug(p.pingKey, key);
    assert.ok(m, `monitor ${key} exists`);
    return (await s.api('GET', `/v1/monitors/${m.id}`)).json;
  };
  const runs = async (id: string) => (await s.api('GET', `/v1/monitors/${id}/runs`)).json.items.reverse();
  /** Polls until `check` passes (at most 5 s): used where the SDK sends on its own schedule. */
  const eventually = async (check: () => Promise<boolean>) => {
    const until = Date.now() + 5000;
    while (!(await check())) {
      assert.ok(Date.now() < until, 'timed out waiting for the server to record a check-in');
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('captureCheckIn: in_progress with a monitor config creates the monitor; ok with the returned id closes the run', async () => {
    await initSdk();
    const config = { schedule: { type: 'crontab' as const, value: '*/5 * * * *' }, checkinMargin: 2, maxRuntime: 10, timezone: 'Europe/Berlin', failureIssueThreshold: 3, recoveryThreshold: 2 };
    const id = Sentry.captureCheckIn({ monitorSlug: 'nightly-job', status: 'in_progress' }, config);
    await flush();
    let m = await bySlug('nightly-job');
    assert.deepEqual(
      [m.name, m.state, m.schedule, m.timezone, m.grace_seconds, m.max_runtime, m.failure_tolerance, m.recovery_threshold],
      ['nightly-job', 'running', '*/5 * * * *', 'Europe/Berlin', 120, 600, 2, 2],
    );

    s.clock.advance(12);
    Sentry.captureCheckIn({ monitorSlug: 'nightly-job', status: 'ok', checkInId: id, duration: 12.5 });
    await flush();
    m = await bySlug('nightly-job');
    assert.deepEqual([m.state, m.last_duration, m.running], ['up', 12.5, 0]);
    const [run] = await runs(m.id);
    assert.deepEqual([run.run_id, run.outcome, run.duration], [id, 'success', 12.5]);
    const pings = (await s.api('GET', `/v1/monitors/${m.id}/pings`)).json.items;
    assert.ok(pings.every((x: any) => x.source === 'sentry' && x.release === 'myapp@1.2.3' && x.user_agent === 'sentry.javascript.node/11.12.0'), JSON.stringify(pings));
  });

  it('captureCheckIn: an error heartbeat (no in_progress) fails the monitor, and failure_issue_threshold decides when it is down', async () => {
    await initSdk();
    Sentry.captureCheckIn({ monitorSlug: 'heartbeat-job', status: 'ok' }, { schedule: { type: 'interval', value: 1, unit: 'hour' }, failureIssueThreshold: 2 });
    await flush();
    Sentry.captureCheckIn({ monitorSlug: 'heartbeat-job', status: 'error' });
    await flush();
    assert.equal((await bySlug('heartbeat-job')).state, 'up', 'the first error is tolerated (threshold 2)');
    Sentry.captureCheckIn({ monitorSlug: 'heartbeat-job', status: 'error' });
    await flush();
    const m = await bySlug('heartbeat-job');
    assert.deepEqual([m.state, m.down_reason, m.expected_interval_sec], ['down', 'failed', 3600]);
    assert.deepEqual((await runs(m.id)).map((r: any) => r.outcome), ['success', 'failed', 'failed']);
  });

  it('withMonitor upserts the monitor, pairs its in_progress and ok, reports a throwing job as an error, and applies a changed config', async () => {
    await initSdk();
    const config = { schedule: { type: 'interval' as const, value: 30, unit: 'minute' as const }, checkinMargin: 1, maxRuntime: 5 };
    // The job waits until its in_progress is recorded, so the ok cannot overtake it on another connection.
    const running = () => eventually(async () => (await s.store.getMonitorBySlug(p.pingKey, 'interval-job'))?.state === 'running');
    assert.equal(await Sentry.withMonitor('interval-job', async () => { await running(); return 42; }, config), 42);
    await flush();
    let m = await bySlug('interval-job');
    assert.deepEqual([m.state, m.expected_interval_sec, m.grace_seconds, m.max_runtime], ['up', 1800, 60, 300]);
    let got = await runs(m.id);
    assert.equal(got.length, 1);
    assert.equal(got[0].outcome, 'success');
    assert.match(got[0].run_id, /^[0-9a-f]{32}$/);

    await assert.rejects(Sentry.withMonitor('interval-job', async () => { await running(); throw new Error('disk full'); }, { ...config, checkinMargin: 5 }), /disk full/);
    await flush();
    m = await bySlug('interval-job');
    assert.deepEqual([m.state, m.down_reason, m.grace_seconds], ['down', 'failed', 300]);
    got = await runs(m.id);
    assert.deepEqual(got.map((r: any) => r.outcome), ['success', 'failed']);
    assert.notEqual(got[0].run_id, got[1].run_id);
  });

  it('keeps each environment on its own monitor: staging errors leave production up', async () => {
    await initSdk('production');
    const config = { schedule: { type: 'crontab' as const, value: '0 * * * *' }, checkinMargin: 3 };
    Sentry.captureCheckIn({ monitorSlug: 'env-job', status: 'ok' }, config);
    await flush();
    await initSdk('staging');
    const id = Sentry.captureCheckIn({ monitorSlug: 'env-job', status: 'in_progress' });
    await flush();
    Sentry.captureCheckIn({ monitorSlug: 'env-job', status: 'error', checkInId: id, duration: 3 });
    await flush();

    const prod = await bySlug('env-job');
    const staging = await bySlug('env-job.staging');
    assert.deepEqual([prod.state, staging.state], ['up', 'down']);
    assert.deepEqual([staging.name, staging.schedule, staging.grace_seconds, staging.tags], ['env-job (staging)', '0 * * * *', 180, ['env:staging']]);
    assert.deepEqual((await runs(staging.id)).map((r: any) => [r.run_id, r.outcome, r.duration]), [[id, 'failed', 3]]);
    assert.deepEqual((await runs(prod.id)).map((r: any) => r.outcome), ['success']);
  });

  it('sends check-ins through a second client to Overdue while the default client keeps its own DSN', async () => {
    // A local stand-in for Sentry receives what the default client sends.
    const atSentry: string[] = [];
    const sentry = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        atSentry.push(body);
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => sentry.listen(0, '127.0.0.1', resolve));
    const port = (sentry.address() as AddressInfo).port;
    const crons = new Sentry.NodeClient({ dsn: p.localDsn, transport: Sentry.makeNodeTransport, stackParser: Sentry.defaultStackParser, integrations: [] });
    try {
      await Sentry.close(FLUSH_MS);
      Sentry.init({ dsn: `http://errors@127.0.0.1:${port}/1`, defaultIntegrations: false, enableOpenTelemetrySetup: false, enableRuntimeChannelInjection: false, sendClientReports: false });
      crons.init();
      Sentry.captureMessage('an error for Sentry');
      const running = () => eventually(async () => (await s.store.getMonitorBySlug(p.pingKey, 'split-job'))?.state === 'running');
      await Sentry.withScope(async (scope) => {
        scope.setClient(crons);
        await Sentry.withMonitor('split-job', running, { schedule: { type: 'crontab', value: '0 * * * *' } });
      });
      assert.equal(await crons.flush(FLUSH_MS), true);
      await flush();
      assert.equal((await bySlug('split-job')).state, 'up');
      assert.equal(atSentry.length, 1);
      assert.match(atSentry[0] ?? '', /"type":"event"/);
      assert.doesNotMatch(atSentry[0] ?? '', /check_in/);
    } finally {
      await crons.close(FLUSH_MS);
      await new Promise((resolve) => sentry.close(resolve));
    }
  });

  describe('sentry-cli monitors run', () => {
    const require = createRequire(import.meta.url);
    // The binary comes from @sentry/cli's optional dependency for this platform (no download script runs).
    // getPath throws only on a platform Sentry ships no binary for; a missing binary elsewhere fails the tests.
    let binary: string | null = null;
    try {
      binary = (require('@sentry/cli') as { SentryCli: { getPath: () => string } }).SentryCli.getPath();
    } catch {
      binary = null;
    }
    const skip = binary === null ? `sentry-cli has no binary for ${process.platform}-${process.arch}` : false;
    let home: string;
    before(async () => {
      home = await mkdtemp(join(tmpdir(), 'overdue-sentry-cli-'));
    });
    after(() => rm(home, { recursive: true, force: true }));

    /** Runs sentry-cli with only the DSN pointing at the server (a fresh HOME, no .env, no update check). */
    const cli = (args: string[]) =>
      new Promise<{ code: number; output: string }>((resolve) => {
        execFile(
          binary ?? 'sentry-cli',
          args,
          {
            cwd: home,
            timeout: 30_000,
            env: { PATH: process.env.PATH ?? '', HOME: home, SENTRY_DSN: p.localDsn, SENTRY_DISABLE_UPDATE_CHECK: '1', SENTRY_LOAD_DOTENV: '0', NO_PROXY: '*', no_proxy: '*' },
          },
          (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
        );
      });

    it('creates the monitor from its flags and records a successful run', { skip }, async () => {
      assert.ok(binary && existsSync(binary), `sentry-cli binary at ${binary}: run npm ci (with optional dependencies)`);
      const r = await cli(['monitors', 'run', '-s', '*/10 * * * *', '--check-in-margin', '5', '--max-runtime', '30', '--timezone', 'Europe/Vienna', '--failure-issue-threshold', '2', '--recovery-threshold', '3', 'cli-job', '--', 'sh', '-c', 'exit 0']);
      assert.equal(r.code, 0, r.output);
      const m = await bySlug('cli-job');
      assert.deepEqual(
        [m.state, m.schedule, m.timezone, m.grace_seconds, m.max_runtime, m.failure_tolerance, m.recovery_threshold],
        ['up', '*/10 * * * *', 'Europe/Vienna', 300, 1800, 1, 3],
      );
      const [run] = await runs(m.id);
      assert.equal(run.outcome, 'success');
      assert.match(run.run_id, /^[0-9a-f]{32}$/);
      assert.ok(run.duration >= 0 && run.duration < 30, `duration ${run.duration}`);
      const pings = (await s.api('GET', `/v1/monitors/${m.id}/pings`)).json.items;
      assert.deepEqual(pings.map((x: any) => [x.kind, x.env, x.user_agent]).reverse(), [['start', 'production', 'sentry-cli/3.8.0'], ['success', 'production', 'sentry-cli/3.8.0']]);
    });

    it('keeps the command\'s exit code, and reports failures until the threshold makes the monitor down', { skip }, async () => {
      let r = await cli(['monitors', 'run', 'cli-job', '--', 'sh', '-c', 'exit 3']);
      assert.equal(r.code, 3, r.output);
      const m = await bySlug('cli-job');
      assert.equal(m.state, 'up', 'failure_issue_threshold 2 tolerates one failure');
      r = await cli(['monitors', 'run', 'cli-job', '--', 'sh', '-c', 'exit 4']);
      assert.equal(r.code, 4, r.output);
      const after = await bySlug('cli-job');
      assert.deepEqual([after.state, after.down_reason], ['down', 'failed']);
      assert.deepEqual((await runs(after.id)).map((x: any) => x.outcome), ['success', 'failed', 'failed']);
    });

    it('runs an environment on its own monitor (-e staging), created from the default one', { skip }, async () => {
      const r = await cli(['monitors', 'run', '-e', 'staging', 'cli-job', '--', 'sh', '-c', 'exit 0']);
      assert.equal(r.code, 0, r.output);
      const staging = await bySlug('cli-job.staging');
      assert.deepEqual([staging.state, staging.schedule, staging.failure_tolerance], ['up', '*/10 * * * *', 1]);
      assert.equal((await bySlug('cli-job')).state, 'down', 'production keeps its own state');
    });
  });
});

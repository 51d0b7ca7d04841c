import { DEFAULT_RUN_RULES } from '../../src/domain/run-rules.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Monitor } from '../../src/domain/monitor.js';
import { DEFAULT_NOTIFY } from '../../src/domain/notify.js';
import type { PingInput } from '../../src/domain/ping.js';
import { parseAssertions } from '../../src/domain/assertions.js';
import { decidePing } from '../../src/domain/ping-decision.js';
import { timingOf } from '../../src/domain/timing.js';
import { initialStatus } from '../../src/domain/transitions.js';

const T0 = new Date('2026-01-05T10:00:00.000Z');
const config = { name: 'scan', key: 'scan', type: 'job' as const, schedule: 'every 1 hour', timezone: 'UTC', graceSeconds: 60, tags: [], realertSeconds: 0, notify: DEFAULT_NOTIFY, runRules: DEFAULT_RUN_RULES };
const monitor = (scanning: Monitor['payloadScanning']): Monitor => ({
  ...config,
  payloadScanning: scanning,
  payloadMetrics: [],
  assertions: [],
  id: 'mon_x',
  projectId: 'prj_x',
  pingToken: 'mping_x',
  createdAt: T0,
  updatedAt: T0,
  ...initialStatus(T0, timingOf({ ...config })),
});
const ping = (kind: PingInput['kind'], body: string | null, msg: string | null = null, details: PingInput['details'] = null) => ({
  kind,
  exitCode: kind === 'fail' ? 1 : null,
  receivedAt: T0,
  body: body === null ? null : Buffer.from(body),
  msg,
  details,
});

describe('payload scanning decides what a success ping means', () => {
  const rules = { successKeywords: ['backup complete'], failureKeywords: ['ERROR', 'FATAL'] };
  const cases: { name: string; scanning: Monitor['payloadScanning']; ping: ReturnType<typeof ping>; state: string; reason?: RegExp }[] = [
    { name: 'a failure keyword in the body makes it a failure, naming the keyword', scanning: rules, ping: ping('success', 'step 1\nerror: disk full'), state: 'down', reason: /failure keyword "ERROR" found/ },
    { name: 'failure wins over success', scanning: rules, ping: ping('success', 'Backup complete, but FATAL later'), state: 'down', reason: /"FATAL"/ },
    { name: 'a failure keyword in msg counts too', scanning: rules, ping: ping('success', null, 'FATAL: no space'), state: 'down' },
    { name: 'the success keyword (any case) makes it a success', scanning: rules, ping: ping('success', 'BACKUP COMPLETE in 3 min'), state: 'up' },
    { name: 'no success keyword found is a failure when success keywords are set', scanning: rules, ping: ping('success', 'done?'), state: 'down', reason: /none of the success keywords/ },
    { name: 'only failure keywords: a clean output stays a success', scanning: { successKeywords: [], failureKeywords: ['ERROR'] }, ping: ping('success', 'all good'), state: 'up' },
    { name: 'a failure ping stays a failure even with a success keyword', scanning: rules, ping: ping('fail', 'backup complete'), state: 'down' },
    { name: 'start pings are not scanned', scanning: rules, ping: ping('start', 'ERROR in preflight'), state: 'running' },
    { name: 'without scanning the endpoint decides', scanning: null, ping: ping('success', 'ERROR everywhere'), state: 'up' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const t = decidePing(monitor(c.scanning), c.ping);
      assert.equal(t.status.state, c.state);
      if (c.reason) assert.match(t.flips[0]!.reason, c.reason);
    });
  }
});

describe('assertions judge a successful completion', () => {
  const details = (duration: number | null, metrics: { name: string; value: number }[] = []) => ({ host: null, series: null, statusCode: null, duration, env: null, release: null, metrics });
  const withAssertions = (texts: string[]) => ({ ...monitor(null), assertions: parseAssertions(texts) });

  it('fails a success whose reported duration breaks an assertion, naming it', () => {
    const t = decidePing(withAssertions(['metric.duration < 5 min']), ping('success', null, null, details(400)));
    assert.equal(t.status.state, 'down');
    assert.match(t.flips[0]!.reason, /assertion failed: metric\.duration < 5 min/);
  });

  it('measures the duration from the open run when the client sends none', () => {
    const openSince = (ms: number) => {
      const startedAt = new Date(T0.getTime() - ms);
      return { runningSince: startedAt, openRuns: [{ runId: null, startedAt, activeAt: startedAt }] };
    };
    const running = { ...withAssertions(['metric.duration < 1 min']), state: 'running' as const, ...openSince(120_000) };
    assert.equal(decidePing(running, ping('success', null)).status.state, 'down');
    const quick = { ...running, ...openSince(10_000) };
    assert.equal(decidePing(quick, ping('success', null)).status.state, 'up');
  });

  it('checks counts from metric params, the last value of a name winning', () => {
    const m = withAssertions(['metric.count > 0', 'metric.error_count <= 2']);
    assert.equal(decidePing(m, ping('success', null, null, details(null, [{ name: 'count', value: 10 }, { name: 'error_count', value: 1 }]))).status.state, 'up');
    const t = decidePing(m, ping('success', null, null, details(null, [{ name: 'count', value: 0 }, { name: 'error_count', value: 5 }, { name: 'error_count', value: 3 }])));
    assert.match(t.flips[0]!.reason, /metric\.count > 0; metric\.error_count <= 2/);
  });

  it('lets a success that reports none of the metrics pass', () => {
    assert.equal(decidePing(withAssertions(['metric.count > 0']), ping('success', null)).status.state, 'up');
  });
});

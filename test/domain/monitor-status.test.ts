import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { statusOf, withStatus, type Monitor } from '../../src/domain/monitor.js';
import { DEFAULT_NOTIFY } from '../../src/domain/notify.js';
import { DEFAULT_RUN_RULES } from '../../src/domain/run-rules.js';

const T0 = new Date('2026-03-01T00:00:00.000Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);

// Required<>: a field added to Monitor fails the type-check here until it is added, and then the tests below
// fail until withStatus copies it.
const full: Required<Monitor> = {
  id: 'mon_1', projectId: 'prj_1', pingToken: 'mping_1', createdAt: T0, updatedAt: at(1),
  name: 'backup', key: 'backup', type: 'job', schedule: '0 3 * * *', timezone: 'Europe/Berlin', graceSeconds: 300, tags: ['db'],
  realertSeconds: 3600, notify: DEFAULT_NOTIFY, payloadScanning: { successKeywords: ['ok'], failureKeywords: ['ERROR'] },
  payloadMetrics: [], assertions: [], runRules: DEFAULT_RUN_RULES, extra: { note: 'nightly', metadata: { team: 'ops' } },
  state: 'down', downReason: 'failed', downExitCode: 2, lastPingAt: at(2), runningSince: at(3), openRuns: [{ runId: 'r1', startedAt: at(3), activeAt: at(4) }],
  lastDuration: 12.5, stateReason: 'failure ping (exit code 2)', missedStreak: 1, failureStreak: 2, successStreak: 0, nextExpectedAt: at(5),
  deadline: at(6), pausedUntil: at(7), downAlerts: 3, realertAt: at(8), version: 9,
};

describe('a monitor with a new status', () => {
  it('keeps every field of the monitor and takes every field of the status', () => {
    assert.deepEqual(withStatus(full, statusOf(full), full.updatedAt), full);
    const status = { ...statusOf(full), state: 'up' as const, downReason: null, version: 10 };
    assert.deepEqual(withStatus(full, status, at(20)), { ...full, ...status, updatedAt: at(20) });
  });

  it('has no extra key when the monitor has none', () => {
    const { extra: _extra, ...plain } = full;
    const next = withStatus(plain, statusOf(plain), plain.updatedAt);
    assert.equal('extra' in next, false);
    assert.deepEqual(next, plain);
  });

  it('statusOf copies exactly the status fields, into a new object', () => {
    const s = statusOf(full);
    assert.deepEqual(Object.keys(s).sort(), ['deadline', 'downAlerts', 'downExitCode', 'downReason', 'failureStreak', 'lastDuration', 'lastPingAt', 'missedStreak', 'nextExpectedAt', 'openRuns', 'pausedUntil', 'realertAt', 'runningSince', 'state', 'stateReason', 'successStreak', 'version']);
    s.state = 'up';
    assert.equal(full.state, 'down');
  });
});

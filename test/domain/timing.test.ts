import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_RUN_RULES } from '../../src/domain/run-rules.js';
import { timingOf } from '../../src/domain/timing.js';

const T0 = new Date('2026-03-01T10:00:00.000Z');

describe('a monitor\'s timing', () => {
  it('follows the configuration, also when monitors share one run-rules object', () => {
    const rules = { ...DEFAULT_RUN_RULES };
    const hourly = { schedule: 'every 1 hour', timezone: 'UTC', graceSeconds: 60, realertSeconds: 0, runRules: rules };
    assert.deepEqual(timingOf(hourly).next(T0), new Date('2026-03-01T11:00:00.000Z'));
    assert.deepEqual(timingOf({ ...hourly, schedule: 'every 5 minutes' }).next(T0), new Date('2026-03-01T10:05:00.000Z'));
    assert.equal(timingOf({ ...hourly, graceSeconds: 300 }).graceSeconds, 300);
    assert.equal(timingOf({ ...hourly, realertSeconds: 3600 }).realertSeconds, 3600);
    assert.deepEqual(timingOf({ ...hourly, schedule: '0 12 * * *', timezone: 'Europe/Berlin' }).next(T0), new Date('2026-03-01T11:00:00.000Z'));
    assert.deepEqual(timingOf(hourly).next(T0), new Date('2026-03-01T11:00:00.000Z'));
    assert.equal(timingOf(hourly).rules, rules);
  });

  it('is the same object for the same configuration (a monitor\'s next ping builds nothing)', () => {
    const config = { schedule: 'every 1 hour', timezone: 'UTC', graceSeconds: 60, realertSeconds: 0, runRules: { ...DEFAULT_RUN_RULES } };
    assert.equal(timingOf(config), timingOf({ ...config }));
  });
});

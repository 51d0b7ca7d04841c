import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Alert, Flip, MonitorStatus } from '../../src/domain/monitor.js';
import { DEFAULT_RUN_RULES, mergeRunRules, runtimeViolation, type RunRules } from '../../src/domain/run-rules.js';
import { MAX_OPEN_RUNS, type RunChange } from '../../src/domain/runs.js';
import { applyEvent, initialStatus, type MonitorEvent, type Timing } from '../../src/domain/transitions.js';
import { assertInvalid } from '../helpers/assert-invalid.js';

const T0 = new Date('2026-01-05T10:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
/** Every hour, 2 minutes grace, with the given run rules. */
const hourly = (rules: Partial<RunRules> = {}): Timing => ({ graceSeconds: 120, realertSeconds: 0, rules: { ...DEFAULT_RUN_RULES, ...rules }, next: (after) => new Date(after.getTime() + 3600_000) });

function run(steps: [number, MonitorEvent][], rules: Partial<RunRules> = {}) {
  const timing = hourly(rules);
  let status: MonitorStatus = initialStatus(T0, timing);
  const flips: Flip[] = [];
  const alerts: Alert[] = [];
  const runs: RunChange[] = [];
  for (const [offset, event] of steps) {
    const t = applyEvent(status, event, at(offset), timing);
    status = t.status;
    flips.push(...t.flips);
    alerts.push(...t.alerts);
    runs.push(...t.runs);
  }
  const closed = runs.filter((r): r is Extract<RunChange, { type: 'close' }> => r.type === 'close');
  return { status, flips, alerts, runs, closed, flipNames: flips.map((f) => `${f.from}>${f.to}${f.kind ? `(${f.kind})` : ''}`) };
}

describe('runs: pairing starts with completions', () => {
  it('pairs overlapping runs by run id, whatever order they complete in', () => {
    const r = run([[0, { type: 'start', runId: 'a' }], [10, { type: 'start', runId: 'b' }], [30, { type: 'success', runId: 'a' }], [70, { type: 'success', runId: 'b' }]]);
    assert.deepEqual(r.closed.map((c) => [c.runId, c.startedAt?.toISOString(), c.duration]), [['a', at(0).toISOString(), 30], ['b', at(10).toISOString(), 60]]);
    assert.equal(r.status.state, 'up');
    assert.equal(r.status.openRuns.length, 0);
    assert.equal(r.status.lastDuration, 60);
  });

  it('stays running while another run is still open', () => {
    const r = run([[0, { type: 'start', runId: 'a' }], [10, { type: 'start', runId: 'b' }], [30, { type: 'success', runId: 'a' }]]);
    assert.equal(r.status.state, 'running');
    assert.deepEqual(r.status.openRuns.map((o) => o.runId), ['b']);
    assert.deepEqual(r.status.runningSince, at(10));
  });

  it('without a run id, a completion closes the most recent open run', () => {
    const r = run([[0, { type: 'start' }], [20, { type: 'start' }], [50, { type: 'success' }]]);
    assert.deepEqual(r.closed[0]?.startedAt, at(20));
    assert.equal(r.closed[0]?.duration, 30);
    assert.deepEqual(r.status.openRuns.map((o) => o.startedAt), [at(0)]);
  });

  it('a completion without a start is a run of unknown duration, or of the duration the client sent', () => {
    const r = run([[0, { type: 'success' }], [3600, { type: 'success', duration: 12.5 }]]);
    assert.deepEqual(r.closed.map((c) => [c.startedAt, c.duration, c.outcome]), [[null, null, 'success'], [null, 12.5, 'success']]);
    assert.equal(r.status.lastDuration, 12.5);
  });

  it('a completion naming an unknown run id does not close another run', () => {
    const r = run([[0, { type: 'start', runId: 'a' }], [10, { type: 'success', runId: 'zzz' }]]);
    assert.deepEqual(r.status.openRuns.map((o) => o.runId), ['a']);
    assert.equal(r.closed[0]?.startedAt, null);
  });

  it('a repeated start with the same run id is one run, not two', () => {
    const r = run([[0, { type: 'start', runId: 'a' }], [5, { type: 'start', runId: 'a' }]]);
    assert.equal(r.status.openRuns.length, 1);
    assert.equal(r.runs.filter((c) => c.type === 'open').length, 1);
  });

  it('a failure closes its run as failed with the exit code', () => {
    const r = run([[0, { type: 'start', runId: 'a' }], [40, { type: 'fail', exitCode: 3, runId: 'a' }]]);
    assert.deepEqual([r.closed[0]?.outcome, r.closed[0]?.exitCode, r.closed[0]?.failureKind, r.closed[0]?.duration], ['failed', 3, 'exit_code', 40]);
    assert.equal(r.status.state, 'down');
  });

  it(`keeps at most ${MAX_OPEN_RUNS} open runs, abandoning the oldest`, () => {
    const steps: [number, MonitorEvent][] = Array.from({ length: MAX_OPEN_RUNS + 2 }, (_, i) => [i, { type: 'start', runId: `r${i}` }]);
    const r = run(steps);
    assert.equal(r.status.openRuns.length, MAX_OPEN_RUNS);
    assert.deepEqual(r.closed.map((c) => [c.runId, c.outcome]), [['r0', 'abandoned'], ['r1', 'abandoned']]);
  });

  it('an ok ping abandons open runs and resets to up', () => {
    const r = run([[0, { type: 'start' }], [10, { type: 'reset' }]]);
    assert.equal(r.status.state, 'up');
    assert.equal(r.status.openRuns.length, 0);
    assert.equal(r.closed[0]?.outcome, 'abandoned');
  });
});

describe('runs: runtime bounds', () => {
  const bounds = { expectedRuntime: { min: 30, max: 300 } };
  const cases: { name: string; steps: [number, MonitorEvent][]; state: string; outcome?: string; reason?: RegExp }[] = [
    { name: 'a run inside the range is up', steps: [[0, { type: 'start' }], [60, { type: 'success' }]], state: 'up', outcome: 'success' },
    { name: 'a run longer than max is degraded, not down', steps: [[0, { type: 'start' }], [400, { type: 'success' }]], state: 'degraded', outcome: 'degraded', reason: /ran 6m 40s, expected at most 5m/ },
    { name: 'a run shorter than min is degraded', steps: [[0, { type: 'start' }], [5, { type: 'success' }]], state: 'degraded', outcome: 'degraded', reason: /expected at least 30s/ },
    { name: 'the client duration counts when no start was seen', steps: [[0, { type: 'success', duration: 900 }]], state: 'degraded', outcome: 'degraded' },
    { name: 'an unknown duration is not judged', steps: [[0, { type: 'success' }]], state: 'up', outcome: 'success' },
    { name: 'the next in-range success returns it to up', steps: [[0, { type: 'start' }], [400, { type: 'success' }], [3600, { type: 'start' }], [3660, { type: 'success' }]], state: 'up' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = run(c.steps, bounds);
      assert.equal(r.status.state, c.state);
      if (c.outcome) assert.equal(r.closed[0]?.outcome, c.outcome);
      if (c.reason) {
        assert.match(r.status.stateReason ?? '', c.reason);
        assert.match(r.flips.at(-1)?.reason ?? '', c.reason);
      }
    });
  }

  it('a degraded monitor is still watched by its schedule', () => {
    const r = run([[0, { type: 'start' }], [400, { type: 'success' }], [4000, { type: 'deadline' }]], bounds);
    assert.equal(r.status.state, 'late');
  });
});

describe('runs: timeouts', () => {
  it('max_runtime times a run out at start + max_runtime, before the schedule would', () => {
    const timing = hourly({ maxRuntime: 600 });
    let s = applyEvent(initialStatus(T0, timing), { type: 'success' }, at(0), timing).status;
    s = applyEvent(s, { type: 'start', runId: 'x' }, at(100), timing).status;
    assert.deepEqual(s.deadline, at(700));
    const early = applyEvent(s, { type: 'deadline' }, at(699), timing);
    assert.equal(early.status.state, 'running', 'a stale wake-up changes nothing');
    const t = applyEvent(s, { type: 'deadline' }, at(700), timing);
    assert.equal(t.status.state, 'down');
    assert.equal(t.status.downReason, 'timeout');
    assert.deepEqual(t.runs, [{ type: 'close', runId: 'x', startedAt: at(100), finishedAt: at(700), duration: 600, outcome: 'timeout', failureKind: null, exitCode: null, reason: `no completion by ${at(700).toISOString()}` }]);
    assert.equal(t.status.openRuns.length, 0);
  });

  it('inactivity_timeout: progress pings keep a run alive, silence times it out', () => {
    const timing = hourly({ inactivityTimeout: 60 });
    let s = applyEvent(initialStatus(T0, timing), { type: 'start' }, at(0), timing).status;
    assert.deepEqual(s.deadline, at(60));
    s = applyEvent(s, { type: 'progress' }, at(50), timing).status;
    assert.deepEqual(s.deadline, at(110));
    assert.equal(s.state, 'running');
    const t = applyEvent(s, { type: 'deadline' }, at(110), timing);
    assert.equal(t.status.state, 'down');
    assert.equal(t.status.downReason, 'timeout');
  });

  it('progress for a run id that is not open changes nothing', () => {
    const timing = hourly({ inactivityTimeout: 60 });
    const s = applyEvent(initialStatus(T0, timing), { type: 'start', runId: 'a' }, at(0), timing).status;
    const t = applyEvent(s, { type: 'progress', runId: 'b' }, at(30), timing);
    assert.equal(t.status.version, s.version);
  });

  it('without max_runtime a run times out at the expected time plus grace (as before)', () => {
    const r = run([[0, { type: 'success' }], [3500, { type: 'start' }], [3720, { type: 'deadline' }]]);
    assert.equal(r.status.downReason, 'timeout');
    assert.equal(r.closed.at(-1)?.outcome, 'timeout');
  });
});

describe('runs: tolerances and thresholds', () => {
  it('schedule_tolerance: N missed runs are logged as missed flips without alerting, the next one is down', () => {
    // Up at 0; expected 3600, 7200, 10800 (grace 120 each).
    const r = run([[0, { type: 'success' }], [3600, { type: 'deadline' }], [3720, { type: 'deadline' }], [7200, { type: 'deadline' }], [7320, { type: 'deadline' }], [10800, { type: 'deadline' }], [10920, { type: 'deadline' }]], { scheduleTolerance: 2 });
    assert.deepEqual(r.flipNames, ['pending>up', 'up>late', 'late>up(missed)', 'up>late', 'late>up(missed)', 'up>late', 'late>down']);
    assert.ok(r.flips.filter((f) => f.kind === 'missed').every((f) => f.notify === false));
    assert.match(r.flips[2]?.reason ?? '', /missed the run expected at .* \(1 of 2 tolerated\)/);
    assert.equal(r.status.downReason, 'missed');
  });

  it('schedule_tolerance: a success resets the count of missed runs', () => {
    const r = run([[0, { type: 'success' }], [3720, { type: 'deadline' }], [3800, { type: 'success' }], [7400, { type: 'deadline' }], [7520, { type: 'deadline' }]], { scheduleTolerance: 1 });
    assert.equal(r.status.state, 'up');
    assert.equal(r.flips.filter((f) => f.kind === 'missed').length, 2);
  });

  it('failure_tolerance: N consecutive failures are tolerated, the next is down', () => {
    const r = run([[0, { type: 'success' }], [10, { type: 'fail', exitCode: 1 }], [20, { type: 'fail' }], [30, { type: 'fail', exitCode: 2 }]], { failureTolerance: 2 });
    assert.deepEqual(r.flipNames, ['pending>up', 'up>down']);
    assert.equal(r.status.downExitCode, 2);
    assert.match(r.closed[1]?.reason ?? '', /tolerated: failure 1 of 2 allowed/);
  });

  it('failure_tolerance: a success in between starts the count again', () => {
    const r = run([[0, { type: 'fail' }], [10, { type: 'success' }], [20, { type: 'fail' }]], { failureTolerance: 1 });
    assert.equal(r.status.state, 'up');
    assert.equal(r.status.failureStreak, 1);
  });

  it('failure_tolerance: a tolerated failure of a running job leaves it up', () => {
    const r = run([[0, { type: 'success' }], [100, { type: 'start' }], [200, { type: 'fail' }]], { failureTolerance: 1 });
    assert.equal(r.status.state, 'up');
  });

  it('failure_tolerance also covers timeouts', () => {
    const r = run([[0, { type: 'success' }], [100, { type: 'start' }], [700, { type: 'deadline' }]], { failureTolerance: 1, maxRuntime: 600 });
    assert.equal(r.status.state, 'up');
    assert.equal(r.closed.at(-1)?.outcome, 'timeout');
  });

  it('recovery_threshold: M consecutive successes are needed to leave down', () => {
    const r = run([[0, { type: 'fail' }], [10, { type: 'success' }], [20, { type: 'success' }], [30, { type: 'success' }]], { recoveryThreshold: 3 });
    assert.deepEqual(r.flipNames, ['pending>down', 'down>up']);
    assert.deepEqual(r.flips[1]?.at, at(30));
    assert.match(r.flips[1]?.reason ?? '', /3 successes in a row/);
  });

  it('recovery_threshold: a failure in between starts the count again', () => {
    const r = run([[0, { type: 'fail' }], [10, { type: 'success' }], [20, { type: 'fail' }], [30, { type: 'success' }]], { recoveryThreshold: 2 });
    assert.equal(r.status.state, 'down');
  });
});

describe('runs: overlap', () => {
  it('with overlap_policy alert, a start during another run raises on_overlap', () => {
    const r = run([[0, { type: 'start' }], [10, { type: 'start' }]], { overlapPolicy: 'alert' });
    assert.deepEqual(r.alerts.map((a) => a.event), ['on_overlap']);
    assert.match(r.alerts[0]?.reason ?? '', /another run was still open/);
  });

  it('with allow (the default), overlapping runs are silent', () => {
    assert.deepEqual(run([[0, { type: 'start' }], [10, { type: 'start' }]]).alerts, []);
  });

  it('a paused monitor raises no overlap alert', () => {
    assert.deepEqual(run([[0, { type: 'pause' }], [5, { type: 'start' }], [10, { type: 'start' }]], { overlapPolicy: 'alert' }).alerts, []);
  });
});

describe('run rules: input', () => {
  it('parses durations and counts', () => {
    const r = mergeRunRules(DEFAULT_RUN_RULES, { expected_runtime: { min: '30s', max: '5m' }, max_runtime: '1h', inactivity_timeout: 120, schedule_tolerance: 2, failure_tolerance: 1, recovery_threshold: 3, overlap_policy: 'alert' });
    assert.deepEqual(r, { expectedRuntime: { min: 30, max: 300 }, maxRuntime: 3600, inactivityTimeout: 120, scheduleTolerance: 2, failureTolerance: 1, recoveryThreshold: 3, overlapPolicy: 'alert' });
  });

  it('null (or 0 for timeouts) removes a rule', () => {
    const set = mergeRunRules(DEFAULT_RUN_RULES, { expected_runtime: { max: 60 }, max_runtime: 60 });
    assert.deepEqual(mergeRunRules(set, { expected_runtime: null, max_runtime: 0 }), DEFAULT_RUN_RULES);
  });

  const bad: [string, Parameters<typeof mergeRunRules>[1], string, RegExp][] = [
    ['a min above the max', { expected_runtime: { min: '10m', max: '5m' } }, 'expected_runtime', /min \(600s\) is greater than max \(300s\)/],
    ['an empty range', { expected_runtime: {} }, 'expected_runtime', /give "min", "max" or both/],
    ['an unknown range key', { expected_runtime: { maximum: 5 } }, 'expected_runtime.maximum', /unknown key/],
    ['an unreadable max', { expected_runtime: { max: 'soon' } }, 'expected_runtime.max', /soon|duration/],
    ['a negative max_runtime', { max_runtime: -5 }, 'max_runtime', /must not be negative/],
    ['a fractional tolerance', { schedule_tolerance: 1.5 }, 'schedule_tolerance', /whole number from 0 to 100/],
    ['a negative tolerance', { failure_tolerance: -1 }, 'failure_tolerance', /whole number from 0 to 100/],
    ['a zero recovery threshold', { recovery_threshold: 0 }, 'recovery_threshold', /whole number from 1 to 100/],
    ['an unknown overlap policy', { overlap_policy: 'skip' }, 'overlap_policy', /"allow" or "alert"/],
  ];
  for (const [name, input, field, message] of bad) {
    it(`refuses ${name}, naming ${field}`, () => assertInvalid(() => mergeRunRules(DEFAULT_RUN_RULES, input), field, message));
  }

  it('judges runtimes against the range', () => {
    assert.equal(runtimeViolation(45, { min: 30, max: null }), null);
    assert.equal(runtimeViolation(null, { min: 30, max: 60 }), null);
    assert.match(runtimeViolation(61, { min: null, max: 60 }) ?? '', /expected at most 1m/);
  });
});

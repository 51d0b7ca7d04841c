import { DEFAULT_RUN_RULES } from '../../src/domain/run-rules.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MonitorStatus } from '../../src/domain/monitor.js';
import { applyEvent, initialStatus, type MonitorEvent, type Timing } from '../../src/domain/transitions.js';

const T0 = new Date('2026-01-05T10:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
/** Every hour, 2 minutes grace. */
const hourly: Timing = { graceSeconds: 120, realertSeconds: 0, rules: DEFAULT_RUN_RULES, next: (after) => new Date(after.getTime() + 3600_000) };

/** Runs events in order, each at its offset (seconds after T0) and returns the final status and all flips. */
function run(steps: [number, MonitorEvent][], timing: Timing = hourly) {
  let status: MonitorStatus = initialStatus(T0, timing);
  const flips = [];
  for (const [offset, event] of steps) {
    const t = applyEvent(status, event, at(offset), timing);
    status = t.status;
    flips.push(...t.flips);
  }
  return { status, flips };
}

describe('monitor state machine', () => {
  it('starts pending with the first ping due one schedule step after creation', () => {
    const s = initialStatus(T0, hourly);
    assert.equal(s.state, 'pending');
    assert.deepEqual(s.nextExpectedAt, at(3600));
    assert.deepEqual(s.deadline, at(3600));
  });

  const cases: { name: string; steps: [number, MonitorEvent][]; state: string; reason?: string | null; flips: string[]; deadline?: Date | null }[] = [
    { name: 'a success ping makes a pending monitor up and moves the deadline one step on', steps: [[10, { type: 'success' }]], state: 'up', flips: ['pending>up'], deadline: at(3610) },
    { name: 'a pending monitor whose first ping never arrives goes late, then down (missed)', steps: [[3600, { type: 'deadline' }], [3720, { type: 'deadline' }]], state: 'down', reason: 'missed', flips: ['pending>late', 'late>down'], deadline: null },
    { name: 'an up monitor goes late at the expected time and down when grace elapses', steps: [[0, { type: 'success' }], [3600, { type: 'deadline' }], [3720, { type: 'deadline' }]], state: 'down', reason: 'missed', flips: ['pending>up', 'up>late', 'late>down'] },
    { name: 'a deadline handled long after grace goes straight to down with one flip', steps: [[0, { type: 'success' }], [9000, { type: 'deadline' }]], state: 'down', reason: 'missed', flips: ['pending>up', 'up>down'] },
    { name: 'a ping while late returns the monitor to up without a down', steps: [[0, { type: 'success' }], [3600, { type: 'deadline' }], [3650, { type: 'success' }]], state: 'up', flips: ['pending>up', 'up>late', 'late>up'], deadline: at(3650 + 3600) },
    { name: 'a stale deadline event (deadline not reached) changes nothing', steps: [[0, { type: 'success' }], [100, { type: 'deadline' }]], state: 'up', flips: ['pending>up'] },
    { name: 'a failure ping makes the monitor down with reason failed', steps: [[0, { type: 'fail' }]], state: 'down', reason: 'failed', flips: ['pending>down'], deadline: null },
    { name: 'a non-zero exit code is a failure that keeps the code', steps: [[0, { type: 'fail', exitCode: 3 }]], state: 'down', reason: 'failed', flips: ['pending>down'] },
    { name: 'a success after down is a recovery', steps: [[0, { type: 'fail' }], [60, { type: 'success' }]], state: 'up', flips: ['pending>down', 'down>up'] },
    { name: 'an ok ping resets a down monitor to up', steps: [[0, { type: 'fail' }], [60, { type: 'reset' }]], state: 'up', flips: ['pending>down', 'down>up'], deadline: at(60 + 3600) },
    { name: 'a second failure while down adds no flip', steps: [[0, { type: 'fail' }], [60, { type: 'fail' }]], state: 'down', reason: 'failed', flips: ['pending>down'] },
    { name: 'a start makes the monitor running until the completion', steps: [[0, { type: 'success' }], [3500, { type: 'start' }], [3550, { type: 'success' }]], state: 'up', flips: ['pending>up', 'up>running', 'running>up'] },
    { name: 'a run that never completes times out at the expected time plus grace', steps: [[0, { type: 'success' }], [3500, { type: 'start' }], [3720, { type: 'deadline' }]], state: 'down', reason: 'timeout', flips: ['pending>up', 'up>running', 'running>down'] },
    { name: 'a timed-out run is over: resuming after a pause does not bring it back as running', steps: [[0, { type: 'success' }], [3500, { type: 'start' }], [3720, { type: 'deadline' }], [3730, { type: 'pause' }], [3740, { type: 'resume' }]], state: 'up', flips: ['pending>up', 'up>running', 'running>down', 'down>paused', 'paused>up'] },
    { name: 'a run started after the expected time still gets the grace period', steps: [[0, { type: 'success' }], [3610, { type: 'start' }]], state: 'running', flips: ['pending>up', 'up>running'], deadline: at(3610 + 120) },
    { name: 'a start while down keeps it down until a success', steps: [[0, { type: 'fail' }], [10, { type: 'start' }]], state: 'down', flips: ['pending>down'] },
    { name: 'a log ping changes nothing', steps: [[0, { type: 'success' }], [10, { type: 'log' }]], state: 'up', flips: ['pending>up'], deadline: at(3600) },
    { name: 'a paused monitor records pings but stays paused with no deadline', steps: [[0, { type: 'pause' }], [10, { type: 'success' }], [20000, { type: 'deadline' }]], state: 'paused', flips: ['pending>paused'], deadline: null },
    { name: 'a timed pause expires at its deadline and the monitor expects a fresh ping', steps: [[0, { type: 'success' }], [10, { type: 'pause', until: at(7200) }], [7200, { type: 'deadline' }]], state: 'up', flips: ['pending>up', 'up>paused', 'paused>up'], deadline: at(7200 + 3600) },
    { name: 'a pause that expires while the job is still failing goes back to down', steps: [[0, { type: 'fail' }], [10, { type: 'pause', until: at(100) }], [100, { type: 'deadline' }]], state: 'down', reason: 'failed', flips: ['pending>down', 'down>paused', 'paused>down'] },
    { name: 'a failure reported during a pause surfaces on resume', steps: [[0, { type: 'success' }], [10, { type: 'pause' }], [20, { type: 'fail', exitCode: 1 }], [30, { type: 'resume' }]], state: 'down', reason: 'failed', flips: ['pending>up', 'up>paused', 'paused>down'] },
    { name: 'a missed deadline before a pause does not count after resume', steps: [[0, { type: 'success' }], [9000, { type: 'deadline' }], [9010, { type: 'pause' }], [9020, { type: 'resume' }]], state: 'up', flips: ['pending>up', 'up>down', 'down>paused', 'paused>up'], deadline: at(9020 + 3600) },
    { name: 'resuming a never-pinged monitor makes it pending again', steps: [[0, { type: 'pause' }], [50, { type: 'resume' }]], state: 'pending', flips: ['pending>paused', 'paused>pending'] },
    { name: 'resume on a monitor that is not paused changes nothing', steps: [[0, { type: 'success' }], [5, { type: 'resume' }]], state: 'up', flips: ['pending>up'] },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const { status, flips } = run(c.steps);
      assert.equal(status.state, c.state);
      assert.deepEqual(flips.map((f) => `${f.from}>${f.to}`), c.flips);
      if (c.reason !== undefined) assert.equal(status.downReason, c.reason);
      if (c.deadline !== undefined) assert.deepEqual(status.deadline, c.deadline);
    });
  }

  it('keeps the exit code of a failing ping and explains it in the flip', () => {
    const { status, flips } = run([[0, { type: 'fail', exitCode: 42 }]]);
    assert.equal(status.downExitCode, 42);
    assert.match(flips[0]!.reason, /exit code 42/);
  });

  it('bumps the version on every change and not otherwise', () => {
    const s0 = initialStatus(T0, hourly);
    const a = applyEvent(s0, { type: 'success' }, at(1), hourly).status;
    assert.equal(a.version, 1);
    assert.equal(applyEvent(a, { type: 'log' }, at(2), hourly).status.version, 1);
    assert.equal(applyEvent(a, { type: 'deadline' }, at(2), hourly).status.version, 1);
  });

  it('with zero grace goes straight from up to down at the expected time', () => {
    const timing = { ...hourly, graceSeconds: 0 };
    const { status, flips } = run([[0, { type: 'success' }], [3600, { type: 'deadline' }]], timing);
    assert.equal(status.state, 'down');
    assert.deepEqual(flips.map((f) => f.to), ['up', 'down']);
  });

  it('a rescheduled late monitor whose new expectation is in the future is up again', () => {
    const slow: Timing = { graceSeconds: 120, realertSeconds: 0, rules: DEFAULT_RUN_RULES, next: (after) => new Date(after.getTime() + 86_400_000) };
    let s = run([[0, { type: 'success' }], [3600, { type: 'deadline' }]]).status;
    assert.equal(s.state, 'late');
    const t = applyEvent(s, { type: 'reschedule' }, at(3610), slow);
    s = t.status;
    assert.equal(s.state, 'up');
    assert.deepEqual(s.deadline, at(86_400));
  });

  it('repeats the down alert every realert interval and stops after 10 alerts until recovery', () => {
    const timing: Timing = { ...hourly, graceSeconds: 0, realertSeconds: 8 * 3600 };
    let status = initialStatus(T0, timing);
    const step = (event: MonitorEvent, offset: number) => {
      const t = applyEvent(status, event, at(offset), timing);
      status = t.status;
      return t;
    };
    step({ type: 'fail' }, 0);
    assert.equal(status.downAlerts, 1);
    assert.deepEqual(status.deadline, at(8 * 3600), 'the scheduler comes back for the repeat');
    assert.deepEqual(step({ type: 'deadline' }, 8 * 3600 - 1).alerts, [], 'not before the interval');
    const sequences: number[] = [];
    for (let i = 1; i <= 12; i++) {
      const t = step({ type: 'deadline' }, i * 8 * 3600);
      sequences.push(...t.alerts.map((a) => a.sequence));
      assert.equal(t.flips.length, 0, 'a repeat is not a state change');
    }
    assert.deepEqual(sequences, [2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(status.deadline, null, 'silent after the tenth alert');
    const recovered = step({ type: 'success' }, 200 * 3600);
    assert.deepEqual(recovered.flips.map((f) => f.to), ['up']);
    assert.equal(status.downAlerts, 0);
    step({ type: 'fail' }, 201 * 3600);
    assert.equal(status.downAlerts, 1, 'a new incident starts counting again');
    assert.deepEqual(status.realertAt, at(209 * 3600));
  });

  it('never repeats when the realert interval is 0', () => {
    const timing: Timing = { ...hourly, realertSeconds: 0 };
    const down = applyEvent(initialStatus(T0, timing), { type: 'fail' }, at(0), timing).status;
    assert.equal(down.deadline, null);
    assert.equal(down.realertAt, null);
  });
});

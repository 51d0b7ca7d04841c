import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MonitorState } from '../../src/domain/monitor.js';
import { eventsOfFlip } from '../../src/domain/notify-events.js';

describe('which events a state change raises', () => {
  const cases: [MonitorState, MonitorState, string | null, string[]][] = [
    ['up', 'down', 'missed', ['on_down']],
    ['running', 'down', 'failed', ['on_down', 'on_fail']],
    ['down', 'up', null, ['on_recovery']],
    ['down', 'running', null, ['on_recovery']],
    ['degraded', 'up', null, ['on_recovery']],
    ['up', 'degraded', null, ['on_degraded']],
    ['down', 'degraded', null, ['on_recovery', 'on_degraded']],
    ['up', 'late', null, ['on_late']],
    ['late', 'up', null, []],
    ['up', 'paused', null, []],
    ['paused', 'down', 'failed', ['on_down', 'on_fail']],
  ];
  for (const [from, to, reason, events] of cases) {
    it(`${from} → ${to}${reason ? ` (${reason})` : ''}: ${events.join(', ') || 'nothing'}`, () => {
      assert.deepEqual(eventsOfFlip({ from, to }, reason), events);
    });
  }

  it('a change marked not to notify (a manual reset, a tolerated miss) raises nothing', () => {
    assert.deepEqual(eventsOfFlip({ from: 'down', to: 'up', notify: false }, null), []);
  });
});

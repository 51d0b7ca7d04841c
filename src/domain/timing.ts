/** Parsed schedules, memoized: the ping path computes one next-expected instant per ping. */
import type { MonitorConfig } from './monitor.js';
import { scheduleOf } from './monitor-config.js';
import { nextExpected, type Schedule } from './schedule.js';
import type { Timing } from './transitions.js';

const MAX_ENTRIES = 10_000;
const schedules = new Map<string, Schedule>();

export function parsedSchedule(config: Pick<MonitorConfig, 'schedule' | 'timezone'>): Schedule {
  const key = `${config.timezone}\u0000${config.schedule}`;
  let schedule = schedules.get(key);
  if (!schedule) {
    schedule = scheduleOf(config);
    if (schedules.size >= MAX_ENTRIES) schedules.delete(schedules.keys().next().value as string);
    schedules.set(key, schedule);
  }
  return schedule;
}

type TimingConfig = Pick<MonitorConfig, 'schedule' | 'timezone' | 'graceSeconds' | 'realertSeconds' | 'runRules'>;

/**
 * The last timing built for each run-rules object, with what it was built from. Every decision copies the
 * monitor but keeps its runRules object, so a monitor's next ping finds its timing here without building the
 * schedule's key or a new closure (both threads deciding pings did that per ping). Monitors that share a rules
 * object (defaults) and differ otherwise just build theirs again.
 */
const lastTiming = new WeakMap<object, { config: Omit<TimingConfig, 'runRules'>; timing: Timing }>();

export function timingOf(config: TimingConfig): Timing {
  const last = lastTiming.get(config.runRules);
  if (last && last.config.schedule === config.schedule && last.config.timezone === config.timezone && last.config.graceSeconds === config.graceSeconds && last.config.realertSeconds === config.realertSeconds) {
    return last.timing;
  }
  const schedule = parsedSchedule(config);
  const timing: Timing = { graceSeconds: config.graceSeconds, realertSeconds: config.realertSeconds, rules: config.runRules, next: (after) => nextExpected(schedule, after) };
  if (typeof config.runRules === 'object' && config.runRules !== null) lastTiming.set(config.runRules, { config: { schedule: config.schedule, timezone: config.timezone, graceSeconds: config.graceSeconds, realertSeconds: config.realertSeconds }, timing });
  return timing;
}

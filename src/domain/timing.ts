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

export function timingOf(config: Pick<MonitorConfig, 'schedule' | 'timezone' | 'graceSeconds' | 'realertSeconds' | 'runRules'>): Timing {
  const schedule = parsedSchedule(config);
  return { graceSeconds: config.graceSeconds, realertSeconds: config.realertSeconds, rules: config.runRules, next: (after) => nextExpected(schedule, after) };
}

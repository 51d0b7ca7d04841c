import type { Clock } from '../../src/app/clock.js';

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  private t: number;
  constructor(start: string | Date = '2026-01-05T10:00:00.000Z') {
    this.t = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.t);
  }
  advance(seconds: number): Date {
    this.t += seconds * 1000;
    return this.now();
  }
  set(instant: string | Date): Date {
    this.t = new Date(instant).getTime();
    return this.now();
  }
}

/**
 * Moves monitors to late, down (missed or timed out) and out of timed pauses at their stored deadlines.
 * `tick()` does one pass; `start()` runs it on a timer set for the earliest stored deadline, so transitions
 * happen on time rather than on a coarse polling interval. Deadline claims are compare-and-set on the
 * monitor's version, so several schedulers may share one database.
 */
import type { Clock } from '../app/clock.js';
import { timingOf } from '../domain/timing.js';
import { applyEvent } from '../domain/transitions.js';
import type { Store } from '../storage/store.js';
import type { Logger } from '../runtime/logger.js';

export interface SchedulerOptions {
  batchSize?: number;
  /** Longest sleep between passes: a safety net for deadlines set by other processes. */
  maxSleepMs?: number;
}

export interface SchedulerStats {
  transitions: number;
  /** How late the last pass handled its most overdue monitor, in ms. */
  lastLagMs: number;
  ticks: number;
}

export class Scheduler {
  readonly stats: SchedulerStats = { transitions: 0, lastLagMs: 0, ticks: 0 };
  private timer: NodeJS.Timeout | null = null;
  private wakeAt = Infinity;
  private running = false;
  private ticking: Promise<void> | null = null;
  private failures = 0;
  private readonly batchSize: number;
  private readonly maxSleepMs: number;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    options: SchedulerOptions = {},
    /** Called after a pass that changed states (and so may have queued notifications). */
    private readonly onTransitions: () => void = () => undefined,
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.maxSleepMs = options.maxSleepMs ?? 5_000;
  }

  /** One pass over every monitor due at the clock's current instant. Returns the number of transitions. */
  async tick(): Promise<number> {
    const now = this.clock.now();
    let moved = 0;
    let lag = 0;
    for (;;) {
      const due = await this.store.dueMonitors(now, this.batchSize);
      for (const monitor of due) {
        if (monitor.deadline) lag = Math.max(lag, now.getTime() - monitor.deadline.getTime());
        const { status, flips, alerts } = applyEvent(monitor, { type: 'deadline' }, now, timingOf(monitor));
        if (status.version === monitor.version) continue;
        // false: a ping or another scheduler changed it first; its new deadline will bring it back if needed.
        if (await this.store.updateMonitor({ ...monitor, ...status, updatedAt: now }, monitor.version, flips, alerts)) moved++;
      }
      if (due.length < this.batchSize) break;
    }
    this.stats.transitions += moved;
    if (moved > 0) this.onTransitions();
    this.stats.lastLagMs = lag;
    this.stats.ticks++;
    return moved;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.arm(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.ticking;
  }

  /** Tells a sleeping scheduler that a deadline may now be earlier than the one it sleeps towards. */
  poke(deadline: Date | null): void {
    if (!this.running || deadline === null || this.ticking) return;
    if (deadline.getTime() < this.wakeAt) this.arm(deadline.getTime() - this.clock.now().getTime());
  }

  private arm(delayMs: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    const delay = Math.min(Math.max(delayMs, 0), this.maxSleepMs);
    this.wakeAt = this.clock.now().getTime() + delay;
    // +1 ms: due means deadline <= now, and timers may fire a hair early relative to Date.
    this.timer = setTimeout(() => void this.loop(), delay + 1);
    this.timer.unref?.();
  }

  private async loop(): Promise<void> {
    this.timer = null;
    this.wakeAt = Infinity;
    let delay = this.maxSleepMs;
    this.ticking = (async () => {
      try {
        await this.tick();
        this.failures = 0;
        const next = await this.store.nextDeadline();
        if (next) delay = next.getTime() - this.clock.now().getTime();
      } catch (err) {
        this.failures++;
        delay = Math.min(this.maxSleepMs, 100 * 2 ** this.failures);
        this.logger.error({ err }, 'scheduler pass failed; retrying');
      }
    })();
    await this.ticking;
    this.ticking = null;
    this.arm(delay);
  }
}

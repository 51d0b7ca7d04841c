/**
 * Moves monitors to late, down (missed or timed out) and out of timed pauses at their stored deadlines.
 * `tick()` does one pass; `start()` runs it on a timer set for the earliest stored deadline, so transitions
 * happen on time rather than on a coarse polling interval. Deadline claims are compare-and-set on the
 * monitor's version, so several schedulers may share one database.
 */
import type { Clock } from '../app/clock.js';
import { WakeLoop } from '../app/wake-loop.js';
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
  private readonly loop: WakeLoop;
  private readonly batchSize: number;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    options: SchedulerOptions = {},
    /** Called after a pass that changed states (and so may have queued notifications). */
    private readonly onTransitions: () => void = () => undefined,
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.loop = new WakeLoop({
      name: 'scheduler',
      clock,
      logger,
      maxSleepMs: options.maxSleepMs ?? 5_000,
      pass: async () => {
        await this.tick();
        const next = await this.store.nextDeadline();
        return next ? next.getTime() - this.clock.now().getTime() : null;
      },
    });
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
        const { status, flips, alerts, runs } = applyEvent(monitor, { type: 'deadline' }, now, timingOf(monitor));
        if (status.version === monitor.version) continue;
        // false: a ping or another scheduler changed it first; its new deadline will bring it back if needed.
        if (await this.store.updateMonitor({ ...monitor, ...status, updatedAt: now }, monitor.version, flips, alerts, runs)) moved++;
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
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Tells a sleeping scheduler that a deadline may now be earlier than the one it sleeps towards. */
  poke(deadline: Date | null): void {
    if (deadline !== null) this.loop.wake(deadline);
  }
}

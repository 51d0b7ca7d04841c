/**
 * Moves monitors to late, down (missed or timed out) and out of timed pauses at their stored deadlines.
 * `tick()` does one pass; `start()` runs it on a timer set for the earliest stored deadline, so transitions
 * happen on time rather than on a coarse polling interval. Deadline claims are compare-and-set on the
 * monitor's version, so several schedulers may share one database: each transition is written by exactly one.
 */
import type { Clock } from '../app/clock.js';
import { WakeLoop } from '../app/wake-loop.js';
import type { Monitor } from '../domain/monitor.js';
import { timingOf } from '../domain/timing.js';
import { applyEvent } from '../domain/transitions.js';
import type { Store } from '../storage/store.js';
import type { Logger } from '../runtime/logger.js';

export interface SchedulerOptions {
  batchSize?: number;
  /** Transitions written at once (default 4 on a shared store, else 1). */
  concurrency?: number;
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
  private readonly concurrency: number;
  private readonly shared: boolean;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    options: SchedulerOptions = {},
    /** Called after transitions that stored flips or alerts (and so may have queued notifications). */
    private readonly onTransitions: () => void = () => undefined,
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.shared = store.capabilities.shared;
    this.concurrency = Math.max(1, options.concurrency ?? (this.shared ? 4 : 1));
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
      for (const monitor of due) if (monitor.deadline) lag = Math.max(lag, now.getTime() - monitor.deadline.getTime());
      // On a shared store the other nodes' schedulers see the same due monitors. Each walks them in its own random
      // order, a few at a time, so that they mostly take different monitors instead of queueing on the same row
      // locks to lose the same compare-and-sets.
      const order = this.shared ? shuffled(due) : due;
      for (let i = 0; i < order.length; i += this.concurrency) {
        const outcomes = await Promise.all(order.slice(i, i + this.concurrency).map((m) => this.transition(m, now)));
        moved += outcomes.filter((o) => o !== 'unchanged').length;
        // Now, not after the pass: when many monitors fall due together, the first alerts need not wait for the last.
        if (outcomes.includes('raised')) this.onTransitions();
      }
      if (due.length < this.batchSize) break;
    }
    this.stats.transitions += moved;
    this.stats.lastLagMs = lag;
    this.stats.ticks++;
    return moved;
  }

  /** Applies the deadline to one monitor: 'raised' when it stored flips or alerts, 'moved' for a quiet change. */
  private async transition(monitor: Monitor, now: Date): Promise<'unchanged' | 'moved' | 'raised'> {
    const { status, flips, alerts, runs } = applyEvent(monitor, { type: 'deadline' }, now, timingOf(monitor));
    if (status.version === monitor.version) return 'unchanged';
    // false: a ping or another scheduler changed it first; its new deadline will bring it back if needed.
    if (!(await this.store.updateMonitor({ ...monitor, ...status, updatedAt: now }, monitor.version, flips, alerts, runs))) return 'unchanged';
    return flips.length > 0 || alerts.length > 0 ? 'raised' : 'moved';
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

/** A copy of `items` in random order (Fisher–Yates). */
function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

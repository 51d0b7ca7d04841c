/**
 * The timer loop shared by the background workers (scheduler, notifier, pruner): run a pass, sleep until the
 * pass says work is next due (never longer than `maxSleepMs`, a safety net for work created by other
 * processes), and wake early when told something is due sooner. A wake-up that arrives during a pass is kept
 * and honoured after it, so no deadline set meanwhile is slept through. A failed pass is logged and retried
 * with backoff; it never crashes the process.
 */
import type { Logger } from '../runtime/logger.js';
import type { Clock } from './clock.js';

export interface WakeLoopOptions {
  /** One pass; resolves to the delay in ms until the next pass is needed (null: nothing known, sleep the max). */
  pass: () => Promise<number | null>;
  clock: Clock;
  logger: Logger;
  maxSleepMs: number;
  /** First retry delay after a failed pass; doubles per consecutive failure, up to maxSleepMs. */
  retryMs?: number;
  /** For log lines. */
  name: string;
}

export class WakeLoop {
  private timer: NodeJS.Timeout | null = null;
  private wakeAt = Infinity;
  private running = false;
  private passing: Promise<void> | null = null;
  /** The earliest wake-up requested while a pass was running (epoch ms). */
  private requestedDuringPass = Infinity;
  private failures = 0;

  constructor(private readonly options: WakeLoopOptions) {}

  /** Starts the loop; the first pass runs after `initialDelayMs` (default at once). */
  start(initialDelayMs = 0): void {
    if (this.running) return;
    this.running = true;
    this.arm(initialDelayMs);
  }

  /** Stops the timer and waits for a running pass to finish. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.passing;
  }

  /** Asks for a pass at `at` (default: now) if that is earlier than the planned one. */
  wake(at: Date | null = null): void {
    if (!this.running) return;
    const atMs = at?.getTime() ?? this.options.clock.now().getTime();
    if (this.passing) this.requestedDuringPass = Math.min(this.requestedDuringPass, atMs);
    else if (atMs < this.wakeAt) this.arm(atMs - this.options.clock.now().getTime());
  }

  private arm(delayMs: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    const delay = Math.min(Math.max(delayMs, 0), this.options.maxSleepMs);
    this.wakeAt = this.options.clock.now().getTime() + delay;
    // +1 ms: due means deadline <= now, and timers may fire a hair early relative to Date.
    this.timer = setTimeout(() => void this.run(), delay + 1);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    this.timer = null;
    this.wakeAt = Infinity;
    let delay = this.options.maxSleepMs;
    this.passing = (async () => {
      try {
        delay = (await this.options.pass()) ?? this.options.maxSleepMs;
        this.failures = 0;
      } catch (err) {
        this.failures++;
        delay = Math.min(this.options.maxSleepMs, (this.options.retryMs ?? 100) * 2 ** (this.failures - 1));
        this.options.logger.error({ err }, `${this.options.name} pass failed; retrying`);
      }
    })();
    await this.passing;
    this.passing = null;
    const requested = this.requestedDuringPass - this.options.clock.now().getTime();
    this.requestedDuringPass = Infinity;
    this.arm(Math.min(delay, requested));
  }
}

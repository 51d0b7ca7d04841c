/**
 * Bounds ping history: keeps the newest `keep` pings of each monitor. Works through the monitors a few at a
 * time in short transactions, so pruning never holds up ping ingestion for long, and sleeps between passes.
 */
import { systemClock, type Clock } from '../app/clock.js';
import { WakeLoop } from '../app/wake-loop.js';
import type { Logger } from '../runtime/logger.js';
import type { Store } from '../storage/store.js';

export interface PrunerOptions {
  keep: number;
  monitorsPerStep?: number;
  rowsPerStep?: number;
  /** Pause between passes over all monitors. */
  intervalMs?: number;
}

export class Pruner {
  deletedTotal = 0;
  private cursor: string | null = null;
  private readonly loop: WakeLoop;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly options: PrunerOptions,
    clock: Clock = systemClock,
  ) {
    const interval = options.intervalMs ?? 60_000;
    // A pass that finished a sweep over all monitors sleeps the interval; otherwise the next step follows soon.
    this.loop = new WakeLoop({ name: 'ping pruning', clock, logger, maxSleepMs: interval, retryMs: interval, pass: async () => ((await this.tick()) ? interval : 50) });
  }

  /** One short step; returns true when a full pass over all monitors has just finished. */
  async tick(): Promise<boolean> {
    const { deleted, next } = await this.store.prunePings(this.options.keep, this.cursor, this.options.monitorsPerStep ?? 200, this.options.rowsPerStep ?? 2000);
    this.deletedTotal += deleted;
    this.cursor = next;
    return next === null;
  }

  /** The first sweep waits one interval: start-up is no time for housekeeping. */
  start(): void {
    this.loop.start(this.options.intervalMs ?? 60_000);
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }
}

/**
 * Bounds ping history: keeps the newest `keep` pings of each monitor. Works through the monitors a few at a
 * time in short transactions, so pruning never holds up ping ingestion for long, and sleeps between passes.
 */
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
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private step: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly options: PrunerOptions,
  ) {}

  /** One short step; returns true when a full pass over all monitors has just finished. */
  async tick(): Promise<boolean> {
    const { deleted, next } = await this.store.prunePings(this.options.keep, this.cursor, this.options.monitorsPerStep ?? 200, this.options.rowsPerStep ?? 2000);
    this.deletedTotal += deleted;
    this.cursor = next;
    return next === null;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.arm(this.options.intervalMs ?? 60_000);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.step;
  }

  private arm(delay: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.step = this.tick().then(
        (passDone) => this.arm(passDone ? (this.options.intervalMs ?? 60_000) : 50),
        (err: unknown) => {
          this.logger.error({ err }, 'ping pruning failed; retrying later');
          this.arm(this.options.intervalMs ?? 60_000);
        },
      );
    }, delay);
    this.timer.unref();
  }
}

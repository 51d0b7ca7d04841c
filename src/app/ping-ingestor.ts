/**
 * Group commit for pings: requests arriving in the same turn of the event loop share one `recordPings` batch
 * (one transaction, or one journal write for SQLite), and each is answered only after that batch is durable.
 * Up to `maxInFlight` batches are in flight at once, so a backend whose commit does not block the event loop
 * (PostgreSQL, the SQLite journal and worker thread) overlaps them.
 */
import type { PingInput } from '../domain/ping.js';
import { decidePing } from '../domain/ping-decision.js';
import type { PingOutcome, Store } from '../storage/store.js';

export interface IngestorOptions {
  maxBatch?: number;
  maxInFlight?: number;
  /** Called after every committed batch with the outcomes (metrics, scheduler wake-ups). */
  onCommitted?: (pings: PingInput[], outcomes: PingOutcome[]) => void;
}

interface Pending {
  ping: PingInput;
  resolve: (o: PingOutcome) => void;
  reject: (e: unknown) => void;
}

export class PingIngestor {
  private queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;

  constructor(
    private readonly store: Store,
    private readonly options: IngestorOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 1000;
    this.maxInFlight = options.maxInFlight ?? 2;
  }

  /** Resolves once the ping (and the monitor's new state) is durable. */
  record(ping: PingInput): Promise<PingOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ping, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxBatch);
    this.inFlight++;
    try {
      const pings = batch.map((p) => p.ping);
      const outcomes = await this.store.recordPings(pings, decidePing);
      batch.forEach((p, i) => p.resolve(outcomes[i] as PingOutcome));
      this.options.onCommitted?.(pings, outcomes);
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }
}

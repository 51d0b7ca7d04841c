/**
 * Group commit for pings: requests arriving in the same turn of the event loop share one `recordPings` batch
 * (one transaction, or one journal write for SQLite), and each is answered only after that batch is durable.
 * Up to `maxInFlight` batches are in flight at once, so a backend whose commit does not block the event loop
 * (PostgreSQL, the SQLite journal and worker thread) overlaps them.
 *
 * With `separateTokens` (PostgreSQL, which locks a batch's monitor rows until it commits), a ping for a
 * monitor that a batch in flight holds waits for the next batch instead of joining one that would only wait
 * for that lock: with random tokens, two batches of ~100 among 10 000 monitors share one most of the time,
 * which made the second batch wait for the first's commit and the two "in flight" run one after the other.
 */
import type { PingInput } from '../domain/ping.js';
import { decidePing } from '../domain/ping-decision.js';
import type { PingOutcome, Store } from '../storage/store.js';

export interface IngestorOptions {
  maxBatch?: number;
  maxInFlight?: number;
  /** Never send a ping while a batch in flight has one for the same token (see above). */
  separateTokens?: boolean;
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
  /** Token → pings of it in the batches in flight (kept only with `separateTokens`). */
  private readonly inFlightTokens = new Map<string, number>();

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
    const batch = this.takeBatch();
    if (batch.length === 0) return; // every queued token is in flight: the batch that ends first reschedules
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
      if (this.options.separateTokens) this.release(batch);
      this.schedule();
    }
  }

  /** The next batch: the oldest queued pings, skipping (and keeping in order) those whose token is in flight. */
  private takeBatch(): Pending[] {
    if (!this.options.separateTokens) return this.queue.splice(0, this.maxBatch);
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    for (const p of this.queue) {
      if (batch.length < this.maxBatch && !this.inFlightTokens.has(p.ping.token)) batch.push(p);
      else rest.push(p);
    }
    this.queue = rest;
    for (const { ping } of batch) this.inFlightTokens.set(ping.token, (this.inFlightTokens.get(ping.token) ?? 0) + 1);
    return batch;
  }

  private release(batch: Pending[]): void {
    for (const { ping } of batch) {
      const n = this.inFlightTokens.get(ping.token) ?? 1;
      if (n <= 1) this.inFlightTokens.delete(ping.token);
      else this.inFlightTokens.set(ping.token, n - 1);
    }
  }
}

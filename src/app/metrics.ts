/** In-process counters exposed at /metrics in the Prometheus text format. */
import type { PingInput } from '../domain/ping.js';
import type { PingOutcome } from '../storage/store.js';

export class Metrics {
  readonly pingsByKind = new Map<string, number>();
  unknownTokenPings = 0;
  pingBatches = 0;

  /** @param roles what this node runs (api, scheduler, notifier), reported by /healthz and /metrics. */
  constructor(readonly roles: readonly string[] = ['api', 'scheduler', 'notifier']) {}

  countBatch(pings: PingInput[], outcomes: PingOutcome[]): void {
    this.pingBatches++;
    pings.forEach((p, i) => {
      if (!outcomes[i]?.found) {
        this.unknownTokenPings++;
        return;
      }
      const key = `${p.kind}\u0000${p.source}`;
      this.pingsByKind.set(key, (this.pingsByKind.get(key) ?? 0) + 1);
    });
  }
}

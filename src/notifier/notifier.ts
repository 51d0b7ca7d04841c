/**
 * Delivers the outbox. `tick()` claims due notifications (compare-and-set with a lease, so several notifiers
 * may share a database and a crashed one's claims come back after the lease), sends each through its channel
 * kind, and records the outcome: sent, retry later with backoff, or failed for good. `start()` runs it on a
 * timer set for the next due row, and `poke()` wakes it when a state change has just enqueued something.
 */
import type { Clock } from '../app/clock.js';
import { WakeLoop } from '../app/wake-loop.js';
import type { Logger } from '../runtime/logger.js';
import type { Notification, Store } from '../storage/store.js';
import { retryAt } from './backoff.js';
import { ChannelError, type ChannelKind } from './channel.js';
import { buildMessage } from './messages.js';
import type { OutboundHttp } from './outbound-http.js';

export interface NotifierOptions {
  baseUrl: () => string;
  http: OutboundHttp;
  kinds: ReadonlyMap<string, ChannelKind>;
  /** Deliveries in flight at most (default 20). */
  concurrency?: number;
  /** How long a claim is held; a delivery that outlives it may be re-sent once by another notifier. */
  leaseMs?: number;
  maxSleepMs?: number;
}

export interface NotifierStats {
  sent: number;
  retried: number;
  failed: number;
}

export class Notifier {
  readonly stats: NotifierStats = { sent: 0, retried: 0, failed: 0 };
  private readonly loop: WakeLoop;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: NotifierOptions,
  ) {
    this.loop = new WakeLoop({
      name: 'notifier',
      clock,
      logger,
      maxSleepMs: options.maxSleepMs ?? 5_000,
      retryMs: 1_000,
      pass: async () => {
        await this.tick();
        const next = await this.store.nextNotificationAt();
        return next ? next.getTime() - this.clock.now().getTime() : null;
      },
    });
  }

  /**
   * Claims and delivers what is due now, keeping up to `concurrency` deliveries in flight: a free slot is
   * refilled as soon as half of them are free, so one slow receiver holds up only its own slot, not a whole
   * batch (a mass outage's alerts go out at the pace of the fast receivers). Returns the attempts made.
   */
  async tick(): Promise<number> {
    const concurrency = Math.max(1, this.options.concurrency ?? 20);
    const inFlight = new Set<Promise<void>>();
    let attempted = 0;
    let more = true;
    let failure: { error: unknown } | null = null;
    // After a failure nothing more is claimed; the deliveries already started finish, then the pass fails.
    while (inFlight.size > 0 || (more && !failure)) {
      if (more && !failure && inFlight.size <= concurrency / 2) {
        const now = this.clock.now();
        const free = concurrency - inFlight.size;
        const claimed = await this.store.claimNotifications(now, new Date(now.getTime() + (this.options.leaseMs ?? 60_000)), free).catch((error: unknown) => {
          failure ??= { error };
          return [];
        });
        more = claimed.length === free;
        attempted += claimed.length;
        for (const n of claimed) {
          // Kept in the set until settled, and never left rejected: a failed record waits in `failure` for the pass.
          const delivery: Promise<void> = this.deliver(n)
            .catch((error: unknown) => {
              failure ??= { error };
            })
            .finally(() => inFlight.delete(delivery));
          inFlight.add(delivery);
        }
      }
      if (inFlight.size > 0) await Promise.race(inFlight);
    }
    if (failure) throw (failure as { error: unknown }).error;
    return attempted;
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Something was just enqueued: deliver it now rather than at the next scheduled wake-up. */
  poke(): void {
    this.loop.wake();
  }

  private async deliver(n: Notification): Promise<void> {
    const now = () => this.clock.now();
    try {
      const [monitor, channel] = await Promise.all([this.store.getMonitorById(n.monitorId), this.store.getChannel(n.projectId, n.channelId)]);
      if (!monitor || !channel) throw new ChannelError('the monitor or channel no longer exists', { permanent: true });
      const kind = this.options.kinds.get(channel.kind);
      if (!kind) throw new ChannelError(`no sender for channel kind "${channel.kind}"`, { permanent: true });
      const downSince = n.event === 'on_recovery' && n.flip.from === 'down' ? await this.downSince(n) : null;
      const result = await kind.send(buildMessage(n, monitor, this.options.baseUrl(), downSince), this.configOf(kind, channel.config), this.options.http);
      await this.store.finishNotification(n.id, { ok: true, at: now(), responseCode: result.status });
      this.stats.sent++;
    } catch (err) {
      const permanent = err instanceof ChannelError && err.permanent;
      const status = err instanceof ChannelError ? err.status : null;
      const message = err instanceof Error ? err.message : String(err);
      const retry = permanent ? null : retryAt(n.attempts, n.createdAt, now());
      const error = retry || permanent ? message : `gave up after 24 hours of retries: ${message}`;
      await this.store.finishNotification(n.id, { ok: false, at: now(), error, responseCode: status, retryAt: retry });
      if (retry) this.stats.retried++;
      else this.stats.failed++;
      this.logger.warn({ notification: n.id, channel: n.channelId, error: message, retry: retry?.toISOString() ?? null }, 'notification delivery failed');
    }
  }

  /** A stored config that no longer validates will not fix itself: that is a permanent failure, not a retry. */
  private configOf(kind: ChannelKind, config: Record<string, unknown>): Record<string, unknown> {
    try {
      return kind.parseConfig(config);
    } catch (err) {
      throw new ChannelError(`channel config is invalid: ${err instanceof Error ? err.message : String(err)}`, { permanent: true });
    }
  }

  /** When the incident a recovery ends began: the latest flip into `down` before it. */
  private async downSince(n: Notification): Promise<Date | null> {
    const flips = await this.store.listFlips(n.monitorId, 50, 0);
    return flips.items.find((f) => f.to === 'down' && f.at.getTime() <= n.flip.at.getTime())?.at ?? null;
  }
}

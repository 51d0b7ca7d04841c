/**
 * The wake bus between nodes sharing a PostgreSQL database: NOTIFY on a channel per schema, and one dedicated
 * connection per node that LISTENs on it (a pooled connection cannot: LISTEN belongs to a session). That
 * connection reconnects with back-off when the database restarts; after a reconnect the node wakes its own
 * workers once, since announcements made meanwhile were lost.
 *
 * Announcements are cut down to what other nodes need. Their schedulers poll at least every `horizonMs`, so a
 * deadline further ahead than that is never announced; nor is one no earlier than a deadline already announced
 * and not yet passed (the schedulers woken for that one read the next deadline from the database then). What a
 * node announces in one turn of the event loop goes out as one NOTIFY.
 */
import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';
import { LocalWakeBus } from '../wake-bus.js';

export interface WakeBusLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface PgWakeBusOptions {
  /** Where NOTIFY is sent from (any pooled connection will do). */
  pool: pg.Pool;
  /** A new, unconnected client for the LISTEN connection (called again for each reconnect). */
  newClient: () => pg.Client;
  /** The schema the store's tables are in: nodes of one installation share a channel, other installations do not. */
  schema: string;
  /** Epoch ms. */
  now: () => number;
  /** Deadlines at least this far ahead are not announced (the other nodes' schedulers poll this often). */
  horizonMs: number;
  logger: WakeBusLogger;
  /** First reconnect delay; doubles per failed attempt up to 5 s. */
  retryMs?: number;
}

interface Message {
  /** The sending node, so a node ignores its own announcements (its listeners were told directly). */
  from: string;
  /** Earliest deadline announced (epoch ms), or null. */
  d: number | null;
  /** Notifications were queued. */
  n: boolean;
}

const MAX_RETRY_MS = 5_000;

/** The NOTIFY channel of a schema; channel names are identifiers, at most 63 bytes. */
export function channelOf(schema: string): string {
  const name = `overdue_wake:${schema}`;
  return Buffer.byteLength(name) <= 63 ? name : `overdue_wake:${createHash('sha256').update(schema).digest('hex').slice(0, 40)}`;
}

export class PgWakeBus extends LocalWakeBus {
  private readonly nodeId = randomBytes(8).toString('hex');
  private readonly channel: string;
  /** The LISTEN connection, or the attempt to open it; null while waiting to retry. */
  private client: pg.Client | null = null;
  private listening = false;
  private everListened = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private pending: { deadline: number; notifications: boolean } | null = null;
  /** The earliest deadline announced that has not passed yet (-Infinity: none). */
  private announced = -Infinity;

  constructor(private readonly options: PgWakeBusOptions) {
    super();
    this.channel = channelOf(options.schema);
  }

  /** Opens the LISTEN connection; if that fails, keeps retrying in the background (resolves either way). */
  async start(): Promise<void> {
    await this.listen();
  }

  /** True while the LISTEN connection is up (announcements from other nodes arrive). */
  get connected(): boolean {
    return this.listening;
  }

  override deadlineChanged(deadline: Date | null): void {
    super.deadlineChanged(deadline);
    if (deadline === null) return;
    const at = deadline.getTime();
    const now = this.options.now();
    if (at - now >= this.options.horizonMs) return;
    if (this.announced > now && at >= this.announced) return;
    this.queue({ deadline: at, notifications: false });
  }

  override notificationsQueued(): void {
    super.notificationsQueued();
    this.queue({ deadline: Infinity, notifications: true });
  }

  override async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const client = this.client;
    this.client = null;
    this.listening = false;
    await client?.end().catch(() => {});
  }

  private queue(change: { deadline: number; notifications: boolean }): void {
    if (this.closed) return;
    if (this.pending) {
      this.pending.deadline = Math.min(this.pending.deadline, change.deadline);
      this.pending.notifications ||= change.notifications;
      return;
    }
    this.pending = change;
    setImmediate(() => this.publish());
  }

  private publish(): void {
    const pending = this.pending;
    this.pending = null;
    if (!pending || this.closed) return;
    const deadline = Number.isFinite(pending.deadline) ? pending.deadline : null;
    if (deadline !== null) this.announced = this.announced > this.options.now() ? Math.min(this.announced, deadline) : deadline;
    const message: Message = { from: this.nodeId, d: deadline, n: pending.notifications };
    this.options.pool.query('SELECT pg_notify($1, $2)', [this.channel, JSON.stringify(message)]).catch((err: unknown) => {
      // The other nodes will find the work by polling; forget the announcement so the next one is not skipped.
      if (deadline !== null) this.announced = -Infinity;
      this.options.logger.debug({ err }, 'could not announce a wake-up to other nodes');
    });
  }

  private received(msg: pg.Notification): void {
    if (msg.channel !== this.channel || !msg.payload) return;
    let m: Message;
    try {
      m = JSON.parse(msg.payload) as Message;
    } catch {
      return;
    }
    if (m.from === this.nodeId) return;
    if (typeof m.d === 'number') this.wakeDeadline(new Date(m.d));
    if (m.n === true) this.wakeNotifications();
  }

  private async listen(): Promise<void> {
    if (this.closed) return;
    const client = this.options.newClient();
    this.client = client;
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, null));
    client.on('notification', (msg) => this.received(msg));
    try {
      await client.connect();
      await client.query(`LISTEN ${client.escapeIdentifier(this.channel)}`);
    } catch (err) {
      this.lost(client, err);
      return;
    }
    if (this.client !== client) return; // closed, or lost, meanwhile
    this.listening = true;
    this.failures = 0;
    if (this.everListened) {
      this.options.logger.info({}, 'wake-up connection to the database restored');
      // Announcements made while this node was not listening are lost: look for due work now.
      this.wakeDeadline(new Date(this.options.now()));
      this.wakeNotifications();
    }
    this.everListened = true;
  }

  private lost(client: pg.Client, err: unknown): void {
    if (this.client !== client) return; // an old connection's late event
    this.client = null;
    if (this.listening || this.failures === 0) this.options.logger.warn({ err }, 'wake-up connection to the database lost; other nodes\' wake-ups will be missed until it is back (workers still poll)');
    this.listening = false;
    client.end().catch(() => {});
    if (this.closed) return;
    const delay = Math.min(MAX_RETRY_MS, (this.options.retryMs ?? 250) * 2 ** this.failures);
    this.failures++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.listen();
    }, delay);
    this.retryTimer.unref();
  }
}

/**
 * The shared backend: PostgreSQL through a `pg` connection pool. Several server processes may use one database
 * (capabilities.shared), so every state change is written through at once and guarded in the database: pings
 * lock their monitors for the batch's transaction, edits and scheduler transitions are compare-and-set on the
 * monitor's version, and notifier workers claim outbox rows with SKIP LOCKED. Open with `PostgresStore.open`,
 * which migrates the schema first. A call that fails because the database cannot be reached rejects with
 * AppError('unavailable') (availability.ts); the pool reconnects by itself once the database is back.
 */
import pg from 'pg';
import type { Alert, Flip, Monitor, MonitorState } from '../../domain/monitor.js';
import type { PingInput, PingRecord } from '../../domain/ping.js';
import type { RunChange, RunRecord } from '../../domain/runs.js';
import type {
  ApiKey,
  Channel,
  DeliveryOutcome,
  MetricPoint,
  MonitorFilter,
  NewApiKey,
  Notification,
  NotificationFilter,
  NotificationList,
  NotificationRule,
  Page,
  PingDecider,
  PingOutcome,
  Project,
  Store,
} from '../store.js';
import * as accounts from './accounts.js';
import { unavailableOr, withUnavailableErrors } from './availability.js';
import { first, inTransaction } from './db.js';
import { migrate } from './migrate.js';
import * as monitors from './monitor-queries.js';
import * as notifications from './notification-queries.js';
import * as outbox from './outbox.js';
import * as pingHistory from './ping-history.js';
import { clientConfig, createPool, type PoolOptions } from './pool.js';
import { KnownMonitors } from './known-monitors.js';
import { recordPings } from './record-pings.js';
import * as runHistory from './run-history.js';
import { uniqueOrConflict } from './unique-or-conflict.js';
import { PgWakeBus, type WakeBusLogger } from './wake-bus.js';

export type PostgresOptions = PoolOptions;

export class PostgresStore implements Store {
  readonly capabilities = { backend: 'postgres', shared: true } as const;
  /** The monitors this node's ping path last saw, reused while their version is unchanged. */
  private readonly known = new KnownMonitors();

  private constructor(
    private readonly pool: pg.Pool,
    private readonly options: PostgresOptions,
    /** The schema the tables are in (the connection's current_schema()). */
    readonly schema: string,
  ) {}

  /** Connects, applies pending migrations (once, even when several nodes start together) and returns the store. */
  static async open(options: PostgresOptions): Promise<PostgresStore> {
    const pool = createPool(options);
    try {
      await migrate(pool);
      const { schema } = (await first<{ schema: string }>(pool, 'SELECT current_schema() AS schema')) ?? { schema: 'public' };
      return withUnavailableErrors(new PostgresStore(pool, options, schema));
    } catch (err) {
      await pool.end();
      throw unavailableOr(err);
    }
  }

  /**
   * A wake bus to the other nodes on this database (a LISTEN connection of its own, see wake-bus.ts). Resolves
   * once listening, or once the first attempt failed (it then keeps retrying in the background).
   */
  async openWakeBus(options: { now: () => number; horizonMs: number; logger: WakeBusLogger; retryMs?: number }): Promise<PgWakeBus> {
    const bus = new PgWakeBus({ ...options, pool: this.pool, schema: this.schema, newClient: () => new pg.Client(clientConfig(this.options)) });
    await bus.start();
    return bus;
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  async createProject(p: Project): Promise<void> {
    await accounts.createProject(this.pool, p);
  }

  async getProject(id: string): Promise<Project | null> {
    return accounts.getProject(this.pool, id);
  }

  async getProjectByPingKey(pingKey: string): Promise<Project | null> {
    return accounts.getProjectByPingKey(this.pool, pingKey);
  }

  async listProjects(): Promise<Project[]> {
    return accounts.listProjects(this.pool);
  }

  async countProjects(): Promise<number> {
    return accounts.countProjects(this.pool);
  }

  async createApiKey(k: NewApiKey): Promise<void> {
    await accounts.createApiKey(this.pool, k);
  }

  async findApiKeyByHash(hash: string): Promise<(ApiKey & { hash: string }) | null> {
    return accounts.findApiKeyByHash(this.pool, hash);
  }

  async listApiKeys(projectId: string): Promise<ApiKey[]> {
    return accounts.listApiKeys(this.pool, projectId);
  }

  async deleteApiKey(projectId: string, id: string): Promise<boolean> {
    return accounts.deleteApiKey(this.pool, projectId, id);
  }

  async insertMonitor(m: Monitor): Promise<void> {
    await uniqueOrConflict(() => monitors.insertMonitor(this.pool, m));
  }

  async getMonitor(projectId: string, id: string): Promise<Monitor | null> {
    return monitors.getMonitor(this.pool, projectId, id);
  }

  async getMonitorById(id: string): Promise<Monitor | null> {
    return monitors.getMonitorById(this.pool, id);
  }

  async getMonitorByToken(token: string): Promise<Monitor | null> {
    return monitors.getMonitorByToken(this.pool, token);
  }

  async getMonitorBySlug(pingKey: string, key: string): Promise<Monitor | null> {
    return monitors.getMonitorBySlug(this.pool, pingKey, key);
  }

  async listMonitors(projectId: string, f: MonitorFilter): Promise<Page<Monitor>> {
    return monitors.listMonitors(this.pool, projectId, f);
  }

  async updateMonitor(m: Monitor, expectedVersion: number, flips: Flip[], alerts: Alert[] = [], runs: RunChange[] = []): Promise<boolean> {
    return inTransaction(this.pool, async (tx) => {
      // The UPDATE takes the monitor's row lock, which writing its runs and outbox rows relies on.
      if (!(await uniqueOrConflict(() => monitors.updateMonitorIfVersion(tx, m, expectedVersion)))) return false;
      await runHistory.writeRuns(tx, runs.map((change) => ({ monitorId: m.id, change, pingId: null })));
      await outbox.writeFlipsAndAlerts(tx, m, flips, alerts, `alert:${m.id}:${m.updatedAt.getTime()}`);
      return true;
    });
  }

  async deleteMonitor(projectId: string, id: string): Promise<boolean> {
    return monitors.deleteMonitor(this.pool, projectId, id);
  }

  async recordPings(pings: PingInput[], decide: PingDecider): Promise<PingOutcome[]> {
    return recordPings(this.pool, pings, decide, this.known);
  }

  async listPings(monitorId: string, limit: number, offset: number): Promise<Page<PingRecord>> {
    return pingHistory.listPings(this.pool, monitorId, limit, offset);
  }

  async getPingBody(monitorId: string, pingId: number): Promise<Buffer | null> {
    return pingHistory.getPingBody(this.pool, monitorId, pingId);
  }

  async listFlips(monitorId: string, limit: number, offset: number): Promise<Page<Flip & { id: number }>> {
    return pingHistory.listFlips(this.pool, monitorId, limit, offset);
  }

  async listRuns(monitorId: string, limit: number, offset: number): Promise<Page<RunRecord>> {
    return runHistory.listRuns(this.pool, monitorId, limit, offset);
  }

  async listMetricPoints(monitorId: string, q: { name?: string; from: Date; to: Date; limit: number }): Promise<MetricPoint[]> {
    return pingHistory.listMetricPoints(this.pool, monitorId, q);
  }

  async dueMonitors(now: Date, limit: number): Promise<Monitor[]> {
    return monitors.dueMonitors(this.pool, now, limit);
  }

  async nextDeadline(): Promise<Date | null> {
    return monitors.nextDeadline(this.pool);
  }

  async countMonitorsByState(): Promise<Partial<Record<MonitorState, number>>> {
    return monitors.countMonitorsByState(this.pool);
  }

  async prunePings(keep: number, after: string | null, monitorsPerCall: number, maxRows: number): Promise<{ deleted: number; next: string | null }> {
    return pingHistory.prunePings(this.pool, keep, after, monitorsPerCall, maxRows);
  }

  async createChannel(c: Channel): Promise<void> {
    await notifications.createChannel(this.pool, c);
  }

  async getChannel(projectId: string, id: string): Promise<Channel | null> {
    return notifications.getChannel(this.pool, projectId, id);
  }

  async listChannels(projectId: string): Promise<Channel[]> {
    return notifications.listChannels(this.pool, projectId);
  }

  async updateChannel(c: Channel): Promise<boolean> {
    return notifications.updateChannel(this.pool, c);
  }

  async deleteChannel(projectId: string, id: string): Promise<boolean> {
    return notifications.deleteChannel(this.pool, projectId, id);
  }

  async createList(l: NotificationList): Promise<void> {
    await notifications.createList(this.pool, l);
  }

  async listLists(projectId: string): Promise<NotificationList[]> {
    return notifications.listLists(this.pool, projectId);
  }

  async getList(projectId: string, key: string): Promise<NotificationList | null> {
    return notifications.getList(this.pool, projectId, key);
  }

  async updateList(projectId: string, key: string, change: { name?: string; channelIds?: string[] }): Promise<NotificationList | null> {
    return notifications.updateList(this.pool, projectId, key, change);
  }

  async deleteList(projectId: string, key: string): Promise<boolean> {
    return notifications.deleteList(this.pool, projectId, key);
  }

  async setNotifyRules(projectId: string, monitorId: string, rules: { listKey: string; event: string }[], now: Date): Promise<void> {
    await notifications.setNotifyRules(this.pool, projectId, monitorId, rules, now);
  }

  async createRule(r: NotificationRule): Promise<void> {
    await notifications.createRule(this.pool, r);
  }

  async listRules(monitorId: string): Promise<NotificationRule[]> {
    return notifications.listRules(this.pool, monitorId);
  }

  async deleteRule(monitorId: string, id: string): Promise<boolean> {
    return notifications.deleteRule(this.pool, monitorId, id);
  }

  async claimNotifications(now: Date, leaseUntil: Date, limit: number): Promise<Notification[]> {
    return outbox.claimNotifications(this.pool, now, leaseUntil, limit);
  }

  async finishNotification(id: number, o: DeliveryOutcome): Promise<void> {
    await outbox.finishNotification(this.pool, id, o);
  }

  async listNotifications(projectId: string, f: NotificationFilter): Promise<Page<Notification>> {
    return outbox.listNotifications(this.pool, projectId, f);
  }

  async nextNotificationAt(): Promise<Date | null> {
    return outbox.nextNotificationAt(this.pool);
  }
}

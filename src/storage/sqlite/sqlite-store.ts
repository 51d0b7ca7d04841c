/**
 * The embedded default backend: one SQLite file in WAL mode through better-sqlite3. Calls are synchronous
 * underneath; the async interface is what lets the PostgreSQL backend share every caller.
 *
 * Ping path: a batch commits its ping rows (and any flips) durably, but the monitors' new statuses are kept in
 * memory and written back coalesced — every `flushIntervalMs`, and before anything reads or writes monitor
 * state. The committed pings are the durable record: on open, pings newer than a monitor's `status_ping_id`
 * are replayed through the same pure decision, so a crash loses no acknowledged effect. Rewriting a monitor's
 * row and deadline-index entry per ping is what made SQLite write ~40 KB per ping (shared/reference/perf.md).
 * One process owns the file (capabilities.shared = false).
 */
import { Database } from './driver.js';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Alert, Flip, Monitor, MonitorState } from '../../domain/monitor.js';
import type { PingDetails, PingInput, PingKind, PingRecord } from '../../domain/ping.js';
import type { RunChange, RunRecord } from '../../domain/runs.js';
import { decidePing } from '../../domain/ping-decision.js';
import { outputTail } from '../../domain/output-tail.js';
import { extractPayloadMetrics } from '../../domain/payload-metrics.js';
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
import { migrate } from './migrate.js';
import { listMonitors } from './monitor-queries.js';
import * as notifications from './notification-queries.js';
import * as outbox from './outbox.js';
import * as pingHistory from './ping-history.js';
import * as runHistory from './run-history.js';
import { monitorFromRow, monitorToRow, type MonitorRow } from './rows.js';
import { prepareStatements, STATUS_COLUMNS, type Statements } from './statements.js';
import { uniqueOrConflict } from './unique-or-conflict.js';

export type SqliteSync = 'full' | 'normal';

export interface SqliteOptions {
  /** A file path, or ':memory:'. */
  path: string;
  /** `full`: a committed ping survives power loss; `normal`: it survives a process crash only. */
  sync?: SqliteSync;
  /** How often coalesced monitor statuses from pings are written back (default 5000 ms). */
  flushIntervalMs?: number;
  /** The decision used to replay unflushed pings at open; must be the one the server records pings with. */
  decide?: PingDecider;
  /**
   * Replay unflushed pings at open (default true). A one-shot tool opening the file beside a running server
   * (`overdue keys create`) passes false: monitor state is the server's to write.
   */
  replay?: boolean;
}

export class SqliteStore implements Store {
  readonly capabilities = { backend: 'sqlite', shared: false } as const;
  private readonly db: Database;
  private readonly stmt: Statements;
  /** Monitor id → newest status from pings not yet written to its row, with the ping that produced it. */
  private readonly unflushed = new Map<string, { monitor: Monitor; pingId: number }>();
  /** The same entries by ping token: a monitor pinged since the last flush needs no lookup at all. */
  private readonly unflushedByToken = new Map<string, { monitor: Monitor; pingId: number }>();
  private readonly flushTimer: NodeJS.Timeout;

  constructor(options: SqliteOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma('page_size = 1024');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.sync === 'normal' ? 'NORMAL' : 'FULL'}`);
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    // Checkpoint every ~40 MB of WAL instead of 4 MB: hot monitor pages are then copied back once per
    // checkpoint rather than many times, which measured +35–40 % ping throughput (bench/ping-bench.ts).
    this.db.pragma('wal_autocheckpoint = 10000');
    migrate(this.db);
    this.stmt = prepareStatements(this.db);
    if (options.replay !== false) this.replayUnflushed(options.decide ?? decidePing);
    this.flushTimer = setInterval(() => this.flush(), options.flushIntervalMs ?? 5000);
    this.flushTimer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    if (!this.db.open) return;
    this.flush();
    this.db.close();
  }

  /** Writes the coalesced statuses of pinged monitors to their rows, in one transaction. */
  flush(): void {
    if (this.unflushed.size === 0 || !this.db.open) return;
    this.db
      .transaction(() => {
        for (const { monitor, pingId } of this.unflushed.values()) {
          const row = monitorToRow(monitor);
          const params: Record<string, unknown> = { id: row.id, status_ping_id: pingId };
          for (const c of STATUS_COLUMNS) params[c] = row[c as keyof MonitorRow];
          this.stmt.updateStatus.run(params);
        }
      })
      .immediate();
    this.unflushed.clear();
    this.unflushedByToken.clear();
  }

  private remember(monitor: Monitor, pingId: number): void {
    const entry = { monitor, pingId };
    this.unflushed.set(monitor.id, entry);
    this.unflushedByToken.set(monitor.pingToken, entry);
  }

  private replayUnflushed(decide: PingDecider): void {
    const rows = this.stmt.unreplayed.all() as { id: number; monitor_id: string; kind: PingKind; exit_code: number | null; received_at: number; body: Buffer | null; msg: string | null; details: string | null }[];
    for (const r of rows) {
      const monitor = this.unflushed.get(r.monitor_id)?.monitor ?? monitorFromRow(this.stmt.getMonitorById.get(r.monitor_id) as MonitorRow);
      const { status } = decide(monitor, { kind: r.kind, exitCode: r.exit_code, receivedAt: new Date(r.received_at), body: r.body, msg: r.msg, details: r.details === null ? null : (JSON.parse(r.details) as PingDetails) });
      this.remember({ ...monitor, ...status, updatedAt: new Date(r.received_at) }, r.id);
    }
    this.flush();
  }

  async createProject(p: Project): Promise<void> {
    accounts.createProject(this.db, this.stmt, p);
  }

  async getProject(id: string): Promise<Project | null> {
    return accounts.getProject(this.stmt, id);
  }

  async listProjects(): Promise<Project[]> {
    return accounts.listProjects(this.stmt);
  }

  async countProjects(): Promise<number> {
    return accounts.countProjects(this.stmt);
  }

  async createApiKey(k: NewApiKey): Promise<void> {
    accounts.createApiKey(this.stmt, k);
  }

  async findApiKeyByHash(hash: string): Promise<(ApiKey & { hash: string }) | null> {
    return accounts.findApiKeyByHash(this.stmt, hash);
  }

  async listApiKeys(projectId: string): Promise<ApiKey[]> {
    return accounts.listApiKeys(this.stmt, projectId);
  }

  async deleteApiKey(projectId: string, id: string): Promise<boolean> {
    return accounts.deleteApiKey(this.db, this.stmt, projectId, id);
  }

  async insertMonitor(m: Monitor): Promise<void> {
    uniqueOrConflict(() => this.stmt.insertMonitor.run(monitorToRow(m)));
  }

  async getMonitor(projectId: string, id: string): Promise<Monitor | null> {
    this.flush();
    const r = this.stmt.getMonitor.get(projectId, id) as MonitorRow | undefined;
    return r ? monitorFromRow(r) : null;
  }

  async getMonitorById(id: string): Promise<Monitor | null> {
    this.flush();
    const r = this.stmt.getMonitorById.get(id) as MonitorRow | undefined;
    return r ? monitorFromRow(r) : null;
  }

  async getMonitorByToken(token: string): Promise<Monitor | null> {
    this.flush();
    const r = this.stmt.monitorByToken.get(token) as MonitorRow | undefined;
    return r ? monitorFromRow(r) : null;
  }

  async getMonitorBySlug(pingKey: string, key: string): Promise<Monitor | null> {
    // On the ping path (slug URLs resolve to a token first): overlay the coalesced status instead of flushing,
    // which would write every pinged monitor's row once per slug ping. Unflushed entries are always newer
    // than the row, since every other write flushes first.
    const r = this.stmt.monitorBySlug.get(key, pingKey) as MonitorRow | undefined;
    if (!r) return null;
    return this.unflushed.get(r.id)?.monitor ?? monitorFromRow(r);
  }

  async listMonitors(projectId: string, f: MonitorFilter): Promise<Page<Monitor>> {
    this.flush();
    return listMonitors(this.db, projectId, f);
  }

  async updateMonitor(m: Monitor, expectedVersion: number, flips: Flip[], alerts: Alert[] = [], runs: RunChange[] = []): Promise<boolean> {
    this.flush();
    return this.db.transaction(() => {
      const changed = uniqueOrConflict(() => this.stmt.updateMonitor.run({ ...monitorToRow(m), expected_version: expectedVersion })).changes;
      if (changed !== 1) return false;
      outbox.writeFlips(this.stmt, m, flips);
      runHistory.writeRuns(this.stmt, m.id, runs, null);
      if (alerts.length > 0) outbox.writeAlerts(this.stmt, m, alerts, `alert:${m.id}:${m.updatedAt.getTime()}`);
      return true;
    }).immediate();
  }

  async deleteMonitor(projectId: string, id: string): Promise<boolean> {
    this.flush();
    return this.stmt.deleteMonitor.run(projectId, id).changes === 1;
  }

  async recordPings(pings: PingInput[], decide: PingDecider): Promise<PingOutcome[]> {
    return this.db.transaction(() =>
      pings.map((ping): PingOutcome => {
        let monitor = this.unflushedByToken.get(ping.token)?.monitor;
        if (!monitor) {
          const row = this.stmt.monitorByToken.get(ping.token) as MonitorRow | undefined;
          if (!row) return { found: false };
          monitor = monitorFromRow(row);
        }
        const { status, flips, alerts, runs } = decide(monitor, ping);
        const next: Monitor = { ...monitor, ...status };
        const body = ping.body && ping.body.length > 0 ? ping.body : null;
        const pingId = Number(
          this.stmt.insertPing.run(
            monitor.id, ping.receivedAt.getTime(), ping.kind, ping.exitCode, ping.source, ping.method,
            ping.ip, ping.userAgent, body, body?.length ?? 0, ping.msg, ping.details ? JSON.stringify(ping.details) : null,
            ...runHistory.pingRunColumns(runHistory.unpairedCompletion(runs)),
          ).lastInsertRowid,
        );
        if (runs.length > 0) runHistory.writeRuns(this.stmt, monitor.id, runs, pingId);
        const tail = flips.length > 0 || alerts.length > 0 ? outputTail(body?.toString('utf8') ?? null, ping.msg) : null;
        if (monitor.payloadMetrics.length > 0 && body) {
          for (const point of extractPayloadMetrics(monitor.payloadMetrics, body.toString('utf8'))) {
            this.stmt.insertMetric.run(monitor.id, pingId, point.name, ping.receivedAt.getTime(), point.value);
          }
        }
        let queued = 0;
        if (status.version !== monitor.version) {
          next.updatedAt = ping.receivedAt;
          this.remember(next, pingId);
          queued += outbox.writeFlips(this.stmt, next, flips, tail);
        }
        if (alerts.length > 0) queued += outbox.writeAlerts(this.stmt, next, alerts, `ping:${pingId}`, tail);
        return { found: true, pingId, state: next.state, deadline: next.deadline, notificationsQueued: queued > 0 };
      }),
    ).immediate();
  }

  async listPings(monitorId: string, limit: number, offset: number): Promise<Page<PingRecord>> {
    return pingHistory.listPings(this.stmt, monitorId, limit, offset);
  }

  async getPingBody(monitorId: string, pingId: number): Promise<Buffer | null> {
    return pingHistory.getPingBody(this.stmt, monitorId, pingId);
  }

  async listFlips(monitorId: string, limit: number, offset: number): Promise<Page<Flip & { id: number }>> {
    return pingHistory.listFlips(this.stmt, monitorId, limit, offset);
  }

  async listRuns(monitorId: string, limit: number, offset: number): Promise<Page<RunRecord>> {
    return runHistory.listRuns(this.stmt, monitorId, limit, offset);
  }

  async listMetricPoints(monitorId: string, q: { name?: string; from: Date; to: Date; limit: number }): Promise<MetricPoint[]> {
    return pingHistory.listMetricPoints(this.db, monitorId, q);
  }

  async dueMonitors(now: Date, limit: number): Promise<Monitor[]> {
    this.flush();
    return (this.stmt.due.all(now.getTime(), limit) as MonitorRow[]).map(monitorFromRow);
  }

  async nextDeadline(): Promise<Date | null> {
    this.flush();
    const v = this.stmt.nextDeadline.get() as number | null;
    return v === null ? null : new Date(v);
  }

  async countMonitorsByState(): Promise<Partial<Record<MonitorState, number>>> {
    this.flush();
    const out: Partial<Record<MonitorState, number>> = {};
    for (const r of this.stmt.stateCounts.all() as { state: MonitorState; n: number }[]) out[r.state] = r.n;
    return out;
  }

  async prunePings(keep: number, after: string | null, monitors: number, maxRows: number): Promise<{ deleted: number; next: string | null }> {
    // Statuses first: a pruned ping must never be one that replay at the next open would still need.
    this.flush();
    return pingHistory.prunePings(this.db, this.stmt, keep, after, monitors, maxRows);
  }

  async createChannel(c: Channel): Promise<void> {
    notifications.createChannel(this.stmt, c);
  }

  async getChannel(projectId: string, id: string): Promise<Channel | null> {
    return notifications.getChannel(this.stmt, projectId, id);
  }

  async listChannels(projectId: string): Promise<Channel[]> {
    return notifications.listChannels(this.stmt, projectId);
  }

  async updateChannel(c: Channel): Promise<boolean> {
    return notifications.updateChannel(this.stmt, c);
  }

  async deleteChannel(projectId: string, id: string): Promise<boolean> {
    return notifications.deleteChannel(this.stmt, projectId, id);
  }

  async createList(l: NotificationList): Promise<void> {
    notifications.createList(this.db, this.stmt, l);
  }

  async listLists(projectId: string): Promise<NotificationList[]> {
    return notifications.listLists(this.stmt, projectId);
  }

  async getList(projectId: string, key: string): Promise<NotificationList | null> {
    return notifications.getList(this.stmt, projectId, key);
  }

  async updateList(projectId: string, key: string, change: { name?: string; channelIds?: string[] }): Promise<NotificationList | null> {
    return notifications.updateList(this.db, this.stmt, projectId, key, change);
  }

  async deleteList(projectId: string, key: string): Promise<boolean> {
    return notifications.deleteList(this.stmt, projectId, key);
  }

  async setNotifyRules(projectId: string, monitorId: string, rules: { listKey: string; event: string }[], now: Date): Promise<void> {
    notifications.setNotifyRules(this.db, this.stmt, projectId, monitorId, rules, now);
  }

  async createRule(r: NotificationRule): Promise<void> {
    notifications.createRule(this.stmt, r);
  }

  async listRules(monitorId: string): Promise<NotificationRule[]> {
    return notifications.listRules(this.stmt, monitorId);
  }

  async deleteRule(monitorId: string, id: string): Promise<boolean> {
    return notifications.deleteRule(this.stmt, monitorId, id);
  }

  async claimNotifications(now: Date, leaseUntil: Date, limit: number): Promise<Notification[]> {
    return outbox.claimNotifications(this.db, this.stmt, now, leaseUntil, limit);
  }

  async finishNotification(id: number, o: DeliveryOutcome): Promise<void> {
    outbox.finishNotification(this.db, this.stmt, id, o);
  }

  async listNotifications(projectId: string, f: NotificationFilter): Promise<Page<Notification>> {
    return outbox.listNotifications(this.db, projectId, f);
  }

  async nextNotificationAt(): Promise<Date | null> {
    return outbox.nextNotificationAt(this.stmt);
  }
}

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
import { AppError } from '../../domain/errors.js';
import type { Alert, Flip, Monitor, MonitorState } from '../../domain/monitor.js';
import type { PingDetails, PingInput, PingKind, PingRecord } from '../../domain/ping.js';
import { decidePing } from '../../domain/ping-decision.js';
import { eventsOfFlip } from '../../domain/notify-events.js';
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
import { migrations } from './migrations.js';
import {
  channelFromRow,
  flipFromRow,
  monitorFromRow,
  monitorToRow,
  ms,
  notificationFromRow,
  pingFromRow,
  ruleFromRow,
  type ChannelRow,
  type FlipRow,
  type MonitorRow,
  type NotificationRow,
  type PingRow,
  type RuleRow,
} from './rows.js';

export type SqliteSync = 'full' | 'normal';

export interface SqliteOptions {
  /** A file path, or ':memory:'. */
  path: string;
  /** `full`: a committed ping survives power loss; `normal`: it survives a process crash only. */
  sync?: SqliteSync;
  /** How often coalesced monitor statuses from pings are written back (default 1000 ms). */
  flushIntervalMs?: number;
  /** The decision used to replay unflushed pings at open; must be the one the server records pings with. */
  decide?: PingDecider;
  /**
   * Replay unflushed pings at open (default true). A one-shot tool opening the file beside a running server
   * (`overdue keys create`) passes false: monitor state is the server's to write.
   */
  replay?: boolean;
}

const MONITOR_COLUMNS =
  'id, project_id, key, name, type, schedule, timezone, grace_seconds, tags, realert_seconds, notify, payload_scanning, payload_metrics, assertions, ping_token, state, down_reason, down_exit_code, last_ping_at, running_since, next_expected_at, deadline, paused_until, down_alerts, realert_at, version, created_at, updated_at';
const MONITOR_PARAMS = MONITOR_COLUMNS.split(', ').map((c) => `@${c}`).join(', ');
/** Each (monitor, channel, event) is notified at most once per this window; see enqueue(). */
const BATCH_WINDOW_MS = 60_000;
const STATUS_COLUMNS = ['state', 'down_reason', 'down_exit_code', 'last_ping_at', 'running_since', 'next_expected_at', 'deadline', 'paused_until', 'down_alerts', 'realert_at', 'version', 'updated_at'];
const STATUS_UPDATES = STATUS_COLUMNS.map((c) => `${c} = @${c}`).join(', ');
const MONITOR_UPDATES = MONITOR_COLUMNS.split(', ')
  .filter((c) => c !== 'id' && c !== 'project_id' && c !== 'created_at')
  .map((c) => `${c} = @${c}`)
  .join(', ');

export class SqliteStore implements Store {
  readonly capabilities = { backend: 'sqlite', shared: false } as const;
  private readonly db: Database;
  private readonly stmt;
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
    const db = this.db;
    this.stmt = {
      insertProject: db.prepare('INSERT INTO projects (id, name, ping_key, created_at) VALUES (?, ?, ?, ?)'),
      getProject: db.prepare('SELECT id, name, ping_key, created_at FROM projects WHERE id = ?'),
      listProjects: db.prepare('SELECT id, name, ping_key, created_at FROM projects ORDER BY created_at, id'),
      countProjects: db.prepare('SELECT count(*) AS n FROM projects').pluck(),
      insertKey: db.prepare(
        'INSERT INTO api_keys (id, project_id, name, key_hash, prefix, read_only, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      keyByHash: db.prepare('SELECT * FROM api_keys WHERE key_hash = ?'),
      listKeys: db.prepare('SELECT * FROM api_keys WHERE project_id = ? ORDER BY created_at, id'),
      deleteKey: db.prepare('DELETE FROM api_keys WHERE project_id = ? AND id = ?'),
      countWriteKeys: db.prepare('SELECT count(*) FROM api_keys WHERE project_id = ? AND read_only = 0').pluck(),
      insertMonitor: db.prepare(`INSERT INTO monitors (${MONITOR_COLUMNS}) VALUES (${MONITOR_PARAMS})`),
      getMonitor: db.prepare(`SELECT ${MONITOR_COLUMNS} FROM monitors WHERE project_id = ? AND id = ?`),
      getMonitorById: db.prepare(`SELECT ${MONITOR_COLUMNS} FROM monitors WHERE id = ?`),
      monitorByToken: db.prepare(`SELECT ${MONITOR_COLUMNS} FROM monitors WHERE ping_token = ?`),
      updateMonitor: db.prepare(`UPDATE monitors SET ${MONITOR_UPDATES} WHERE id = @id AND version = @expected_version`),
      updateStatus: db.prepare(`UPDATE monitors SET ${STATUS_UPDATES}, status_ping_id = @status_ping_id WHERE id = @id`),
      unreplayed: db.prepare(
        'SELECT p.id, p.monitor_id, p.kind, p.exit_code, p.received_at, p.body, p.msg, p.details FROM monitors m JOIN pings p ON p.monitor_id = m.id AND p.id > m.status_ping_id ORDER BY p.id',
      ),
      deleteMonitor: db.prepare('DELETE FROM monitors WHERE project_id = ? AND id = ?'),
      insertFlip: db.prepare('INSERT INTO flips (monitor_id, at, from_state, to_state, reason) VALUES (?, ?, ?, ?, ?)'),
      insertPing: db.prepare(
        'INSERT INTO pings (monitor_id, received_at, kind, exit_code, source, method, ip, user_agent, body, body_size, msg, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      listPings: db.prepare(
        'SELECT id, monitor_id, received_at, kind, exit_code, source, method, ip, user_agent, body_size, substr(body, 1, 800) AS body_head, msg, details FROM pings WHERE monitor_id = ? ORDER BY id DESC LIMIT ? OFFSET ?',
      ),
      countPings: db.prepare('SELECT count(*) FROM pings WHERE monitor_id = ?').pluck(),
      pingBody: db.prepare('SELECT body FROM pings WHERE monitor_id = ? AND id = ?'),
      insertMetric: db.prepare('INSERT INTO ping_metrics (monitor_id, ping_id, name, at, value) VALUES (?, ?, ?, ?, ?)'),
      listFlips: db.prepare('SELECT id, at, from_state, to_state, reason FROM flips WHERE monitor_id = ? ORDER BY id DESC LIMIT ? OFFSET ?'),
      countFlips: db.prepare('SELECT count(*) FROM flips WHERE monitor_id = ?').pluck(),
      due: db.prepare(`SELECT ${MONITOR_COLUMNS} FROM monitors WHERE deadline IS NOT NULL AND deadline <= ? ORDER BY deadline LIMIT ?`),
      nextDeadline: db.prepare('SELECT min(deadline) FROM monitors WHERE deadline IS NOT NULL').pluck(),
      stateCounts: db.prepare('SELECT state, count(*) AS n FROM monitors GROUP BY state'),
      insertChannel: db.prepare(
        'INSERT INTO channels (id, project_id, name, kind, config, created_at, updated_at) VALUES (@id, @project_id, @name, @kind, @config, @created_at, @updated_at)',
      ),
      getChannel: db.prepare('SELECT * FROM channels WHERE project_id = ? AND id = ?'),
      listChannels: db.prepare('SELECT * FROM channels WHERE project_id = ? ORDER BY created_at, id'),
      updateChannel: db.prepare('UPDATE channels SET name = @name, config = @config, updated_at = @updated_at WHERE project_id = @project_id AND id = @id'),
      deleteChannel: db.prepare('DELETE FROM channels WHERE project_id = ? AND id = ?'),
      channelFailed: db.prepare('UPDATE channels SET last_error = ?, last_error_at = ? WHERE id = ?'),
      insertRule: db.prepare("INSERT INTO notification_rules (id, monitor_id, channel_id, event, source, created_at) VALUES (?, ?, ?, ?, 'api', ?)"),
      listRules: db.prepare("SELECT * FROM notification_rules WHERE monitor_id = ? AND source = 'api' ORDER BY created_at, id"),
      insertList: db.prepare('INSERT INTO notification_lists (id, project_id, key, name, created_at) VALUES (?, ?, ?, ?, ?)'),
      listLists: db.prepare('SELECT * FROM notification_lists WHERE project_id = ? ORDER BY created_at, key'),
      getList: db.prepare('SELECT * FROM notification_lists WHERE project_id = ? AND key = ?'),
      renameList: db.prepare('UPDATE notification_lists SET name = ? WHERE id = ?'),
      deleteList: db.prepare('DELETE FROM notification_lists WHERE id = ?'),
      listMembers: db.prepare('SELECT channel_id FROM notification_list_channels WHERE list_id = ? ORDER BY channel_id').pluck(),
      clearMembers: db.prepare('DELETE FROM notification_list_channels WHERE list_id = ?'),
      addMember: db.prepare('INSERT INTO notification_list_channels (list_id, channel_id) VALUES (?, ?)'),
      clearNotifyRules: db.prepare("DELETE FROM notification_rules WHERE monitor_id = ? AND source = 'notify'"),
      insertNotifyRule: db.prepare("INSERT INTO notification_rules (id, monitor_id, list_id, event, source, created_at) VALUES (?, ?, ?, ?, 'notify', ?)"),
      deleteRule: db.prepare('DELETE FROM notification_rules WHERE monitor_id = ? AND id = ?'),
      ruleChannels: db
        .prepare(
          `SELECT channel_id FROM notification_rules WHERE monitor_id = @m AND event = @e AND channel_id IS NOT NULL
           UNION
           SELECT lc.channel_id FROM notification_rules r JOIN notification_list_channels lc ON lc.list_id = r.list_id WHERE r.monitor_id = @m AND r.event = @e`,
        )
        .pluck(),
      heldNotification: db.prepare(
        "SELECT id FROM notifications WHERE monitor_id = @monitor_id AND channel_id = @channel_id AND event = @event AND status = 'pending' AND attempts = 0 AND next_attempt_at > @at ORDER BY id DESC LIMIT 1",
      ).pluck(),
      lastNotifiedAt: db.prepare(
        'SELECT coalesce(sent_at, next_attempt_at) FROM notifications WHERE monitor_id = @monitor_id AND channel_id = @channel_id AND event = @event ORDER BY id DESC LIMIT 1',
      ).pluck(),
      mergeIntoHeld: db.prepare(
        'UPDATE notifications SET count = count + 1, flip_at = @at, from_state = @from_state, to_state = @to_state, reason = @reason, output_tail = @output_tail WHERE id = @id',
      ),
      enqueue: db.prepare(`
        INSERT OR IGNORE INTO notifications
          (project_id, monitor_id, channel_id, event, dedup_key, flip_at, from_state, to_state, reason, output_tail, status, next_attempt_at, created_at)
        VALUES (@project_id, @monitor_id, @channel_id, @event, @dedup_prefix || ':' || @event || ':' || @channel_id,
                @at, @from_state, @to_state, @reason, @output_tail, 'pending', @next_attempt_at, @at)`),
      claim: db.prepare(`
        UPDATE notifications SET status = 'sending', claimed_until = @lease, attempts = attempts + 1
        WHERE id IN (
          SELECT id FROM notifications
          WHERE (status = 'pending' AND next_attempt_at <= @now) OR (status = 'sending' AND claimed_until <= @now)
          ORDER BY next_attempt_at LIMIT @limit)
        RETURNING *`),
      delivered: db.prepare("UPDATE notifications SET status = 'sent', sent_at = ?, response_code = ?, last_error = NULL, claimed_until = NULL WHERE id = ? AND status = 'sending'"),
      retryLater: db.prepare("UPDATE notifications SET status = 'pending', next_attempt_at = ?, last_error = ?, response_code = ?, claimed_until = NULL WHERE id = ? AND status = 'sending'"),
      failedForGood: db.prepare("UPDATE notifications SET status = 'failed', last_error = ?, response_code = ?, claimed_until = NULL WHERE id = ? AND status = 'sending' RETURNING channel_id"),
      nextNotification: db.prepare("SELECT min(CASE status WHEN 'pending' THEN next_attempt_at ELSE claimed_until END) FROM notifications WHERE status IN ('pending', 'sending')").pluck(),
      monitorIdsAfter: db.prepare('SELECT id FROM monitors WHERE id > ? ORDER BY id LIMIT ?').pluck(),
      pingCutoff: db.prepare('SELECT id FROM pings WHERE monitor_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?').pluck(),
      deleteOldPings: db.prepare('DELETE FROM pings WHERE id IN (SELECT id FROM pings WHERE monitor_id = ? AND id <= ? ORDER BY id LIMIT ?)'),
    };
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
    this.db
      .transaction(() => {
        this.stmt.insertProject.run(p.id, p.name, p.pingKey, p.createdAt.getTime());
        this.stmt.insertList.run(`lst_${p.id}_default`, p.id, 'default', 'Default', p.createdAt.getTime());
      })
      .immediate();
  }

  async getProject(id: string): Promise<Project | null> {
    const r = this.stmt.getProject.get(id) as ProjectRow | undefined;
    return r ? projectFromRow(r) : null;
  }

  async listProjects(): Promise<Project[]> {
    return (this.stmt.listProjects.all() as ProjectRow[]).map(projectFromRow);
  }

  async countProjects(): Promise<number> {
    return this.stmt.countProjects.get() as number;
  }

  async createApiKey(k: NewApiKey): Promise<void> {
    this.stmt.insertKey.run(k.id, k.projectId, k.name, k.hash, k.prefix, k.readOnly ? 1 : 0, k.createdAt.getTime());
  }

  async findApiKeyByHash(hash: string): Promise<(ApiKey & { hash: string }) | null> {
    const r = this.stmt.keyByHash.get(hash) as KeyRow | undefined;
    return r ? { ...keyFromRow(r), hash: r.key_hash } : null;
  }

  async listApiKeys(projectId: string): Promise<ApiKey[]> {
    return (this.stmt.listKeys.all(projectId) as KeyRow[]).map(keyFromRow);
  }

  async deleteApiKey(projectId: string, id: string): Promise<boolean> {
    return this.db
      .transaction(() => {
        if (this.stmt.deleteKey.run(projectId, id).changes !== 1) return false;
        if ((this.stmt.countWriteKeys.get(projectId) as number) === 0) {
          throw new AppError('conflict', 'this is the project\'s last read-write key; create another before deleting it');
        }
        return true;
      })
      .immediate();
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

  async listMonitors(projectId: string, f: MonitorFilter): Promise<Page<Monitor>> {
    this.flush();
    const where = ['project_id = @projectId'];
    if (f.state) where.push('state = @state');
    if (f.tag) where.push('EXISTS (SELECT 1 FROM json_each(monitors.tags) WHERE value = @tag)');
    const params = { projectId, state: f.state ?? null, tag: f.tag ?? null, limit: f.limit, offset: f.offset };
    const cond = where.join(' AND ');
    const rows = this.db
      .prepare(`SELECT ${MONITOR_COLUMNS} FROM monitors WHERE ${cond} ORDER BY created_at, id LIMIT @limit OFFSET @offset`)
      .all(params) as MonitorRow[];
    const total = this.db.prepare(`SELECT count(*) FROM monitors WHERE ${cond}`).pluck().get(params) as number;
    return { items: rows.map(monitorFromRow), total };
  }

  async updateMonitor(m: Monitor, expectedVersion: number, flips: Flip[], alerts: Alert[] = []): Promise<boolean> {
    this.flush();
    return this.db.transaction(() => {
      const changed = uniqueOrConflict(() => this.stmt.updateMonitor.run({ ...monitorToRow(m), expected_version: expectedVersion })).changes;
      if (changed !== 1) return false;
      this.writeFlips(m, flips);
      if (alerts.length > 0) this.writeAlerts(m, alerts, `alert:${m.id}:${m.updatedAt.getTime()}`);
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
        const { status, flips, alerts } = decide(monitor, ping);
        const next: Monitor = { ...monitor, ...status };
        const body = ping.body && ping.body.length > 0 ? ping.body : null;
        const pingId = Number(
          this.stmt.insertPing.run(
            monitor.id, ping.receivedAt.getTime(), ping.kind, ping.exitCode, ping.source, ping.method,
            ping.ip, ping.userAgent, body, body?.length ?? 0, ping.msg, ping.details ? JSON.stringify(ping.details) : null,
          ).lastInsertRowid,
        );
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
          queued += this.writeFlips(next, flips, tail);
        }
        if (alerts.length > 0) queued += this.writeAlerts(next, alerts, `ping:${pingId}`, tail);
        return { found: true, pingId, state: next.state, deadline: next.deadline, notificationsQueued: queued > 0 };
      }),
    ).immediate();
  }

  async listPings(monitorId: string, limit: number, offset: number): Promise<Page<PingRecord>> {
    const rows = this.stmt.listPings.all(monitorId, limit, offset) as PingRow[];
    return { items: rows.map(pingFromRow), total: this.stmt.countPings.get(monitorId) as number };
  }

  async getPingBody(monitorId: string, pingId: number): Promise<Buffer | null> {
    const r = this.stmt.pingBody.get(monitorId, pingId) as { body: Buffer | null } | undefined;
    if (!r) return null;
    return r.body ?? Buffer.alloc(0);
  }

  async listFlips(monitorId: string, limit: number, offset: number): Promise<Page<Flip & { id: number }>> {
    const rows = this.stmt.listFlips.all(monitorId, limit, offset) as FlipRow[];
    return { items: rows.map(flipFromRow), total: this.stmt.countFlips.get(monitorId) as number };
  }

  async listMetricPoints(monitorId: string, q: { name?: string; from: Date; to: Date; limit: number }): Promise<MetricPoint[]> {
    const rows = this.db
      .prepare(
        `SELECT name, at, value, ping_id FROM ping_metrics WHERE monitor_id = @monitorId ${q.name === undefined ? '' : 'AND name = @name'}
         AND at >= @from AND at < @to ORDER BY at, id LIMIT @limit`,
      )
      .all({ monitorId, name: q.name ?? null, from: q.from.getTime(), to: q.to.getTime(), limit: q.limit }) as { name: string; at: number; value: number | null; ping_id: number }[];
    return rows.map((r) => ({ name: r.name, at: new Date(r.at), value: r.value, pingId: r.ping_id }));
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
    return this.db
      .transaction(() => {
        const ids = this.stmt.monitorIdsAfter.all(after ?? '', monitors) as string[];
        let deleted = 0;
        for (const [i, id] of ids.entries()) {
          const cutoff = this.stmt.pingCutoff.get(id, keep) as number | undefined;
          if (cutoff !== undefined) deleted += this.stmt.deleteOldPings.run(id, cutoff, maxRows - deleted).changes;
          // Out of budget: continue with this same monitor next time, it may have more to delete.
          if (deleted >= maxRows) return { deleted, next: ids[i - 1] ?? after ?? '' };
        }
        return { deleted, next: ids.length < monitors ? null : (ids.at(-1) ?? null) };
      })
      .immediate();
  }

  /** Stores flips and, in the same transaction, the outbox rows of the notification rules they trigger. */
  private writeFlips(monitor: Pick<Monitor, 'id' | 'projectId' | 'downReason'>, flips: Flip[], output_tail: string | null = null): number {
    let queued = 0;
    for (const f of flips) {
      const flipId = Number(this.stmt.insertFlip.run(monitor.id, ms(f.at), f.from, f.to, f.reason).lastInsertRowid);
      for (const event of eventsOfFlip(f, monitor.downReason)) {
        queued += this.enqueue({ project_id: monitor.projectId, monitor_id: monitor.id, dedup_prefix: `flip:${flipId}`, event, at: f.at.getTime(), from_state: f.from, to_state: f.to, reason: f.reason, output_tail });
      }
    }
    return queued;
  }

  /**
   * Queues one event for every channel with a rule for it. Noise control: each (monitor, channel, event) is
   * sent at most once a minute; an occurrence inside that minute is held until the minute is over, and
   * further ones merge into the held notification (its count grows, its details become the latest).
   */
  /** Returns how many notifications were queued or merged. */
  private enqueue(e: { project_id: string; monitor_id: string; dedup_prefix: string; event: string; at: number; from_state: string; to_state: string; reason: string; output_tail: string | null }): number {
    let queued = 0;
    for (const channel_id of this.stmt.ruleChannels.all({ m: e.monitor_id, e: e.event }) as string[]) {
      const key = { monitor_id: e.monitor_id, channel_id, event: e.event, at: e.at };
      const held = this.stmt.heldNotification.get(key) as number | undefined;
      if (held !== undefined) {
        this.stmt.mergeIntoHeld.run({ id: held, at: e.at, from_state: e.from_state, to_state: e.to_state, reason: e.reason, output_tail: e.output_tail });
        queued++;
        continue;
      }
      const last = this.stmt.lastNotifiedAt.get(key) as number | null;
      const next_attempt_at = last !== null && e.at - last < BATCH_WINDOW_MS ? last + BATCH_WINDOW_MS : e.at;
      queued += this.stmt.enqueue.run({ ...e, channel_id, next_attempt_at }).changes;
    }
    return queued;
  }

  /** Queues repeated alerts (no state change) for the rules of their event, in the caller's transaction. */
  private writeAlerts(monitor: Pick<Monitor, 'id' | 'projectId' | 'state'>, alerts: Alert[], dedupPrefix: string, output_tail: string | null = null): number {
    let queued = 0;
    for (const a of alerts) {
      queued += this.enqueue({ project_id: monitor.projectId, monitor_id: monitor.id, dedup_prefix: `${dedupPrefix}:${a.sequence}`, event: a.event, at: a.at.getTime(), from_state: monitor.state, to_state: monitor.state, reason: a.reason, output_tail });
    }
    return queued;
  }

  async createChannel(c: Channel): Promise<void> {
    uniqueOrConflict(() =>
      this.stmt.insertChannel.run({ id: c.id, project_id: c.projectId, name: c.name, kind: c.kind, config: JSON.stringify(c.config), created_at: c.createdAt.getTime(), updated_at: c.updatedAt.getTime() }),
    );
  }

  async getChannel(projectId: string, id: string): Promise<Channel | null> {
    const r = this.stmt.getChannel.get(projectId, id) as ChannelRow | undefined;
    return r ? channelFromRow(r) : null;
  }

  async listChannels(projectId: string): Promise<Channel[]> {
    return (this.stmt.listChannels.all(projectId) as ChannelRow[]).map(channelFromRow);
  }

  async updateChannel(c: Channel): Promise<boolean> {
    const run = () => this.stmt.updateChannel.run({ id: c.id, project_id: c.projectId, name: c.name, config: JSON.stringify(c.config), updated_at: c.updatedAt.getTime() });
    return uniqueOrConflict(run).changes === 1;
  }

  async deleteChannel(projectId: string, id: string): Promise<boolean> {
    return this.stmt.deleteChannel.run(projectId, id).changes === 1;
  }

  async createList(l: NotificationList): Promise<void> {
    this.db
      .transaction(() => {
        uniqueOrConflict(() => this.stmt.insertList.run(l.id, l.projectId, l.key, l.name, l.createdAt.getTime()));
        this.setMembers(l.projectId, l.id, l.channelIds);
      })
      .immediate();
  }

  async listLists(projectId: string): Promise<NotificationList[]> {
    return (this.stmt.listLists.all(projectId) as ListRow[]).map((r) => this.listFromRow(r));
  }

  async getList(projectId: string, key: string): Promise<NotificationList | null> {
    const r = this.stmt.getList.get(projectId, key) as ListRow | undefined;
    return r ? this.listFromRow(r) : null;
  }

  async updateList(projectId: string, key: string, change: { name?: string; channelIds?: string[] }): Promise<NotificationList | null> {
    return this.db
      .transaction(() => {
        const r = this.stmt.getList.get(projectId, key) as ListRow | undefined;
        if (!r) return null;
        if (change.name !== undefined) this.stmt.renameList.run(change.name, r.id);
        if (change.channelIds !== undefined) this.setMembers(projectId, r.id, change.channelIds);
        return this.listFromRow(this.stmt.getList.get(projectId, key) as ListRow);
      })
      .immediate();
  }

  async deleteList(projectId: string, key: string): Promise<boolean> {
    if (key === 'default') throw new AppError('conflict', 'the default notification list cannot be deleted; remove its channels instead');
    const r = this.stmt.getList.get(projectId, key) as ListRow | undefined;
    return r ? this.stmt.deleteList.run(r.id).changes === 1 : false;
  }

  async setNotifyRules(projectId: string, monitorId: string, rules: { listKey: string; event: string }[], now: Date): Promise<void> {
    this.db
      .transaction(() => {
        this.stmt.clearNotifyRules.run(monitorId);
        for (const [i, rule] of rules.entries()) {
          const list = this.stmt.getList.get(projectId, rule.listKey) as ListRow | undefined;
          if (!list) throw new AppError('validation_error', `notify: no notification list "${rule.listKey}" in this project`, 'notify');
          this.stmt.insertNotifyRule.run(`rul_${monitorId}_${i}`, monitorId, list.id, rule.event, now.getTime());
        }
      })
      .immediate();
  }

  private setMembers(projectId: string, listId: string, channelIds: string[]): void {
    this.stmt.clearMembers.run(listId);
    for (const id of new Set(channelIds)) {
      if (!this.stmt.getChannel.get(projectId, id)) throw new AppError('validation_error', `channels: no channel ${id} in this project`, 'channels');
      this.stmt.addMember.run(listId, id);
    }
  }

  private listFromRow(r: ListRow): NotificationList {
    return { id: r.id, projectId: r.project_id, key: r.key, name: r.name, channelIds: this.stmt.listMembers.all(r.id) as string[], createdAt: new Date(r.created_at) };
  }

  async createRule(r: NotificationRule): Promise<void> {
    uniqueOrConflict(() => this.stmt.insertRule.run(r.id, r.monitorId, r.channelId, r.event, r.createdAt.getTime()));
  }

  async listRules(monitorId: string): Promise<NotificationRule[]> {
    return (this.stmt.listRules.all(monitorId) as RuleRow[]).map(ruleFromRow);
  }

  async deleteRule(monitorId: string, id: string): Promise<boolean> {
    return this.stmt.deleteRule.run(monitorId, id).changes === 1;
  }

  async claimNotifications(now: Date, leaseUntil: Date, limit: number): Promise<Notification[]> {
    // One UPDATE … RETURNING is the compare-and-set: a row moves to `sending` for exactly one claimer.
    const rows = this.db.transaction(() => this.stmt.claim.all({ now: now.getTime(), lease: leaseUntil.getTime(), limit }) as NotificationRow[]).immediate();
    return rows.map(notificationFromRow).sort((a, b) => a.id - b.id);
  }

  async finishNotification(id: number, o: DeliveryOutcome): Promise<void> {
    this.db
      .transaction(() => {
        if (o.ok) {
          this.stmt.delivered.run(o.at.getTime(), o.responseCode, id);
        } else if (o.retryAt) {
          this.stmt.retryLater.run(o.retryAt.getTime(), o.error, o.responseCode, id);
        } else {
          const row = this.stmt.failedForGood.get(o.error, o.responseCode, id) as { channel_id: string } | undefined;
          if (row) this.stmt.channelFailed.run(o.error, o.at.getTime(), row.channel_id);
        }
      })
      .immediate();
  }

  async listNotifications(projectId: string, f: NotificationFilter): Promise<Page<Notification>> {
    const where = ['project_id = @projectId'];
    if (f.monitorId) where.push('monitor_id = @monitorId');
    if (f.channelId) where.push('channel_id = @channelId');
    const params = { projectId, monitorId: f.monitorId ?? null, channelId: f.channelId ?? null, limit: f.limit, offset: f.offset };
    const cond = where.join(' AND ');
    const rows = this.db.prepare(`SELECT * FROM notifications WHERE ${cond} ORDER BY id DESC LIMIT @limit OFFSET @offset`).all(params) as NotificationRow[];
    const total = this.db.prepare(`SELECT count(*) FROM notifications WHERE ${cond}`).pluck().get(params) as number;
    return { items: rows.map(notificationFromRow), total };
  }

  async nextNotificationAt(): Promise<Date | null> {
    const v = this.stmt.nextNotification.get() as number | null;
    return v === null ? null : new Date(v);
  }
}

interface ListRow {
  id: string;
  project_id: string;
  key: string;
  name: string;
  created_at: number;
}

interface ProjectRow {
  id: string;
  name: string;
  ping_key: string;
  created_at: number;
}

function projectFromRow(r: ProjectRow): Project {
  return { id: r.id, name: r.name, pingKey: r.ping_key, createdAt: new Date(r.created_at) };
}

interface KeyRow {
  id: string;
  project_id: string;
  name: string;
  key_hash: string;
  prefix: string;
  read_only: number;
  created_at: number;
}

function keyFromRow(r: KeyRow): ApiKey {
  return { id: r.id, projectId: r.project_id, name: r.name, prefix: r.prefix, readOnly: r.read_only === 1, createdAt: new Date(r.created_at) };
}

function uniqueOrConflict<T>(write: () => T): T {
  try {
    return write();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      const msg = String((err as Error).message);
      if (msg.includes('ping_token')) throw new AppError('conflict', 'ping_token: already used by another monitor', 'ping_token');
      if (msg.includes('monitors.key') || msg.includes('project_id, monitors.key')) {
        throw new AppError('conflict', 'key: a monitor with this key already exists in the project', 'key');
      }
      if (msg.includes('channels.name')) throw new AppError('conflict', 'name: a channel with this name already exists in the project', 'name');
      if (msg.includes('notification_lists.key')) throw new AppError('conflict', 'key: a notification list with this key already exists', 'key');
      if (msg.includes('notification_rules')) throw new AppError('conflict', 'this monitor already has a rule for that channel and event');
      throw new AppError('conflict', 'already exists');
    }
    throw err;
  }
}

function migrate(db: Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
    }).immediate();
  }
}

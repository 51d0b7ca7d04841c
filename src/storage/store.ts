/**
 * The one storage interface. Domain-level methods only: no SQL crosses it. Every backend passes the contract
 * suite in test/storage/store-contract.ts. Methods that change a monitor's state and write its flips do so in
 * one transaction.
 */
import type { Alert, Flip, Monitor, MonitorState, MonitorStatus } from '../domain/monitor.js';
import type { PingInput, PingRecord } from '../domain/ping.js';
import type { RunChange, RunRecord } from '../domain/runs.js';
import type { Transition } from '../domain/transitions.js';

export interface Project {
  id: string;
  name: string;
  pingKey: string;
  createdAt: Date;
}

export interface ApiKey {
  id: string;
  projectId: string;
  name: string;
  /** The first characters of the secret, for telling keys apart in lists; the secret itself is never stored. */
  prefix: string;
  readOnly: boolean;
  createdAt: Date;
}

export interface NewApiKey extends ApiKey {
  /** SHA-256 of the secret, hex. */
  hash: string;
}

export interface Channel {
  id: string;
  projectId: string;
  name: string;
  kind: string;
  config: Record<string, unknown>;
  lastError: string | null;
  lastErrorAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NotificationRule {
  id: string;
  monitorId: string;
  channelId: string;
  event: string;
  createdAt: Date;
}

/** A named set of channels, addressed by key (Cronitor's notification lists). Every project has `default`. */
export interface NotificationList {
  id: string;
  projectId: string;
  key: string;
  name: string;
  channelIds: string[];
  createdAt: Date;
}

export type NotificationStatus = 'pending' | 'sending' | 'sent' | 'failed';

/** An outbox row: one event for one channel, with its delivery state. */
export interface Notification {
  id: number;
  projectId: string;
  monitorId: string;
  channelId: string;
  event: string;
  /** The (latest) state change or repeat this notification reports. */
  flip: { at: Date; from: MonitorState; to: MonitorState; reason: string };
  /** Occurrences covered: more than 1 when rapid repeats were merged into one held notification. */
  count: number;
  /** The end of the output of the ping that caused it, when it had one. */
  outputTail: string | null;
  status: NotificationStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  responseCode: number | null;
  createdAt: Date;
  sentAt: Date | null;
}

export interface NotificationFilter {
  monitorId?: string;
  channelId?: string;
  limit: number;
  offset: number;
}

/** How a delivery attempt ended. `retryAt` null with an error means permanently failed. */
export type DeliveryOutcome =
  | { ok: true; at: Date; responseCode: number | null }
  | { ok: false; at: Date; error: string; responseCode: number | null; retryAt: Date | null };

export interface MetricPoint {
  name: string;
  at: Date;
  value: number | null;
  pingId: number;
}

export interface MonitorFilter {
  state?: MonitorState;
  tag?: string;
  limit: number;
  offset: number;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export type PingOutcome =
  | { found: false }
  /** Only what callers need (the reply's state, scheduler and notifier wake-ups): outcomes may cross threads. */
  | { found: true; pingId: number; state: MonitorState; deadline: Date | null; notificationsQueued: boolean };

/** Computes a monitor's transition for one ping, inside the store's transaction. Must be pure and deterministic: stores may replay it. */
export type PingDecider = (monitor: Monitor, ping: Pick<PingInput, 'kind' | 'exitCode' | 'receivedAt' | 'body' | 'msg' | 'details'>) => Transition;

export interface StoreCapabilities {
  backend: 'sqlite' | 'postgres';
  /** True when several server processes may share this store (deadline claims must then be compare-and-set). */
  shared: boolean;
}

export interface Store {
  readonly capabilities: StoreCapabilities;
  /**
   * The server's SQLite store only: ping batches whose decisions on the HTTP thread and on the SQLite thread
   * disagreed (never expected; see worker-store.ts). Exposed at /metrics so such a bug cannot go unnoticed.
   */
  readonly divergences?: number;
  close(): Promise<void>;

  createProject(project: Project): Promise<void>;
  getProject(id: string): Promise<Project | null>;
  /** The project whose ping key this is (ping URLs that name a project: healthchecks slugs, Cronitor, Sentry DSNs), or null. */
  getProjectByPingKey(pingKey: string): Promise<Project | null>;
  /** All projects, oldest first. */
  listProjects(): Promise<Project[]>;
  countProjects(): Promise<number>;
  createApiKey(key: NewApiKey): Promise<void>;
  /** The key whose hash equals `hash`, or null. */
  findApiKeyByHash(hash: string): Promise<(ApiKey & { hash: string }) | null>;
  listApiKeys(projectId: string): Promise<ApiKey[]>;
  /** Deletes the project's key unless it is the project's last read-write key (then AppError('conflict')). */
  deleteApiKey(projectId: string, id: string): Promise<boolean>;

  /** Throws AppError('conflict') when the key or ping token is taken. */
  insertMonitor(monitor: Monitor): Promise<void>;
  getMonitor(projectId: string, id: string): Promise<Monitor | null>;
  /** Any project's monitor by id (workers only: the scheduler works across projects). */
  getMonitorById(id: string): Promise<Monitor | null>;
  getMonitorByToken(token: string): Promise<Monitor | null>;
  /**
   * The monitor whose key (slug) is exactly `key` in the project whose ping key is exactly `pingKey` (both
   * case-sensitive), as healthchecks-style `/ping/<ping_key>/<slug>` URLs and email pings address it; null when
   * either is unknown. Shows the monitor's latest status, pings included, like getMonitorByToken.
   */
  getMonitorBySlug(pingKey: string, key: string): Promise<Monitor | null>;
  listMonitors(projectId: string, filter: MonitorFilter): Promise<Page<Monitor>>;
  /**
   * Writes config and status if the stored version still equals `expectedVersion` (compare-and-set), with the
   * flips and the notifications they and `alerts` raise, and the run changes (a timed-out run), in one
   * transaction. Returns false (and writes nothing) when someone else changed it first.
   * Throws AppError('conflict') when a changed key collides.
   */
  updateMonitor(monitor: Monitor, expectedVersion: number, flips: Flip[], alerts?: Alert[], runs?: RunChange[]): Promise<boolean>;
  deleteMonitor(projectId: string, id: string): Promise<boolean>;

  /**
   * Records a batch of pings in one transaction (group commit): per ping, finds the monitor by token, asks
   * `decide` for its transition, stores the ping, the new status, the flips and the runs it opened or closed
   * (the ping's id as the run's start or end ping). Unknown tokens store nothing.
   * Resolves only once the batch is durable. Outcomes are in input order.
   */
  recordPings(pings: PingInput[], decide: PingDecider): Promise<PingOutcome[]>;
  listPings(monitorId: string, limit: number, offset: number): Promise<Page<PingRecord>>;
  /** The stored body of one ping of that monitor; null if no such ping; an empty buffer if it had none. */
  getPingBody(monitorId: string, pingId: number): Promise<Buffer | null>;
  listFlips(monitorId: string, limit: number, offset: number): Promise<Page<Flip & { id: number }>>;
  /** The monitor's runs, newest first (open ones included). */
  listRuns(monitorId: string, limit: number, offset: number): Promise<Page<RunRecord>>;
  /**
   * Points of the monitor's payload metrics (oldest first) with `from <= at < to`, at most `limit`; all names
   * when `name` is undefined. A null value is a ping whose body had no number at that rule's path.
   */
  listMetricPoints(monitorId: string, query: { name?: string; from: Date; to: Date; limit: number }): Promise<MetricPoint[]>;

  /** Monitors whose deadline is at or before `now`, earliest first. */
  dueMonitors(now: Date, limit: number): Promise<Monitor[]>;
  /**
   * When the scheduler should look next: never later than the earliest deadline, but possibly earlier when a
   * ping has since moved a deadline later (the index is only corrected when a pass reaches it, so pings need not
   * move index entries); exact for what dueMonitors has passed. Null when no monitor has a deadline.
   */
  nextDeadline(): Promise<Date | null>;
  countMonitorsByState(): Promise<Partial<Record<MonitorState, number>>>;

  createChannel(channel: Channel): Promise<void>;
  getChannel(projectId: string, id: string): Promise<Channel | null>;
  listChannels(projectId: string): Promise<Channel[]>;
  /** Writes name and config; false if no such channel. Throws AppError('conflict') on a duplicate name. */
  updateChannel(channel: Channel): Promise<boolean>;
  deleteChannel(projectId: string, id: string): Promise<boolean>;

  /** Throws AppError('conflict') on a taken key, AppError('validation_error') for a channel not in the project. */
  createList(list: NotificationList): Promise<void>;
  listLists(projectId: string): Promise<NotificationList[]>;
  getList(projectId: string, key: string): Promise<NotificationList | null>;
  /** Null if no such list; same errors as createList. */
  updateList(projectId: string, key: string, change: { name?: string; channelIds?: string[] }): Promise<NotificationList | null>;
  /** Refuses the `default` list (AppError('conflict')). */
  deleteList(projectId: string, key: string): Promise<boolean>;
  /**
   * Replaces the monitor's rules that come from its `notify` setting with one rule per (list, event).
   * Throws AppError('validation_error', field 'notify') naming a list key the project does not have.
   */
  setNotifyRules(projectId: string, monitorId: string, rules: { listKey: string; event: string }[], now: Date): Promise<void>;

  /** Throws AppError('conflict') when the same (monitor, channel, event) rule exists. */
  createRule(rule: NotificationRule): Promise<void>;
  /** The rules created through the rules API (those from `notify` show on the monitor instead). */
  listRules(monitorId: string): Promise<NotificationRule[]>;
  deleteRule(monitorId: string, id: string): Promise<boolean>;

  /**
   * Claims up to `limit` notifications due at `now` (pending and due, or claimed by a worker whose lease ran
   * out) with compare-and-set, leasing them until `leaseUntil`. Two workers never claim the same row at once.
   */
  claimNotifications(now: Date, leaseUntil: Date, limit: number): Promise<Notification[]>;
  /** Records an attempt's outcome for a claimed notification, and a permanent failure on its channel too. */
  finishNotification(id: number, outcome: DeliveryOutcome): Promise<void>;
  listNotifications(projectId: string, filter: NotificationFilter): Promise<Page<Notification>>;
  /** The earliest instant a pending notification is due, or null. */
  nextNotificationAt(): Promise<Date | null>;

  /**
   * Deletes pings (and finished runs) beyond the newest `keep` of each monitor, visiting at most `monitors` monitors after the one
   * with id `after` (ids ascending) and deleting at most `maxRows` rows, so each call is a short transaction.
   * Returns the ping rows deleted and the id to continue after (`''` is before every id; null once the last monitor
   * was visited).
   */
  prunePings(keep: number, after: string | null, monitors: number, maxRows: number): Promise<{ deleted: number; next: string | null }>;
}

export type { MonitorStatus };

/**
 * The embedded default backend: one SQLite file in WAL mode through better-sqlite3. Calls are synchronous
 * underneath; the async interface is what lets the PostgreSQL backend share every caller.
 *
 * Ping path (a file database opened by the server): WAL-first (shared/reference/perf.md §7). A batch is
 * appended to the ping journal (ping-journal.ts: one write, durable when it completes) and, while that write is
 * in flight, each ping is decided against the monitor's status in memory (`acceptJournaled`); `recordPings`
 * resolves once the write is durable. (On a server the worker store's main thread appends and this store, on
 * the worker, decides: the journal is 'external', see worker-store.ts.) The rows (ping, runs, metrics, flips,
 * notifications) are written to SQLite shortly after, by the same code a direct write uses, as a projection of
 * the journal in order, with the journal position in the same transaction. Everything else that reads or
 * writes what pings change first waits for the appends in flight and applies what is pending, so it sees every
 * acknowledged ping, and never one that is not yet durable. At open, the journal past the stored position is
 * applied the same way (deciding again, deterministically, from the same statuses).
 *
 * Monitor statuses from pings are kept in memory and written back coalesced — every `flushIntervalMs`, and
 * before anything reads or writes monitor state. The ping rows are the durable record of them: on open, the
 * pings after `written_back.written_through` that are newer than their monitor's `status_ping_id` are replayed
 * through the same pure decision. Rewriting a monitor's row and deadline-index entry per ping is what made
 * SQLite write ~40 KB per ping (shared/reference/perf.md).
 *
 * A monitor's pings are a chain (migration 8): each row names the monitor's previous ping (`prev_id`), and the
 * newest is the row's `status_ping_id`, which every ping moves (in memory at once, in the row with the status
 * write-back). Histories, runs, pruning and deletion walk the chain; no index by monitor is kept per ping.
 *
 * Without a journal (':memory:', or a tool opening the file beside the server with `replay: false`) a batch
 * is written and committed before `recordPings` resolves, as one transaction.
 * One process owns the file (capabilities.shared = false).
 */
import { Database } from './driver.js';
import { randomBytes } from 'node:crypto';
import { closeSync, fdatasync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { withStatus, type Alert, type Flip, type Monitor, type MonitorState } from '../../domain/monitor.js';
import type { PingDetails, PingInput, PingKind, PingRecord } from '../../domain/ping.js';
import { unpairedCompletion, type RunChange, type RunRecord } from '../../domain/runs.js';
import type { Transition } from '../../domain/transitions.js';
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
import { keepNewest } from '../bounded-cache.js';
import * as accounts from './accounts.js';
import { migrate } from './migrate.js';
import { listMonitors } from './monitor-queries.js';
import * as notifications from './notification-queries.js';
import * as outbox from './outbox.js';
import * as pingHistory from './ping-history.js';
import * as runHistory from './run-history.js';
import { decodeJournaledPing, encodeJournaledPing } from './journal-records.js';
import { framesToRecords, PingJournal } from './ping-journal.js';
import { monitorFromRow, monitorToRow, type MonitorRow } from './rows.js';
import { prepareStatements, STATUS_COLUMNS, WHOLE_CHAIN, type Statements } from './statements.js';
import { uniqueOrConflict } from './unique-or-conflict.js';

export type SqliteSync = 'full' | 'normal';

export interface SqliteOptions {
  /** A file path, or ':memory:'. */
  path: string;
  /** `full`: an acknowledged ping survives power loss; `normal`: it survives a process crash only. */
  sync?: SqliteSync;
  /** How often coalesced monitor statuses from pings are written back (default 5000 ms). */
  flushIntervalMs?: number;
  /** The decision used to replay pings at open; must be the one the server records pings with. */
  decide?: PingDecider;
  /**
   * Replay unflushed pings and the ping journal at open, and record pings through the journal (default true).
   * A one-shot tool opening the file beside a running server (`overdue keys create`) passes false: monitor
   * state and the journal are the server's.
   */
  replay?: boolean;
  /**
   * Record pings through the ping journal (default true for a file opened with replay); false writes each batch
   * directly. 'external': the journal is appended to by another thread (the worker store's main thread), which
   * passes each batch's journal positions to `acceptJournaled` and their durability to `markDurable`.
   */
  journal?: boolean | 'external';
  /** Preallocated size of a journal segment (default 4 MiB). */
  journalSegmentBytes?: number;
  /** How long after they become durable journaled pings are written to SQLite (default 10 ms; tests stretch it). */
  projectionDelayMs?: number;
}

/** What the thread appending to an external journal needs: where, from which LSN, and the next ping id. */
export interface JournalInfo {
  dir: string;
  /** Hex. */
  journalId: string;
  lsn: number;
  nextPingId: number;
  sync: boolean;
  segmentBytes: number;
}

/**
 * Store calls that neither read nor write anything pings change (projects, keys, channels, lists, rules as
 * listed, new monitors, the slug lookup on the ping path), so they need not wait for journaled pings to be
 * applied. Every other call does (see `settled`).
 */
export const UNSETTLED_METHODS: ReadonlySet<string> = new Set([
  'createProject', 'getProject', 'getProjectByPingKey', 'listProjects', 'countProjects', 'createApiKey', 'findApiKeyByHash', 'listApiKeys', 'deleteApiKey',
  'insertMonitor', 'getMonitorBySlug', 'createChannel', 'getChannel', 'listChannels', 'updateChannel', 'listLists', 'getList', 'listRules',
  'journalInfo', 'recordPings', 'acceptFrames', 'monitorsByToken', 'monitorsAfter',
]);

/**
 * Store calls that may change what a ping decision depends on (a monitor's row, its rules, lists or channels:
 * they bump decisionGeneration or report the monitors they changed, see takeForgotten). The thread deciding
 * pings from monitors it holds lets no ping through until such a call is answered, with what it changed: a ping
 * sent meanwhile would be decided there from the old monitor and here from the changed one. A method that calls
 * forgetMonitors, forgetMonitor or settledRules belongs here.
 */
export const DECISION_METHODS: ReadonlySet<string> = new Set([
  'updateMonitor', 'deleteMonitor', 'deleteChannel', 'createList', 'updateList', 'deleteList', 'setNotifyRules', 'createRule', 'deleteRule',
]);

/** A journaled ping whose rows are not yet in SQLite; `write` is null for an unknown token (nothing to write). */
interface PendingPing {
  /** The journal LSN after its frame: applied once the projection stores a position at or past it. */
  end: number;
  write: { monitor: Monitor; ping: PingInput; pingId: number; decision: Decision } | null;
}

/** A monitor's status and the ping that left it so (its row's replay bookmark when written back). */
interface StatusEntry {
  monitor: Monitor;
  pingId: number;
  /** In `projected`: the oldest ping whose effect the entry holds unwritten (see writtenThrough). */
  since?: number;
}

export interface Decision {
  transition: Transition;
  /** The monitor with the transition's status (and updatedAt when it changed). */
  next: Monitor;
  changed: boolean;
}

/** One ping decided against a monitor: the one rule both threads follow, so their decisions agree. */
export function decideOne(monitor: Monitor, ping: PingInput, decide: PingDecider): Decision {
  const transition = decide(monitor, ping);
  // An unchanged version is an unchanged status (applyEvent bumps it on any difference): the monitor stays as it is.
  const changed = transition.status.version !== monitor.version;
  return { transition, next: changed ? withStatus(monitor, transition.status, ping.receivedAt) : monitor, changed };
}

/**
 * Durable pings are applied this long after they arrive, at most this many per transaction, the next chunk as
 * soon as the thread has looked at its messages: a call waiting for this thread is held up by at most one
 * chunk (a few ms), not by a whole backlog (measured: 3–25 ms). Not smaller: every commit after a B-tree page
 * split scans SQLite's whole page cache (balance_nonroot parks a page at the pending-byte page number, far past
 * the file's end, so the commit's cache truncation cannot take its short path); that was ~10 % of this
 * thread's CPU at 64 pings per transaction. 256 measured 3–5 µs less per ping on this thread than 64, with the
 * same p99 (HTTP benchmark, 50 connections, alternating runs).
 */
const PROJECTION_CHUNK = 256;
const PROJECTION_DELAY_MS = 10;
/** Journaled pings per transaction when replaying at open (nothing waits on the thread then). */
const REPLAY_BATCH = 2000;
/**
 * Statuses written back per transaction by the periodic write-back, the next chunk likewise after the thread
 * has looked at its messages: writing back 10 000 pinged monitors at once held pings up for 185 ms.
 */
const WRITE_BACK_CHUNK = 256;
/** Monitors whose rows the store keeps parsed in memory at most (rowCache). */
const ROW_CACHE_MAX = 100_000;
const DEFAULT_SEGMENT_BYTES = 4 * 1024 * 1024;
/** The projection's WAL is synced in the background after this much journal, or this long after less. */
const WAL_SYNC_BYTES = 256 * 1024;
const WAL_SYNC_DELAY_MS = 250;

export class SqliteStore implements Store {
  readonly capabilities = { backend: 'sqlite', shared: false } as const;
  private readonly db: Database;
  private readonly stmt: Statements;
  private readonly sync: SqliteSync;
  /** Monitor id → newest status from pings not yet written to its row, with the ping that produced it. */
  private readonly unflushed = new Map<string, StatusEntry>();
  /** The same entries by ping token: a monitor pinged since the last flush needs no lookup at all. */
  private readonly unflushedByToken = new Map<string, StatusEntry>();
  /**
   * Monitor id → its status after its latest ping written to SQLite, with that ping (its newest, the head of its
   * chain of pings), when not written back yet: what the periodic write-back writes (the coalesced status may be
   * ahead of SQLite's pings). Every ping makes an entry, a ping that changed nothing too: its row's
   * status_ping_id is the head the monitor's pings are found from (migration 8). Insertion order is the order of
   * `since`, so the first entry bounds what start-up must read again (writtenThrough).
   */
  private readonly projected = new Map<string, StatusEntry>();
  /** Monitor id → the id of its newest ping SQLite holds (read from its row on first use). */
  private readonly heads = new Map<string, number>();
  /** Heads and rows written by the transaction in progress: kept once it commits, dropped if it fails. */
  private readonly txHeads = new Map<string, number>();
  private txWrites: StatusEntry[] = [];
  /** The newest ping id SQLite holds. */
  private rowsThrough = 0;
  /**
   * Ping token → the monitor as its row holds it, for monitors with nothing in `unflushed`: once their status is
   * written back, their next ping needs no read (measured: reading and parsing rows was ~10 % of the SQLite
   * thread's time under load). Kept current by the status write-back; cleared whenever a row is written any
   * other way (updateMonitor, deleteMonitor), which is rare next to pings.
   */
  private readonly rowCache = new Map<string, Monitor>();
  /** See decisionGeneration. */
  private generation = 0;
  /** See takeForgotten. */
  private forgotten: string[] = [];
  private readonly flushTimer: NodeJS.Timeout;
  private readonly journalMode: 'off' | 'own' | 'external';
  /** The journal this store appends to itself ('own'). */
  private journal: PingJournal | null = null;
  private journalInfoForAppender: JournalInfo | null = null;
  private readonly segmentBytes: number;
  private readonly projectionDelayMs: number;
  /** Journaled pings not yet applied to SQLite, in journal order. */
  private pending: PendingPing[] = [];
  /** Pending pings up to this LSN are durable in the journal. */
  private durableLsn = 0;
  /** The journal position stored in SQLite, and the part of it known durable there (the journal before it may go). */
  private appliedLsn = 0;
  private durableAppliedLsn = 0;
  private reportedAppliedLsn = 0;
  /** The `-wal` file, synced from the libuv pool to make the projection's NORMAL commits durable (see syncWal). */
  private readonly walPath: string;
  private walFd: number | null = null;
  /** The WAL sync in flight, if any. */
  private walSyncing: Promise<void> | null = null;
  private walSyncTimer: NodeJS.Timeout | null = null;
  private walSyncedLsn = 0;
  private walSyncFailed = false;
  private nextPingId = 1;
  private projectionScheduled = false;
  private writingBack = false;
  /** Calls in progress that need every journaled ping applied first; pings wait meanwhile. */
  private exclusive = 0;
  private gateWaiters: (() => void)[] = [];
  /** A journal write failed: what is in memory may be ahead of what is durable, so the store refuses further work. */
  private broken: Error | null = null;
  private closing: Promise<void> | null = null;

  constructor(options: SqliteOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.sync = options.sync ?? 'full';
    this.segmentBytes = options.journalSegmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.projectionDelayMs = options.projectionDelayMs ?? PROJECTION_DELAY_MS;
    this.walPath = `${options.path}-wal`;
    this.db.pragma('page_size = 1024');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${this.sync === 'normal' ? 'NORMAL' : 'FULL'}`);
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    // Checkpoint every ~40 MB of WAL instead of 4 MB: hot monitor pages are then copied back once per
    // checkpoint rather than many times, which measured +35–40 % ping throughput (bench/ping-bench.ts).
    this.db.pragma('wal_autocheckpoint = 10000');
    migrate(this.db);
    this.stmt = prepareStatements(this.db);
    const decide = options.decide ?? decidePing;
    this.journalMode = options.replay === false || options.path === ':memory:' || options.journal === false ? 'off' : options.journal === 'external' ? 'external' : 'own';
    this.rowsThrough = (this.stmt.maxPingId.get() as number | null) ?? 0;
    if (options.replay !== false) {
      this.replayUnflushed(decide);
      if (this.journalMode !== 'off') this.openJournal(`${options.path}.ping-journal`, decide);
    }
    this.nextPingId = ((this.stmt.maxPingId.get() as number | null) ?? 0) + 1;
    if (this.journalInfoForAppender) this.journalInfoForAppender.nextPingId = this.nextPingId;
    this.flushTimer = setInterval(() => this.tick(), options.flushIntervalMs ?? 5000);
    this.flushTimer.unref();
  }

  /** The periodic write-back of statuses (with a journal: of the pings applied by then). */
  private tick(): void {
    if (this.journalMode === 'own') {
      void this.settled(() => this.flush()).catch(() => undefined);
    } else {
      this.writeBackGradually();
    }
  }

  /**
   * Writes back, a chunk per turn of the event loop, the status each pinged monitor had after its latest ping
   * that SQLite holds: a status must never name a ping SQLite does not have yet, and under steady load some of
   * every monitor's pings are always still pending.
   */
  private writeBackGradually(): void {
    if (this.writingBack) return;
    this.writingBack = true;
    const step = () => {
      let written = 0;
      try {
        written = this.writeBack(WRITE_BACK_CHUNK);
      } catch {
        // SQLite refused the write: the statuses stay in memory and the next tick or call tries again.
      }
      if (written === WRITE_BACK_CHUNK) setImmediate(step).unref();
      else this.writingBack = false;
    };
    step();
  }

  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    this.closing ??= (async () => {
      if (!this.db.open) return;
      if (this.journalMode !== 'off') {
        this.exclusive++; // never released: pings arriving from now on are refused
        if (!this.broken) await this.applyJournaled().catch(() => undefined);
        const complete = !this.broken && this.pending.length === 0;
        if (complete) {
          this.flush();
          this.commitDurably();
        }
        // Complete: everything is durable in SQLite and the segments can go; otherwise the next open applies them.
        await this.journal?.close(complete ? this.appliedLsn : null);
      } else {
        this.flush();
      }
      if (this.walSyncTimer) clearTimeout(this.walSyncTimer);
      await this.walSyncing;
      this.db.close();
      if (this.walFd !== null) closeSync(this.walFd); // after SQLite is done with the file
      for (const w of this.gateWaiters.splice(0)) w();
    })();
    return this.closing;
  }

  /**
   * Writes the coalesced statuses of pinged monitors to their rows, in one transaction. With a journal, only
   * once every journaled ping is applied (a status must never name a ping SQLite does not have yet).
   */
  flush(): void {
    if ((this.unflushed.size === 0 && this.projected.size === 0) || !this.db.open || this.pending.length > 0 || this.broken) return;
    // Per monitor the newer entry: a ping that changed nothing is only in `projected`, and carries the head.
    const entries = new Map(this.unflushed);
    for (const [id, entry] of this.projected) if ((entries.get(id)?.pingId ?? 0) < entry.pingId) entries.set(id, entry);
    this.writeStatuses(entries.values(), this.rowsThrough);
    this.unflushed.clear();
    this.unflushedByToken.clear();
    this.projected.clear();
  }

  /**
   * Writes up to `limit` of the statuses left by the pings SQLite holds to their rows, in one transaction, and
   * forgets them (and the coalesced status too, when no later ping changed it). Returns how many.
   */
  private writeBack(limit: number): number {
    if (this.projected.size === 0 || !this.db.open || this.broken) return 0;
    const entries: StatusEntry[] = [];
    let rest: StatusEntry | undefined; // the oldest entry left unwritten
    for (const entry of this.projected.values()) {
      if (entries.length >= limit) {
        rest = entry;
        break;
      }
      entries.push(entry);
    }
    this.writeStatuses(entries, rest ? rest.since! - 1 : this.rowsThrough);
    for (const { monitor, pingId } of entries) {
      this.projected.delete(monitor.id);
      // Kept when a later ping changed it, still to be written (its row is not in SQLite yet).
      if ((this.unflushed.get(monitor.id)?.pingId ?? Infinity) > pingId) continue;
      this.unflushed.delete(monitor.id);
      this.unflushedByToken.delete(monitor.pingToken);
    }
    return entries.length;
  }

  /**
   * Writes these statuses (each with its ping as status_ping_id, the head of the monitor's pings) and, in the
   * same transaction, that every ping up to `writtenThrough` now has its effect in the rows: start-up reads again
   * only the pings after it (replayUnflushed).
   */
  private writeStatuses(statuses: Iterable<StatusEntry>, writtenThrough: number): void {
    const entries = [...statuses];
    // With a journal, statuses are derived from rows it covers until they are durable: no fsync here (NORMAL).
    this.relaxed(() =>
      this.db
        .transaction(() => {
          for (const { monitor, pingId } of entries) {
            const row = monitorToRow(monitor);
            const params: Record<string, unknown> = { id: row.id, status_ping_id: pingId };
            for (const c of STATUS_COLUMNS) params[c] = row[c as keyof MonitorRow];
            this.stmt.updateStatus.run(params);
          }
          this.stmt.setWrittenThrough.run(writtenThrough);
        })
        .immediate(),
    );
    for (const { monitor } of entries) this.cacheRow(monitor);
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
      this.remember(withStatus(monitor, status, new Date(r.received_at)), r.id);
    }
    this.flush();
  }

  /**
   * Opens the ping journal and applies what it holds past the stored position: each ping decided again from
   * the statuses SQLite and replayUnflushed give (the ones it was decided from when acknowledged) and written
   * like any other. Then makes that durable, retires the old segments and starts the journal afresh (or leaves
   * that to the thread that will append, with an external journal).
   */
  private openJournal(dir: string, decide: PingDecider): void {
    this.stmt.initJournal.run(randomBytes(16));
    const state = this.stmt.journalState.get() as { journal_id: Buffer; applied_lsn: number };
    const options = { dir, journalId: state.journal_id, sync: this.sync === 'full', segmentBytes: this.segmentBytes };
    const { journal, tail, next } = PingJournal.open(options, state.applied_lsn);
    for (let i = 0; i < tail.length; i += REPLAY_BATCH) {
      const chunk = tail.slice(i, i + REPLAY_BATCH);
      this.commitProjection(() => {
        for (const record of chunk) {
          const { pingId, ping } = decodeJournaledPing(record.payload);
          const monitor = this.lookup(ping.token);
          if (!monitor) continue; // an unknown token (answered not found), or a monitor deleted since
          const decision = decideOne(monitor, ping, decide);
          this.writePing(monitor, ping, pingId, decision);
          if (decision.changed) this.remember(decision.next, pingId);
        }
      }, chunk.at(-1)!.end);
    }
    this.flush();
    // Past everything read (and every old file's bytes), in a commit at the connection's own setting (FULL:
    // durable), before the old segments are retired.
    this.stmt.setAppliedLsn.run(next);
    this.appliedLsn = this.durableAppliedLsn = this.reportedAppliedLsn = this.durableLsn = next;
    journal.retireOld();
    if (this.journalMode === 'own') {
      journal.begin(next);
      this.journal = journal;
    } else {
      this.journalInfoForAppender = { dir, journalId: state.journal_id.toString('hex'), lsn: next, nextPingId: 0, sync: options.sync, segmentBytes: this.segmentBytes };
    }
  }

  /** With an external journal: where and from where to append (null without one). */
  async journalInfo(): Promise<JournalInfo | null> {
    return this.journalInfoForAppender;
  }

  async createProject(p: Project): Promise<void> {
    accounts.createProject(this.db, this.stmt, p);
  }

  async getProject(id: string): Promise<Project | null> {
    return accounts.getProject(this.stmt, id);
  }

  async getProjectByPingKey(pingKey: string): Promise<Project | null> {
    return accounts.getProjectByPingKey(this.stmt, pingKey);
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
    return this.settled(() => {
      this.flush();
      const r = this.stmt.getMonitor.get(projectId, id) as MonitorRow | undefined;
      return r ? monitorFromRow(r) : null;
    });
  }

  async getMonitorById(id: string): Promise<Monitor | null> {
    return this.settled(() => {
      this.flush();
      const r = this.stmt.getMonitorById.get(id) as MonitorRow | undefined;
      return r ? monitorFromRow(r) : null;
    });
  }

  async getMonitorByToken(token: string): Promise<Monitor | null> {
    return this.settled(() => {
      this.flush();
      const r = this.stmt.monitorByToken.get(token) as MonitorRow | undefined;
      return r ? monitorFromRow(r) : null;
    });
  }

  async getMonitorBySlug(pingKey: string, key: string): Promise<Monitor | null> {
    // On the ping path (slug URLs resolve to a token first): overlay the coalesced status instead of flushing,
    // which would write every pinged monitor's row once per slug ping. Unflushed entries are always newer
    // than the row, since every other write flushes first. Not held back for journal appends in flight: the
    // status may include a ping whose append is still being made durable, which is harmless for finding the
    // monitor and its token.
    const r = this.stmt.monitorBySlug.get(key, pingKey) as MonitorRow | undefined;
    if (!r) return null;
    return this.unflushed.get(r.id)?.monitor ?? monitorFromRow(r);
  }

  async listMonitors(projectId: string, f: MonitorFilter): Promise<Page<Monitor>> {
    return this.settled(() => {
      this.flush();
      return listMonitors(this.db, projectId, f);
    });
  }

  async updateMonitor(m: Monitor, expectedVersion: number, flips: Flip[], alerts: Alert[] = [], runs: RunChange[] = []): Promise<boolean> {
    return this.settled(() => {
      this.flush();
      return this.db.transaction(() => {
        this.forgetMonitor(m);
        const changed = uniqueOrConflict(() => this.stmt.updateMonitor.run({ ...monitorToRow(m), expected_version: expectedVersion })).changes;
        if (changed !== 1) return false;
        outbox.writeFlips(this.stmt, m, flips);
        runHistory.writeRuns(this.stmt, m.id, runs, null);
        if (alerts.length > 0) outbox.writeAlerts(this.stmt, m, alerts, `alert:${m.id}:${m.updatedAt.getTime()}`);
        return true;
      }).immediate();
    });
  }

  async deleteMonitor(projectId: string, id: string): Promise<boolean> {
    return this.settledRules(() => {
      this.flush();
      this.forgetMonitors();
      const head = this.headOf(id);
      const deleted = this.db.transaction(() => {
        if (this.stmt.deleteMonitor.run(projectId, id).changes !== 1) return false;
        // Its pings have no foreign key to cascade along (migration 8): they go along their chain.
        this.stmt.deleteChain.run({ m: id, head, upto: WHOLE_CHAIN });
        return true;
      }).immediate();
      if (deleted) this.heads.delete(id);
      return deleted;
    });
  }

  async recordPings(pings: PingInput[], decide: PingDecider): Promise<PingOutcome[]> {
    if (this.journalMode === 'off') return this.recordNow(pings, decide);
    if (this.journalMode === 'external') throw new Error('this store records pings journaled by the worker store (acceptJournaled)');
    while (this.exclusive > 0 && !this.closing) await new Promise<void>((resolve) => this.gateWaiters.push(resolve));
    this.usable();
    const journal = this.journal!;
    // Append first and decide while the write is in flight: the reply needs both.
    const ids = pings.map(() => this.nextPingId++);
    try {
      const { ends, done } = journal.append(pings.map((p, i) => encodeJournaledPing(ids[i]!, p)));
      const outcomes = this.acceptJournaled(pings, ids, ends, decide);
      await done;
      this.markDurable(journal.durableLsn);
      return outcomes;
    } catch (err) {
      this.fail(err);
      throw err;
    }
  }

  /**
   * Decides journaled pings (frames ending at `ends`, acknowledged with ping ids `ids`) against the statuses
   * in memory and keeps them pending: their rows are written once `markDurable` reaches them. Returns the
   * outcomes, to be given to callers only once the frames are durable.
   */
  acceptJournaled(pings: PingInput[], ids: number[], ends: number[], decide: PingDecider): PingOutcome[] {
    this.usable();
    return pings.map((ping, i): PingOutcome => {
      const end = ends[i]!;
      const monitor = this.lookup(ping.token);
      if (!monitor) {
        this.pending.push({ end, write: null });
        return { found: false };
      }
      const pingId = ids[i]!;
      const decision = decideOne(monitor, ping, decide);
      if (decision.changed) this.remember(decision.next, pingId);
      this.pending.push({ end, write: { monitor, ping, pingId, decision } });
      const { next, transition, changed } = decision;
      const notificationsQueued = outbox.wouldQueue(this.stmt, next, changed ? transition.flips : [], transition.alerts);
      return { found: true, pingId, state: next.state, deadline: next.deadline, notificationsQueued };
    });
  }

  /**
   * acceptJournaled for journal frames sent by the appending thread (the pings and their ids are in them),
   * answered compactly for the trip back: four slots per ping, `pingId, state, deadline ms | null, 1 | 0`
   * (whether notifications were queued), or `0, '', null, 0` for an unknown token.
   */
  acceptFrames(frames: Buffer, decide: PingDecider): (number | string | null)[] {
    const records = framesToRecords(frames).map((r) => ({ ...decodeJournaledPing(r.payload), end: r.end }));
    const outcomes = this.acceptJournaled(records.map((r) => r.ping), records.map((r) => r.pingId), records.map((r) => r.end), decide);
    // Frames may arrive after the notice that they are durable (the appending thread sends several batches' at once).
    if (this.pending.length > 0 && this.pending[0]!.end <= this.durableLsn) this.scheduleProjection();
    return outcomes.flatMap((o) => (o.found ? [o.pingId, o.state, o.deadline?.getTime() ?? null, o.notificationsQueued ? 1 : 0] : [0, '', null, 0]));
  }

  /**
   * The monitors of these ping tokens with every ping accepted so far decided (null for an unknown token), for
   * the appending thread, which then decides their next pings itself (see worker-store.ts).
   */
  async monitorsByToken(tokens: string[]): Promise<({ monitor: Monitor; ruled: string[] } | null)[]> {
    this.usable();
    return tokens.map((t) => {
      const monitor = this.lookup(t);
      return monitor && { monitor, ruled: outbox.ruledEvents(this.stmt, monitor.id) };
    });
  }

  /**
   * monitorsByToken for up to `limit` monitors by id after `afterId`, for the appending thread to hold before
   * their first pings arrive (see worker-store.ts).
   */
  async monitorsAfter(afterId: string, limit: number): Promise<{ monitor: Monitor; ruled: string[] }[]> {
    const tokens = this.stmt.pingTokensAfter.all(afterId, limit) as string[];
    return (await this.monitorsByToken(tokens)).filter((entry) => entry !== null);
  }

  /**
   * Changes whenever something a ping decision depends on may have changed for many monitors at once (rules,
   * lists, channels, a deletion): a thread that decides pings from monitors it was given forgets them all when
   * it sees a new value. A change to one monitor's row is reported by takeForgotten instead.
   */
  get decisionGeneration(): number {
    return this.generation;
  }

  /** The journal is durable up to `lsn`: the pending pings before it may be applied. */
  markDurable(lsn: number): void {
    if (lsn <= this.durableLsn) return;
    this.durableLsn = lsn;
    this.scheduleProjection();
  }

  /** The journal position durably applied since the last call (for the appending thread to retire segments), or null. */
  takeAppliedProgress(): number | null {
    if (this.durableAppliedLsn <= this.reportedAppliedLsn) return null;
    this.reportedAppliedLsn = this.durableAppliedLsn;
    return this.durableAppliedLsn;
  }

  /** Without a journal: decides and writes the batch in one transaction, durable when it resolves. */
  private recordNow(pings: PingInput[], decide: PingDecider): PingOutcome[] {
    return this.writingRows(() =>
      this.db.transaction(() =>
        pings.map((ping): PingOutcome => {
          const monitor = this.lookup(ping.token);
          if (!monitor) return { found: false };
          const decision = decideOne(monitor, ping, decide);
          const { pingId, queued } = this.writePing(monitor, ping, null, decision);
          if (decision.changed) this.remember(decision.next, pingId);
          return { found: true, pingId, state: decision.next.state, deadline: decision.next.deadline, notificationsQueued: queued > 0 };
        }),
      ).immediate(),
    );
  }

  /** The monitor's current state by ping token, pings included: the coalesced status if it has one, else its row. */
  private lookup(token: string): Monitor | null {
    const cached = this.unflushedByToken.get(token)?.monitor ?? this.rowCache.get(token);
    if (cached) return cached;
    const row = this.stmt.monitorByToken.get(token) as MonitorRow | undefined;
    if (!row) return null;
    const monitor = monitorFromRow(row);
    this.cacheRow(monitor);
    return monitor;
  }

  /**
   * Monitor rows are about to be written other than by pings: parsed rows go, and deciders elsewhere forget
   * theirs (see DECISION_METHODS).
   */
  private forgetMonitors(): void {
    this.rowCache.clear();
    this.generation++;
  }

  /**
   * One monitor's row is about to be written other than by pings (an edit, a pause, a scheduler transition):
   * its parsed row goes, under its old token and its new one, and deciders elsewhere forget those tokens
   * (takeForgotten). Forgetting every monitor instead made each scheduler transition cost the next ping of every
   * other monitor a fetch.
   */
  private forgetMonitor(m: Monitor): void {
    const old = this.stmt.pingTokenOf.get(m.id) as string | undefined;
    for (const token of old === undefined || old === m.pingToken ? [m.pingToken] : [old, m.pingToken]) {
      this.rowCache.delete(token);
      this.forgotten.push(token);
    }
  }

  /** The ping tokens of the monitors changed other than by pings since the last call (see forgetMonitor), or null. */
  takeForgotten(): string[] | null {
    if (this.forgotten.length === 0) return null;
    return this.forgotten.splice(0);
  }

  private cacheRow(monitor: Monitor): void {
    keepNewest(this.rowCache, monitor.pingToken, monitor, ROW_CACHE_MAX);
  }

  /**
   * The rows of one decided ping: the ping (with an unpaired completion's run columns), the runs it opened or
   * closed, its payload metrics, and when its status changed the flips and their notifications, plus the
   * notifications of its alerts. The one writer for direct batches, journal projection and journal replay, so
   * all three store the same rows. Returns the ping id and how many notifications were queued or merged.
   * Runs inside writingRows: the ping joins its monitor's chain there.
   */
  private writePing(monitor: Monitor, ping: PingInput, id: number | null, { transition, next, changed }: Decision): { pingId: number; queued: number } {
    const { flips, alerts, runs } = transition;
    const body = ping.body && ping.body.length > 0 ? ping.body : null;
    const prev = this.headOf(monitor.id);
    const pingId = Number(
      this.stmt.insertPing.run(
        id, monitor.id, prev === 0 ? null : prev, ping.receivedAt.getTime(), ping.kind, ping.exitCode, ping.source, ping.method,
        ping.ip, ping.userAgent, body, body?.length ?? 0, ping.msg, ping.details ? JSON.stringify(ping.details) : null,
        ...runHistory.pingRunColumns(unpairedCompletion(runs)),
      ).lastInsertRowid,
    );
    this.txHeads.set(monitor.id, pingId);
    this.txWrites.push({ monitor: next, pingId });
    if (runs.length > 0) runHistory.writeRuns(this.stmt, monitor.id, runs, pingId);
    const tail = flips.length > 0 || alerts.length > 0 ? outputTail(body?.toString('utf8') ?? null, ping.msg) : null;
    if (monitor.payloadMetrics.length > 0 && body) {
      for (const point of extractPayloadMetrics(monitor.payloadMetrics, body.toString('utf8'))) {
        this.stmt.insertMetric.run(monitor.id, pingId, point.name, ping.receivedAt.getTime(), point.value);
      }
    }
    let queued = 0;
    if (changed) queued += outbox.writeFlips(this.stmt, next, flips, tail);
    if (alerts.length > 0) queued += outbox.writeAlerts(this.stmt, next, alerts, `ping:${pingId}`, tail);
    return { pingId, queued };
  }

  /** The id of the monitor's newest ping SQLite holds (in the transaction in progress too), 0 for none. */
  private headOf(monitorId: string): number {
    const head = this.txHeads.get(monitorId) ?? this.heads.get(monitorId);
    if (head !== undefined) return head;
    const stored = (this.stmt.monitorHead.get(monitorId) as number | undefined) ?? 0;
    this.heads.set(monitorId, stored);
    return stored;
  }

  /**
   * Runs a transaction that writes ping rows (writePing): once it commits, their monitors' heads move on and
   * their statuses await the write-back (`projected`); if it fails, neither happens and its pings are written
   * again later from the same heads.
   */
  private writingRows<T>(write: () => T): T {
    try {
      const result = write();
      for (const [monitorId, head] of this.txHeads) this.heads.set(monitorId, head);
      for (const entry of this.txWrites) {
        entry.since = this.projected.get(entry.monitor.id)?.since ?? entry.pingId;
        this.projected.set(entry.monitor.id, entry);
        if (entry.pingId > this.rowsThrough) this.rowsThrough = entry.pingId;
      }
      return result;
    } finally {
      this.txHeads.clear();
      this.txWrites = [];
    }
  }

  /** Memory now holds decisions the journal may not have: nothing more may be recorded or read until a restart replays it. */
  private fail(err: unknown): void {
    this.broken ??= err instanceof Error ? err : new Error(String(err));
  }

  private usable(): void {
    if (this.broken) throw new Error(`the ping journal failed (${this.broken.message}); restart the server to recover from the journal`);
    if (this.closing) throw new Error('the store is closed');
  }

  /**
   * Runs `fn` once every journaled ping is applied to SQLite: waits for the appends in flight (holding new
   * pings back meanwhile, so the wait ends) and applies them. Every call that reads or writes what pings change
   * goes through here, so it sees each acknowledged ping, and none that is not durable yet. With an external
   * journal the appending thread sends such calls only once its appends are durable.
   */
  private async settled<T>(fn: () => T): Promise<T> {
    if (this.journalMode === 'off') return fn();
    this.usable();
    this.exclusive++;
    try {
      await this.applyJournaled();
      return fn();
    } finally {
      if (--this.exclusive === 0) for (const w of this.gateWaiters.splice(0)) w();
    }
  }

  /**
   * `settled`, for a call that may change which channels a rule reaches: the remembered ones are forgotten after
   * it (see DECISION_METHODS).
   */
  private async settledRules<T>(fn: () => T): Promise<T> {
    return this.settled(() => {
      try {
        return fn();
      } finally {
        outbox.forgetRuleChannels(this.stmt);
        this.generation++;
      }
    });
  }

  /** Waits until every journaled ping is durable and applies them all. */
  private async applyJournaled(): Promise<void> {
    while (this.pending.length > 0) {
      if (this.journal) {
        await this.journal.idle();
        this.markDurable(this.journal.durableLsn);
      }
      if (this.broken) throw new Error(`the ping journal failed (${this.broken.message}); restart the server to recover from the journal`);
      while (this.project(Infinity) > 0);
      if (!this.journal && this.pending.length > 0) throw new Error('ping journal: a call arrived before the pings journaled ahead of it were durable');
    }
  }

  private scheduleProjection(delayMs = this.projectionDelayMs): void {
    if (this.projectionScheduled) return;
    this.projectionScheduled = true;
    const run = () => {
      this.projectionScheduled = false;
      try {
        if (this.project(PROJECTION_CHUNK) > 0 && this.pending.length > 0 && this.pending[0]!.end <= this.durableLsn) this.scheduleProjection(0);
      } catch {
        // SQLite refused the write (disk full, a lock held too long): the pings stay pending and the next
        // batch, or the next call needing them, tries again and reports the error.
      }
    };
    if (delayMs === 0) setImmediate(run).unref();
    else setTimeout(run, delayMs).unref();
  }

  /**
   * Applies up to `limit` pending pings that are durable in the journal, in journal order, in one transaction
   * that also stores the journal position reached. Returns how many.
   */
  private project(limit: number): number {
    if (this.journalMode === 'off' || this.broken || !this.db.open) return 0;
    let n = 0;
    while (n < this.pending.length && n < limit && this.pending[n]!.end <= this.durableLsn) n++;
    if (n === 0) return 0;
    const batch = this.pending.slice(0, n);
    const end = batch[n - 1]!.end;
    this.commitProjection(() => {
      for (const { write } of batch) if (write) this.writePing(write.monitor, write.ping, write.pingId, write.decision);
    }, end);
    this.pending = this.pending.slice(n);
    this.syncWalSoon();
    return n;
  }

  /**
   * Makes the projection durable in the background. With OVERDUE_SQLITE_SYNC=normal there is nothing to wait
   * for (a projection commit is as durable as any commit). With full, the `-wal` file is fdatasync'ed from the
   * libuv pool once 256 KiB (or half a segment) of journal were applied since the last sync, or 250 ms after a smaller amount, so
   * neither this thread nor a later FULL commit waits on megabytes of unsynced WAL. When it completes, every
   * commit made before it started is durable: frames still in the WAL by this sync, frames already copied to
   * the database file by the checkpoint that copied them (SQLite syncs the database file before the WAL is
   * reused). Then journal segments before that point may be retired.
   */
  private syncWalSoon(): void {
    if (this.sync === 'normal') return this.appliedDurably(this.appliedLsn);
    if (this.walSyncing || this.appliedLsn <= this.walSyncedLsn) return;
    if (this.appliedLsn - this.walSyncedLsn < Math.min(WAL_SYNC_BYTES, this.segmentBytes / 2)) {
      this.walSyncTimer ??= setTimeout(() => {
        this.walSyncTimer = null;
        this.syncWal();
      }, WAL_SYNC_DELAY_MS).unref();
      return;
    }
    this.syncWal();
  }

  private syncWal(): void {
    if (this.walSyncing || this.appliedLsn <= this.walSyncedLsn || !this.db.open) return;
    const lsn = this.appliedLsn;
    if (this.walSyncFailed) {
      this.commitDurably();
      return;
    }
    try {
      this.walFd ??= openSync(this.walPath, 'r');
    } catch {
      this.commitDurably(); // no WAL file to sync (cannot happen in WAL mode after a commit): sync through SQLite
      return;
    }
    this.walSyncedLsn = lsn;
    const fd = this.walFd;
    this.walSyncing = new Promise((resolve) =>
      fdatasync(fd, (err) => {
        this.walSyncing = null;
        resolve();
        if (err) {
          this.walSyncFailed = true; // from now on, FULL commits make the projection durable
          this.walSyncedLsn = this.durableAppliedLsn;
        } else {
          this.appliedDurably(lsn);
        }
        if (!this.closing) this.syncWalSoon();
      }),
    );
  }

  /** SQLite holds the journal up to `lsn` durably (with OVERDUE_SQLITE_SYNC=normal: as durably as it holds anything). */
  private appliedDurably(lsn: number): void {
    if (this.journalMode === 'off' || lsn <= this.durableAppliedLsn) return;
    this.durableAppliedLsn = lsn;
    this.journal?.retire(lsn);
  }

  /**
   * Commits `write` with the journal position `end`. With OVERDUE_SQLITE_SYNC=full the projection commits
   * with synchronous=NORMAL (no fsync). A power loss may then lose such a commit, but never the journal that
   * covers it: a segment is retired only once the WAL was synced after the commits that applied it (syncWal,
   * or a FULL commit, which syncs the whole WAL file), and SQLite's WAL recovers a prefix of its commits, so
   * after a power loss the stored position still matches the rows and the journal from there on replays what
   * is missing. Writes the journal does not cover (monitors, keys, notification deliveries) stay FULL.
   */
  private commitProjection(write: () => void, end: number): void {
    this.relaxed(() =>
      this.writingRows(() =>
        this.db
          .transaction(() => {
            write();
            this.stmt.setAppliedLsn.run(end);
          })
          .immediate(),
      ),
    );
    this.appliedLsn = end;
  }

  /** Runs `fn` with synchronous=NORMAL when the journal covers what it writes (OVERDUE_SQLITE_SYNC=full, journal on). */
  private relaxed(fn: () => void): void {
    if (this.sync !== 'full' || this.journalMode === 'off') return fn();
    this.db.pragma('synchronous = NORMAL');
    try {
      fn();
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  /** A commit at the connection's own setting (FULL: the WAL is synced, and with it every earlier commit). */
  private commitDurably(): void {
    this.db.transaction(() => this.stmt.setAppliedLsn.run(this.appliedLsn)).immediate();
    this.appliedDurably(this.appliedLsn);
  }

  async listPings(monitorId: string, limit: number, offset: number): Promise<Page<PingRecord>> {
    return this.settled(() => pingHistory.listPings(this.stmt, monitorId, this.headOf(monitorId), limit, offset));
  }

  async getPingBody(monitorId: string, pingId: number): Promise<Buffer | null> {
    return this.settled(() => pingHistory.getPingBody(this.stmt, monitorId, pingId));
  }

  async listFlips(monitorId: string, limit: number, offset: number): Promise<Page<Flip & { id: number }>> {
    return this.settled(() => pingHistory.listFlips(this.stmt, monitorId, limit, offset));
  }

  async listRuns(monitorId: string, limit: number, offset: number): Promise<Page<RunRecord>> {
    return this.settled(() => runHistory.listRuns(this.stmt, monitorId, this.headOf(monitorId), limit, offset));
  }

  async listMetricPoints(monitorId: string, q: { name?: string; from: Date; to: Date; limit: number }): Promise<MetricPoint[]> {
    return this.settled(() => pingHistory.listMetricPoints(this.db, monitorId, q));
  }

  async dueMonitors(now: Date, limit: number): Promise<Monitor[]> {
    return this.settled(() => {
      this.flush();
      const at = { now: now.getTime(), limit };
      // Derived data (a lost refresh is redone): no sync of its own.
      this.relaxed(() => this.stmt.refreshDue.run(at));
      return (this.stmt.due.all(at) as MonitorRow[]).map(monitorFromRow);
    });
  }

  async nextDeadline(): Promise<Date | null> {
    return this.settled(() => {
      this.flush();
      const v = this.stmt.nextDue.get() as number | null;
      return v === null ? null : new Date(v);
    });
  }

  async countMonitorsByState(): Promise<Partial<Record<MonitorState, number>>> {
    return this.settled(() => {
      this.flush();
      const out: Partial<Record<MonitorState, number>> = {};
      for (const r of this.stmt.stateCounts.all() as { state: MonitorState; n: number }[]) out[r.state] = r.n;
      return out;
    });
  }

  async prunePings(keep: number, after: string | null, monitors: number, maxRows: number): Promise<{ deleted: number; next: string | null }> {
    // Statuses first: a pruned ping must never be one that replay at the next open would still need.
    return this.settled(() => {
      this.flush();
      return pingHistory.prunePings(this.db, this.stmt, (id) => this.headOf(id), keep, after, monitors, maxRows);
    });
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
    return this.settledRules(() => notifications.deleteChannel(this.stmt, projectId, id));
  }

  async createList(l: NotificationList): Promise<void> {
    return this.settledRules(() => notifications.createList(this.db, this.stmt, l));
  }

  async listLists(projectId: string): Promise<NotificationList[]> {
    return notifications.listLists(this.stmt, projectId);
  }

  async getList(projectId: string, key: string): Promise<NotificationList | null> {
    return notifications.getList(this.stmt, projectId, key);
  }

  async updateList(projectId: string, key: string, change: { name?: string; channelIds?: string[] }): Promise<NotificationList | null> {
    return this.settledRules(() => notifications.updateList(this.db, this.stmt, projectId, key, change));
  }

  async deleteList(projectId: string, key: string): Promise<boolean> {
    return this.settledRules(() => notifications.deleteList(this.stmt, projectId, key));
  }

  async setNotifyRules(projectId: string, monitorId: string, rules: { listKey: string; event: string }[], now: Date): Promise<void> {
    return this.settledRules(() => notifications.setNotifyRules(this.db, this.stmt, projectId, monitorId, rules, now));
  }

  async createRule(r: NotificationRule): Promise<void> {
    return this.settledRules(() => notifications.createRule(this.stmt, r));
  }

  async listRules(monitorId: string): Promise<NotificationRule[]> {
    return notifications.listRules(this.stmt, monitorId);
  }

  async deleteRule(monitorId: string, id: string): Promise<boolean> {
    return this.settledRules(() => notifications.deleteRule(this.stmt, monitorId, id));
  }

  async claimNotifications(now: Date, leaseUntil: Date, limit: number): Promise<Notification[]> {
    return this.settled(() => outbox.claimNotifications(this.db, this.stmt, now, leaseUntil, limit));
  }

  async finishNotification(id: number, o: DeliveryOutcome): Promise<void> {
    return this.settled(() => outbox.finishNotification(this.db, this.stmt, id, o));
  }

  async listNotifications(projectId: string, f: NotificationFilter): Promise<Page<Notification>> {
    return this.settled(() => outbox.listNotifications(this.db, projectId, f));
  }

  async nextNotificationAt(): Promise<Date | null> {
    return this.settled(() => outbox.nextNotificationAt(this.stmt));
  }
}

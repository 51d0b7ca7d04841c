/**
 * The SQLite store for a server process: a Store whose calls run on a worker thread that owns the connection
 * (store-worker.ts). Same behaviour as SqliteStore (the contract suite runs on both); the difference is that
 * commits, fsyncs and status flushes overlap with HTTP work on the main thread instead of stalling it.
 *
 * Pings (WAL-first, shared/reference/perf.md §7): this thread decides each batch against the monitors it
 * holds (fetched from the worker on first use), appends the batch to the ping journal (one write, durable when
 * it completes, in the libuv pool) and sends the same journal frames to the worker (several batches' in one
 * message while the worker is busy, see sendFrames); a batch resolves as soon as its write is durable. The
 * worker decides the same pings from the same monitors, in the same order (it is sent every batch this thread
 * decides), and writes the SQLite rows later, once this thread has told it the journal is durable that far.
 * Any other call that reads or writes what pings change is sent only once every append in
 * flight is durable (new pings wait meanwhile), so the worker, handling messages in order, applies every
 * acknowledged ping before it — and none that is not durable. A call that changes a monitor other than by
 * pings names it in its reply, and one that changes rules (or deletes) bumps the worker's decision generation;
 * this thread forgets that monitor, or all of them, before it lets pings through again. Deciding here saves
 * each batch a trip through the worker's queue (measured at 50 connections, seven alternating pairs: p99 lower
 * in every pair, median 36 → 31 ms; pings/s within the noise, median +16 %).
 */
import { Worker } from 'node:worker_threads';
import { AppError, type ErrorCode } from '../../domain/errors.js';
import type { Monitor, MonitorState } from '../../domain/monitor.js';
import type { PingInput } from '../../domain/ping.js';
import { decidePing } from '../../domain/ping-decision.js';
import { keepNewest } from '../bounded-cache.js';
import type { PingOutcome, Store, StoreCapabilities } from '../store.js';
import { encodeJournaledPing } from './journal-records.js';
import { PingJournal } from './ping-journal.js';
import { raisesRuled } from './outbox.js';
import { decideOne, DECISION_METHODS, UNSETTLED_METHODS, type JournalInfo, type SqliteOptions } from './sqlite-store.js';
import type { StoreCall, StoreReply } from './store-worker.js';

type Waiter = { resolve: (v: unknown) => void; reject: (e: Error) => void };
/** A monitor as the worker sends it for deciding pings here (monitorsByToken, monitorsAfter). */
type FetchedMonitor = { monitor: Monitor; ruled: string[] };

/** How soon the worker hears that appends became durable when no other message tells it first. */
const DURABLE_NOTICE_MS = 2;
/** Monitors this thread keeps for deciding pings at most (the oldest-pinged is dropped and fetched again if needed). */
const DECIDED_MONITORS_MAX = 100_000;
/** Monitors fetched at open, before their first pings (at most half the cap, so none is evicted meanwhile), per trip. */
const WARM_MAX = DECIDED_MONITORS_MAX / 2;
const WARM_PAGE = 500;

export class WorkerSqliteStore {
  readonly capabilities: StoreCapabilities = { backend: 'sqlite', shared: false };
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiter>();
  private nextId = 1;
  private exited: Error | null = null;
  private journal: PingJournal | null = null;
  private nextPingId = 1;
  /** The durable LSN last told to the worker, and the durable-applied LSN it last reported. */
  private durableSent = 0;
  private appliedDurable = 0;
  private durableTimer: NodeJS.Timeout | null = null;
  /** Calls waiting for the appends in flight to become durable; pings wait meanwhile. */
  private exclusive = 0;
  private gateWaiters: (() => void)[] = [];
  /**
   * Ping token → the monitor as of every ping this thread has decided, with the events it has rules for: pings
   * are decided here, so a batch is answered once its journal write is durable, without a trip to the worker.
   * The worker decides the same pings from the same monitors (in the same order) to write their rows. Filled
   * from the worker at open and on a miss; forgotten when the worker reports that they, or rules, changed otherwise.
   */
  private readonly monitors = new Map<string, { monitor: Monitor; ruled: Set<string> }>();
  private generation = 0;
  /** Batches past the gate that have not appended yet: a call that needs the worker settled waits for them too. */
  private preparing = 0;
  private preparedWaiters: (() => void)[] = [];
  /** Frames appended and decided here but not sent to the worker yet, and acceptFrames messages unanswered (see sendFrames). */
  private unsentFrames: { frames: Buffer; outcomes: PingOutcome[] }[] = [];
  private framesInFlight = 0;
  /** acceptFrames messages sent (fewer than the batches when the worker was busy). */
  frameMessages = 0;
  /** Batches whose decisions here and in the worker disagreed (never expected; the monitors are forgotten then). */
  divergences = 0;
  /** Monitors a ping batch had to fetch from the worker first (each such batch waits for a trip through its queue). */
  monitorsFetched = 0;
  /** Settles when the monitors fetched at open are held (see warm). */
  warmed: Promise<void> = Promise.resolve();
  /** A journal write (or a decision for a journaled batch) failed: the worker's state may be ahead of the journal. */
  private broken: Error | null = null;
  private closing: Promise<void> | null = null;

  private constructor(options: SqliteOptions) {
    this.worker = new Worker(new URL('./store-worker.js', import.meta.url), { workerData: options });
    this.worker.on('message', (reply: StoreReply) => this.settle(reply));
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', (code) => this.failAll(new Error(`SQLite worker exited with code ${code}`)));
  }

  /** Starts the worker and waits until it has opened (and migrated, and replayed) the database. */
  static async open(options: Omit<SqliteOptions, 'decide'>): Promise<Store> {
    const store = new WorkerSqliteStore(options);
    const info = (await store.call('journalInfo', [])) as JournalInfo | null;
    if (info) {
      store.journal = PingJournal.forAppending({ dir: info.dir, journalId: Buffer.from(info.journalId, 'hex'), sync: info.sync, segmentBytes: info.segmentBytes }, info.lsn);
      store.nextPingId = info.nextPingId;
      store.durableSent = store.appliedDurable = info.lsn;
      store.warmed = store.warm().catch(() => undefined); // only a head start: a monitor not held is fetched on its first ping
    }
    // Own methods come back bound to the store: called with the proxy as `this`, every property access inside
    // them (a ping batch makes dozens per ping) went through this trap.
    const bound = new Map<string | symbol, unknown>();
    return new Proxy(store, {
      get(target, prop) {
        if (prop in target) {
          const value: unknown = Reflect.get(target, prop, target);
          if (typeof value !== 'function') return value;
          let fn = bound.get(prop);
          if (fn === undefined) bound.set(prop, (fn = (value as (...args: unknown[]) => unknown).bind(target)));
          return fn;
        }
        // Not thenable (it is returned from an async function) and no symbol lookups become calls.
        if (prop === 'then' || typeof prop === 'symbol') return undefined;
        return (...args: unknown[]) => target.settledCall(String(prop), args);
      },
    }) as unknown as Store;
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.exited) return this.journal?.close(null);
      if (this.journal) {
        this.exclusive++; // never released: pings from now on are refused
        while (this.journal.busy) await this.journal.idle();
      }
      await this.call('close', []).catch(() => undefined);
      // The worker applied and synced everything (its reply reported how far): then no segment is needed.
      await this.journal?.close(this.broken ? null : this.appliedDurable);
      for (const w of this.gateWaiters.splice(0)) w();
      await this.worker.terminate();
    })();
    return this.closing;
  }

  async recordPings(pings: PingInput[], decide: unknown): Promise<PingOutcome[]> {
    if (decide !== decidePing) throw new Error('the SQLite worker records pings with the domain decision only');
    const journal = this.journal;
    if (!journal) return (await this.call('recordPings', [pings])) as PingOutcome[];
    while (this.exclusive > 0 && !this.closing) await new Promise<void>((resolve) => this.gateWaiters.push(resolve));
    this.usable();
    let outcomes: PingOutcome[];
    let appended: ReturnType<PingJournal['append']>;
    this.preparing++;
    try {
      await this.loadMonitors(pings);
      this.usable();
      // Deciding and appending in one synchronous step: the journal's order is the order of the decisions.
      const ids = pings.map(() => this.nextPingId++);
      outcomes = pings.map((ping, i) => this.decideHere(ping, ids[i]!));
      try {
        appended = journal.append(pings.map((p, i) => encodeJournaledPing(ids[i]!, p)));
      } catch (err) {
        throw this.fail(err);
      }
      this.unsentFrames.push({ frames: appended.frames, outcomes });
      if (this.framesInFlight === 0) this.sendFrames();
    } finally {
      if (--this.preparing === 0) for (const w of this.preparedWaiters.splice(0)) w();
    }
    try {
      await appended.done;
    } catch (err) {
      throw this.fail(err);
    }
    this.noticeDurable();
    return outcomes;
  }

  /**
   * Fetches the monitors, a page at a time, before their first pings: a batch with a monitor this thread does
   * not hold waits for a trip through the worker's queue, behind whatever the worker is writing. After a
   * restart that was every monitor's first ping; in the HTTP benchmark, whose first seconds still ping monitors
   * not seen yet, waiting 12 s instead of 2 s before measuring gave 21–33 % more pings/s.
   */
  private async warm(): Promise<void> {
    let after = '';
    while (this.monitors.size < WARM_MAX && !this.closing && !this.exited) {
      const page = (await this.call('monitorsAfter', [after, WARM_PAGE])) as FetchedMonitor[];
      for (const entry of page) this.holdFetched(entry);
      if (page.length < WARM_PAGE) return;
      after = page.at(-1)!.monitor.id;
    }
  }

  /** Asks the worker for the monitors of the batch's tokens this thread does not hold (one trip, none when it holds all). */
  private async loadMonitors(pings: PingInput[]): Promise<void> {
    const missing = [...new Set(pings.map((p) => p.token).filter((t) => !this.monitors.has(t)))];
    if (missing.length === 0) return;
    this.monitorsFetched += missing.length;
    const found = (await this.call('monitorsByToken', [missing])) as (FetchedMonitor | null)[];
    for (const entry of found) if (entry) this.holdFetched(entry);
  }

  /** Holds a monitor the worker sent, unless another batch loaded and decided it meanwhile: that entry is newer. */
  private holdFetched({ monitor, ruled }: FetchedMonitor): void {
    if (!this.monitors.has(monitor.pingToken)) this.remember(monitor, new Set(ruled));
  }

  private decideHere(ping: PingInput, pingId: number): PingOutcome {
    const held = this.monitors.get(ping.token);
    if (!held) return { found: false };
    const { next, changed, transition } = decideOne(held.monitor, ping, decidePing);
    if (changed) this.remember(next, held.ruled);
    const notificationsQueued = raisesRuled(next, changed ? transition.flips : [], transition.alerts, (event) => held.ruled.has(event));
    return { found: true, pingId, state: next.state, deadline: next.deadline, notificationsQueued };
  }

  private remember(monitor: Monitor, ruled: Set<string>): void {
    keepNewest(this.monitors, monitor.pingToken, { monitor, ruled }, DECIDED_MONITORS_MAX);
  }

  /** The worker's decisions for a batch should be this thread's; if not, start again from the worker's monitors. */
  private compare(here: PingOutcome[], there: PingOutcome[]): void {
    const same = here.length === there.length && here.every((o, i) => {
      const t = there[i]!;
      return o.found === t.found && (!o.found || (t.found && o.pingId === t.pingId && o.state === t.state && o.deadline?.getTime() === t.deadline?.getTime() && o.notificationsQueued === t.notificationsQueued));
    });
    if (same) return;
    this.divergences++;
    this.monitors.clear();
  }

  /** A call that needs every acknowledged ping applied is sent once the appends in flight are durable. */
  private async settledCall(method: string, args: unknown[]): Promise<unknown> {
    const journal = this.journal;
    if (!journal || UNSETTLED_METHODS.has(method)) return this.call(method, args);
    this.usable();
    this.exclusive++;
    try {
      while (this.preparing > 0) await new Promise<void>((resolve) => this.preparedWaiters.push(resolve));
      while (journal.busy) await journal.idle();
      this.usable();
      // Sent now, before any ping held back at the gate; a call that may change decisions keeps the gate closed
      // until its answer (with what it changed) is in.
      if (DECISION_METHODS.has(method)) return await this.call(method, args);
      return this.call(method, args);
    } finally {
      if (--this.exclusive === 0) for (const w of this.gateWaiters.splice(0)) w();
    }
  }

  /** Tells the worker soon that the journal is durable further, unless a message carries it first. */
  private noticeDurable(): void {
    if (this.durableTimer) return;
    this.durableTimer = setTimeout(() => {
      this.durableTimer = null;
      if (this.journal && this.journal.durableLsn > this.durableSent && !this.exited) this.post({});
    }, DURABLE_NOTICE_MS);
    this.durableTimer.unref();
  }

  private usable(): void {
    if (this.broken) throw new Error(`the ping journal failed (${this.broken.message}); restart the server to recover from the journal`);
    if (this.closing) throw new Error('the store is closed');
  }

  private fail(err: unknown): Error {
    const e = err instanceof Error ? err : new Error(String(err));
    this.broken ??= e;
    return e;
  }

  /**
   * Sends the worker the frames of the batches appended since the last such message, in one message: while one
   * is unanswered (the worker is busy writing rows), the next batches' frames wait and go together, which
   * spares both threads a message per batch. Not awaited: the reply only checks the worker's decisions
   * against the ones made here.
   */
  private sendFrames(): void {
    if (this.unsentFrames.length === 0) return;
    const sent = this.unsentFrames;
    this.unsentFrames = [];
    const frames = sent.length === 1 ? sent[0]!.frames : Buffer.concat(sent.map((b) => b.frames));
    const outcomes = sent.length === 1 ? sent[0]!.outcomes : sent.flatMap((b) => b.outcomes);
    this.framesInFlight++;
    this.frameMessages++;
    this.call('acceptFrames', [frames]).then(
      (packed) => {
        this.framesInFlight--;
        this.compare(outcomes, unpackOutcomes(packed as (number | string | null)[]));
        this.sendFrames();
      },
      (err: unknown) => {
        this.framesInFlight--;
        this.fail(err);
      },
    );
  }

  private call(method: string, args: unknown[]): Promise<unknown> {
    if (this.exited) return Promise.reject(this.exited);
    // Any other call goes after the frames appended before it: the worker must have decided those pings first.
    if (method !== 'acceptFrames') this.sendFrames();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.post({ id, method, args });
    });
  }

  private post(message: StoreCall): void {
    if (this.journal) {
      message.durable = this.journal.durableLsn;
      this.durableSent = message.durable;
    }
    this.worker.postMessage(message);
  }

  private settle(reply: StoreReply): void {
    if (reply.forget) for (const token of reply.forget) this.monitors.delete(token);
    if (reply.generation !== this.generation) {
      this.generation = reply.generation;
      this.monitors.clear();
    }
    if (reply.applied !== undefined) {
      this.appliedDurable = reply.applied;
      this.journal?.retire(reply.applied);
    }
    const waiter = this.waiting.get(reply.id);
    if (!waiter) return;
    this.waiting.delete(reply.id);
    if ('error' in reply) {
      const { code, message, field } = reply.error;
      waiter.reject(code ? new AppError(code as ErrorCode, message, field) : new Error(message));
    } else {
      waiter.resolve(reviveBuffers(reply.result));
    }
  }

  private failAll(err: Error): void {
    this.exited ??= err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }
}

/** The outcomes acceptFrames packs four slots per ping. */
function unpackOutcomes(packed: (number | string | null)[]): PingOutcome[] {
  const out: PingOutcome[] = [];
  for (let i = 0; i < packed.length; i += 4) {
    const pingId = packed[i] as number;
    if (pingId === 0) {
      out.push({ found: false });
      continue;
    }
    const deadline = packed[i + 2] as number | null;
    out.push({ found: true, pingId, state: packed[i + 1] as MonitorState, deadline: deadline === null ? null : new Date(deadline), notificationsQueued: packed[i + 3] === 1 });
  }
  return out;
}

/** A stored body comes back as a Uint8Array; callers expect a Buffer. */
function reviveBuffers(value: unknown): unknown {
  return value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;
}

/**
 * The SQLite store for a server process: a Store whose calls run on a worker thread that owns the connection
 * (store-worker.ts). Same behaviour as SqliteStore (the contract suite runs on both); the difference is that
 * commits, fsyncs and status flushes overlap with HTTP work on the main thread instead of stalling it.
 */
import { Worker } from 'node:worker_threads';
import { AppError, type ErrorCode } from '../../domain/errors.js';
import { decidePing } from '../../domain/ping-decision.js';
import type { Store, StoreCapabilities } from '../store.js';
import type { SqliteOptions } from './sqlite-store.js';
import type { StoreReply } from './store-worker.js';

type Waiter = { resolve: (v: unknown) => void; reject: (e: Error) => void };

export class WorkerSqliteStore {
  readonly capabilities: StoreCapabilities = { backend: 'sqlite', shared: false };
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiter>();
  private nextId = 1;
  private exited: Error | null = null;

  private constructor(options: SqliteOptions) {
    this.worker = new Worker(new URL('./store-worker.js', import.meta.url), { workerData: options });
    this.worker.on('message', (reply: StoreReply) => this.settle(reply));
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', (code) => this.failAll(new Error(`SQLite worker exited with code ${code}`)));
  }

  /** Starts the worker and waits until it has opened (and migrated, and replayed) the database. */
  static async open(options: Omit<SqliteOptions, 'decide'>): Promise<Store> {
    const store = new WorkerSqliteStore(options);
    await store.call('countProjects', []);
    return new Proxy(store, {
      get(target, prop, receiver) {
        if (prop in target) return Reflect.get(target, prop, receiver);
        // Not thenable (it is returned from an async function) and no symbol lookups become calls.
        if (prop === 'then' || typeof prop === 'symbol') return undefined;
        return (...args: unknown[]) => target.call(String(prop), args);
      },
    }) as unknown as Store;
  }

  async close(): Promise<void> {
    if (this.exited) return;
    await this.call('close', []);
    await this.worker.terminate();
  }

  recordPings(pings: unknown[], decide: unknown): Promise<unknown> {
    if (decide !== decidePing) return Promise.reject(new Error('the SQLite worker records pings with the domain decision only'));
    return this.call('recordPings', [pings]);
  }

  private call(method: string, args: unknown[]): Promise<unknown> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, method, args });
    });
  }

  private settle(reply: StoreReply): void {
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

/** A stored body comes back as a Uint8Array; callers expect a Buffer. */
function reviveBuffers(value: unknown): unknown {
  return value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;
}

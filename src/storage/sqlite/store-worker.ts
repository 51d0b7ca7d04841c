/**
 * Worker-thread entry owning the SQLite connection for a server process (see worker-store.ts). Every Store
 * call arrives as a message and is answered with its result, so the event loop that parses HTTP requests never
 * waits on SQLite's work or its fsync, and one connection stays the file's only writer.
 *
 * With the ping journal, the main thread decides each ping batch, appends it to the journal itself and sends
 * the same journal frames here (`acceptFrames`: bytes are much cheaper to pass between threads than objects):
 * this thread decides the pings again, from the same monitors, to write their rows; its reply lets the main
 * thread check that both agreed. Every message carries how far the journal is durable (`durable`), which is
 * how far the projection may apply; replies carry how far SQLite holds the journal durably (`applied`), which
 * is how far the main thread may retire journal segments, and the store's decision generation (`generation`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AppError } from '../../domain/errors.js';
import type { PingInput } from '../../domain/ping.js';
import { decidePing } from '../../domain/ping-decision.js';
import { SqliteStore, type SqliteOptions } from './sqlite-store.js';

export interface StoreCall {
  /** Absent on a message that only reports journal durability. */
  id?: number;
  method?: string;
  args?: unknown[];
  /** The journal is durable up to this LSN. */
  durable?: number;
}

type Answer = { id: number; result: unknown } | { id: number; error: { name: string; message: string; code?: string; field?: string } };

export type StoreReply = Answer & {
  /** SQLite now holds the journal durably up to this LSN. */
  applied?: number;
  /** The store's decisionGeneration after the call. */
  generation: number;
  /** Ping tokens of monitors changed other than by pings since the last reply (the store's takeForgotten). */
  forget?: string[];
};

const options = workerData as SqliteOptions;
const store = new SqliteStore({ ...options, journal: options.journal === false ? false : 'external' });
const port = parentPort!;

port.on('message', (call: StoreCall) => {
  if (call.durable !== undefined) store.markDurable(call.durable);
  if (call.id === undefined) return;
  void answer(call.id, call.method!, call.args!).then((reply) => {
    const applied = store.takeAppliedProgress();
    const generation = store.decisionGeneration;
    const forget = store.takeForgotten();
    port.postMessage({ ...reply, generation, ...(applied === null ? {} : { applied }), ...(forget === null ? {} : { forget }) });
  });
});

async function answer(id: number, method: string, args: unknown[]): Promise<Answer> {
  try {
    // Functions cannot cross threads: the worker decides with the domain's own (deterministic) decision.
    if (method === 'acceptFrames') {
      const frames = args[0] as Uint8Array;
      return { id, result: store.acceptFrames(Buffer.from(frames.buffer, frames.byteOffset, frames.byteLength), decidePing) };
    }
    if (method === 'recordPings') return { id, result: await store.recordPings((args[0] as PingInput[]).map(reviveBody), decidePing) };
    const fn = (store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method];
    if (typeof fn !== 'function') throw new Error(`unknown store method ${method}`);
    return { id, result: await fn.apply(store, args) };
  } catch (err) {
    const e = err as Error;
    return { id, error: { name: e.name, message: e.message, ...(err instanceof AppError ? { code: err.code, field: err.field } : {}) } };
  }
}

/** Buffers arrive as plain Uint8Arrays after structured cloning. */
function reviveBody(p: PingInput): PingInput {
  return p.body && !Buffer.isBuffer(p.body) ? { ...p, body: Buffer.from((p.body as Uint8Array).buffer, (p.body as Uint8Array).byteOffset, (p.body as Uint8Array).byteLength) } : p;
}

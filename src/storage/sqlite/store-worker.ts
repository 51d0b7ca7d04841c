/**
 * Worker-thread entry owning the SQLite connection for a server process (see worker-store.ts). Every Store
 * call arrives as a message and is answered with its result, so the event loop that parses HTTP requests never
 * waits on SQLite's work or its fsync, and one connection stays the file's only writer.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AppError } from '../../domain/errors.js';
import type { PingInput } from '../../domain/ping.js';
import { decidePing } from '../../domain/ping-decision.js';
import { SqliteStore, type SqliteOptions } from './sqlite-store.js';

export interface StoreCall {
  id: number;
  method: string;
  args: unknown[];
}

export type StoreReply =
  | { id: number; result: unknown }
  | { id: number; error: { name: string; message: string; code?: string; field?: string } };

const store = new SqliteStore(workerData as SqliteOptions);
const port = parentPort!;

port.on('message', (call: StoreCall) => {
  void answer(call).then((reply) => port.postMessage(reply));
});

async function answer({ id, method, args }: StoreCall): Promise<StoreReply> {
  try {
    if (method === 'recordPings') {
      // Functions cannot cross threads: the worker decides with the domain's own (deterministic) decision.
      return { id, result: await store.recordPings((args[0] as PingInput[]).map(reviveBody), decidePing) };
    }
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

/** Chooses and opens the storage backend named by DATABASE_URL. */
import { resolve } from 'node:path';
import { AppError } from '../domain/errors.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore, type SqliteSync } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';
import { WorkerSqliteStore } from './sqlite/worker-store.js';

/** `sqlite://./rel/path.db`, `sqlite:///abs/path.db`, `sqlite::memory:`. */
export function sqlitePathOf(url: string): string | null {
  if (url === 'sqlite::memory:' || url === 'sqlite://:memory:') return ':memory:';
  const m = /^sqlite:\/\/(.+)$/.exec(url);
  if (!m?.[1]) return null;
  return resolve(m[1]);
}

/**
 * `worker: true` (the server) runs a SQLite file's connection on a worker thread and owns monitor state;
 * one-shot tools (the CLI) open it in-process and leave monitor state alone. A `postgres://` or
 * `postgresql://` URL opens a pool of `postgresPoolMax` connections (default 10) and migrates the schema first;
 * libpq parameters in the URL (`?sslmode=…`, `?options=-c search_path=…`) are honoured.
 */
export async function openStore(url: string, options: { sqliteSync?: SqliteSync; worker?: boolean; postgresPoolMax?: number } = {}): Promise<Store> {
  const path = sqlitePathOf(url);
  if (path) {
    const sqlite = { path, sync: options.sqliteSync ?? 'full' } as const;
    return options.worker && path !== ':memory:' ? WorkerSqliteStore.open(sqlite) : new SqliteStore({ ...sqlite, replay: false });
  }
  if (/^postgres(ql)?:\/\//.test(url)) return PostgresStore.open({ url, max: options.postgresPoolMax });
  throw new AppError('validation_error', `DATABASE_URL: unsupported scheme in "${url}" (expected sqlite://<path> or postgres://…)`, 'DATABASE_URL');
}

/** Chooses and opens the storage backend named by DATABASE_URL. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppError } from '../domain/errors.js';
import { unavailableOr } from './postgres/availability.js';
import { migrate as migratePostgres } from './postgres/migrate.js';
import { migrations as postgresMigrations } from './postgres/migrations.js';
import { createPool } from './postgres/pool.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { Database } from './sqlite/driver.js';
import { migrations as sqliteMigrations } from './sqlite/migrations.js';
import { SqliteStore, type SqliteSync } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';
import { WorkerSqliteStore } from './sqlite/worker-store.js';
import { LocalWakeBus, type WakeBus } from './wake-bus.js';
import type { WakeBusLogger } from './postgres/wake-bus.js';

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
  if (isPostgresUrl(url)) return PostgresStore.open({ url, max: options.postgresPoolMax });
  throw unsupported(url);
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

function unsupported(url: string): AppError {
  return new AppError('validation_error', `DATABASE_URL: unsupported scheme in "${url}" (expected sqlite://<path> or postgres://…)`, 'DATABASE_URL');
}

/**
 * Applies the migrations the database at `url` lacks (`overdue migrate`; servers also do it at start-up).
 * Returns the versions applied now (empty when it was current) and the version it is at.
 */
export async function migrateDatabase(url: string): Promise<{ applied: number[]; version: number }> {
  if (isPostgresUrl(url)) {
    const pool = createPool({ url, max: 1 });
    try {
      const applied = await migratePostgres(pool).catch((err: unknown) => {
        throw unavailableOr(err);
      });
      return { applied, version: Math.max(0, ...postgresMigrations.map((m) => m.version)) };
    } finally {
      await pool.end();
    }
  }
  const path = sqlitePathOf(url);
  if (!path || path === ':memory:') throw unsupported(url);
  const versions = () => {
    const db = new Database(path);
    try {
      const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
      return table ? (db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]) : [];
    } finally {
      db.close();
    }
  };
  const before = new Set(existsSync(path) ? versions() : []);
  // Opening the store migrates it (leaving monitor state alone, as `overdue keys create` does).
  await new SqliteStore({ path, replay: false }).close();
  return { applied: versions().filter((v) => !before.has(v)).sort((a, b) => a - b), version: Math.max(0, ...sqliteMigrations.map((m) => m.version)) };
}

/**
 * The wake bus for a store: between the nodes sharing a PostgreSQL database, or within this process for SQLite.
 * `horizonMs` is how often the nodes' schedulers poll at the least: deadlines further ahead are not announced.
 */
export async function openWakeBus(store: Store, options: { now: () => number; horizonMs: number; logger: WakeBusLogger }): Promise<WakeBus> {
  return store instanceof PostgresStore ? store.openWakeBus(options) : new LocalWakeBus();
}

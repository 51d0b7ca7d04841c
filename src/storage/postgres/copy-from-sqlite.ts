/**
 * `overdue copy`: moves a whole installation from a SQLite file into a PostgreSQL database — projects, keys
 * (digests), monitors with their status, channels, lists, rules, pings with bodies, flips, runs, metric points
 * and the outbox, ids included — in one PostgreSQL transaction, so a failed copy leaves the target as it was.
 *
 * Tables are copied column by column by name; each value is converted by the PostgreSQL column's type
 * (millisecond integers → timestamptz, JSON text → jsonb, 0/1 → boolean). A SQLite column with no PostgreSQL
 * counterpart that this module does not know how to carry over is an error, never silently dropped.
 */
import { existsSync } from 'node:fs';
import type pg from 'pg';
import { AppError } from '../../domain/errors.js';
import { Database } from '../sqlite/driver.js';
import { SqliteStore } from '../sqlite/sqlite-store.js';
import { all, first, inTransaction } from './db.js';
import { migrate } from './migrate.js';
import { createPool, type PoolOptions } from './pool.js';
import { pgJson, pgText } from './rows.js';

/** Rows per INSERT, and the most bytes of blobs and text gathered for one (ping bodies can be 100 KB each). */
const CHUNK_ROWS = 1000;
const CHUNK_BYTES = 16 * 1024 * 1024;

/** Parents before children. Tables not listed here but present in both databases are copied after these. */
const TABLE_ORDER = [
  'projects', 'api_keys', 'channels', 'notification_lists', 'notification_list_channels', 'monitors', 'notification_rules',
  'pings', 'ping_metrics', 'flips', 'runs', 'notifications',
];

/**
 * SQLite tables of the SQLite store's own machinery, not copied: `ping_journal` records how far its ping journal
 * (<db>.ping-journal/) is applied, and `written_back` how far its status write-back is; opening the store
 * (below) applies and writes back everything first.
 */
const SQLITE_ONLY_TABLES = ['ping_journal', 'written_back'];

/** SQLite columns that are deliberately not copied (what they hold is carried over another way). */
const NOT_COPIED: Record<string, string[]> = {
  // The replay bookmark of the SQLite store's write-back (and the head of the monitor's pings); the copy starts
  // from a flushed status instead.
  monitors: ['status_ping_id'],
  // Each monitor's pings chained (SQLite only: PostgreSQL finds them by index).
  pings: ['prev_id'],
};

export interface CopyOptions {
  /** Path of the SQLite file (must exist; the server using it must be stopped). */
  from: string;
  /** The PostgreSQL target. */
  to: PoolOptions;
  /** Replace whatever the target holds; without it a target with any rows is refused. */
  force?: boolean;
}

/** Rows copied, by table, in copy order. */
export type CopyCounts = { table: string; rows: number }[];

interface PgColumn {
  name: string;
  /** udt_name: int4, int8, float8, text, bool, bytea, jsonb, timestamptz, … */
  type: string;
  identity: boolean;
}

export async function copySqliteToPostgres(options: CopyOptions): Promise<CopyCounts> {
  if (!existsSync(options.from)) throw new AppError('validation_error', `--from: no SQLite database at ${options.from}`, 'from');
  // Opening it as the server does applies its migrations, its ping journal and the monitor statuses that only
  // its ping rows hold yet (after a crash), so the rows read below are complete.
  await new SqliteStore({ path: options.from }).close();

  const sqlite = new Database(options.from, { readonly: true });
  const pool = createPool({ ...options.to, max: 1 });
  try {
    await migrate(pool);
    return await inTransaction(pool, async (tx) => {
      const targetTables = await pgTables(tx);
      await prepareTarget(tx, targetTables, options.force === true);
      const sourceTables = (sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'").pluck().all() as string[])
        .filter((t) => !SQLITE_ONLY_TABLES.includes(t));
      const missing = sourceTables.filter((t) => !targetTables.includes(t));
      if (missing.length > 0) throw new AppError('validation_error', `the PostgreSQL schema has no table for ${missing.join(', ')}; upgrade Overdue on the target first`);
      const order = [...TABLE_ORDER.filter((t) => sourceTables.includes(t)), ...sourceTables.filter((t) => !TABLE_ORDER.includes(t)).sort()];
      const counts: CopyCounts = [];
      for (const table of order) counts.push({ table, rows: await copyTable(sqlite, tx, table) });
      await resetIdentities(tx, targetTables);
      return counts;
    });
  } finally {
    sqlite.close();
    await pool.end();
  }
}

async function pgTables(db: pg.PoolClient): Promise<string[]> {
  const rows = await all<{ name: string }>(db, "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'");
  return rows.map((r) => r.name);
}

/** Refuses a target that holds anything, or empties it with `force`. */
async function prepareTarget(tx: pg.PoolClient, tables: string[], force: boolean): Promise<void> {
  const nonEmpty: string[] = [];
  for (const t of tables) if (await first(tx, `SELECT 1 FROM ${tx.escapeIdentifier(t)} LIMIT 1`)) nonEmpty.push(t);
  if (nonEmpty.length === 0) return;
  if (!force) {
    throw new AppError('conflict', `the target database is not empty (${nonEmpty.join(', ')} have rows); pass --force to replace its contents`);
  }
  await tx.query(`TRUNCATE ${tables.map((t) => tx.escapeIdentifier(t)).join(', ')} RESTART IDENTITY CASCADE`);
}

async function pgColumns(tx: pg.PoolClient, table: string): Promise<Map<string, PgColumn>> {
  const rows = await all<{ name: string; type: string; identity: string }>(
    tx,
    'SELECT column_name AS name, udt_name AS type, is_identity AS identity FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1',
    [table],
  );
  return new Map(rows.map((r) => [r.name, { name: r.name, type: r.type, identity: r.identity === 'YES' }]));
}

async function copyTable(sqlite: Database, tx: pg.PoolClient, table: string): Promise<number> {
  const target = await pgColumns(tx, table);
  const sourceColumns = new Set((sqlite.prepare(`PRAGMA table_info(${JSON.stringify(table)})`).all() as { name: string }[]).map((c) => c.name));
  const skipped = new Set(NOT_COPIED[table] ?? []);
  const unknown = [...sourceColumns].filter((c) => !target.has(c) && !skipped.has(c));
  if (unknown.length > 0) throw new AppError('validation_error', `the PostgreSQL table ${table} has no column ${unknown.join(', ')}; upgrade Overdue on the target first`);
  const columns = [...sourceColumns].filter((c) => target.has(c)).map((c) => target.get(c) as PgColumn);
  const select = `SELECT ${columns.map((c) => `"${c.name}"`).join(', ')} FROM "${table}" ORDER BY rowid`;
  const insert = `INSERT INTO ${tx.escapeIdentifier(table)} (${columns.map((c) => tx.escapeIdentifier(c.name)).join(', ')})
    ${columns.some((c) => c.identity) ? 'OVERRIDING SYSTEM VALUE' : ''}
    SELECT * FROM unnest(${columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ')})`;

  let rows = 0;
  let chunk: unknown[][] = columns.map(() => []);
  let chunkRows = 0;
  let chunkBytes = 0;
  const flush = async () => {
    if (chunkRows === 0) return;
    await tx.query(insert, chunk);
    rows += chunkRows;
    chunk = columns.map(() => []);
    chunkRows = 0;
    chunkBytes = 0;
  };
  for (const row of sqlite.prepare(select).iterate() as Iterable<Record<string, unknown>>) {
    columns.forEach((c, i) => {
      const value = convert(table, c, row[c.name]);
      if (typeof value === 'string' || Buffer.isBuffer(value)) chunkBytes += value.length;
      (chunk[i] as unknown[]).push(value);
    });
    chunkRows++;
    if (chunkRows >= CHUNK_ROWS || chunkBytes >= CHUNK_BYTES) await flush();
  }
  await flush();
  return rows;
}

/** One SQLite value as the PostgreSQL column of `column.type` takes it. */
function convert(table: string, column: PgColumn, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (column.type) {
    case 'timestamptz':
      if (typeof value !== 'number') throw new AppError('validation_error', `${table}.${column.name}: expected milliseconds, got ${JSON.stringify(value)}`);
      return new Date(value);
    case 'jsonb':
      return pgJson(typeof value === 'string' ? JSON.parse(value) : value);
    case 'bool':
      return value === 1 || value === true || value === '1';
    case 'text':
      return pgText(typeof value === 'string' ? value : String(value));
    case 'bytea':
      return Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8');
    default:
      return typeof value === 'bigint' ? Number(value) : value;
  }
}

/** Identity sequences continue after the ids copied in. */
async function resetIdentities(tx: pg.PoolClient, tables: string[]): Promise<void> {
  for (const table of tables) {
    for (const c of (await pgColumns(tx, table)).values()) {
      if (!c.identity) continue;
      const t = tx.escapeIdentifier(table);
      const col = tx.escapeIdentifier(c.name);
      await tx.query(`SELECT setval(pg_get_serial_sequence($1, $2), coalesce((SELECT max(${col}) FROM ${t}), 0) + 1, false)`, [t, c.name]);
    }
  }
}

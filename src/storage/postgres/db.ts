/**
 * The few helpers every PostgreSQL query file uses: something to run SQL on (the pool or a transaction's
 * client), typed row reads, and a transaction wrapper that always returns its client to the pool.
 */
import type pg from 'pg';

/** A pool (one statement, autocommit) or a client inside a transaction. */
export interface Queryable {
  query(text: string | pg.QueryConfig, values?: unknown[]): Promise<pg.QueryResult>;
}

/**
 * SQL text, or a named statement: each connection parses and plans it once and afterwards only binds and runs it.
 * For the ping path's statements, which run for every batch. Only for statements with explicit column lists: a
 * prepared `SELECT *` would fail once a migration adds a column ("cached plan must not change result type").
 */
export type Sql = string | { name: string; text: string };

/**
 * An instant as a float8 parameter (epoch seconds) for `to_timestamp($n)`, for the multi-row statements of the
 * ping path: PostgreSQL reads a float several times faster than timestamptz text, and milliseconds come back
 * exact (the microsecond value is rounded to the nearest integer, and a millisecond instant's error is far below
 * half a microsecond).
 */
export function epochSeconds(d: Date | null): number | null {
  return d === null ? null : d.getTime() / 1000;
}

/** A named statement for `all`, `first` and `run`. */
export function prepared(name: string, text: string): Sql {
  return { name, text };
}

function config(sql: Sql, values: unknown[]): pg.QueryConfig {
  return typeof sql === 'string' ? { text: sql, values } : { name: sql.name, text: sql.text, values };
}

/** All rows of a query, typed by the caller (the row shape is the SQL's, checked by the contract suite). */
export async function all<T>(db: Queryable, sql: Sql, values: unknown[] = []): Promise<T[]> {
  return (await db.query(config(sql, values))).rows as T[];
}

/** The first row, or null when there is none. */
export async function first<T>(db: Queryable, sql: Sql, values: unknown[] = []): Promise<T | null> {
  return ((await db.query(config(sql, values))).rows[0] as T | undefined) ?? null;
}

/** Runs a write and returns how many rows it changed. */
export async function run(db: Queryable, sql: Sql, values: unknown[] = []): Promise<number> {
  return (await db.query(config(sql, values))).rowCount ?? 0;
}

/**
 * Runs `work` inside BEGIN … COMMIT on one pooled client; rolls back and rethrows on any error. A client whose
 * ROLLBACK fails is broken (the connection dropped mid-transaction), so it is destroyed instead of reused.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
      client.release();
    } catch (rollbackErr) {
      client.release(rollbackErr instanceof Error ? rollbackErr : true);
    }
    throw err;
  }
}

/**
 * The few helpers every PostgreSQL query file uses: something to run SQL on (the pool or a transaction's
 * client), typed row reads, and a transaction wrapper that always returns its client to the pool.
 */
import type pg from 'pg';

/** A pool (one statement, autocommit) or a client inside a transaction. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
}

/** All rows of a query, typed by the caller (the row shape is the SQL's, checked by the contract suite). */
export async function all<T>(db: Queryable, text: string, values: unknown[] = []): Promise<T[]> {
  return (await db.query(text, values)).rows as T[];
}

/** The first row, or null when there is none. */
export async function first<T>(db: Queryable, text: string, values: unknown[] = []): Promise<T | null> {
  return ((await db.query(text, values)).rows[0] as T | undefined) ?? null;
}

/** Runs a write and returns how many rows it changed. */
export async function run(db: Queryable, text: string, values: unknown[] = []): Promise<number> {
  return (await db.query(text, values)).rowCount ?? 0;
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

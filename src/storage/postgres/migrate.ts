/**
 * Applies the numbered migrations not yet recorded in `schema_migrations`, all in one transaction that holds a
 * transaction-scoped advisory lock: when several nodes start together, the first migrates and the others wait
 * for its commit, then find nothing left to do. A failed migration rolls back whole, leaving the schema as it was.
 */
import type pg from 'pg';
import { all, inTransaction } from './db.js';
import { migrations } from './migrations.js';

/** Arbitrary but fixed ('OVDU' in ASCII): every Overdue node must take the same lock. */
export const MIGRATION_LOCK_KEY = 0x4f564455;

/** Returns the versions it applied (empty when the schema was already current). */
export async function migrate(pool: pg.Pool): Promise<number[]> {
  return inTransaction(pool, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
    const applied = new Set((await all<{ version: number }>(tx, 'SELECT version FROM schema_migrations')).map((r) => r.version));
    const done: number[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      await tx.query(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      done.push(m.version);
    }
    return done;
  });
}

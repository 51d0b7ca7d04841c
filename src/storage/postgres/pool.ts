/** Creates the connection pool the PostgreSQL store runs on. */
import pg from 'pg';

export interface PoolOptions {
  /** `postgres://user@host:port/db`; libpq-style query parameters (sslmode, options, …) are honoured. */
  url: string;
  /** Most connections this process opens (default 10). Several server processes each have their own pool. */
  max?: number;
  /**
   * Schema for every table (sets `search_path` on each connection); default: the server's search_path.
   * Tests give each store a fresh schema. Must be a plain identifier.
   */
  schema?: string;
}

const PLAIN_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * int8 arrives as a string by default (it may exceed 2^53). Ours are identity ids and counts, far below that,
 * and the Store interface speaks numbers; scoped to this pool so other pg users in the process are unaffected.
 */
function typeOverrides(): pg.TypeOverrides {
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));
  return types;
}

export function createPool(options: PoolOptions): pg.Pool {
  if (options.schema !== undefined && !PLAIN_IDENTIFIER.test(options.schema)) {
    throw new Error(`schema: "${options.schema}" is not a plain lower-case identifier`);
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    types: typeOverrides(),
    ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
  });
  // An idle client whose connection drops emits 'error' on the pool, which would otherwise crash the process.
  // The pool has already discarded that client; the next query opens a new connection or fails loudly.
  pool.on('error', () => {});
  return pool;
}

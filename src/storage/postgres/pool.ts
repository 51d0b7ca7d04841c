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

/** How long to wait for a connection (a new one, or a free one from a busy pool) before failing with 503. */
const CONNECT_TIMEOUT_MS = 5_000;

/** The connection settings shared by the pool and the wake bus's listening connection. */
export function clientConfig(options: PoolOptions): pg.ClientConfig {
  if (options.schema !== undefined && !PLAIN_IDENTIFIER.test(options.schema)) {
    throw new Error(`schema: "${options.schema}" is not a plain lower-case identifier`);
  }
  return {
    connectionString: options.url,
    types: typeOverrides(),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // TCP keepalives notice a peer that vanished without closing (a crashed host, a dropped NAT entry).
    keepAlive: true,
    ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
  };
}

export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({ ...clientConfig(options), max: options.max ?? 10 });
  // When the database restarts or the network drops, clients emit 'error'. An idle client's error is re-emitted
  // by the pool (which has already discarded that client); a checked-out client's has no listener of its own
  // (pg-pool removes it while the client is lent out) and would crash the process. Both are ignored here: the
  // query in progress fails with the same error, which the store reports as 503, and the next query opens a
  // fresh connection.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

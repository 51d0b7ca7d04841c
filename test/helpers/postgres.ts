/**
 * PostgreSQL for tests: TEST_DATABASE_URL (CI sets it; unset, PostgreSQL tests are skipped with `skipWithoutPostgres`),
 * and a fresh schema per test, dropped with everything in it afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

/** For `describe(…, { skip })`: false when PostgreSQL is configured, else the reason shown in the test report. */
export const skipWithoutPostgres: string | false = TEST_DATABASE_URL
  ? false
  : 'TEST_DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test); PostgreSQL tests skipped';

export interface TestSchema {
  schema: string;
  /** TEST_DATABASE_URL with `?options=-c search_path=<schema>`: what a server process is given as DATABASE_URL. */
  url: string;
  drop: () => Promise<void>;
}

/** A new, empty schema (`t_<random>`). */
export async function freshSchema(databaseUrl = TEST_DATABASE_URL ?? ''): Promise<TestSchema> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  await adminQuery(databaseUrl, `CREATE SCHEMA ${schema}`);
  const u = new URL(databaseUrl);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return { schema, url: u.toString(), drop: () => adminQuery(databaseUrl, `DROP SCHEMA IF EXISTS ${schema} CASCADE`) };
}

async function adminQuery(databaseUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Runs `sql` on the schema and returns the rows (for checking what the nodes wrote). */
export async function querySchema<T>(schema: TestSchema, sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: schema.url });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Projects and their API keys. */
import type pg from 'pg';
import { AppError } from '../../domain/errors.js';
import type { ApiKey, NewApiKey, Project } from '../store.js';
import { all, first, inTransaction, run, type Queryable } from './db.js';
import { keyFromRow, projectFromRow, type KeyRow, type ProjectRow } from './rows.js';
import { uniqueOrConflict } from './unique-or-conflict.js';

/** Creates the project with its `default` notification list. Throws AppError('conflict') when the id is taken. */
export async function createProject(pool: pg.Pool, p: Project): Promise<void> {
  await uniqueOrConflict(() => inTransaction(pool, async (tx) => {
    await tx.query('INSERT INTO projects (id, name, ping_key, created_at) VALUES ($1, $2, $3, $4)', [p.id, p.name, p.pingKey, p.createdAt]);
    await tx.query('INSERT INTO notification_lists (id, project_id, key, name, created_at) VALUES ($1, $2, $3, $4, $5)', [`lst_${p.id}_default`, p.id, 'default', 'Default', p.createdAt]);
  }));
}

export async function getProject(db: Queryable, id: string): Promise<Project | null> {
  const r = await first<ProjectRow>(db, 'SELECT id, name, ping_key, created_at FROM projects WHERE id = $1', [id]);
  return r ? projectFromRow(r) : null;
}

export async function getProjectByPingKey(db: Queryable, pingKey: string): Promise<Project | null> {
  const r = await first<ProjectRow>(db, 'SELECT id, name, ping_key, created_at FROM projects WHERE ping_key = $1', [pingKey]);
  return r ? projectFromRow(r) : null;
}

export async function listProjects(db: Queryable): Promise<Project[]> {
  return (await all<ProjectRow>(db, 'SELECT id, name, ping_key, created_at FROM projects ORDER BY created_at, id')).map(projectFromRow);
}

export async function countProjects(db: Queryable): Promise<number> {
  return (await first<{ n: number }>(db, 'SELECT count(*) AS n FROM projects'))?.n ?? 0;
}

/** Throws AppError('conflict') when a key with the same digest exists (two nodes bootstrapping one key). */
export async function createApiKey(db: Queryable, k: NewApiKey): Promise<void> {
  await uniqueOrConflict(() => db.query('INSERT INTO api_keys (id, project_id, name, key_hash, prefix, read_only, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
    k.id, k.projectId, k.name, k.hash, k.prefix, k.readOnly, k.createdAt,
  ]));
}

export async function findApiKeyByHash(db: Queryable, hash: string): Promise<(ApiKey & { hash: string }) | null> {
  const r = await first<KeyRow>(db, 'SELECT * FROM api_keys WHERE key_hash = $1', [hash]);
  return r ? { ...keyFromRow(r), hash: r.key_hash } : null;
}

export async function listApiKeys(db: Queryable, projectId: string): Promise<ApiKey[]> {
  return (await all<KeyRow>(db, 'SELECT * FROM api_keys WHERE project_id = $1 ORDER BY created_at, id', [projectId])).map(keyFromRow);
}

/**
 * Deletes the key unless none read-write would be left. The project row is locked first so two concurrent
 * deletes of its last two read-write keys cannot both see the other one still there (NO KEY UPDATE: rows that
 * reference the project can still be inserted meanwhile).
 */
export async function deleteApiKey(pool: pg.Pool, projectId: string, id: string): Promise<boolean> {
  return inTransaction(pool, async (tx) => {
    await tx.query('SELECT 1 FROM projects WHERE id = $1 FOR NO KEY UPDATE', [projectId]);
    if ((await run(tx, 'DELETE FROM api_keys WHERE project_id = $1 AND id = $2', [projectId, id])) !== 1) return false;
    const left = await first<{ n: number }>(tx, 'SELECT count(*) AS n FROM api_keys WHERE project_id = $1 AND NOT read_only', [projectId]);
    if (left?.n === 0) throw new AppError('conflict', 'this is the project\'s last read-write key; create another before deleting it');
    return true;
  });
}

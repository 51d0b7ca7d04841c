/** Projects and their API keys. */
import type { Database } from './driver.js';
import { AppError } from '../../domain/errors.js';
import type { ApiKey, NewApiKey, Project } from '../store.js';
import { keyFromRow, projectFromRow, type KeyRow, type ProjectRow } from './rows.js';
import type { Statements } from './statements.js';

export function createProject(db: Database, stmt: Statements, p: Project): void {
  db.transaction(() => {
    stmt.insertProject.run(p.id, p.name, p.pingKey, p.createdAt.getTime());
    stmt.insertList.run(`lst_${p.id}_default`, p.id, 'default', 'Default', p.createdAt.getTime());
  }).immediate();
}

export function getProject(stmt: Statements, id: string): Project | null {
  const r = stmt.getProject.get(id) as ProjectRow | undefined;
  return r ? projectFromRow(r) : null;
}

export function getProjectByPingKey(stmt: Statements, pingKey: string): Project | null {
  const r = stmt.getProjectByPingKey.get(pingKey) as ProjectRow | undefined;
  return r ? projectFromRow(r) : null;
}

export function listProjects(stmt: Statements): Project[] {
  return (stmt.listProjects.all() as ProjectRow[]).map(projectFromRow);
}

export function countProjects(stmt: Statements): number {
  return stmt.countProjects.get() as number;
}

export function createApiKey(stmt: Statements, k: NewApiKey): void {
  stmt.insertKey.run(k.id, k.projectId, k.name, k.hash, k.prefix, k.readOnly ? 1 : 0, k.createdAt.getTime());
}

export function findApiKeyByHash(stmt: Statements, hash: string): (ApiKey & { hash: string }) | null {
  const r = stmt.keyByHash.get(hash) as KeyRow | undefined;
  return r ? { ...keyFromRow(r), hash: r.key_hash } : null;
}

export function listApiKeys(stmt: Statements, projectId: string): ApiKey[] {
  return (stmt.listKeys.all(projectId) as KeyRow[]).map(keyFromRow);
}

export function deleteApiKey(db: Database, stmt: Statements, projectId: string, id: string): boolean {
  return db
    .transaction(() => {
      if (stmt.deleteKey.run(projectId, id).changes !== 1) return false;
      if ((stmt.countWriteKeys.get(projectId) as number) === 0) {
        throw new AppError('conflict', 'this is the project\'s last read-write key; create another before deleting it');
      }
      return true;
    })
    .immediate();
}

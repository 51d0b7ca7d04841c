/** Projects, API keys and authentication. Keys are stored as SHA-256 digests; the secret is shown once. */
import { AppError, invalid } from '../domain/errors.js';
import type { ApiKey, Project, Store } from '../storage/store.js';
import type { Clock } from './clock.js';
import type { Principal } from './context.js';
import { hashSecret, newApiKeySecret, newId, newPingKey, sameDigest } from './secrets.js';

export const MIN_BOOTSTRAP_KEY_LENGTH = 20;

export interface CreatedKey {
  key: ApiKey;
  /** The secret; returned once, never stored. */
  secret: string;
}

export async function createApiKey(
  store: Store,
  clock: Clock,
  projectId: string,
  options: { readOnly?: boolean; name?: string; secret?: string } = {},
): Promise<CreatedKey> {
  const secret = options.secret ?? newApiKeySecret();
  const key: ApiKey = {
    id: newId('key'),
    projectId,
    name: options.name ?? (options.readOnly ? 'read-only key' : 'read-write key'),
    prefix: secret.slice(0, 8),
    readOnly: options.readOnly ?? false,
    createdAt: clock.now(),
  };
  await store.createApiKey({ ...key, hash: hashSecret(secret) });
  return { key, secret };
}

export async function createProject(store: Store, clock: Clock, name: string, id = newId('prj')): Promise<Project> {
  const project: Project = { id, name, pingKey: newPingKey(), createdAt: clock.now() };
  await store.createProject(project);
  return project;
}

export interface BootstrapResult {
  project: Project;
  /** Set only when this call created the admin key from a fresh secret, which must be shown once. */
  printableSecret: string | null;
}

/**
 * The id of the project bootstrap creates. Fixed, so that nodes bootstrapping one shared database at the same
 * moment collide on it (a unique violation) instead of creating a project each.
 */
export const BOOTSTRAP_PROJECT_ID = 'prj_default';

/**
 * On an empty database: creates the default project and an admin (read-write) key. With `bootstrapKey` set,
 * that value becomes the key; on a database that already has projects but not that key, it is added as an
 * admin key of the oldest project, so automation can start any number of nodes, or an existing
 * installation, with one known key. Returns null when nothing needed doing.
 *
 * Safe when several nodes start together on one shared (PostgreSQL) database: the project id and the key's
 * digest are unique, so of two nodes racing only one creates each, and the other, seeing the conflict, starts
 * over and finds them.
 */
export async function bootstrap(store: Store, clock: Clock, bootstrapKey: string | undefined): Promise<BootstrapResult | null> {
  if (bootstrapKey !== undefined && bootstrapKey.length < MIN_BOOTSTRAP_KEY_LENGTH) {
    throw invalid('OVERDUE_BOOTSTRAP_API_KEY', `must be at least ${MIN_BOOTSTRAP_KEY_LENGTH} characters`);
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await bootstrapOnce(store, clock, bootstrapKey);
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'conflict') || attempt >= 3) throw err;
    }
  }
}

async function bootstrapOnce(store: Store, clock: Clock, bootstrapKey: string | undefined): Promise<BootstrapResult | null> {
  const [oldest] = await store.listProjects();
  if (oldest) {
    if (bootstrapKey === undefined || (await store.findApiKeyByHash(hashSecret(bootstrapKey)))) return null;
    await createApiKey(store, clock, oldest.id, { name: 'bootstrap admin', secret: bootstrapKey });
    return { project: oldest, printableSecret: null };
  }
  const project = await createProject(store, clock, 'Default', BOOTSTRAP_PROJECT_ID);
  const created = await createApiKey(store, clock, project.id, { name: 'admin', secret: bootstrapKey });
  return { project, printableSecret: bootstrapKey === undefined ? created.secret : null };
}

/** The principal for a presented secret; throws `unauthorized` for unknown keys. */
export async function authenticate(store: Store, secret: string | undefined): Promise<Principal> {
  if (!secret) throw new AppError('unauthorized', 'missing API key: send "Authorization: Bearer <key>"');
  const digest = hashSecret(secret);
  const key = await store.findApiKeyByHash(digest);
  // The lookup is by digest, so timing reveals nothing about the secret; the comparison guards the index anyway.
  if (!key || !sameDigest(key.hash, digest)) throw new AppError('unauthorized', 'invalid API key');
  return { projectId: key.projectId, keyId: key.id, readOnly: key.readOnly };
}

export function requireWrite(principal: Principal): void {
  if (principal.readOnly) throw new AppError('forbidden', 'this API key is read-only');
}

/**
 * Maps PostgreSQL's unique violations (SQLSTATE 23505) to a `conflict` AppError naming the field that clashed,
 * with the same messages as the SQLite backend. The constraints are named in migrations.ts for this.
 */
import { AppError } from '../../domain/errors.js';

const RULE_TAKEN = { message: 'this monitor already has a rule for that channel and event' };
const CONFLICTS: Record<string, { message: string; field?: string }> = {
  monitors_ping_token_unique: { message: 'ping_token: already used by another monitor', field: 'ping_token' },
  monitors_key_unique: { message: 'key: a monitor with this key already exists in the project', field: 'key' },
  channels_name_unique: { message: 'name: a channel with this name already exists in the project', field: 'name' },
  notification_lists_key_unique: { message: 'key: a notification list with this key already exists', field: 'key' },
  notification_rules_channel_unique: RULE_TAKEN,
  notification_rules_list_unique: RULE_TAKEN,
};

function isUniqueViolation(err: unknown): err is Error & { constraint?: string } {
  return err instanceof Error && (err as { code?: unknown }).code === '23505';
}

export async function uniqueOrConflict<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const known = err.constraint === undefined ? undefined : CONFLICTS[err.constraint];
    throw known ? new AppError('conflict', known.message, known.field) : new AppError('conflict', 'already exists');
  }
}

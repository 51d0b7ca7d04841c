/** Maps SQLite's unique/primary-key violations to a `conflict` AppError naming the field that clashed. */
import { AppError } from '../../domain/errors.js';

export function uniqueOrConflict<T>(write: () => T): T {
  try {
    return write();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      const msg = String((err as Error).message);
      if (msg.includes('ping_token')) throw new AppError('conflict', 'ping_token: already used by another monitor', 'ping_token');
      if (msg.includes('monitors.key') || msg.includes('project_id, monitors.key')) {
        throw new AppError('conflict', 'key: a monitor with this key already exists in the project', 'key');
      }
      if (msg.includes('channels.name')) throw new AppError('conflict', 'name: a channel with this name already exists in the project', 'name');
      if (msg.includes('notification_lists.key')) throw new AppError('conflict', 'key: a notification list with this key already exists', 'key');
      if (msg.includes('notification_rules')) throw new AppError('conflict', 'this monitor already has a rule for that channel and event');
      throw new AppError('conflict', 'already exists');
    }
    throw err;
  }
}

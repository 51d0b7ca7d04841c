/** Channels, notification lists and the rules that route a monitor's events to them. */
import type pg from 'pg';
import { AppError } from '../../domain/errors.js';
import type { Channel, NotificationList, NotificationRule } from '../store.js';
import { all, first, inTransaction, run, type Queryable } from './db.js';
import { channelFromRow, listFromRow, ruleFromRow, type ChannelRow, type ListRow, type RuleRow } from './rows.js';
import { uniqueOrConflict } from './unique-or-conflict.js';

export async function createChannel(db: Queryable, c: Channel): Promise<void> {
  await uniqueOrConflict(() =>
    db.query('INSERT INTO channels (id, project_id, name, kind, config, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      c.id, c.projectId, c.name, c.kind, JSON.stringify(c.config), c.createdAt, c.updatedAt,
    ]),
  );
}

export async function getChannel(db: Queryable, projectId: string, id: string): Promise<Channel | null> {
  const r = await first<ChannelRow>(db, 'SELECT * FROM channels WHERE project_id = $1 AND id = $2', [projectId, id]);
  return r ? channelFromRow(r) : null;
}

export async function listChannels(db: Queryable, projectId: string): Promise<Channel[]> {
  return (await all<ChannelRow>(db, 'SELECT * FROM channels WHERE project_id = $1 ORDER BY created_at, id', [projectId])).map(channelFromRow);
}

export async function updateChannel(db: Queryable, c: Channel): Promise<boolean> {
  const changed = await uniqueOrConflict(() =>
    run(db, 'UPDATE channels SET name = $3, config = $4, updated_at = $5 WHERE project_id = $1 AND id = $2', [c.projectId, c.id, c.name, JSON.stringify(c.config), c.updatedAt]),
  );
  return changed === 1;
}

export async function deleteChannel(db: Queryable, projectId: string, id: string): Promise<boolean> {
  return (await run(db, 'DELETE FROM channels WHERE project_id = $1 AND id = $2', [projectId, id])) === 1;
}

const LIST_SELECT = `SELECT l.id, l.project_id, l.key, l.name, l.created_at,
  ARRAY(SELECT lc.channel_id FROM notification_list_channels lc WHERE lc.list_id = l.id ORDER BY lc.channel_id) AS channel_ids
  FROM notification_lists l`;

export async function createList(pool: pg.Pool, l: NotificationList): Promise<void> {
  await inTransaction(pool, async (tx) => {
    await uniqueOrConflict(() => tx.query('INSERT INTO notification_lists (id, project_id, key, name, created_at) VALUES ($1, $2, $3, $4, $5)', [l.id, l.projectId, l.key, l.name, l.createdAt]));
    await setMembers(tx, l.projectId, l.id, l.channelIds);
  });
}

export async function listLists(db: Queryable, projectId: string): Promise<NotificationList[]> {
  return (await all<ListRow>(db, `${LIST_SELECT} WHERE l.project_id = $1 ORDER BY l.created_at, l.key`, [projectId])).map(listFromRow);
}

export async function getList(db: Queryable, projectId: string, key: string): Promise<NotificationList | null> {
  const r = await first<ListRow>(db, `${LIST_SELECT} WHERE l.project_id = $1 AND l.key = $2`, [projectId, key]);
  return r ? listFromRow(r) : null;
}

export async function updateList(pool: pg.Pool, projectId: string, key: string, change: { name?: string; channelIds?: string[] }): Promise<NotificationList | null> {
  return inTransaction(pool, async (tx) => {
    const list = await first<{ id: string }>(tx, 'SELECT id FROM notification_lists WHERE project_id = $1 AND key = $2 FOR UPDATE', [projectId, key]);
    if (!list) return null;
    if (change.name !== undefined) await tx.query('UPDATE notification_lists SET name = $2 WHERE id = $1', [list.id, change.name]);
    if (change.channelIds !== undefined) await setMembers(tx, projectId, list.id, change.channelIds);
    return getList(tx, projectId, key);
  });
}

export async function deleteList(db: Queryable, projectId: string, key: string): Promise<boolean> {
  if (key === 'default') throw new AppError('conflict', 'the default notification list cannot be deleted; remove its channels instead');
  return (await run(db, 'DELETE FROM notification_lists WHERE project_id = $1 AND key = $2', [projectId, key])) === 1;
}

/** Replaces the list's channels; every one must be a channel of the project (the first that is not is named). */
async function setMembers(tx: Queryable, projectId: string, listId: string, channelIds: string[]): Promise<void> {
  const wanted = [...new Set(channelIds)];
  const found = new Set((await all<{ id: string }>(tx, 'SELECT id FROM channels WHERE project_id = $1 AND id = ANY($2::text[])', [projectId, wanted])).map((r) => r.id));
  const missing = wanted.find((id) => !found.has(id));
  if (missing !== undefined) throw new AppError('validation_error', `channels: no channel ${missing} in this project`, 'channels');
  await tx.query('DELETE FROM notification_list_channels WHERE list_id = $1', [listId]);
  await tx.query('INSERT INTO notification_list_channels (list_id, channel_id) SELECT $1, unnest($2::text[])', [listId, wanted]);
}

export async function setNotifyRules(pool: pg.Pool, projectId: string, monitorId: string, rules: { listKey: string; event: string }[], now: Date): Promise<void> {
  await inTransaction(pool, async (tx) => {
    const lists = await all<{ id: string; key: string }>(tx, 'SELECT id, key FROM notification_lists WHERE project_id = $1 AND key = ANY($2::text[])', [projectId, rules.map((r) => r.listKey)]);
    const listIdOf = new Map(lists.map((l) => [l.key, l.id]));
    const missing = rules.find((r) => !listIdOf.has(r.listKey));
    if (missing) throw new AppError('validation_error', `notify: no notification list "${missing.listKey}" in this project`, 'notify');
    await tx.query("DELETE FROM notification_rules WHERE monitor_id = $1 AND source = 'notify'", [monitorId]);
    await tx.query(
      `INSERT INTO notification_rules (id, monitor_id, list_id, event, source, created_at)
       SELECT id, $1, list_id, event, 'notify', $2 FROM unnest($3::text[], $4::text[], $5::text[]) AS u(id, list_id, event)`,
      [monitorId, now, rules.map((_, i) => `rul_${monitorId}_${i}`), rules.map((r) => listIdOf.get(r.listKey)), rules.map((r) => r.event)],
    );
  });
}

export async function createRule(db: Queryable, r: NotificationRule): Promise<void> {
  await uniqueOrConflict(() =>
    db.query("INSERT INTO notification_rules (id, monitor_id, channel_id, event, source, created_at) VALUES ($1, $2, $3, $4, 'api', $5)", [r.id, r.monitorId, r.channelId, r.event, r.createdAt]),
  );
}

export async function listRules(db: Queryable, monitorId: string): Promise<NotificationRule[]> {
  return (await all<RuleRow>(db, "SELECT * FROM notification_rules WHERE monitor_id = $1 AND source = 'api' ORDER BY created_at, id", [monitorId])).map(ruleFromRow);
}

export async function deleteRule(db: Queryable, monitorId: string, id: string): Promise<boolean> {
  return (await run(db, 'DELETE FROM notification_rules WHERE monitor_id = $1 AND id = $2', [monitorId, id])) === 1;
}

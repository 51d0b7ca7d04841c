/** Channels, notification lists and the rules that route a monitor's events to them. */
import type { Database } from './driver.js';
import { AppError } from '../../domain/errors.js';
import type { Channel, NotificationList, NotificationRule } from '../store.js';
import { channelFromRow, ruleFromRow, type ChannelRow, type RuleRow } from './rows.js';
import type { Statements } from './statements.js';
import { uniqueOrConflict } from './unique-or-conflict.js';

interface ListRow {
  id: string;
  project_id: string;
  key: string;
  name: string;
  created_at: number;
}

export function createChannel(stmt: Statements, c: Channel): void {
  uniqueOrConflict(() =>
    stmt.insertChannel.run({ id: c.id, project_id: c.projectId, name: c.name, kind: c.kind, config: JSON.stringify(c.config), created_at: c.createdAt.getTime(), updated_at: c.updatedAt.getTime() }),
  );
}

export function getChannel(stmt: Statements, projectId: string, id: string): Channel | null {
  const r = stmt.getChannel.get(projectId, id) as ChannelRow | undefined;
  return r ? channelFromRow(r) : null;
}

export function listChannels(stmt: Statements, projectId: string): Channel[] {
  return (stmt.listChannels.all(projectId) as ChannelRow[]).map(channelFromRow);
}

export function updateChannel(stmt: Statements, c: Channel): boolean {
  const run = () => stmt.updateChannel.run({ id: c.id, project_id: c.projectId, name: c.name, config: JSON.stringify(c.config), updated_at: c.updatedAt.getTime() });
  return uniqueOrConflict(run).changes === 1;
}

export function deleteChannel(stmt: Statements, projectId: string, id: string): boolean {
  return stmt.deleteChannel.run(projectId, id).changes === 1;
}

export function createList(db: Database, stmt: Statements, l: NotificationList): void {
  db.transaction(() => {
    uniqueOrConflict(() => stmt.insertList.run(l.id, l.projectId, l.key, l.name, l.createdAt.getTime()));
    setMembers(stmt, l.projectId, l.id, l.channelIds);
  }).immediate();
}

export function listLists(stmt: Statements, projectId: string): NotificationList[] {
  return (stmt.listLists.all(projectId) as ListRow[]).map((r) => listFromRow(stmt, r));
}

export function getList(stmt: Statements, projectId: string, key: string): NotificationList | null {
  const r = stmt.getList.get(projectId, key) as ListRow | undefined;
  return r ? listFromRow(stmt, r) : null;
}

export function updateList(db: Database, stmt: Statements, projectId: string, key: string, change: { name?: string; channelIds?: string[] }): NotificationList | null {
  return db
    .transaction(() => {
      const r = stmt.getList.get(projectId, key) as ListRow | undefined;
      if (!r) return null;
      if (change.name !== undefined) stmt.renameList.run(change.name, r.id);
      if (change.channelIds !== undefined) setMembers(stmt, projectId, r.id, change.channelIds);
      return listFromRow(stmt, stmt.getList.get(projectId, key) as ListRow);
    })
    .immediate();
}

export function deleteList(stmt: Statements, projectId: string, key: string): boolean {
  if (key === 'default') throw new AppError('conflict', 'the default notification list cannot be deleted; remove its channels instead');
  const r = stmt.getList.get(projectId, key) as ListRow | undefined;
  return r ? stmt.deleteList.run(r.id).changes === 1 : false;
}

export function setNotifyRules(db: Database, stmt: Statements, projectId: string, monitorId: string, rules: { listKey: string; event: string }[], now: Date): void {
  db.transaction(() => {
    stmt.clearNotifyRules.run(monitorId);
    for (const [i, rule] of rules.entries()) {
      const list = stmt.getList.get(projectId, rule.listKey) as ListRow | undefined;
      if (!list) throw new AppError('validation_error', `notify: no notification list "${rule.listKey}" in this project`, 'notify');
      stmt.insertNotifyRule.run(`rul_${monitorId}_${i}`, monitorId, list.id, rule.event, now.getTime());
    }
  }).immediate();
}

function setMembers(stmt: Statements, projectId: string, listId: string, channelIds: string[]): void {
  stmt.clearMembers.run(listId);
  for (const id of new Set(channelIds)) {
    if (!stmt.getChannel.get(projectId, id)) throw new AppError('validation_error', `channels: no channel ${id} in this project`, 'channels');
    stmt.addMember.run(listId, id);
  }
}

function listFromRow(stmt: Statements, r: ListRow): NotificationList {
  return { id: r.id, projectId: r.project_id, key: r.key, name: r.name, channelIds: stmt.listMembers.all(r.id) as string[], createdAt: new Date(r.created_at) };
}

export function createRule(stmt: Statements, r: NotificationRule): void {
  uniqueOrConflict(() => stmt.insertRule.run(r.id, r.monitorId, r.channelId, r.event, r.createdAt.getTime()));
}

export function listRules(stmt: Statements, monitorId: string): NotificationRule[] {
  return (stmt.listRules.all(monitorId) as RuleRow[]).map(ruleFromRow);
}

export function deleteRule(stmt: Statements, monitorId: string, id: string): boolean {
  return stmt.deleteRule.run(monitorId, id).changes === 1;
}

/** Monitor reads whose SQL depends on a filter. */
import type { Database } from './driver.js';
import type { Monitor } from '../../domain/monitor.js';
import type { MonitorFilter, Page } from '../store.js';
import { monitorFromRow, type MonitorRow } from './rows.js';
import { MONITOR_COLUMNS } from './statements.js';

export function listMonitors(db: Database, projectId: string, f: MonitorFilter): Page<Monitor> {
  const where = ['project_id = @projectId'];
  if (f.state) where.push('state = @state');
  if (f.tag) where.push('EXISTS (SELECT 1 FROM json_each(monitors.tags) WHERE value = @tag)');
  const params = { projectId, state: f.state ?? null, tag: f.tag ?? null, limit: f.limit, offset: f.offset };
  const cond = where.join(' AND ');
  const rows = db
    .prepare(`SELECT ${MONITOR_COLUMNS} FROM monitors WHERE ${cond} ORDER BY created_at, id LIMIT @limit OFFSET @offset`)
    .all(params) as MonitorRow[];
  const total = db.prepare(`SELECT count(*) FROM monitors WHERE ${cond}`).pluck().get(params) as number;
  return { items: rows.map(monitorFromRow), total };
}

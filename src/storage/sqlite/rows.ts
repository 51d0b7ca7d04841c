/** Row ↔ domain mapping for SQLite: instants are integer milliseconds, tags a JSON array. */
import type { DownReason, Flip, Monitor, MonitorState, MonitorType } from '../../domain/monitor.js';
import type { PingKind, PingRecord } from '../../domain/ping.js';
import { BODY_PREVIEW_CHARS } from '../../domain/ping.js';

export interface MonitorRow {
  id: string;
  project_id: string;
  key: string;
  name: string;
  type: string;
  schedule: string;
  timezone: string;
  grace_seconds: number;
  tags: string;
  ping_token: string;
  state: string;
  down_reason: string | null;
  down_exit_code: number | null;
  last_ping_at: number | null;
  running_since: number | null;
  next_expected_at: number | null;
  deadline: number | null;
  paused_until: number | null;
  version: number;
  created_at: number;
  updated_at: number;
}

export const ms = (d: Date | null): number | null => (d === null ? null : d.getTime());
const date = (n: number | null): Date | null => (n === null ? null : new Date(n));

export function monitorFromRow(r: MonitorRow): Monitor {
  return {
    id: r.id,
    projectId: r.project_id,
    key: r.key,
    name: r.name,
    type: r.type as MonitorType,
    schedule: r.schedule,
    timezone: r.timezone,
    graceSeconds: r.grace_seconds,
    tags: JSON.parse(r.tags) as string[],
    pingToken: r.ping_token,
    state: r.state as MonitorState,
    downReason: r.down_reason as DownReason | null,
    downExitCode: r.down_exit_code,
    lastPingAt: date(r.last_ping_at),
    runningSince: date(r.running_since),
    nextExpectedAt: date(r.next_expected_at),
    deadline: date(r.deadline),
    pausedUntil: date(r.paused_until),
    version: r.version,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

export function monitorToRow(m: Monitor): MonitorRow {
  return {
    id: m.id,
    project_id: m.projectId,
    key: m.key,
    name: m.name,
    type: m.type,
    schedule: m.schedule,
    timezone: m.timezone,
    grace_seconds: m.graceSeconds,
    tags: JSON.stringify(m.tags),
    ping_token: m.pingToken,
    state: m.state,
    down_reason: m.downReason,
    down_exit_code: m.downExitCode,
    last_ping_at: ms(m.lastPingAt),
    running_since: ms(m.runningSince),
    next_expected_at: ms(m.nextExpectedAt),
    deadline: ms(m.deadline),
    paused_until: ms(m.pausedUntil),
    version: m.version,
    created_at: m.createdAt.getTime(),
    updated_at: m.updatedAt.getTime(),
  };
}

export interface PingRow {
  id: number;
  monitor_id: string;
  received_at: number;
  kind: string;
  exit_code: number | null;
  source: string;
  method: string;
  ip: string | null;
  user_agent: string | null;
  body_size: number;
  body_head: Buffer | null;
  msg: string | null;
}

export function pingFromRow(r: PingRow): PingRecord {
  return {
    id: r.id,
    monitorId: r.monitor_id,
    receivedAt: new Date(r.received_at),
    kind: r.kind as PingKind,
    exitCode: r.exit_code,
    source: r.source,
    method: r.method,
    ip: r.ip,
    userAgent: r.user_agent,
    bodySize: r.body_size,
    bodyPreview: r.body_head && r.body_head.length > 0 ? r.body_head.toString('utf8').slice(0, BODY_PREVIEW_CHARS) : null,
    msg: r.msg,
  };
}

export interface FlipRow {
  id: number;
  at: number;
  from_state: string;
  to_state: string;
  reason: string;
}

export function flipFromRow(r: FlipRow): Flip & { id: number } {
  return { id: r.id, at: new Date(r.at), from: r.from_state as MonitorState, to: r.to_state as MonitorState, reason: r.reason };
}

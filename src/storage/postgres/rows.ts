/**
 * Row ↔ domain mapping for PostgreSQL. The pool parses timestamptz to Date, int8 to number (pool.ts) and jsonb
 * to values, so reading is mostly renaming. Writing JSON goes through JSON.stringify: node-postgres would turn
 * a JavaScript array into a PostgreSQL array literal, not JSON.
 */
import type { DownReason, Flip, Monitor, MonitorExtra, MonitorState, MonitorType } from '../../domain/monitor.js';
import type { Notify } from '../../domain/notify.js';
import type { Assertion } from '../../domain/assertions.js';
import { DEFAULT_RUN_RULES, type RunRules } from '../../domain/run-rules.js';
import type { FailureKind, OpenRun, RunOutcome, RunRecord } from '../../domain/runs.js';
import type { PayloadMetricRule } from '../../domain/payload-metrics.js';
import type { PayloadScanning } from '../../domain/payload-scanning.js';
import type { PingDetails, PingKind, PingRecord } from '../../domain/ping.js';
import { BODY_PREVIEW_CHARS } from '../../domain/ping.js';
import type { ApiKey, Channel, Notification, NotificationList, NotificationRule, NotificationStatus, Project } from '../store.js';

/** Every monitor column, in the order monitorValues() lists them. */
export const MONITOR_COLUMNS = [
  'id', 'project_id', 'key', 'name', 'type', 'schedule', 'timezone', 'grace_seconds', 'tags', 'realert_seconds', 'notify', 'payload_scanning',
  'payload_metrics', 'assertions', 'run_rules', 'ping_token', 'state', 'down_reason', 'down_exit_code', 'last_ping_at', 'running_since', 'open_runs',
  'last_duration', 'state_reason', 'missed_streak', 'failure_streak', 'success_streak', 'next_expected_at', 'deadline', 'paused_until',
  'down_alerts', 'realert_at', 'version', 'created_at', 'updated_at', 'extra',
] as const;
export const MONITOR_SELECT = MONITOR_COLUMNS.join(', ');

export interface MonitorRow {
  id: string;
  project_id: string;
  key: string;
  name: string;
  type: string;
  schedule: string;
  timezone: string;
  grace_seconds: number;
  tags: string[];
  realert_seconds: number;
  notify: Notify;
  payload_scanning: PayloadScanning | null;
  payload_metrics: PayloadMetricRule[];
  assertions: Assertion[];
  /** Only the keys set when it was written: defaults fill in rules added since. */
  run_rules: Partial<RunRules>;
  ping_token: string;
  state: string;
  down_reason: string | null;
  down_exit_code: number | null;
  last_ping_at: Date | null;
  running_since: Date | null;
  open_runs: OpenRunJson[];
  last_duration: number | null;
  state_reason: string | null;
  missed_streak: number;
  failure_streak: number;
  success_streak: number;
  next_expected_at: Date | null;
  deadline: Date | null;
  paused_until: Date | null;
  down_alerts: number;
  realert_at: Date | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  extra: MonitorExtra;
}

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
    tags: r.tags,
    realertSeconds: r.realert_seconds,
    notify: r.notify,
    payloadScanning: r.payload_scanning,
    payloadMetrics: r.payload_metrics,
    assertions: r.assertions,
    runRules: { ...DEFAULT_RUN_RULES, ...r.run_rules },
    pingToken: r.ping_token,
    state: r.state as MonitorState,
    downReason: r.down_reason as DownReason | null,
    downExitCode: r.down_exit_code,
    lastPingAt: r.last_ping_at,
    runningSince: r.running_since,
    openRuns: r.open_runs.map((o) => ({ runId: o.runId, startedAt: new Date(o.startedAt), activeAt: new Date(o.activeAt) })),
    lastDuration: r.last_duration,
    stateReason: r.state_reason,
    missedStreak: r.missed_streak,
    failureStreak: r.failure_streak,
    successStreak: r.success_streak,
    nextExpectedAt: r.next_expected_at,
    deadline: r.deadline,
    pausedUntil: r.paused_until,
    downAlerts: r.down_alerts,
    realertAt: r.realert_at,
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    extra: r.extra,
  };
}

/** Open runs in jsonb: instants as epoch milliseconds, which round-trip exactly. */
interface OpenRunJson {
  runId: string | null;
  startedAt: number;
  activeAt: number;
}

/** The open runs as jsonb text (run ids come from clients, hence pgJson). */
export function openRunsJson(runs: OpenRun[]): string {
  return pgJson(runs.map((r): OpenRunJson => ({ runId: r.runId, startedAt: r.startedAt.getTime(), activeAt: r.activeAt.getTime() })));
}

/** The monitor as query parameters, in MONITOR_COLUMNS order ($1 = id, $2 = project_id, …). */
export function monitorValues(m: Monitor): unknown[] {
  return [
    m.id, m.projectId, m.key, m.name, m.type, m.schedule, m.timezone, m.graceSeconds, pgJson(m.tags), m.realertSeconds, pgJson(m.notify),
    m.payloadScanning === null ? null : pgJson(m.payloadScanning), pgJson(m.payloadMetrics), pgJson(m.assertions), pgJson(m.runRules), m.pingToken,
    m.state, m.downReason, m.downExitCode, m.lastPingAt, m.runningSince, openRunsJson(m.openRuns), m.lastDuration, pgText(m.stateReason),
    m.missedStreak, m.failureStreak, m.successStreak, m.nextExpectedAt, m.deadline, m.pausedUntil, m.downAlerts, m.realertAt, m.version, m.createdAt,
    m.updatedAt, pgJson(m.extra ?? {}),
  ];
}

/**
 * PostgreSQL text and jsonb cannot hold U+0000, and one ping carrying it (a `%00` in a msg or User-Agent)
 * would fail its whole batch; it is stored as U+FFFD instead, as undecodable bytes already are.
 */
export function pgText(s: string | null): string | null {
  return s === null || !s.includes('\u0000') ? s : s.replaceAll('\u0000', '\uFFFD');
}

/** JSON text for a jsonb parameter, with U+0000 in strings replaced as pgText() does. */
export function pgJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? pgText(v) : v));
}

export interface PingRow {
  id: number;
  monitor_id: string;
  received_at: Date;
  kind: string;
  exit_code: number | null;
  source: string;
  method: string;
  ip: string | null;
  user_agent: string | null;
  body_size: number;
  body_head: Buffer | null;
  msg: string | null;
  details: PingDetails | null;
}

export function pingFromRow(r: PingRow): PingRecord {
  return {
    id: r.id,
    monitorId: r.monitor_id,
    receivedAt: r.received_at,
    kind: r.kind as PingKind,
    exitCode: r.exit_code,
    source: r.source,
    method: r.method,
    ip: r.ip,
    userAgent: r.user_agent,
    bodySize: r.body_size,
    bodyPreview: r.body_head && r.body_head.length > 0 ? r.body_head.toString('utf8').slice(0, BODY_PREVIEW_CHARS) : null,
    msg: r.msg,
    details: r.details,
  };
}

export interface FlipRow {
  id: number;
  at: Date;
  from_state: string;
  to_state: string;
  reason: string;
  kind: string | null;
}

export function flipFromRow(r: FlipRow): Flip & { id: number } {
  const flip: Flip & { id: number } = { id: r.id, at: r.at, from: r.from_state as MonitorState, to: r.to_state as MonitorState, reason: r.reason };
  if (r.kind === 'missed') flip.kind = 'missed';
  return flip;
}

export interface RunRow {
  id: number;
  monitor_id: string;
  run_key: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  duration: number | null;
  outcome: string;
  failure_kind: string | null;
  exit_code: number | null;
  reason: string | null;
  start_ping_id: number | null;
  end_ping_id: number | null;
}

export function runFromRow(r: RunRow): RunRecord {
  return {
    id: r.id,
    monitorId: r.monitor_id,
    runId: r.run_key,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    duration: r.duration,
    outcome: r.outcome as RunOutcome,
    failureKind: r.failure_kind as FailureKind | null,
    exitCode: r.exit_code,
    reason: r.reason,
    startPingId: r.start_ping_id,
    endPingId: r.end_ping_id,
  };
}

export interface ChannelRow {
  id: string;
  project_id: string;
  name: string;
  kind: string;
  config: Record<string, unknown>;
  last_error: string | null;
  last_error_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export function channelFromRow(r: ChannelRow): Channel {
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    kind: r.kind,
    config: r.config,
    lastError: r.last_error,
    lastErrorAt: r.last_error_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface RuleRow {
  id: string;
  monitor_id: string;
  channel_id: string;
  event: string;
  created_at: Date;
}

export function ruleFromRow(r: RuleRow): NotificationRule {
  return { id: r.id, monitorId: r.monitor_id, channelId: r.channel_id, event: r.event, createdAt: r.created_at };
}

/** A list with its member channel ids aggregated (array_agg, sorted by id). */
export interface ListRow {
  id: string;
  project_id: string;
  key: string;
  name: string;
  created_at: Date;
  channel_ids: string[];
}

export function listFromRow(r: ListRow): NotificationList {
  return { id: r.id, projectId: r.project_id, key: r.key, name: r.name, channelIds: r.channel_ids, createdAt: r.created_at };
}

export interface NotificationRow {
  id: number;
  project_id: string;
  monitor_id: string;
  channel_id: string;
  event: string;
  flip_at: Date;
  from_state: string;
  to_state: string;
  reason: string;
  count: number;
  output_tail: string | null;
  status: string;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  response_code: number | null;
  created_at: Date;
  sent_at: Date | null;
}

export function notificationFromRow(r: NotificationRow): Notification {
  return {
    id: r.id,
    projectId: r.project_id,
    monitorId: r.monitor_id,
    channelId: r.channel_id,
    event: r.event,
    flip: { at: r.flip_at, from: r.from_state as MonitorState, to: r.to_state as MonitorState, reason: r.reason },
    count: r.count,
    outputTail: r.output_tail,
    status: r.status as NotificationStatus,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    responseCode: r.response_code,
    createdAt: r.created_at,
    sentAt: r.sent_at,
  };
}

export interface ProjectRow {
  id: string;
  name: string;
  ping_key: string;
  created_at: Date;
}

export function projectFromRow(r: ProjectRow): Project {
  return { id: r.id, name: r.name, pingKey: r.ping_key, createdAt: r.created_at };
}

export interface KeyRow {
  id: string;
  project_id: string;
  name: string;
  key_hash: string;
  prefix: string;
  read_only: boolean;
  created_at: Date;
}

export function keyFromRow(r: KeyRow): ApiKey {
  return { id: r.id, projectId: r.project_id, name: r.name, prefix: r.prefix, readOnly: r.read_only, createdAt: r.created_at };
}

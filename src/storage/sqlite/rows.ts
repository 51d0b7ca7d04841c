/** Row ↔ domain mapping for SQLite: instants are integer milliseconds, tags a JSON array. */
import type { DownReason, Flip, Monitor, MonitorExtra, MonitorState, MonitorType } from '../../domain/monitor.js';
import type { Notify } from '../../domain/notify.js';
import type { Assertion } from '../../domain/assertions.js';
import { DEFAULT_RUN_RULES, type RunRules } from '../../domain/run-rules.js';
import type { FailureKind, OpenRun, RunOutcome, RunRecord } from '../../domain/runs.js';
import type { PayloadMetricRule } from '../../domain/payload-metrics.js';
import type { PayloadScanning } from '../../domain/payload-scanning.js';
import type { PingDetails, PingKind, PingRecord } from '../../domain/ping.js';
import { BODY_PREVIEW_CHARS } from '../../domain/ping.js';
import type { ApiKey, Channel, Notification, NotificationRule, NotificationStatus, Project } from '../store.js';

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
  realert_seconds: number;
  notify: string;
  payload_scanning: string | null;
  payload_metrics: string;
  assertions: string;
  run_rules: string;
  ping_token: string;
  state: string;
  down_reason: string | null;
  down_exit_code: number | null;
  last_ping_at: number | null;
  running_since: number | null;
  open_runs: string;
  last_duration: number | null;
  state_reason: string | null;
  missed_streak: number;
  failure_streak: number;
  success_streak: number;
  next_expected_at: number | null;
  deadline: number | null;
  paused_until: number | null;
  down_alerts: number;
  realert_at: number | null;
  version: number;
  created_at: number;
  updated_at: number;
  /** JSON object of the descriptive attributes (MonitorExtra). */
  extra: string;
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
    realertSeconds: r.realert_seconds,
    notify: JSON.parse(r.notify) as Notify,
    payloadScanning: r.payload_scanning === null ? null : (JSON.parse(r.payload_scanning) as PayloadScanning),
    payloadMetrics: JSON.parse(r.payload_metrics) as PayloadMetricRule[],
    assertions: JSON.parse(r.assertions) as Assertion[],
    runRules: { ...DEFAULT_RUN_RULES, ...(JSON.parse(r.run_rules) as Partial<RunRules>) },
    pingToken: r.ping_token,
    state: r.state as MonitorState,
    downReason: r.down_reason as DownReason | null,
    downExitCode: r.down_exit_code,
    lastPingAt: date(r.last_ping_at),
    runningSince: date(r.running_since),
    openRuns: openRunsFromJson(r.open_runs),
    lastDuration: r.last_duration,
    stateReason: r.state_reason,
    missedStreak: r.missed_streak,
    failureStreak: r.failure_streak,
    successStreak: r.success_streak,
    nextExpectedAt: date(r.next_expected_at),
    deadline: date(r.deadline),
    pausedUntil: date(r.paused_until),
    downAlerts: r.down_alerts,
    realertAt: date(r.realert_at),
    version: r.version,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    extra: JSON.parse(r.extra) as MonitorExtra,
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
    realert_seconds: m.realertSeconds,
    notify: JSON.stringify(m.notify),
    payload_scanning: m.payloadScanning === null ? null : JSON.stringify(m.payloadScanning),
    payload_metrics: JSON.stringify(m.payloadMetrics),
    assertions: JSON.stringify(m.assertions),
    run_rules: JSON.stringify(m.runRules),
    ping_token: m.pingToken,
    state: m.state,
    down_reason: m.downReason,
    down_exit_code: m.downExitCode,
    last_ping_at: ms(m.lastPingAt),
    running_since: ms(m.runningSince),
    open_runs: JSON.stringify(m.openRuns.map((r) => ({ runId: r.runId, startedAt: r.startedAt.getTime(), activeAt: r.activeAt.getTime() }))),
    last_duration: m.lastDuration,
    state_reason: m.stateReason,
    missed_streak: m.missedStreak,
    failure_streak: m.failureStreak,
    success_streak: m.successStreak,
    next_expected_at: ms(m.nextExpectedAt),
    deadline: ms(m.deadline),
    paused_until: ms(m.pausedUntil),
    down_alerts: m.downAlerts,
    realert_at: ms(m.realertAt),
    version: m.version,
    created_at: m.createdAt.getTime(),
    updated_at: m.updatedAt.getTime(),
    extra: JSON.stringify(m.extra ?? {}),
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
  details: string | null;
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
    details: r.details === null ? null : (JSON.parse(r.details) as PingDetails),
  };
}

export interface FlipRow {
  id: number;
  at: number;
  from_state: string;
  to_state: string;
  reason: string;
  kind: string | null;
}

export function flipFromRow(r: FlipRow): Flip & { id: number } {
  const flip: Flip & { id: number } = { id: r.id, at: new Date(r.at), from: r.from_state as MonitorState, to: r.to_state as MonitorState, reason: r.reason };
  if (r.kind === 'missed') flip.kind = 'missed';
  return flip;
}

function openRunsFromJson(json: string): OpenRun[] {
  return (JSON.parse(json) as { runId: string | null; startedAt: number; activeAt: number }[]).map((r) => ({ runId: r.runId, startedAt: new Date(r.startedAt), activeAt: new Date(r.activeAt) }));
}

export interface RunRow {
  id: number;
  monitor_id: string;
  run_key: string | null;
  started_at: number | null;
  finished_at: number | null;
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
    startedAt: date(r.started_at),
    finishedAt: date(r.finished_at),
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
  config: string;
  last_error: string | null;
  last_error_at: number | null;
  created_at: number;
  updated_at: number;
}

export function channelFromRow(r: ChannelRow): Channel {
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    kind: r.kind,
    config: JSON.parse(r.config) as Record<string, unknown>,
    lastError: r.last_error,
    lastErrorAt: date(r.last_error_at),
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

export interface RuleRow {
  id: string;
  monitor_id: string;
  channel_id: string;
  event: string;
  created_at: number;
}

export function ruleFromRow(r: RuleRow): NotificationRule {
  return { id: r.id, monitorId: r.monitor_id, channelId: r.channel_id, event: r.event, createdAt: new Date(r.created_at) };
}

export interface NotificationRow {
  id: number;
  project_id: string;
  monitor_id: string;
  channel_id: string;
  event: string;
  flip_at: number;
  from_state: string;
  to_state: string;
  reason: string;
  count: number;
  output_tail: string | null;
  status: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  response_code: number | null;
  created_at: number;
  sent_at: number | null;
}

export function notificationFromRow(r: NotificationRow): Notification {
  return {
    id: r.id,
    projectId: r.project_id,
    monitorId: r.monitor_id,
    channelId: r.channel_id,
    event: r.event,
    flip: { at: new Date(r.flip_at), from: r.from_state as MonitorState, to: r.to_state as MonitorState, reason: r.reason },
    count: r.count,
    outputTail: r.output_tail,
    status: r.status as NotificationStatus,
    attempts: r.attempts,
    nextAttemptAt: new Date(r.next_attempt_at),
    lastError: r.last_error,
    responseCode: r.response_code,
    createdAt: new Date(r.created_at),
    sentAt: date(r.sent_at),
  };
}

export interface ProjectRow {
  id: string;
  name: string;
  ping_key: string;
  created_at: number;
}

export function projectFromRow(r: ProjectRow): Project {
  return { id: r.id, name: r.name, pingKey: r.ping_key, createdAt: new Date(r.created_at) };
}

export interface KeyRow {
  id: string;
  project_id: string;
  name: string;
  key_hash: string;
  prefix: string;
  read_only: number;
  created_at: number;
}

export function keyFromRow(r: KeyRow): ApiKey {
  return { id: r.id, projectId: r.project_id, name: r.name, prefix: r.prefix, readOnly: r.read_only === 1, createdAt: new Date(r.created_at) };
}

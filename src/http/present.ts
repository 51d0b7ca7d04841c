/** Domain records → API JSON (snake_case, ISO instants). */
import type { Flip, Monitor } from '../domain/monitor.js';
import type { PingRecord } from '../domain/ping.js';
import type { RunRecord } from '../domain/runs.js';
import { intervalSecondsOf } from '../domain/monitor-config.js';
import { parsedSchedule } from '../domain/timing.js';

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

export function presentMonitor(m: Monitor, baseUrl: string) {
  return {
    id: m.id,
    name: m.name,
    key: m.key,
    type: m.type,
    state: m.state,
    down_reason: m.state === 'down' ? m.downReason : null,
    schedule: m.schedule,
    timezone: m.timezone,
    expected_interval_sec: intervalSecondsOf(parsedSchedule(m)),
    grace_seconds: m.graceSeconds,
    tags: m.tags,
    realert_interval: m.realertSeconds,
    notify: m.notify,
    payload_metrics: m.payloadMetrics,
    assertions: m.assertions.map((a) => a.text),
    expected_runtime: m.runRules.expectedRuntime,
    max_runtime: m.runRules.maxRuntime,
    inactivity_timeout: m.runRules.inactivityTimeout,
    schedule_tolerance: m.runRules.scheduleTolerance,
    failure_tolerance: m.runRules.failureTolerance,
    recovery_threshold: m.runRules.recoveryThreshold,
    overlap_policy: m.runRules.overlapPolicy,
    running: m.openRuns.length,
    last_duration: m.lastDuration,
    degraded_reason: m.state === 'degraded' ? m.stateReason : null,
    payload_scanning: m.payloadScanning && { success_keyword: m.payloadScanning.successKeywords, failure_keyword: m.payloadScanning.failureKeywords },
    note: m.extra?.note ?? null,
    default_note: m.extra?.defaultNote ?? null,
    default_name: m.extra?.defaultName ?? null,
    group: m.extra?.group ?? null,
    platform: m.extra?.platform ?? null,
    metadata: m.extra?.metadata ?? null,
    ping_url: `${baseUrl}/v1/ping/${m.pingToken}`,
    ping_token: m.pingToken,
    last_ping_at: iso(m.lastPingAt),
    next_expected_at: iso(m.nextExpectedAt),
    paused_until: iso(m.pausedUntil),
    created_at: m.createdAt.toISOString(),
    updated_at: m.updatedAt.toISOString(),
  };
}

export function presentPing(p: PingRecord) {
  return {
    id: p.id,
    received_at: p.receivedAt.toISOString(),
    kind: p.kind,
    exit_code: p.exitCode,
    source: p.source,
    method: p.method,
    ip: p.ip,
    user_agent: p.userAgent,
    body_size: p.bodySize,
    body_preview: p.bodyPreview,
    msg: p.msg,
    host: p.details?.host ?? null,
    series: p.details?.series ?? null,
    status_code: p.details?.statusCode ?? null,
    duration: p.details?.duration ?? null,
    env: p.details?.env ?? null,
    release: p.details?.release ?? null,
    metrics: p.details?.metrics ?? [],
  };
}

export function presentFlip(f: Flip & { id: number }) {
  return { id: f.id, at: f.at.toISOString(), from: f.from, to: f.to, reason: f.reason, kind: f.kind ?? ('state' as const) };
}

export function presentRun(r: RunRecord) {
  return {
    id: r.id,
    run_id: r.runId,
    outcome: r.outcome,
    started_at: iso(r.startedAt),
    finished_at: iso(r.finishedAt),
    duration: r.duration,
    failure_kind: r.failureKind,
    exit_code: r.exitCode,
    reason: r.reason,
    start_ping_id: r.startPingId,
    end_ping_id: r.endPingId,
  };
}

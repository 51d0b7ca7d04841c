/** What a received ping means for its monitor: the event it is, and the transition it causes. */
import type { Monitor } from './monitor.js';
import type { PingInput } from './ping.js';
import { timingOf } from './timing.js';
import { violatedAssertions } from './assertions.js';
import { scanPayload } from './payload-scanning.js';
import { secondsBetween, takeOpenRun, type FailureKind } from './runs.js';
import { applyEvent, type MonitorEvent, type Transition } from './transitions.js';

export function eventOfPing(ping: Pick<PingInput, 'kind' | 'exitCode' | 'details'>): MonitorEvent {
  const runId = ping.details?.series ?? null;
  const duration = ping.details?.duration ?? null;
  switch (ping.kind) {
    case 'success':
      return { type: 'success', runId, duration };
    case 'start':
      return { type: 'start', runId };
    case 'fail':
      return { type: 'fail', exitCode: ping.exitCode, runId, duration };
    case 'progress':
      return { type: 'progress', runId };
    case 'log':
      return { type: 'log' };
    case 'ok':
      return { type: 'reset' };
  }
}

/**
 * Deterministic: the same monitor and ping always give the same transition, so stored pings can be replayed.
 * Besides state changes, a start raises `on_run` and a success `on_complete` (occurrence alerts, for the
 * channels that asked for them); a paused monitor raises nothing.
 */
export type DecidedPing = Pick<PingInput, 'kind' | 'exitCode' | 'receivedAt' | 'body' | 'msg' | 'details'>;

export function decidePing(monitor: Monitor, ping: DecidedPing): Transition {
  const event = scannedEvent(monitor, ping) ?? assertedEvent(monitor, ping) ?? eventOfPing(ping);
  const t = applyEvent(monitor, event, ping.receivedAt, timingOf(monitor));
  if (monitor.state === 'paused') return t;
  const occurrence = ping.kind === 'start' ? 'on_run' : ping.kind === 'success' ? 'on_complete' : null;
  if (occurrence) t.alerts.push({ at: ping.receivedAt, event: occurrence, sequence: 0, reason: occurrence === 'on_run' ? 'the job reported a start' : 'the job reported a successful completion' });
  return t;
}

/**
 * With payload scanning, a success ping is judged by its output too: a failure keyword makes it a failure, and
 * so does the absence of every success keyword when some are configured. Failure pings stay failures. Null
 * when scanning does not change the ping's meaning.
 */
function scannedEvent(monitor: Monitor, ping: DecidedPing): MonitorEvent | null {
  const rules = monitor.payloadScanning;
  if (!rules || ping.kind !== 'success') return null;
  const body = ping.body && ping.body.length > 0 ? new TextDecoder().decode(ping.body) : null;
  const verdict = scanPayload(rules, [body, ping.msg]);
  if (verdict.outcome === 'failure') return failureOf(ping, `failure keyword "${verdict.keyword}" found in its output`, 'keyword');
  if (verdict.outcome === 'none' && rules.successKeywords.length > 0) return failureOf(ping, 'none of the success keywords found in its output', 'keyword');
  return null;
}

/**
 * A success that violates the monitor's assertions is a failure naming them. Metrics come from the ping: the
 * client's `duration` (else the time since the open run's start), and the last `count` / `error_count`
 * metric sent. A metric the ping does not report violates nothing.
 */
function assertedEvent(monitor: Monitor, ping: DecidedPing): MonitorEvent | null {
  if (monitor.assertions.length === 0 || ping.kind !== 'success') return null;
  const last = (name: string) => ping.details?.metrics.filter((m) => m.name === name).at(-1)?.value ?? null;
  const { run } = takeOpenRun(monitor.openRuns, ping.details?.series);
  const measured = run ? secondsBetween(run.startedAt, ping.receivedAt) : null;
  const violated = violatedAssertions(monitor.assertions, { duration: ping.details?.duration ?? measured, count: last('count'), error_count: last('error_count') });
  if (violated.length === 0) return null;
  return failureOf(ping, `assertion failed: ${violated.map((a) => a.text).join('; ')}`, 'assertion');
}

/** A success ping judged a failure (by its output or its metrics): same run, same duration. */
function failureOf(ping: DecidedPing, note: string, failureKind: FailureKind): MonitorEvent {
  return { type: 'fail', exitCode: ping.exitCode, note, failureKind, runId: ping.details?.series ?? null, duration: ping.details?.duration ?? null };
}

/** What a received ping means for its monitor: the event it is, and the transition it causes. */
import type { Monitor } from './monitor.js';
import type { PingInput } from './ping.js';
import { timingOf } from './timing.js';
import { scanPayload } from './payload-scanning.js';
import { applyEvent, type MonitorEvent, type Transition } from './transitions.js';

export function eventOfPing(ping: Pick<PingInput, 'kind' | 'exitCode'>): MonitorEvent {
  switch (ping.kind) {
    case 'success':
      return { type: 'success' };
    case 'start':
      return { type: 'start' };
    case 'fail':
      return { type: 'fail', exitCode: ping.exitCode };
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
export function decidePing(monitor: Monitor, ping: Pick<PingInput, 'kind' | 'exitCode' | 'receivedAt' | 'body' | 'msg'>): Transition {
  const t = applyEvent(monitor, scannedEvent(monitor, ping) ?? eventOfPing(ping), ping.receivedAt, timingOf(monitor));
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
function scannedEvent(monitor: Monitor, ping: Pick<PingInput, 'kind' | 'exitCode' | 'body' | 'msg'>): MonitorEvent | null {
  const rules = monitor.payloadScanning;
  if (!rules || ping.kind !== 'success') return null;
  const body = ping.body && ping.body.length > 0 ? new TextDecoder().decode(ping.body) : null;
  const verdict = scanPayload(rules, [body, ping.msg]);
  if (verdict.outcome === 'failure') return { type: 'fail', exitCode: ping.exitCode, note: `failure keyword "${verdict.keyword}" found in its output` };
  if (verdict.outcome === 'none' && rules.successKeywords.length > 0) return { type: 'fail', exitCode: ping.exitCode, note: 'none of the success keywords found in its output' };
  return null;
}

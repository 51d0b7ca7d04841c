/**
 * The ping path: one transaction per batch (group commit) that writes the pings and everything they cause —
 * monitor statuses (in the pings' own statement), runs, flips, outbox rows, metric points. Several server
 * processes may share the database, so unlike the SQLite store nothing is coalesced in memory: the batch's
 * monitors are locked (in id order) for the transaction, each ping is decided against the status left by the
 * ones before it, and the rows are written with one multi-row statement per table.
 */
import type pg from 'pg';
import { withStatus, type Alert, type Flip, type Monitor } from '../../domain/monitor.js';
import type { PingInput } from '../../domain/ping.js';
import { unpairedCompletion, type RunChange } from '../../domain/runs.js';
import { outputTail } from '../../domain/output-tail.js';
import { extractPayloadMetrics } from '../../domain/payload-metrics.js';
import type { PingDecider, PingOutcome } from '../store.js';
import { inTransaction } from './db.js';
import type { KnownMonitors } from './known-monitors.js';
import { lockMonitorsByToken } from './monitor-queries.js';
import { enqueueAlerts, enqueueFlip, insertFlips, loadRuleChannels } from './outbox.js';
import { insertMetricPoints, insertPings, type MetricRow } from './ping-history.js';
import { pingRunColumns, writeRuns } from './run-history.js';

/** One ping's decision, kept until its ping id is known. */
interface Decided {
  ping: PingInput;
  /** The monitor after this ping. */
  next: Monitor;
  /** Flips to store: only when the ping changed the status (as in the SQLite store). */
  flips: Flip[];
  alerts: Alert[];
  runs: RunChange[];
  tail: string | null;
}

export async function recordPings(pool: pg.Pool, pings: PingInput[], decide: PingDecider, known: KnownMonitors): Promise<PingOutcome[]> {
  if (pings.length === 0) return [];
  /** Monitor id → its status after the batch, for those whose status changed. */
  const changedStatus = new Map<string, Monitor>();
  const outcomes = await inTransaction<PingOutcome[]>(pool, async (tx) => {
    const current = new Map<string, Monitor>();
    const locked = await lockMonitorsByToken(tx, [...new Set(pings.map((p) => p.token))], known);
    for (const m of locked.monitors) current.set(m.pingToken, m);

    const decided: (Decided | null)[] = pings.map((ping) => {
      const monitor = current.get(ping.token);
      if (!monitor) return null;
      const { status, flips, alerts, runs } = decide(monitor, ping);
      const changed = status.version !== monitor.version;
      const next = changed ? withStatus(monitor, status, ping.receivedAt) : monitor;
      if (changed) {
        current.set(ping.token, next);
        changedStatus.set(next.id, next);
      }
      const body = ping.body && ping.body.length > 0 ? ping.body.toString('utf8') : null;
      const tail = flips.length > 0 || alerts.length > 0 ? outputTail(body, ping.msg) : null;
      return { ping, next, flips: changed ? flips : [], alerts, runs, tail };
    });
    const found = decided.filter((d): d is Decided => d !== null);
    if (found.length === 0) return pings.map(() => ({ found: false }));

    const pingIds = await insertPings(tx, found.map((d) => ({ monitorId: d.next.id, ping: d.ping, run: pingRunColumns(unpairedCompletion(d.runs)) })), [...changedStatus.values()]);
    await insertMetricPoints(tx, found.flatMap((d, i) => metricPoints(d, pingIds[i] as number)));
    await writeRuns(tx, found.flatMap((d, i) => d.runs.map((change) => ({ monitorId: d.next.id, change, pingId: pingIds[i] as number }))));
    const queued = await writeOutbox(tx, found, pingIds, locked.ruled);

    let i = 0;
    return decided.map((d): PingOutcome => {
      if (!d) return { found: false };
      const at = i++;
      return { found: true, pingId: pingIds[at] as number, state: d.next.state, deadline: d.next.deadline, notificationsQueued: (queued[at] ?? 0) > 0 };
    });
  });
  // Committed: these statuses are the rows now (a rolled-back one is never kept; see known-monitors.ts).
  for (const m of changedStatus.values()) known.remember(m);
  return outcomes;
}

function metricPoints(d: Decided, pingId: number): MetricRow[] {
  const { next: monitor, ping } = d;
  if (monitor.payloadMetrics.length === 0 || !ping.body || ping.body.length === 0) return [];
  return extractPayloadMetrics(monitor.payloadMetrics, ping.body.toString('utf8')).map((p) => ({ monitorId: monitor.id, pingId, name: p.name, at: ping.receivedAt, value: p.value }));
}

/**
 * Stores the batch's flips in one statement, then queues what each ping raised, ping by ping in input order:
 * the once-a-minute batching rule reads the rows queued before. Only monitors with rules (`ruled`) can queue
 * anything, so a batch raising events for none of them reads no rules. Returns how many were queued per ping.
 */
async function writeOutbox(tx: pg.PoolClient, found: Decided[], pingIds: number[], ruled: Set<string>): Promise<number[]> {
  const flips = found.flatMap((d) => d.flips.map((flip) => ({ monitorId: d.next.id, flip })));
  const flipIds = await insertFlips(tx, flips);
  const raising = found.filter((d) => (d.flips.length > 0 || d.alerts.length > 0) && ruled.has(d.next.id));
  if (raising.length === 0) return found.map(() => 0);
  const rules = await loadRuleChannels(tx, [...new Set(raising.map((d) => d.next.id))]);
  let f = 0;
  const queued: number[] = [];
  for (const [i, d] of found.entries()) {
    let n = 0;
    for (const flip of d.flips) n += await enqueueFlip(tx, rules, d.next, flip, flipIds[f++] as number, d.tail);
    n += await enqueueAlerts(tx, rules, d.next, d.alerts, `ping:${pingIds[i]}`, d.tail);
    queued.push(n);
  }
  return queued;
}

/**
 * The Sentry crons dialect: check-ins from Sentry's SDKs, `sentry-cli monitors run` and the plain HTTP check-in
 * endpoint, turned into pings of the monitor they address. Framing lives in sentry-envelope.ts, the check-in
 * shape and its mapping in sentry-check-in.ts, the DSN in sentry-dsn.ts.
 *
 * Rules:
 * - The DSN's public key names the project (its ping key in hex, see sentry-dsn.ts); the DSN's project id must
 *   be that project's Sentry id. An unknown key or another project's id is refused, as Relay refuses it.
 * - A check-in goes to the monitor keyed `<slug>` (default environment `production`, or none sent) or
 *   `<slug>.<environment>` (see monitorKeyOf): each environment has its own monitor, state and runs.
 * - `in_progress` is a start, `ok` a success, `error` a failure; `check_in_id` is the run id, so a completion
 *   closes the run its start opened, and a completion without an id closes the latest open run. An
 *   `in_progress` that arrives after its own completion is kept as a `log` ping (see arrivedAfterCompletion).
 * - `monitor_config` creates the monitor, or updates its schedule, grace, time zone and run rules when they
 *   differ (createMonitor / updateMonitor, as the API does).
 * - Without `monitor_config`, a check-in for a missing monitor is ignored — Sentry drops those too — except when
 *   it comes from another environment of an existing slug: that environment's monitor is then created with the
 *   default environment's settings.
 */
import type { AppContext } from '../app/context.js';
import { createMonitor, updateMonitor } from '../app/monitors.js';
import type { PingIngestor } from '../app/ping-ingestor.js';
import { AppError } from '../domain/errors.js';
import type { Monitor } from '../domain/monitor.js';
import { mergeMonitorConfig, type MonitorConfigInput } from '../domain/monitor-config.js';
import type { Project } from '../storage/store.js';
import { monitorInputCopying, monitorInputOf, monitorKeyOf, monitorNameOf, PING_KIND_OF_STATUS, type CheckIn } from './sentry-check-in.js';
import { pingKeyOfSentryKey, sentryProjectId } from './sentry-dsn.js';

export interface SentryDeps {
  ctx: AppContext;
  ingestor: PingIngestor;
}

/** Who sent a check-in and how, as the ping records it. */
export interface CheckInRequest {
  receivedAt: Date;
  method: string;
  ip: string | null;
  userAgent: string | null;
}

/** Relay's answer to a request it will not take, `{"detail": …}` with 401 or 403. */
export interface SentryRefusal {
  status: 401 | 403;
  detail: string;
}

export type CheckInOutcome =
  | { recorded: true; monitor: Monitor; created: boolean }
  | { recorded: false; reason: string };

/**
 * The project a Sentry key and DSN project id belong to, or Relay's refusal: 401 without a key, 403 for a key no
 * project has or a project id that is not its project's. `key` is the DSN public key or the ping key itself.
 */
export async function authenticateSentry(ctx: AppContext, key: string | null, projectId: string): Promise<Project | SentryRefusal> {
  if (!key) return { status: 401, detail: 'missing authorization information' };
  const pingKey = pingKeyOfSentryKey(key);
  const project = await ctx.store.getProjectByPingKey(pingKey);
  if (!project || sentryProjectId(project.id) !== projectId) return { status: 403, detail: 'event submission rejected with_reason: ProjectId' };
  return project;
}

/**
 * Records one check-in for the project (see the module's rules). Resolves once the ping is committed.
 * @throws AppError `validation_error` when its environment or `monitor_config` cannot make a valid monitor.
 */
export async function recordCheckIn(deps: SentryDeps, project: Project, checkIn: CheckIn, req: CheckInRequest): Promise<CheckInOutcome> {
  const found = await monitorFor(deps.ctx, project, checkIn);
  if (!found.monitor) return { recorded: false, reason: found.reason };
  const late = !found.created && (await arrivedAfterCompletion(deps.ctx, found.monitor, checkIn));
  const outcome = await deps.ingestor.record({
    token: found.monitor.pingToken,
    kind: late ? 'log' : PING_KIND_OF_STATUS[checkIn.status],
    exitCode: null,
    receivedAt: req.receivedAt,
    source: 'sentry',
    method: req.method,
    ip: req.ip,
    userAgent: req.userAgent,
    body: null,
    msg: null,
    details: { host: null, series: checkIn.checkInId, statusCode: null, duration: checkIn.duration, env: checkIn.environment, release: checkIn.release, metrics: [] },
  });
  if (!outcome.found) return { recorded: false, reason: `monitor "${found.monitor.key}" was deleted meanwhile` };
  return { recorded: true, monitor: found.monitor, created: found.created };
}

/**
 * True for an `in_progress` whose run already completed. The JS SDK sends a check-in's `in_progress` and its
 * `ok` on separate connections as soon as each is captured, so for a job shorter than a round trip the `ok` may
 * arrive first; opening a run then would leave it open until it timed out. Sentry ignores such an update too.
 * Only checked when the run is not open, against the monitor's 20 latest runs.
 */
async function arrivedAfterCompletion(ctx: AppContext, monitor: Monitor, checkIn: CheckIn): Promise<boolean> {
  const id = checkIn.checkInId;
  if (checkIn.status !== 'in_progress' || id === null || monitor.openRuns.some((r) => r.runId === id)) return false;
  const recent = await ctx.store.listRuns(monitor.id, 20, 0);
  return recent.items.some((r) => r.runId === id && r.outcome !== 'running');
}

type Found = { monitor: Monitor; created: boolean } | { monitor: null; reason: string };

async function monitorFor(ctx: AppContext, project: Project, checkIn: CheckIn): Promise<Found> {
  const key = monitorKeyOf(checkIn.slug, checkIn.environment);
  const name = monitorNameOf(checkIn.slug, checkIn.environment);
  const existing = await ctx.store.getMonitorBySlug(project.pingKey, key);
  if (checkIn.monitorConfig) {
    const input = monitorInputOf(checkIn.monitorConfig);
    if (existing) return { monitor: await upsertSettings(ctx, existing, input), created: false };
    const tags = key === checkIn.slug ? [] : [`env:${checkIn.environment}`];
    return create(ctx, project, key, { name, key, tags, ...input });
  }
  if (existing) return { monitor: existing, created: false };
  if (key !== checkIn.slug) {
    const base = await ctx.store.getMonitorBySlug(project.pingKey, checkIn.slug);
    if (base) return create(ctx, project, key, { ...monitorInputCopying(base, checkIn.environment ?? ''), name, key });
  }
  return { monitor: null, reason: `no monitor "${key}" and no monitor_config to create it` };
}

/** Applies a monitor_config's settings when they change anything; most check-ins repeat the same config. */
async function upsertSettings(ctx: AppContext, monitor: Monitor, input: MonitorConfigInput): Promise<Monitor> {
  const next = mergeMonitorConfig(monitor, input);
  const same =
    next.schedule === monitor.schedule &&
    next.timezone === monitor.timezone &&
    next.graceSeconds === monitor.graceSeconds &&
    JSON.stringify(next.runRules) === JSON.stringify(monitor.runRules);
  return same ? monitor : updateMonitor(ctx, monitor.projectId, monitor.id, input);
}

async function create(ctx: AppContext, project: Project, key: string, input: MonitorConfigInput): Promise<Found> {
  try {
    return { monitor: await createMonitor(ctx, project.id, input), created: true };
  } catch (err) {
    if (!(err instanceof AppError && err.code === 'conflict')) throw err;
    // A concurrent check-in for the same monitor won the insert: use the monitor it created.
    const winner = await ctx.store.getMonitorBySlug(project.pingKey, key);
    if (!winner) throw err;
    return { monitor: winner, created: false };
  }
}

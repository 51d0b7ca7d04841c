/**
 * The Cronitor ping dialects, served under one prefix (src/http/routes/cronitor.ts), so a Cronitor client whose
 * `https://cronitor.link` is replaced by `<base URL><prefix>` keeps working:
 *
 * - **Telemetry** `/p/<key>/<monitor_key>` and `/ping/<key>/<monitor_key>` (what cronitor-js and the CLI send):
 *   `<key>` is a project API key (as Cronitor clients send their API key) or the project's ping key;
 *   `?state=run|complete|fail|ok|tick`, none meaning tick. A monitor key the project does not have creates that
 *   monitor when auto-creation is on (see AUTO_CREATE_SETTINGS).
 * - **Per-monitor URLs** `/<code>[/<event>]`: `<code>` is the monitor's ping token or its key; `<event>` is
 *   `run`, `complete`, `fail`, `ok`, `pause/<hours>` or the short forms `r`, `c`, `f`, `p/<hours>`; none (a bare
 *   code) is `run`, as Cronitor's ping API says, and so is the deprecated `b`.
 *
 * States map to ping kinds: run → start, complete → success, fail → fail, ok → ok (reset, no recovery alert),
 * tick → success on heartbeat and check monitors, and log (kept, no state change) on job monitors, whose
 * state only run/complete/fail decide. A fail's `status_code` from 0 to 255 is kept as its exit code too.
 *
 * Answers follow Cronitor: 200 for every well-formed request, recorded or not (unknown key, unknown monitor),
 * with a text body saying which; 400 only for a malformed one (unknown state or event, a bad parameter value).
 */
import { authenticate } from '../app/keys.js';
import type { AppContext } from '../app/context.js';
import { createMonitor, pauseMonitor, resumeMonitor } from '../app/monitors.js';
import type { PingIngestor } from '../app/ping-ingestor.js';
import { AppError } from '../domain/errors.js';
import type { Monitor, MonitorType } from '../domain/monitor.js';
import { MAX_PING_BODY_BYTES, type PingKind } from '../domain/ping.js';
import { parsePingParams, type PingParams, type PingQuery } from '../domain/ping-params.js';
import type { Project } from '../storage/store.js';
import { detailsOrNull, firstValue, type PingRequest } from './request.js';

export interface CronitorDeps {
  ctx: AppContext;
  ingestor: PingIngestor;
  /** Whether a telemetry ping for an unknown monitor key creates the monitor. */
  autoCreate: boolean;
}

export interface CronitorReply {
  status: number;
  text: string;
}

/**
 * Settings of a monitor created by a telemetry ping: a ping expected every day with one hour of grace (as a
 * healthchecks `?create=1` check), until its schedule is set through the API. Key and name are the monitor key;
 * the type is `heartbeat` when the first ping is a tick, else `job`.
 */
export const AUTO_CREATE_SETTINGS = { expected_interval_sec: 86_400, grace_seconds: 3_600 } as const;

/** Hours of `pause/<hours>`: at most 7 digits (Cronitor suggests `/pause/100000` for "until resumed"). */
const HOURS = /^\d{1,7}$/;

export type CronitorState = 'run' | 'complete' | 'fail' | 'ok' | 'tick';
const STATES: readonly CronitorState[] = ['run', 'complete', 'fail', 'ok', 'tick'];

/** The ping kind of a Cronitor state for a monitor of `type` (see the module comment). */
export function pingKindOfState(state: CronitorState, type: MonitorType): PingKind {
  switch (state) {
    case 'run':
      return 'start';
    case 'complete':
      return 'success';
    case 'fail':
      return 'fail';
    case 'ok':
      return 'ok';
    case 'tick':
      return type === 'job' ? 'log' : 'success';
  }
}

/**
 * A per-monitor URL's event: a state, or a pause for some hours (0 resumes); `bad-event` for an unknown event
 * (or hours after one that takes none), `bad-hours` for a pause without whole hours.
 */
export function parseCodeEvent(event: string | undefined, hours: string | undefined): { state: CronitorState } | { pauseHours: number } | 'bad-event' | 'bad-hours' {
  if (event === 'pause' || event === 'p') {
    if (hours === undefined || !HOURS.test(hours)) return 'bad-hours';
    return { pauseHours: Number(hours) };
  }
  if (hours !== undefined) return 'bad-event';
  switch (event) {
    case undefined:
    case '':
    case 'run':
    case 'r':
    case 'b':
      return { state: 'run' };
    case 'complete':
    case 'c':
      return { state: 'complete' };
    case 'fail':
    case 'f':
      return { state: 'fail' };
    case 'ok':
      return { state: 'ok' };
    default:
      return 'bad-event';
  }
}

/**
 * Records a telemetry ping `/p|ping/<key>/<monitorKey>?state=…`. See the module comment for the rules; a
 * read-only API key may ping existing monitors but does not create any.
 */
export async function ingestCronitorTelemetry(deps: CronitorDeps, key: string, monitorKey: string, req: PingRequest): Promise<CronitorReply> {
  const stateText = firstValue(req.query, 'state')?.trim() ?? '';
  const state = stateText === '' ? 'tick' : (STATES as readonly string[]).includes(stateText) ? (stateText as CronitorState) : null;
  if (state === null) return { status: 400, text: `state: must be run, complete, fail, ok or tick, got "${stateText.slice(0, 40)}"` };
  const params = readParams(req.query);
  if ('status' in params) return params;

  const { store } = deps.ctx;
  // A ping key addresses an existing monitor in one query: try that before hashing the key as an API key.
  let monitor = await store.getMonitorBySlug(key, monitorKey);
  let access: Access | null = monitor ? { project: null, pingKey: key, canCreate: true } : await accessOfKey(deps.ctx, key);
  if (!access) return notRecorded('unknown API key or ping key');
  if (!(await authKeyAccepted(deps.ctx, req.query, access.pingKey))) return notRecorded('auth_key does not belong to this project');
  monitor ??= await store.getMonitorBySlug(access.pingKey, monitorKey);
  if (!monitor) {
    if (!deps.autoCreate) return notRecorded(`no monitor with key "${monitorKey}" (auto-creation is off)`);
    if (!access.canCreate) return notRecorded(`no monitor with key "${monitorKey}", and a read-only API key creates none`);
    access = { ...access, project: access.project ?? (await deps.ctx.store.getProjectByPingKey(access.pingKey)) };
    if (!access.project) return notRecorded('unknown API key or ping key');
    const created = await findOrCreate(deps.ctx, access.project, monitorKey, state === 'tick' ? 'heartbeat' : 'job');
    if ('status' in created) return created;
    monitor = created;
  }
  return (await record(deps, monitor.pingToken, pingKindOfState(state, monitor.type), params, req)) ? RECORDED : notRecorded('the monitor was just deleted');
}

/** Records a per-monitor URL `/<code>[/<event>[/<hours>]]`, or pauses/resumes for `pause/<hours>`. */
export async function ingestCronitorCode(deps: CronitorDeps, code: string, event: string | undefined, hours: string | undefined, req: PingRequest): Promise<CronitorReply> {
  const parsed = parseCodeEvent(event, hours);
  if (parsed === 'bad-event') return { status: 400, text: `unknown endpoint "${event ?? ''}": use run, complete, fail, ok, pause/<hours> or r, c, f, p/<hours>` };
  if (parsed === 'bad-hours') return { status: 400, text: 'pause needs a whole number of hours: pause/<hours> (0 resumes)' };
  const params = readParams(req.query);
  if ('status' in params) return params;
  const authKey = firstValue(req.query, 'auth_key')?.trim() || undefined;

  const tryToken = 'state' in parsed && authKey === undefined;
  if (tryToken) {
    // The common case, a token URL: let the ingestor find the monitor (no extra read on the ping path). Legacy
    // URLs carry no tick, so the kind does not depend on the monitor's type.
    if (await record(deps, code, pingKindOfState(parsed.state, 'job'), params, req)) return RECORDED;
  }
  const found = await monitorOfCode(deps.ctx, code, authKey, !tryToken);
  if (typeof found === 'string') return notRecorded(found);
  if ('pauseHours' in parsed) {
    if (parsed.pauseHours === 0) await resumeMonitor(deps.ctx, found.projectId, found.id);
    else await pauseMonitor(deps.ctx, found.projectId, found.id, parsed.pauseHours);
    return { status: 200, text: parsed.pauseHours === 0 ? 'OK: resumed' : `OK: paused for ${parsed.pauseHours} hour${parsed.pauseHours === 1 ? '' : 's'}` };
  }
  return (await record(deps, found.pingToken, pingKindOfState(parsed.state, found.type), params, req)) ? RECORDED : notRecorded('the monitor was just deleted');
}

interface Access {
  /** Known when the key was an API key (or after a lookup for auto-creation). */
  project: Project | null;
  pingKey: string;
  canCreate: boolean;
}

/** The project an API key or ping key belongs to, or null for neither. */
async function accessOfKey(ctx: AppContext, key: string): Promise<Access | null> {
  const principal = await authenticate(ctx.store, key).catch((err: unknown) => {
    if (err instanceof AppError && err.code === 'unauthorized') return null;
    throw err;
  });
  if (principal) {
    const project = await ctx.store.getProject(principal.projectId);
    return project ? { project, pingKey: project.pingKey, canCreate: !principal.readOnly } : null;
  }
  const project = await ctx.store.getProjectByPingKey(key);
  return project ? { project, pingKey: project.pingKey, canCreate: true } : null;
}

/** No `auth_key`, or one naming the project (its ping key or one of its API keys). */
async function authKeyAccepted(ctx: AppContext, query: PingQuery, pingKey: string): Promise<boolean> {
  const authKey = firstValue(query, 'auth_key')?.trim();
  if (!authKey || authKey === pingKey) return true;
  const access = await accessOfKey(ctx, authKey);
  return access?.pingKey === pingKey;
}

/**
 * The monitor a code names: the monitor with that ping token (unless the caller already knows there is none),
 * else the one with that key — in the project of `authKey` when given, else in any project, provided exactly one
 * has it. A string says why none was found.
 */
async function monitorOfCode(ctx: AppContext, code: string, authKey: string | undefined, byTokenToo: boolean): Promise<Monitor | string> {
  const byToken = byTokenToo ? await ctx.store.getMonitorByToken(code) : null;
  if (authKey !== undefined) {
    const access = await accessOfKey(ctx, authKey);
    if (!access) return 'auth_key is not an API key or ping key';
    if (byToken) return byToken.projectId === access.project?.id ? byToken : 'auth_key does not belong to this monitor\'s project';
    return (await ctx.store.getMonitorBySlug(access.pingKey, code)) ?? `no monitor with token or key "${code}"`;
  }
  if (byToken) return byToken;
  const matches = (await Promise.all((await ctx.store.listProjects()).map((p) => ctx.store.getMonitorBySlug(p.pingKey, code)))).filter((m): m is Monitor => m !== null);
  if (matches.length > 1) return `several projects have a monitor with key "${code}": add ?auth_key=<ping key> or use its ping token`;
  return matches[0] ?? `no monitor with token or key "${code}"`;
}

async function findOrCreate(ctx: AppContext, project: Project, key: string, type: MonitorType): Promise<Monitor | CronitorReply> {
  try {
    return await createMonitor(ctx, project.id, { name: key, key, type, ...AUTO_CREATE_SETTINGS });
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    if (err.code === 'validation_error') return { status: 400, text: err.message };
    if (err.code !== 'conflict') throw err;
    // A concurrent ping for the same key won the insert: ping the monitor it created.
    const winner = await ctx.store.getMonitorBySlug(project.pingKey, key);
    if (!winner) throw err;
    return winner;
  }
}

/** Records the ping of the monitor with ping token `token`; false when there is none. */
async function record(deps: CronitorDeps, token: string, kind: PingKind, params: PingParams, req: PingRequest): Promise<boolean> {
  const { msg, ...details } = params;
  const exitCode = kind === 'fail' && details.statusCode !== null && details.statusCode >= 0 && details.statusCode <= 255 ? details.statusCode : null;
  const outcome = await deps.ingestor.record({
    token,
    kind,
    exitCode,
    receivedAt: req.receivedAt,
    source: 'cronitor',
    method: req.method,
    ip: req.ip,
    userAgent: req.userAgent,
    body: req.body && req.body.length > 0 ? req.body.subarray(0, MAX_PING_BODY_BYTES) : null,
    msg,
    details: detailsOrNull(details),
  });
  return outcome.found;
}

const RECORDED: CronitorReply = { status: 200, text: 'OK' };

function notRecorded(why: string): CronitorReply {
  return { status: 200, text: `not recorded: ${why}` };
}

function readParams(query: PingQuery): PingParams | CronitorReply {
  try {
    return parsePingParams(query);
  } catch (err) {
    if (err instanceof AppError && err.code === 'validation_error') return { status: 400, text: err.message };
    throw err;
  }
}

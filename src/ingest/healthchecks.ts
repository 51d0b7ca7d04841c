/**
 * The healthchecks.io ping dialect: `/ping/<token>[/<action>]` and `/ping/<ping_key>/<slug>[/<action>]`, answered
 * the way a healthchecks server answers (text `OK`, `Created`, `not found`, `invalid url format`), so runitor,
 * healthchecks-io-client and curl scripts written for healthchecks work unchanged once aimed at Overdue.
 *
 * Turns a request into a PingInput for the PingIngestor; the state rules stay in the domain.
 */
import type { AppContext } from '../app/context.js';
import { createMonitor } from '../app/monitors.js';
import type { PingIngestor } from '../app/ping-ingestor.js';
import { AppError } from '../domain/errors.js';
import type { Monitor } from '../domain/monitor.js';
import { MAX_PING_BODY_BYTES, pingKindFromAction } from '../domain/ping.js';
import { parsePingParams, type PingParams, type PingQuery } from '../domain/ping-params.js';
import { detailsOrNull, firstValue, type PingRequest } from './request.js';

/** The monitor addressed by a `/ping/…` URL: its ping token, or its project's ping key and its key (slug). */
export type HealthchecksTarget = { token: string } | { pingKey: string; slug: string };

export interface HealthchecksPath {
  target: HealthchecksTarget;
  /** The action segment as sent (`start`, `fail`, `log`, an exit code, …); undefined or '' for a success. */
  action: string | undefined;
}

export interface TextReply {
  status: number;
  text: string;
}

/**
 * Settings of a monitor auto-created by `?create=1`: healthchecks' defaults for a new check (a ping expected
 * every day, one hour of grace). The key and name are the slug.
 */
export const AUTO_CREATE_SETTINGS = { expected_interval_sec: 86_400, grace_seconds: 3_600 } as const;

/**
 * Reads the one to three path segments after `/ping/`:
 * - `<a>` → token `a`, success;
 * - `<a>/<b>` → token `a` with action `b` when `b` looks like an action (see looksLikeAction), otherwise ping
 *   key `a` and slug `b` (a success). So a monitor whose key looks like an action or a number cannot be reached
 *   by `/ping/<ping_key>/<slug>` without an action — healthchecks has the same rule — but
 *   `/ping/<ping_key>/<slug>/<action>` and the token URLs still reach it;
 * - `<a>/<b>/<c>` → ping key `a`, slug `b`, action `c`.
 */
export function parseHealthchecksPath(a: string, b?: string, c?: string): HealthchecksPath {
  if (c !== undefined) return { target: { pingKey: a, slug: b ?? '' }, action: c };
  if (b === undefined || looksLikeAction(b)) return { target: { token: a }, action: b };
  return { target: { pingKey: a, slug: b }, action: undefined };
}

/**
 * True for a segment that is an action rather than a slug: empty (a trailing slash), any run of digits (an exit
 * code, even one over 255, which is then refused), or a word the domain maps to a ping kind (`start`, `fail`,
 * `log`, `ok`, and any kind added later).
 */
export function looksLikeAction(segment: string): boolean {
  return segment === '' || /^\d+$/.test(segment) || pingKindFromAction(segment) !== null;
}

export interface HealthchecksDeps {
  ctx: AppContext;
  ingestor: PingIngestor;
}

/**
 * Records one healthchecks-style ping and says how to answer it. Nothing is stored (and no monitor created)
 * when the action or a parameter is invalid:
 * - `200 OK` when recorded; `201 Created` when `?create=1` created the slug's monitor first;
 * - `400 invalid url format` for an unknown action or an exit code over 255, `400 <field>: <problem>` for a
 *   malformed parameter (`duration=-1`) or a slug that cannot be a monitor key;
 * - `404 not found` for an unknown token, ping key or slug.
 * A body longer than MAX_PING_BODY_BYTES is cut to its first MAX_PING_BODY_BYTES bytes (healthchecks keeps the
 * start of a long body, and refusing it would lose the job's completion).
 */
export async function ingestHealthchecksPing(deps: HealthchecksDeps, path: HealthchecksPath, req: PingRequest): Promise<TextReply> {
  const parsed = pingKindFromAction(path.action);
  if (!parsed) return { status: 400, text: 'invalid url format' };
  const params = readParams(req.query);
  if ('status' in params) return params;
  const { msg, ...details } = params;

  let token: string;
  let created = false;
  if ('token' in path.target) {
    token = path.target.token;
  } else {
    const found = await findOrCreate(deps.ctx, path.target.pingKey, path.target.slug, firstValue(req.query, 'create') === '1');
    if (found.kind === 'reply') return found.reply;
    token = found.monitor.pingToken;
    created = found.created;
  }

  const body = req.body && req.body.length > 0 ? req.body.subarray(0, MAX_PING_BODY_BYTES) : null;
  const outcome = await deps.ingestor.record({
    token,
    kind: parsed.kind,
    exitCode: parsed.exitCode,
    receivedAt: req.receivedAt,
    source: 'healthchecks',
    method: req.method,
    ip: req.ip,
    userAgent: req.userAgent,
    body,
    msg,
    details: detailsOrNull(details),
  });
  if (!outcome.found) return { status: 404, text: 'not found' };
  return created ? { status: 201, text: 'Created' } : { status: 200, text: 'OK' };
}

type Found = { kind: 'monitor'; monitor: Monitor; created: boolean } | { kind: 'reply'; reply: TextReply };

async function findOrCreate(ctx: AppContext, pingKey: string, slug: string, create: boolean): Promise<Found> {
  const existing = await ctx.store.getMonitorBySlug(pingKey, slug);
  if (existing) return { kind: 'monitor', monitor: existing, created: false };
  if (!create) return { kind: 'reply', reply: { status: 404, text: 'not found' } };
  const project = await ctx.store.getProjectByPingKey(pingKey);
  if (!project) return { kind: 'reply', reply: { status: 404, text: 'not found' } };
  try {
    const monitor = await createMonitor(ctx, project.id, { name: slug, key: slug, ...AUTO_CREATE_SETTINGS });
    return { kind: 'monitor', monitor, created: true };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    if (err.code === 'validation_error') return { kind: 'reply', reply: { status: 400, text: err.message } };
    if (err.code !== 'conflict') throw err;
    // A concurrent `?create=1` ping for the same slug won the insert: ping the monitor it created.
    const winner = await ctx.store.getMonitorBySlug(pingKey, slug);
    if (!winner) throw err;
    return { kind: 'monitor', monitor: winner, created: false };
  }
}

function readParams(query: PingQuery): PingParams | TextReply {
  try {
    return parsePingParams(query);
  } catch (err) {
    if (err instanceof AppError && err.code === 'validation_error') return { status: 400, text: err.message };
    throw err;
  }
}

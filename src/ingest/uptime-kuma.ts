/**
 * The Uptime Kuma push dialect: any method on `/api/push/<token>?status=up|down&msg=…&ping=…`, answered as Uptime
 * Kuma answers (`{"ok":true}`, or `404 {"ok":false,"msg":…}`), so a push URL copied from Kuma works once its host
 * and token are swapped for Overdue's.
 *
 * Turns a request into a PingInput for the PingIngestor; the state rules stay in the domain.
 */
import type { PingIngestor } from '../app/ping-ingestor.js';
import { MAX_PING_BODY_BYTES } from '../domain/ping.js';
import { parsePingParams } from '../domain/ping-params.js';
import { firstValue, type PingRequest } from './request.js';

export interface KumaReply {
  status: number;
  json: { ok: true } | { ok: false; msg: string };
}

/** Uptime Kuma's own bound for `ping`, in milliseconds. */
export const MAX_KUMA_PING_MS = 100_000_000_000;

export const KUMA_NOT_FOUND = 'Monitor not found or not active.';

/**
 * Records one push. As in Uptime Kuma:
 * - `status` absent, empty or `up` is a success; any other value (`down`, `fail`, …) a failure;
 * - `msg` is kept as the ping's message (trimmed, at most 1000 characters; none when absent);
 * - `ping` is read like `parseFloat(ping) || null` (so `""`, `0` and non-numbers mean "no value"); a number
 *   below 0 or over 1e11 ms is refused with 404. The value is kept as the ping's `duration`, in seconds.
 * A POST body (Kuma ignores it) is kept like a native ping's body.
 */
export async function ingestKumaPush(ingestor: PingIngestor, token: string, req: PingRequest): Promise<KumaReply> {
  const status = firstValue(req.query, 'status');
  const failed = status !== undefined && status !== '' && status !== 'up';
  const pingMs = Number.parseFloat(firstValue(req.query, 'ping') ?? '') || null;
  if (pingMs !== null && !(pingMs >= 0 && pingMs <= MAX_KUMA_PING_MS)) {
    return { status: 404, json: { ok: false, msg: `Invalid ping value: ${pingMs} (milliseconds from 0 to ${MAX_KUMA_PING_MS})` } };
  }
  // Only `msg` is read through the shared rules: Kuma has no other ping parameters, and a stray `duration` or
  // `metric` in a push URL must not turn a push into an error.
  const { msg, ...details } = parsePingParams({ msg: firstValue(req.query, 'msg') });
  const body = req.body && req.body.length > 0 ? req.body.subarray(0, MAX_PING_BODY_BYTES) : null;
  const outcome = await ingestor.record({
    token,
    kind: failed ? 'fail' : 'success',
    exitCode: null,
    receivedAt: req.receivedAt,
    source: 'uptime-kuma',
    method: req.method,
    ip: req.ip,
    userAgent: req.userAgent,
    body,
    msg,
    // 15 significant digits drop the binary noise of the division: 123.4 ms is 0.1234 s, not 0.12340000000000001.
    details: pingMs === null ? null : { ...details, duration: Number((pingMs / 1000).toPrecision(15)) },
  });
  if (!outcome.found) return { status: 404, json: { ok: false, msg: KUMA_NOT_FOUND } };
  return { status: 200, json: { ok: true } };
}

/** A received signal, in the shape every ingest dialect produces. */

/**
 * `ok` is a manual reset: the monitor is up again, without a recovery alert (Cronitor's state=ok).
 * `progress` is a sign of life from an open run: it pushes back the run's `inactivity_timeout`.
 */
export const PING_KINDS = ['success', 'start', 'fail', 'log', 'ok', 'progress'] as const;
export type PingKind = (typeof PING_KINDS)[number];

/** The largest ping body and `msg` we keep; larger requests are refused (413) rather than silently cut. */
export const MAX_PING_BODY_BYTES = 100 * 1024;

export interface PingInput {
  token: string;
  kind: PingKind;
  /** 0–255 when the client sent an exit code. */
  exitCode: number | null;
  receivedAt: Date;
  /** Which ping dialect carried it (`native`, `healthchecks`, …). */
  source: string;
  method: string;
  ip: string | null;
  userAgent: string | null;
  body: Buffer | null;
  msg: string | null;
  /** Reported details (host, run id, exit code, duration, env, release, metrics); null when none were sent. */
  details: PingDetails | null;
}

export interface PingMetric {
  name: string;
  value: number;
}

/** The ping parameters kept with a ping besides `msg` (parsed by ping-params.ts). */
export interface PingDetails {
  host: string | null;
  /** The run id pairing a start with its completion: `series`, else `rid`, else `check_in_id`. Opaque. */
  series: string | null;
  /** The task's exit code. */
  statusCode: number | null;
  /** Seconds, fractions allowed, never negative. */
  duration: number | null;
  env: string | null;
  release: string | null;
  /** Every `metric` parameter in the order given; duplicates are kept (a consumer wanting one value takes the last). */
  metrics: PingMetric[];
}

export interface PingRecord {
  id: number;
  monitorId: string;
  receivedAt: Date;
  kind: PingKind;
  exitCode: number | null;
  source: string;
  method: string;
  ip: string | null;
  userAgent: string | null;
  bodySize: number;
  /** The body's first characters as UTF-8 text, for lists; the full body has its own endpoint. */
  bodyPreview: string | null;
  msg: string | null;
  details: PingDetails | null;
}

export const BODY_PREVIEW_CHARS = 200;

/** Maps the URL's action segment to a ping kind: `start`, `fail`, `log`, `ok`, `progress`, or an exit code 0–255. */
export function pingKindFromAction(action: string | undefined): { kind: PingKind; exitCode: number | null } | null {
  if (action === undefined || action === '') return { kind: 'success', exitCode: null };
  if (action === 'start' || action === 'fail' || action === 'log' || action === 'ok' || action === 'progress') return { kind: action, exitCode: null };
  if (/^\d{1,3}$/.test(action)) {
    const code = Number(action);
    if (code > 255) return null;
    return { kind: code === 0 ? 'success' : 'fail', exitCode: code };
  }
  return null;
}

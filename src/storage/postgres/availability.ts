/**
 * Telling "the database cannot be reached right now" apart from every other failure, so that a node whose
 * database restarts answers 503 (retry later) instead of 500 (a bug), and keeps running until it is back.
 */
import { AppError } from '../../domain/errors.js';

/** Socket-level failures: refused, reset, timed out, unresolvable. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * SQLSTATEs of a server that is going away, starting up or full: class 08 (connection exception),
 * 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 53300 too_many_connections.
 */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** What node-postgres says when a connection drops mid-use or cannot be had in time. */
const DRIVER_MESSAGES = [/^Connection terminated/, /^Client has encountered a connection error/, /^timeout exceeded when trying to connect/, /^Connection timeout/i];

/** True when `err` means the database is unreachable or restarting, not that the statement was wrong. */
export function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.has(code) || code.startsWith('08'))) return true;
  if (err instanceof AggregateError) return err.errors.some(isUnavailable); // a host name with several addresses
  return DRIVER_MESSAGES.some((re) => re.test(err.message));
}

export const UNAVAILABLE_MESSAGE = 'the database is unavailable; try again shortly';

/** `err` as AppError('unavailable') when the database could not be reached, else unchanged. */
export function unavailableOr(err: unknown): unknown {
  if (err instanceof AppError || !isUnavailable(err)) return err;
  const e = new AppError('unavailable', UNAVAILABLE_MESSAGE);
  e.cause = err;
  return e;
}

/**
 * Wraps an object whose async methods talk to the database so that every rejection caused by an unreachable
 * database becomes AppError('unavailable'); results and other errors pass through untouched. One wrapper
 * rather than a catch in each of the store's methods, so a method added later cannot forget it.
 */
export function withUnavailableErrors<T extends object>(target: T): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value: unknown = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(obj, args);
        return result instanceof Promise
          ? result.catch((err: unknown) => {
              throw unavailableOr(err);
            })
          : result;
      };
    },
  });
}

/** What every HTTP ping dialect reads from a request, without Fastify types (so dialects stay testable alone). */
import type { PingDetails } from '../domain/ping.js';
import type { PingQuery } from '../domain/ping-params.js';

export interface PingRequest {
  /** Read once per request (STYLE.md habit 12). */
  receivedAt: Date;
  method: string;
  ip: string | null;
  userAgent: string | null;
  /** The raw body, or null when the request had none. */
  body: Buffer | null;
  query: PingQuery;
}

/** The first value of a query parameter as the client sent it (untrimmed), or undefined. */
export function firstValue(query: PingQuery, key: string): string | undefined {
  const raw = Object.hasOwn(query, key) ? query[key] : undefined;
  const value = Array.isArray(raw) ? raw[0] : raw;
  return typeof value === 'string' ? value : undefined;
}

/** The details, or null when the client reported none (every field null, no metrics): most pings carry none. */
export function detailsOrNull(details: PingDetails): PingDetails | null {
  return Object.values(details).some((v) => (Array.isArray(v) ? v.length > 0 : v !== null)) ? details : null;
}

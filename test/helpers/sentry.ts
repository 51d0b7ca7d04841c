/** Helpers for the Sentry dialect's tests: the project's DSN parts, envelope bodies, raw HTTP requests. */
import { request } from 'node:http';
import type { TestServer } from './server.js';

export interface SentryProject {
  /** As GET /v1/project shows it (built from OVERDUE_BASE_URL). */
  dsn: string;
  publicKey: string;
  projectId: string;
  pingKey: string;
  /** The same DSN aimed at the listening test server. */
  localDsn: string;
}

export async function sentryProject(s: TestServer): Promise<SentryProject> {
  const p = (await s.api('GET', '/v1/project')).json;
  const dsn = new URL(p.sentry_dsn);
  const projectId = dsn.pathname.split('/').at(-1) ?? '';
  const local = new URL(s.url);
  return { dsn: p.sentry_dsn, publicKey: dsn.username, projectId, pingKey: p.ping_key, localDsn: `http://${dsn.username}@${local.host}/${projectId}` };
}

export interface Item {
  type: string;
  payload: unknown;
  /** Put `length` in the item header (sentry-cli does; the JS SDK does not). */
  withLength?: boolean;
  /** Extra item header fields. */
  headers?: Record<string, unknown>;
}

/** An envelope body: a header line, then per item a header line and its JSON payload. */
export function envelope(header: Record<string, unknown>, items: Item[], trailingNewline = false): Buffer {
  const lines = [JSON.stringify(header)];
  for (const item of items) {
    const payload = typeof item.payload === 'string' ? item.payload : JSON.stringify(item.payload);
    const length = item.withLength ? { length: Buffer.byteLength(payload) } : {};
    lines.push(JSON.stringify({ type: item.type, ...length, ...item.headers }), payload);
  }
  return Buffer.from(lines.join('\n') + (trailingNewline ? '\n' : ''));
}

/** A check_in item; it gets a fresh check_in_id unless `fields` has the key (`check_in_id: undefined` sends none). */
export function checkIn(slug: string, status: string, fields: Record<string, unknown> = {}): Item {
  return { type: 'check_in', payload: { check_in_id: 'check_in_id' in fields ? fields.check_in_id : randomHex(), monitor_slug: slug, status, ...fields } };
}

export function randomHex(): string {
  return Array.from({ length: 32 }, () => Math.floor(Math.random() * 16).toString(16)).join('');
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One HTTP request over a real socket. With `chunked`, the body goes out with `Transfer-Encoding: chunked` in
 * several writes and no Content-Length, as the JS SDK sends it; otherwise with a Content-Length.
 */
export function rawRequest(url: string, options: { method?: string; headers?: Record<string, string>; body?: Buffer; chunked?: boolean } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const body = options.body;
    const headers: Record<string, string> = { ...options.headers };
    if (body && !options.chunked) headers['content-length'] = String(body.length);
    const req = request(url, { method: options.method ?? 'POST', headers, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    if (body && options.chunked) {
      const third = Math.ceil(body.length / 3);
      for (let i = 0; i < body.length; i += third) req.write(body.subarray(i, i + third));
    } else if (body) {
      req.write(body);
    }
    req.end();
  });
}

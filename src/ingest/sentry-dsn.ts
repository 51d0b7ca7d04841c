/**
 * How an Overdue project appears to Sentry clients: its DSN, and reading the credentials a Sentry client sends.
 *
 * A DSN is `<scheme>://<public_key>@<host>[/<path>]/<project_id>`. Sentry's SDKs accept only `\w+` as the public
 * key and digits as the project id (the JS SDK's DSN check), so neither can be the project's own strings:
 * - the public key is the project's ping key written in hex (`pk_…` → `706b5f…`): reversible, so a check-in finds
 *   its project without any stored mapping, and made only of `[0-9a-f]`;
 * - the project id is a 9-digit number derived from the project's id by a hash: stable, never stored, and
 *   checked against the key's project the way Relay checks it (a mismatch is refused).
 */
import { createHash } from 'node:crypto';
import type { Project } from '../storage/store.js';

const HEX = /^(?:[0-9a-f]{2})+$/i;

/** The DSN public key for a ping key: its UTF-8 bytes in lower-case hex. */
export function sentryPublicKey(pingKey: string): string {
  return Buffer.from(pingKey, 'utf8').toString('hex');
}

/**
 * The ping key a Sentry key stands for: the hex-decoded DSN public key, or the ping key itself when the client
 * sent that (a hand-written `/api/<id>/cron/<slug>/<ping_key>/` URL). Ping keys contain `_`, so they are never
 * mistaken for hex.
 */
export function pingKeyOfSentryKey(key: string): string {
  return HEX.test(key) ? Buffer.from(key, 'hex').toString('utf8') : key;
}

/** The numeric project id Sentry clients see for a project: 9 digits (100000000–999999999), derived from its id. */
export function sentryProjectId(projectId: string): string {
  const digest = createHash('sha256').update(`overdue-sentry-project:${projectId}`, 'utf8').digest();
  return String(100_000_000 + (digest.readUInt32BE(0) % 900_000_000));
}

/**
 * The project's DSN under the public base URL. A path in the base URL is kept, as Sentry's SDKs keep it
 * (`https://h/overdue` → `https://<key>@h/overdue/<id>`, posting to `/overdue/api/<id>/envelope/`).
 */
export function sentryDsn(baseUrl: string, project: Pick<Project, 'id' | 'pingKey'>): string {
  const url = new URL(baseUrl);
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${sentryPublicKey(project.pingKey)}@${url.host}${path}/${sentryProjectId(project.id)}`;
}

/**
 * The `sentry_key` of an `X-Sentry-Auth` (or `Authorization`) header such as
 * `Sentry sentry_key=abc, sentry_version=7, sentry_client=sentry-cli/x86_64`; null when the header is absent,
 * is not a `Sentry` header, or has no key.
 */
export function sentryKeyOfAuthHeader(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^\s*sentry\s+(.*)$/is.exec(header);
  if (!match) return null;
  for (const part of (match[1] ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim().toLowerCase() === 'sentry_key') return part.slice(eq + 1).trim() || null;
  }
  return null;
}

/** The public key and project id of a DSN string (an envelope header's `dsn`); null when it is not a DSN. */
export function parseDsn(dsn: unknown): { publicKey: string; projectId: string } | null {
  if (typeof dsn !== 'string') return null;
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    return null;
  }
  const projectId = url.pathname.split('/').filter(Boolean).at(-1);
  const publicKey = decodeURIComponent(url.username);
  return publicKey && projectId ? { publicKey, projectId } : null;
}

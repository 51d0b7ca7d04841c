/**
 * What the ping journal holds per ping: everything `recordPings` needs to apply it again (the PingInput,
 * body and details included, and its received-at instant) plus the ping id it was acknowledged with.
 * Encoding: u32 length of a JSON array, the array, then the body bytes.
 */
import type { PingDetails, PingInput, PingKind } from '../../domain/ping.js';

export interface JournaledPing {
  pingId: number;
  ping: PingInput;
}

type Head = [number, string, PingKind, number | null, number, string, string, string | null, string | null, string | null, PingDetails | null, 0 | 1];

export function encodeJournaledPing(pingId: number, p: PingInput): Buffer {
  const head: Head = [pingId, p.token, p.kind, p.exitCode, p.receivedAt.getTime(), p.source, p.method, p.ip, p.userAgent, p.msg, p.details, p.body === null ? 0 : 1];
  const json = Buffer.from(JSON.stringify(head));
  const bodyLength = p.body?.length ?? 0;
  const out = Buffer.allocUnsafe(4 + json.length + bodyLength);
  out.writeUInt32LE(json.length, 0);
  json.copy(out, 4);
  if (p.body) p.body.copy(out, 4 + json.length);
  return out;
}

export function decodeJournaledPing(payload: Buffer): JournaledPing {
  const jsonLength = payload.readUInt32LE(0);
  const [pingId, token, kind, exitCode, receivedAt, source, method, ip, userAgent, msg, details, hasBody] = JSON.parse(payload.toString('utf8', 4, 4 + jsonLength)) as Head;
  const body = hasBody ? Buffer.from(payload.subarray(4 + jsonLength)) : null;
  return { pingId, ping: { token, kind, exitCode, receivedAt: new Date(receivedAt), source, method, ip, userAgent, body, msg, details } };
}

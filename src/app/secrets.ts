/** Identifiers and secrets. Secrets carry ≥ 192 random bits; ids are random too so they reveal no counts. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const random = (bytes: number): string => randomBytes(bytes).toString('base64url');

export const newId = (prefix: 'mon' | 'prj' | 'key' | 'chn' | 'rul' | 'lst'): string => `${prefix}_${random(12)}`;
export const newPingToken = (): string => `mping_${random(24)}`;
export const newPingKey = (): string => `pk_${random(24)}`;
export const newApiKeySecret = (): string => `odk_${random(32)}`;

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex digests of equal length. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

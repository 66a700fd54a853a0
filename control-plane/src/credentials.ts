/**
 * Bearer credentials: the admin token, join tokens and node tokens. Every
 * secret is 256 random bits, so a SHA-256 of it is safe to store (no slow hash
 * needed) and comparisons are constant-time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { AuthError } from '../../common/errors.js';
import { newId, newSecret } from '../../common/ids.js';

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function secretMatches(secret: string, expectedHash: string): boolean {
  const actual = Buffer.from(hashSecret(secret), 'hex');
  const expected = Buffer.from(expectedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** `<id>.<secret>`: the id finds the record, the secret proves possession. */
export interface SplitToken {
  id: string;
  secret: string;
}

export function makeToken(prefix: string): { token: string; id: string; secretHash: string } {
  const id = newId(prefix);
  const secret = newSecret();
  return { token: `${id}.${secret}`, id, secretHash: hashSecret(secret) };
}

export function splitToken(token: string, prefix: string, what: string): SplitToken {
  const dot = token.indexOf('.');
  const id = dot > 0 ? token.slice(0, dot) : '';
  const secret = dot > 0 ? token.slice(dot + 1) : '';
  if (!id.startsWith(`${prefix}_`) || !/^[a-z]+_[0-9a-z]{19}$/.test(id) || secret.length < 20) {
    throw new AuthError(`${what} is malformed`);
  }
  return { id, secret };
}

export function bearerToken(metadataValue: unknown): string {
  const text = typeof metadataValue === 'string' ? metadataValue : Buffer.isBuffer(metadataValue) ? metadataValue.toString() : '';
  const match = /^Bearer\s+(\S+)$/i.exec(text.trim());
  if (!match) throw new AuthError('missing bearer token: pass --token or set FLEET_TOKEN');
  return match[1]!;
}

import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * Ids that sort by creation time (a base-36 millisecond clock, then 64 random
 * bits), so listings come out in submission order without an index.
 * They are valid NATS subject tokens and KV keys.
 */
export function newId(prefix: string, now: number = Date.now()): string {
  const time = now.toString(36).padStart(9, '0');
  const bytes = randomBytes(10);
  let random = '';
  for (const byte of bytes) random += ALPHABET[byte % 36];
  return `${prefix}_${time}${random}`;
}

/** What an id from `newId` looks like; checked before an id is used as a KV key or a subject. */
export const ID_PATTERN = /^[a-z]{1,8}_[0-9a-z]{19}$/;

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

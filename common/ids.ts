import { randomBytes } from 'node:crypto';
import { ValidationError } from './errors.js';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * Random bytes for ids, drawn from a pool refilled 4 KiB at a time: one
 * system call per 400 ids instead of one per id (ids name things; they are
 * not secrets: `newSecret` draws its own).
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;
function randomPart(n: number): Buffer {
  if (poolOffset + n > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolOffset = 0;
  }
  poolOffset += n;
  return pool.subarray(poolOffset - n, poolOffset);
}

/**
 * Ids that sort by creation time (a base-36 millisecond clock, then 64 random
 * bits), so listings come out in submission order without an index.
 * They are valid NATS subject tokens and KV keys.
 */
export function newId(prefix: string, now: number = Date.now()): string {
  const time = now.toString(36).padStart(9, '0');
  const bytes = randomPart(10);
  let random = '';
  for (const byte of bytes) random += ALPHABET[byte % 36];
  return `${prefix}_${time}${random}`;
}

/** What an id from `newId` looks like; checked before an id is used as a KV key or a subject. */
export const ID_PATTERN = /^[a-z]{1,8}_[0-9a-z]{19}$/;

/**
 * An id of one kind (`task`, `att`) exactly as `newId` makes it, or a
 * ValidationError naming the field. A node turns attempt ids into
 * directories and container names: an id from the wire that is anything
 * else (`../..`, a slash, a dot) never gets that far.
 */
export function checkId(field: string, id: string, prefix: string): string {
  if (!ID_PATTERN.test(id) || !id.startsWith(`${prefix}_`)) {
    const what = prefix === 'att' ? 'an attempt' : prefix === 'rst' ? 'a restart request' : `a ${prefix}`;
    throw new ValidationError(field, `${JSON.stringify(id.slice(0, 40))} is not ${what} id (${prefix}_ and 19 lowercase letters or digits)`);
  }
  return id;
}

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Join tokens: made by an admin, with a TTL and a use limit, stored hashed.
 * A node exchanges one once for its own identity. Using a token is a CAS on
 * its use count, so two nodes racing for its last use cannot both win.
 */
import { AuthError, ValidationError } from '../../common/errors.js';
import type { Clock } from '../../common/clock.js';
import { makeToken, secretMatches, splitToken } from './credentials.js';
import type { KvRecords } from './store/kv-records.js';
import type { JoinTokenRecord } from './store/records.js';

export const JOIN_TOKEN_PREFIX = 'join';
export const DEFAULT_JOIN_TOKEN_TTL_MS = 24 * 3_600_000;
export const MAX_JOIN_TOKEN_TTL_MS = 365 * 86_400_000;
export const DEFAULT_JOIN_TOKEN_USES = 1;
export const MAX_JOIN_TOKEN_USES = 100_000;

export class JoinTokens {
  constructor(
    private readonly records: KvRecords<JoinTokenRecord>,
    private readonly clock: Clock,
  ) {}

  async create(ttlMs: number, maxUses: number): Promise<{ token: string; record: JoinTokenRecord }> {
    if (!Number.isInteger(ttlMs) || ttlMs < 0 || ttlMs > MAX_JOIN_TOKEN_TTL_MS) {
      throw new ValidationError('ttl_ms', `must be between 0 (the default, 24h) and ${MAX_JOIN_TOKEN_TTL_MS}, got ${ttlMs}`);
    }
    if (!Number.isInteger(maxUses) || maxUses < 0 || maxUses > MAX_JOIN_TOKEN_USES) {
      throw new ValidationError('max_uses', `must be between 0 (the default, 1) and ${MAX_JOIN_TOKEN_USES}, got ${maxUses}`);
    }
    const now = this.clock.now();
    const { token, id, secretHash } = makeToken(JOIN_TOKEN_PREFIX);
    const record: JoinTokenRecord = {
      id,
      secretHash,
      createdAtMs: now,
      expiresAtMs: now + (ttlMs || DEFAULT_JOIN_TOKEN_TTL_MS),
      maxUses: maxUses || DEFAULT_JOIN_TOKEN_USES,
      uses: 0,
    };
    await this.records.create(id, record);
    return { token, record };
  }

  /** Spends one use of the token, or throws AuthError saying why it is refused. */
  async consume(token: string): Promise<JoinTokenRecord> {
    const { id, secret } = splitToken(token, JOIN_TOKEN_PREFIX, 'join token');
    const refused = new AuthError('join token is not valid: ask an admin for a new one (fleetctl token create)');
    const existing = await this.records.get(id);
    if (!existing || !secretMatches(secret, existing.value.secretHash)) throw refused;
    const { record } = await this.records.modify(id, (current) => {
      if (this.clock.now() >= current.expiresAtMs) throw new AuthError('join token has expired: ask an admin for a new one (fleetctl token create)');
      if (current.uses >= current.maxUses) throw new AuthError('join token has been used up: ask an admin for a new one (fleetctl token create)');
      return { ...current, uses: current.uses + 1 };
    });
    return record.value;
  }
}

/**
 * Join tokens: made by an admin, short-lived, with a use limit, stored
 * hashed. A node exchanges one once for its certificate. Using a token is a
 * CAS on its use count, so two nodes racing for its last use cannot both win.
 *
 * The token a person copies is `<id>.<secret>.<CA fingerprint>`: the node
 * checks the control plane's CA against the fingerprint before it sends the
 * secret (kubeadm's discovery-token-ca-cert-hash, folded into the token).
 */
import { AuthError, NotFoundError, ValidationError } from '../../common/errors.js';
import type { Clock } from '../../common/clock.js';
import { MAX_SLOTS } from '../../common/node-info.js';
import { makeToken, secretMatches, splitToken } from './credentials.js';
import type { KvRecords } from './store/kv-records.js';
import type { JoinTokenRecord } from './store/records.js';

export const JOIN_TOKEN_PREFIX = 'join';
export const DEFAULT_JOIN_TOKEN_TTL_MS = 3_600_000;
/** A join token is a bootstrap secret, not a credential to keep: a week at most. */
export const MAX_JOIN_TOKEN_TTL_MS = 7 * 86_400_000;
export const DEFAULT_JOIN_TOKEN_USES = 1;
export const MAX_JOIN_TOKEN_USES = 1_000;

export class JoinTokens {
  constructor(
    private readonly records: KvRecords<JoinTokenRecord>,
    private readonly clock: Clock,
    /** SHA-256 of the fleet CA certificate, hex: carried in every token. */
    private readonly caFingerprint: string,
  ) {}

  async create(ttlMs: number, maxUses: number, labels: Record<string, string> = {}, maxSlots = 0): Promise<{ token: string; record: JoinTokenRecord }> {
    if (!Number.isInteger(ttlMs) || ttlMs < 0 || ttlMs > MAX_JOIN_TOKEN_TTL_MS) {
      throw new ValidationError('ttl_ms', `must be between 0 (the default, 1h) and ${MAX_JOIN_TOKEN_TTL_MS} (7 days), got ${ttlMs}`);
    }
    if (!Number.isInteger(maxUses) || maxUses < 0 || maxUses > MAX_JOIN_TOKEN_USES) {
      throw new ValidationError('max_uses', `must be between 0 (the default, 1) and ${MAX_JOIN_TOKEN_USES}, got ${maxUses}`);
    }
    if (!Number.isInteger(maxSlots) || maxSlots < 0 || maxSlots > MAX_SLOTS) {
      throw new ValidationError('max_slots', `must be between 0 (what the node offers at enrollment) and ${MAX_SLOTS}, got ${maxSlots}`);
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
      labels,
      maxSlots,
    };
    await this.records.create(id, record);
    return { token: `${token}.${this.caFingerprint}`, record };
  }

  /**
   * The token's record if the token is one (right CA, right secret), without
   * spending a use: what enrollment checks before it answers anything else.
   */
  async verify(token: string): Promise<JoinTokenRecord> {
    const { id, secret, pin } = parseJoinToken(token);
    if (pin !== this.caFingerprint) throw new AuthError('join token was made for another fleet CA: ask an admin of this fleet for one (fleetctl token create)');
    const existing = await this.records.get(id);
    if (!existing || !secretMatches(secret, existing.value.secretHash)) throw new AuthError('join token is not valid: ask an admin for a new one (fleetctl token create)');
    return existing.value;
  }

  /** Spends one use of the token, or throws AuthError saying why it is refused. */
  async consume(token: string): Promise<JoinTokenRecord> {
    const { id } = await this.verify(token);
    const refused = new AuthError('join token is not valid: ask an admin for a new one (fleetctl token create)');
    try {
      const { record } = await this.records.modify(id, (current) => {
        if (this.clock.now() >= current.expiresAtMs) throw new AuthError('join token has expired: ask an admin for a new one (fleetctl token create)');
        if (current.uses >= current.maxUses) throw new AuthError('join token has been used up: ask an admin for a new one (fleetctl token create)');
        return { ...current, uses: current.uses + 1 };
      });
      return record.value;
    } catch (err) {
      // Revoked between the read and the use.
      if (err instanceof NotFoundError) throw refused;
      throw err;
    }
  }

  /** Every token, newest first, without secrets. */
  async list(): Promise<JoinTokenRecord[]> {
    return (await this.records.list()).map((r) => r.value).sort((a, b) => b.createdAtMs - a.createdAtMs || a.id.localeCompare(b.id));
  }

  /** Removes the token: it enrolls no node from now on. */
  async revoke(tokenId: string): Promise<JoinTokenRecord> {
    if (!/^join_[0-9a-z]{19}$/.test(tokenId)) throw new ValidationError('token_id', `"${tokenId.slice(0, 64)}" is not a join token id (fleetctl token list shows them)`);
    const existing = await this.records.get(tokenId);
    if (!existing) throw new NotFoundError(`join token ${tokenId} not found (fleetctl token list shows the tokens)`);
    await this.records.delete(tokenId);
    return existing.value;
  }
}

/** `<id>.<secret>.<fingerprint>`, checked for shape; AuthError otherwise. */
export function parseJoinToken(token: string): { id: string; secret: string; pin: string } {
  const parts = token.split('.');
  if (parts.length !== 3 || !/^[0-9a-f]{64}$/.test(parts[2]!)) throw new AuthError('join token is malformed: it is ID.SECRET.CA-FINGERPRINT, as fleetctl token create prints it');
  const { id, secret } = splitToken(`${parts[0]}.${parts[1]}`, JOIN_TOKEN_PREFIX, 'join token');
  return { id, secret, pin: parts[2]! };
}

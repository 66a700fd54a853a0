/**
 * Access tokens: how people and programs call FleetService. Each has a
 * unique name (the actor in the audit trail), a role and an optional expiry;
 * it is shown once and stored as a SHA-256 of its 256-bit secret. Every
 * replica keeps a live copy of the bucket, so checking a token costs no
 * store round trip, and a revocation reaches every replica as fast as the
 * KV watch does.
 *
 * The bootstrap admin token (DATA_DIR/admin.token or FLEET_ADMIN_TOKEN) is
 * stored here on the fleet's first start as the token named "bootstrap".
 * From then on the store decides: rotating or revoking it takes effect on
 * every replica, and a replica started with an old copy does not bring it
 * back.
 */
import { AlreadyExistsError, AuthError, ConflictError, NotFoundError, PreconditionError, ValidationError } from '../../../common/errors.js';
import type { Clock } from '../../../common/clock.js';
import type { Logger } from '../../../common/logger.js';
import { newSecret } from '../../../common/ids.js';
import { hashSecret, makeToken, secretMatches, splitToken } from '../credentials.js';
import type { KvRecords, RecordChange } from '../store/kv-records.js';
import { LiveView } from '../store/live-view.js';
import type { AccessTokenRecord } from '../store/records.js';
import { scopeOf, storedRole, type Principal, type Role } from './roles.js';

export const ACCESS_TOKEN_PREFIX = 'at';
export const BOOTSTRAP_TOKEN_NAME = 'bootstrap';
export const ACCESS_TOKEN_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** A token lives at most a year; 0 (no expiry) is allowed but listed as such. */
export const MAX_ACCESS_TOKEN_TTL_MS = 366 * 86_400_000;

export function checkAccessTokenName(field: string, name: unknown): string {
  const text = String(name ?? '');
  if (!ACCESS_TOKEN_NAME_PATTERN.test(text)) throw new ValidationError(field, `"${text.slice(0, 64)}" is not a token name: lower-case letters, digits, "-" and "_", at most 63, starting with a letter or digit`);
  return text;
}

export class AccessTokens {
  private readonly byName = new Map<string, AccessTokenRecord>();
  private readonly byId = new Map<string, AccessTokenRecord>();
  /** The revision each name was last seen at: the watch must not bring back an older state this replica already wrote past. */
  private readonly revisions = new Map<string, number>();
  private view: LiveView<AccessTokenRecord> | undefined;

  constructor(
    private readonly records: KvRecords<AccessTokenRecord>,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const apply = (change: RecordChange<AccessTokenRecord>) => {
      if ((this.revisions.get(change.key) ?? 0) > change.revision) return;
      this.revisions.set(change.key, change.revision);
      const old = this.byName.get(change.key);
      if (old) this.byId.delete(old.id);
      if (change.deleted) {
        this.byName.delete(change.key);
        return;
      }
      this.byName.set(change.key, change.value);
      this.byId.set(change.value.id, change.value);
    };
    this.view = new LiveView(this.records, {
      reset: (snapshot) => {
        this.byName.clear();
        this.byId.clear();
        this.revisions.clear();
        for (const change of snapshot) apply(change);
      },
      change: apply,
    }, this.log);
    await this.view.start();
  }

  stop(): void {
    this.view?.stop();
  }

  /**
   * Stores the bootstrap admin token if the fleet has none yet (its first
   * start). Says whether the given one is the one the fleet accepts.
   */
  async seedBootstrap(token: string): Promise<'stored' | 'accepted' | 'not-accepted'> {
    const now = this.clock.now();
    const record: AccessTokenRecord = { name: BOOTSTRAP_TOKEN_NAME, id: BOOTSTRAP_TOKEN_NAME, secretHash: hashSecret(token), role: 'admin', createdAtMs: now, expiresAtMs: 0, createdBy: 'first start', revokedAtMs: 0, rotatedAtMs: 0 };
    try {
      await this.records.create(BOOTSTRAP_TOKEN_NAME, record);
      return 'stored';
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
    const stored = (await this.records.get(BOOTSTRAP_TOKEN_NAME))?.value;
    return stored && !stored.revokedAtMs && secretMatches(token, stored.secretHash) ? 'accepted' : 'not-accepted';
  }

  /** The caller a bearer token names, or AuthError saying why not. */
  async authenticate(token: string): Promise<Principal> {
    // Made only when needed: an Error and its stack on every call cost more than the check itself.
    const refused = () => new AuthError('access token is not valid: check --token-file or FLEET_TOKEN (an admin makes tokens with fleetctl access-token create)');
    let record: AccessTokenRecord | undefined;
    let secret = token;
    if (token.startsWith(`${ACCESS_TOKEN_PREFIX}_`)) {
      let split: { id: string; secret: string };
      try {
        split = splitToken(token, ACCESS_TOKEN_PREFIX, 'access token');
      } catch {
        throw refused();
      }
      secret = split.secret;
      // A token made a moment ago on another replica may not have reached this one's view yet.
      record = this.byId.get(split.id) ?? (await this.records.list((r) => r.id === split.id, 1))[0]?.value;
    } else {
      record = this.byName.get(BOOTSTRAP_TOKEN_NAME) ?? (await this.records.get(BOOTSTRAP_TOKEN_NAME))?.value;
    }
    if (!record || !secretMatches(secret, record.secretHash)) throw refused();
    // Only a holder of the secret learns why a real token is refused.
    if (record.revokedAtMs) throw new AuthError(`access token "${record.name}" was revoked: ask an admin for a new one (fleetctl access-token create)`);
    if (record.expiresAtMs && this.clock.now() >= record.expiresAtMs) {
      throw new AuthError(`access token "${record.name}" expired at ${new Date(record.expiresAtMs).toISOString()}: ask an admin for a new one (fleetctl access-token create)`);
    }
    const scope = scopeOf(record);
    // A record whose role and team disagree was not written by this code: refused, not read as unscoped.
    if (!scope) throw new AuthError(`access token "${record.name}" has a role and a team scope that do not agree: ask an admin for a new one`);
    return { name: record.name, ...scope };
  }

  /** `team`: scope the token to that team's tasks ('' = every team); the caller checked the team exists. */
  async create(name: string, role: Role, ttlMs: number, createdBy: string, team = ''): Promise<{ token: string; record: AccessTokenRecord }> {
    checkAccessTokenName('name', name);
    const storedAs = storedRole(role, team);
    if (name === BOOTSTRAP_TOKEN_NAME) throw new ValidationError('name', `"${BOOTSTRAP_TOKEN_NAME}" is the bootstrap admin token's name: choose another (or rotate it: fleetctl access-token rotate bootstrap)`);
    if (!Number.isInteger(ttlMs) || ttlMs < 0 || ttlMs > MAX_ACCESS_TOKEN_TTL_MS) {
      throw new ValidationError('ttl_ms', `must be between 0 (no expiry) and ${MAX_ACCESS_TOKEN_TTL_MS} (366 days), got ${ttlMs}`);
    }
    const now = this.clock.now();
    const made = makeToken(ACCESS_TOKEN_PREFIX);
    const record: AccessTokenRecord = { name, id: made.id, secretHash: made.secretHash, role: storedAs, createdAtMs: now, expiresAtMs: ttlMs ? now + ttlMs : 0, createdBy, revokedAtMs: 0, rotatedAtMs: 0, ...(team ? { team } : {}) };
    const existing = await this.records.get(name);
    if (existing && !existing.value.revokedAtMs) throw new AlreadyExistsError(`access token "${name}" already exists: choose another name, or revoke it first (fleetctl access-token revoke ${name})`);
    // A revoked token's name may be used again; the audit trail keeps the old one's history.
    const stored = existing
      ? await this.records.update(name, record, existing.revision)
      : await this.records.create(name, record).catch((err: unknown) => {
          throw err instanceof ConflictError ? new AlreadyExistsError(`access token "${name}" already exists: choose another name`) : err;
        });
    this.learn(record, stored.revision);
    this.log.info({ accessToken: name, role, ...(team ? { team } : {}), expiresAtMs: record.expiresAtMs, by: createdBy }, 'access token created');
    return { token: made.token, record };
  }

  /** A new secret for the same name and role; the old secret is refused from now on. */
  async rotate(name: string, by: string): Promise<{ token: string; record: AccessTokenRecord }> {
    checkAccessTokenName('name', name);
    let token = '';
    const { record, revision } = await this.modifyExisting(name, (current) => {
      if (current.revokedAtMs) throw new PreconditionError(`access token "${name}" was revoked: create a new one instead (fleetctl access-token create)`);
      let next: Pick<AccessTokenRecord, 'id' | 'secretHash'>;
      if (current.id === BOOTSTRAP_TOKEN_NAME) {
        token = `fleet_admin_${newSecret()}`;
        next = { id: BOOTSTRAP_TOKEN_NAME, secretHash: hashSecret(token) };
      } else {
        const secret = newSecret();
        token = `${current.id}.${secret}`;
        next = { id: current.id, secretHash: hashSecret(secret) };
      }
      return { ...current, ...next, rotatedAtMs: this.clock.now() };
    });
    this.learn(record, revision);
    this.log.info({ accessToken: name, by }, 'access token rotated');
    return { token, record };
  }

  async revoke(name: string, by: string): Promise<AccessTokenRecord> {
    checkAccessTokenName('name', name);
    const { record, revision } = await this.modifyExisting(name, (current) => (current.revokedAtMs ? null : { ...current, revokedAtMs: this.clock.now() }));
    this.learn(record, revision);
    this.log.warn({ accessToken: name, by }, 'access token revoked');
    return record;
  }

  async list(): Promise<AccessTokenRecord[]> {
    return (await this.records.list()).map((r) => r.value).sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(name: string): Promise<AccessTokenRecord> {
    const found = this.byName.get(name) ?? (await this.records.get(name))?.value;
    if (!found) throw new NotFoundError(`access token "${name}" not found (fleetctl access-token list shows them)`);
    return found;
  }

  private async modifyExisting(name: string, decide: (current: AccessTokenRecord) => AccessTokenRecord | null): Promise<{ record: AccessTokenRecord; revision: number }> {
    try {
      const { record } = await this.records.modify(name, decide);
      return { record: record.value, revision: record.revision };
    } catch (err) {
      if (err instanceof NotFoundError) throw new NotFoundError(`access token "${name}" not found (fleetctl access-token list shows them)`);
      throw err;
    }
  }

  /** This replica sees its own change at once, not only when the watch brings it. */
  private learn(record: AccessTokenRecord, revision: number): void {
    if ((this.revisions.get(record.name) ?? 0) > revision) return;
    this.revisions.set(record.name, revision);
    const old = this.byName.get(record.name);
    if (old) this.byId.delete(old.id);
    this.byName.set(record.name, record);
    this.byId.set(record.id, record);
  }
}

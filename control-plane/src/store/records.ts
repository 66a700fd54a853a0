/**
 * The control plane's own records, as they are stored in JetStream KV
 * (tasks and nodes are the domain's, in `common/model.ts`). Data only: the
 * code that reads and writes them lives with each concept.
 */
import type { ForgeType } from '../../../common/model.js';
import type { Rollout } from '../../../common/rollout.js';
import type { TeamSettings, TeamSpend } from '../../../common/teams.js';

/** The leader lease: the key `leader` in a bucket whose entries expire after the lease TTL. */
export interface LeaseRecord {
  holder: string;
  /** The KV revision at which the holder took the lease: the fencing epoch. */
  epoch: number;
  acquiredAtMs: number;
  renewedAtMs: number;
}

/** One replica's registration; it expires unless refreshed. */
export interface ReplicaRecord {
  id: string;
  address: string;
  startedAtMs: number;
  lastSeenMs: number;
  nodeSessions: number;
  leader: boolean;
  serving: boolean;
}

export interface JoinTokenRecord {
  id: string;
  secretHash: string;
  createdAtMs: number;
  expiresAtMs: number;
  maxUses: number;
  uses: number;
  /** The labels of every node enrolled with it (absent or empty: none). */
  labels?: Record<string, string>;
  /** The most slots such a node may offer (absent or 0: what it offers at enrollment). */
  maxSlots?: number;
}

/** A forge (`fleetctl forge set`): where Cline results are pushed and pull requests opened. */
export interface ForgeRecord {
  name: string;
  type: ForgeType;
  /** The API root (https://api.github.com, https://HOST/api/v4, https://HOST/api/v1). */
  apiUrl: string;
  /** Repository URLs of this forge start with it; the token is sent to no other. */
  gitUrl: string;
  /** Plain http:// to a host that is not loopback, allowed by an operator. */
  insecureHttp?: boolean;
  /** AES-256-GCM over the token, bound to name, type and both URLs (`forgeBinding`): moved elsewhere in the store, it opens nowhere. */
  sealedToken: string;
  createdAtMs: number;
  updatedAtMs: number;
}

export interface ProviderRecord {
  name: string;
  baseUrl: string;
  model: string;
  /** Plain http:// to a host that is not loopback, allowed by an operator. */
  insecureHttp?: boolean;
  /** Only nodes with these labels run its tasks and receive its key (binding 3). */
  nodeSelector?: Record<string, string>;
  /**
   * Providers tried in order when this one keeps failing. Not bound to the
   * sealed key: each fallback's key goes only where its own record allows.
   */
  fallbacks?: string[];
  /** Cline attempts using it that may run at once, fleet-wide (absent or 0: no limit). */
  maxConcurrent?: number;
  /** Requests a minute to it, fleet-wide (absent or 0: no limit; common/rate-window.ts). */
  maxRpm?: number;
  /** Tokens a minute, fleet-wide (absent or 0: no limit). */
  maxTpm?: number;
  /**
   * AES-256-GCM over the key, with the whole provider (name, base URL,
   * model, insecureHttp) as associated data: changing any of them in the
   * store makes the key undecryptable rather than sent elsewhere.
   */
  sealedKey: string;
  /** 3: sealed with the whole record bound, node selector included; 2: without a selector; absent: only the name (refused). */
  binding?: number;
  createdAtMs: number;
  updatedAtMs: number;
}

/** A submission's idempotency key (hashed) and the task it made. */
export interface IdempotencyRecord {
  taskId: string;
}

/** An access token for people and programs (`access/access-tokens.ts`). Keyed by name. */
/** A team (common/teams.ts): its settings, keyed by name. */
export interface TeamRecord extends TeamSettings {
  name: string;
  createdAtMs: number;
  updatedAtMs: number;
  /** The access token that last set it. */
  updatedBy: string;
}

/** What a team spent on a UTC day, fleet-wide; keyed `TEAM.YYYY-MM-DD`. */
export interface TeamDayRecord extends TeamSpend {
  team: string;
  day: string;
  updatedAtMs: number;
}

export interface AccessTokenRecord {
  name: string;
  /** The `at_…` part of the token before the dot; "bootstrap" for the bootstrap admin token. */
  id: string;
  /** SHA-256 of the secret (of the whole token for the bootstrap one). */
  secretHash: string;
  /**
   * A token scoped to a team stores its role as `team-viewer` or
   * `team-submitter` (`access/roles.ts`): a replica of a release before
   * teams, which would ignore `team`, does not know the role and refuses the
   * token instead of letting it see every team.
   */
  role: 'viewer' | 'submitter' | 'operator' | 'admin' | 'team-viewer' | 'team-submitter';
  createdAtMs: number;
  /** 0: never. */
  expiresAtMs: number;
  createdBy: string;
  /** 0: valid. Kept, not deleted, so the name stays in `access-token list` and the bootstrap token is not made again. */
  revokedAtMs: number;
  rotatedAtMs: number;
  /** Set: the token sees and acts on this team's tasks only. */
  team?: string;
}

/**
 * The fleet's Cline image and its rollouts (`rollouts.ts`). Key `current`:
 * the image that Cline tasks submitted without one get (set by the last
 * promotion; "" until one: the control plane's --cline-image), and the
 * active rollout or the last one to end. Keys `history.<id>`: rollouts that
 * ended before the current one started.
 */
export interface RolloutRecord {
  fleetImage: string;
  /** The rollout that made `fleetImage` the fleet's image. */
  fleetImageRolloutId: string;
  rollout: Rollout | null;
}

/**
 * The control plane's own records, as they are stored in JetStream KV
 * (tasks and nodes are the domain's, in `common/model.ts`). Data only: the
 * code that reads and writes them lives with each concept.
 */

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
}

export interface ProviderRecord {
  name: string;
  baseUrl: string;
  model: string;
  /** Plain http:// to a host that is not loopback, allowed by an operator. */
  insecureHttp?: boolean;
  /**
   * AES-256-GCM over the key, with the whole provider (name, base URL,
   * model, insecureHttp) as associated data: changing any of them in the
   * store makes the key undecryptable rather than sent elsewhere.
   */
  sealedKey: string;
  /** 2: sealed with the whole record bound (`providerBinding`); absent: only the name (refused). */
  binding?: number;
  createdAtMs: number;
  updatedAtMs: number;
}

/** A submission's idempotency key (hashed) and the task it made. */
export interface IdempotencyRecord {
  taskId: string;
}

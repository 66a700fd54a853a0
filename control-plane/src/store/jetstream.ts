/**
 * The control plane's state in NATS JetStream: which buckets and streams
 * exist, and with what settings. Every replica runs `openStore` at start;
 * creating what is missing is idempotent, so replicas may start together.
 * The store is the only code that holds a NATS connection, a bucket or a
 * stream: the rest of the control plane sees typed records and stores.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager, StorageType, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import { AuthorizationError, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { errorMessage, UnavailableError } from '../../../common/errors.js';
import type { Logger } from '../../../common/logger.js';
import type { NodeRecord, Task } from '../../../common/model.js';
import type { RateWindow } from '../../../common/rate-window.js';
import type { PoolRecord } from '../autoscale/pool.js';
import { AUDIT_MAX_AGE_MS, AuditLog } from './audit-log.js';
import { EventLog } from './event-log.js';
import { coalesceNatsWrites } from './coalesce-writes.js';
import { isOutOfSpace, KvRecords, storeError, type ReplicatedBucket } from './kv-records.js';
import { LogStore } from './log-store.js';
import { BUCKETS, OBJECT_STORES, STREAMS, TEAM_SPEND_TTL_MS } from './names.js';
import { checkNatsUrls, checkPasswordTransport, NatsAccessError, natsConnectionOptions, type NatsAccess } from './nats-access.js';
import type { AccessTokenRecord, ForgeRecord, IdempotencyRecord, JoinTokenRecord, LeaseRecord, ProviderRecord, ReplicaRecord, RolloutRecord, TeamDayRecord, TeamRecord } from './records.js';
import { ResultStore } from './result-store.js';
import { backedUpStreams, StateBackup } from './state-backup.js';

/** How long a closing store waits for lingering events to be stored. */
const SETTLE_ON_CLOSE_MS = 2_000;

/** A second submission with the same idempotency key within this window returns the first task. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;

/** A replica's registration expires this long after its last refresh. */
export const REPLICA_TTL_MS = 15_000;
/** A provider's rate window unused this long is gone: its lookback is 70 s, a 429's effect under 3 minutes. */
export const PROVIDER_RATES_TTL_MS = 10 * 60_000;


const NANOS_PER_MS = 1_000_000;
/** The key of the access token a new fleet makes at its first start (access-tokens.ts). */
const BOOTSTRAP_TOKEN_KEY = 'bootstrap';
const EVENTS_MAX_AGE_MS = 30 * 86_400_000;
const LOGS_MAX_AGE_MS = 7 * 86_400_000;
/** A resent log chunk inside this window is dropped by JetStream's de-duplication. */
const LOGS_DUPLICATE_WINDOW_MS = 10 * 60_000;
/**
 * The leader lease expires this long after its last renewal. Short, so that
 * scheduling resumes within a few seconds after the leader dies; the holder
 * renews four times per TTL and gives up well before it runs out.
 */
export const DEFAULT_LEASE_TTL_MS = 3_000;
const CONNECT_TIMEOUT_MS = 10_000;
/** Under the usual 5s client deadline, so that a stuck write is answered UNAVAILABLE and retried. */
const JETSTREAM_TIMEOUT_MS = 4_000;

export interface StateOptions {
  servers: string[];
  /** 1 on a laptop, 3 in production. */
  replicas: number;
  storage: 'file' | 'memory';
  logsMaxBytes: number;
  name: string;
  leaseTtlMs: number;
  /** Credentials and TLS for NATS (`nats-access.ts`). */
  access?: NatsAccess;
}

/** The existing JetStream state was made with settings other than this replica's. */
export class ConfigConflictError extends Error {
  constructor(readonly differences: string[]) {
    super(
      `refusing to run: the JetStream state was created with other settings than this replica's:\n  ${differences.join('\n  ')}\n` +
        'Start this replica with the settings the cluster already has (--replicas, --storage), or change the streams first (nats stream edit).',
    );
    this.name = 'ConfigConflictError';
  }
}

/** A stream's replication health, as `cluster status` shows it. */
export interface StreamHealth {
  name: string;
  replicas: number;
  /** "file", "memory", or "unavailable" when the stream did not answer. */
  storage: string;
  /** The server leading the stream's RAFT group ("" with R1 or no leader). */
  leader: string;
  peers: Array<{ name: string; current: boolean; offline: boolean; lag: number; activeMs: number }>;
  messages: number;
  bytes: number;
}

export interface FleetStore {
  tasks: KvRecords<Task>;
  nodes: KvRecords<NodeRecord>;
  joinTokens: KvRecords<JoinTokenRecord>;
  idempotency: KvRecords<IdempotencyRecord>;
  leases: KvRecords<LeaseRecord>;
  replicas: KvRecords<ReplicaRecord>;
  providers: KvRecords<ProviderRecord>;
  accessTokens: KvRecords<AccessTokenRecord>;
  /** The fleet's Cline image and its rollouts (`rollouts.ts`). */
  rollouts: KvRecords<RolloutRecord>;
  /** Autoscaling pools, with what the leader keeps about each. */
  autoscalePools: KvRecords<PoolRecord>;
  /** Rate-limited providers' windows (`provider-rates.ts`). */
  providerRates: KvRecords<RateWindow>;
  forges: KvRecords<ForgeRecord>;
  teams: KvRecords<TeamRecord>;
  teamSpend: KvRecords<TeamDayRecord>;
  audit: AuditLog;
  results: ResultStore;
  logs: LogStore;
  events: EventLog;
  /** Every stored record, for `backup create` and `backup restore`. */
  backup: StateBackup;
  /** Resolves when JetStream answers; rejects with UnavailableError when it does not. */
  ping(): Promise<void>;
  /** Every stream's replication health. */
  streams(): Promise<StreamHealth[]>;
  /** Called each time the connection to NATS drops. */
  onDisconnect(listener: () => void): void;
  close(): Promise<void>;
}

export async function connectNats(servers: string[], name: string, log: Logger, access: NatsAccess = {}): Promise<NatsConnection> {
  checkNatsUrls(servers);
  checkPasswordTransport(access, servers);
  const secured = natsConnectionOptions(access);
  try {
    const nc = await connect({
      servers,
      name,
      ...secured,
      timeout: CONNECT_TIMEOUT_MS,
      maxReconnectAttempts: -1,
      // Back on another server of the cluster quickly when one dies.
      reconnectTimeWait: 250,
      reconnectJitter: 250,
      // No Error (with its stack) made up front for every request in case it fails: under
      // load that was a tenth of the replica's CPU. Errors still say what failed.
      noAsyncTraces: true,
    });
    coalesceNatsWrites(nc);
    (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect' || status.type === 'reconnect' || status.type === 'error') {
          log.warn({ natsStatus: status.type, server: 'server' in status ? status.server : undefined }, 'nats connection status');
        }
      }
    })().catch(() => {});
    return nc;
  } catch (err) {
    // Wrong credentials or a certificate that does not verify: waiting will not help.
    const text = errorMessage(err) + ' ' + errorMessage((err as Error)?.cause);
    if (err instanceof AuthorizationError || /authorization violation|authentication|certificate|self[- ]signed|unable to verify/i.test(text)) {
      throw new NatsAccessError(`NATS at ${servers.join(',')} refused this control plane or could not be verified: ${text.trim()}; check --nats-creds/--nats-user and --nats-ca`);
    }
    throw new UnavailableError(`cannot connect to NATS at ${servers.join(',')}: ${(err as Error).message}`, { cause: err });
  }
}

export async function openStore(options: StateOptions, log: Logger): Promise<FleetStore> {
  const nc = await connectNats(options.servers, options.name, log, options.access);
  try {
    // A write stuck longer than this is failing (no stream leader, no quorum):
    // report UNAVAILABLE so that the caller retries, perhaps on another replica.
    const js = jetstream(nc, { timeout: JETSTREAM_TIMEOUT_MS });
    const jsm = await jetstreamManager(nc, { timeout: JETSTREAM_TIMEOUT_MS });
    const storage = options.storage === 'file' ? StorageType.File : StorageType.Memory;
    const plan = statePlan(options, storage);
    // Check everything before creating anything: a conflicting replica changes nothing.
    const differences: string[] = [];
    for (const wanted of plan) {
      const existing = await jsm.streams.info(wanted.name).catch(() => null);
      if (existing) differences.push(...compareStream(wanted, existing.config));
    }
    if (differences.length > 0) throw new ConfigConflictError(differences);
    const kvm = new Kvm(js);
    const open = async (bucket: string, extra: { history: number; ttl?: number }) => {
      const exists = await jsm.streams.info(`KV_${bucket}`).then(() => true, () => false);
      return exists
        ? kvm.open(bucket)
        : kvm.create(bucket, { replicas: options.replicas, storage, history: extra.history, ...(extra.ttl ? { ttl: extra.ttl } : {}) });
    };
    const kv = {
      tasks: await open(BUCKETS.tasks, { history: 5 }),
      nodes: await open(BUCKETS.nodes, { history: 1 }),
      joinTokens: await open(BUCKETS.joinTokens, { history: 1 }),
      idempotency: await open(BUCKETS.idempotency, { history: 1, ttl: IDEMPOTENCY_WINDOW_MS }),
      leases: await open(BUCKETS.leases, { history: 1, ttl: options.leaseTtlMs }),
      replicas: await open(BUCKETS.replicas, { history: 1, ttl: REPLICA_TTL_MS }),
      providers: await open(BUCKETS.providers, { history: 1 }),
      accessTokens: await open(BUCKETS.accessTokens, { history: 1 }),
      rollouts: await open(BUCKETS.rollouts, { history: 1 }),
      autoscale: await open(BUCKETS.autoscale, { history: 1 }),
      providerRates: await open(BUCKETS.providerRates, { history: 1, ttl: PROVIDER_RATES_TTL_MS }),
      forges: await open(BUCKETS.forges, { history: 1 }),
      teams: await open(BUCKETS.teams, { history: 1 }),
      teamSpend: await open(BUCKETS.teamSpend, { history: 1, ttl: TEAM_SPEND_TTL_MS }),
    };
    const objm = new Objm(js);
    const resultsExist = await jsm.streams.info(`OBJ_${OBJECT_STORES.results}`).then(() => true, () => false);
    const results = resultsExist
      ? await objm.open(OBJECT_STORES.results)
      : await objm.create(OBJECT_STORES.results, { replicas: options.replicas, storage });
    for (const stream of plan.filter((s) => !s.name.startsWith('KV_') && !s.name.startsWith('OBJ_'))) {
      if (!(await jsm.streams.info(stream.name).then(() => true, () => false))) await jsm.streams.add(stream);
    }
    const disconnectListeners = new Set<() => void>();
    (async () => {
      for await (const status of nc.status()) if (status.type === 'disconnect') for (const l of disconnectListeners) l();
    })().catch(() => {});
    // Conditional writes to a replicated bucket carry a message id (see ReplicatedBucket).
    const fence = (bucket: string): ReplicatedBucket | undefined => (options.replicas > 1 ? { js, jsm, bucket } : undefined);
    const events = new EventLog(js, log);
    return {
      tasks: new KvRecords<Task>(kv.tasks, 'task', fence(BUCKETS.tasks)),
      nodes: new KvRecords<NodeRecord>(kv.nodes, 'node', fence(BUCKETS.nodes)),
      joinTokens: new KvRecords<JoinTokenRecord>(kv.joinTokens, 'join token', fence(BUCKETS.joinTokens)),
      idempotency: new KvRecords<IdempotencyRecord>(kv.idempotency, 'idempotency key', fence(BUCKETS.idempotency)),
      leases: new KvRecords<LeaseRecord>(kv.leases, 'lease', fence(BUCKETS.leases)),
      replicas: new KvRecords<ReplicaRecord>(kv.replicas, 'replica', fence(BUCKETS.replicas)),
      providers: new KvRecords<ProviderRecord>(kv.providers, 'provider', fence(BUCKETS.providers)),
      accessTokens: new KvRecords<AccessTokenRecord>(kv.accessTokens, 'access token', fence(BUCKETS.accessTokens)),
      rollouts: new KvRecords<RolloutRecord>(kv.rollouts, 'rollout', fence(BUCKETS.rollouts)),
      autoscalePools: new KvRecords<PoolRecord>(kv.autoscale, 'autoscale pool', fence(BUCKETS.autoscale)),
      providerRates: new KvRecords<RateWindow>(kv.providerRates, 'provider rate window', fence(BUCKETS.providerRates)),
      forges: new KvRecords<ForgeRecord>(kv.forges, 'forge', fence(BUCKETS.forges)),
      teams: new KvRecords<TeamRecord>(kv.teams, 'team', fence(BUCKETS.teams)),
      teamSpend: new KvRecords<TeamDayRecord>(kv.teamSpend, 'team spend', fence(BUCKETS.teamSpend)),
      audit: new AuditLog(js),
      results: new ResultStore(results),
      logs: new LogStore(js),
      events,
      backup: new StateBackup(js, jsm, backedUpStreams({ idempotencyMs: IDEMPOTENCY_WINDOW_MS, eventsMs: EVENTS_MAX_AGE_MS, logsMs: LOGS_MAX_AGE_MS }), {
        // A new fleet's first start makes the bootstrap access token: the fleet is still empty.
        [`KV_${BUCKETS.accessTokens}`]: [`$KV.${BUCKETS.accessTokens}.${BOOTSTRAP_TOKEN_KEY}`],
      }),
      ping: async () => {
        await jsm.streams.info(`KV_${BUCKETS.tasks}`).catch((err: unknown) => {
          throw storeError(err, 'checking JetStream');
        });
      },
      streams: () => Promise.all(STREAM_NAMES.map((name) => jsm.streams.info(name).then(toStreamHealth, () => unavailableStream(name)))),
      onDisconnect: (listener) => disconnectListeners.add(listener),
      close: async () => {
        // Events linger a moment for company (event-log.ts): stored before the connection goes, if JetStream answers soon.
        await Promise.race([events.settle(), sleep(SETTLE_ON_CLOSE_MS, undefined, { ref: false })]);
        await nc.drain().catch(() => nc.close());
      },
    };
  } catch (err) {
    await nc.close().catch(() => {});
    if (err instanceof ConfigConflictError) throw err;
    // The logs stream reserves --logs-max-bytes up front: a small store cannot hold the reservation.
    const hint = isOutOfSpace(err) || /insufficient storage/.test((err as Error).message) ? ' (the store has less room than the streams reserve: lower --logs-max-bytes, or give nats-server more disk)' : '';
    throw new UnavailableError(`cannot set up JetStream state: ${(err as Error).message}${hint}`, { cause: err });
  }
}

type StreamSettings = Parameters<JetStreamManager['streams']['add']>[0] & { name: string };

/** Every stream this replica needs (KV buckets are streams named KV_<bucket>) and the settings that must agree. */
function statePlan(options: StateOptions, storage: StreamSettings['storage']): StreamSettings[] {
  const kv = (bucket: string, maxAgeMs = 0): StreamSettings => ({ name: `KV_${bucket}`, storage, num_replicas: options.replicas, max_age: maxAgeMs * NANOS_PER_MS });
  return [
    kv(BUCKETS.tasks),
    kv(BUCKETS.nodes),
    kv(BUCKETS.joinTokens),
    kv(BUCKETS.idempotency, IDEMPOTENCY_WINDOW_MS),
    kv(BUCKETS.leases, options.leaseTtlMs),
    kv(BUCKETS.replicas, REPLICA_TTL_MS),
    kv(BUCKETS.providers),
    kv(BUCKETS.accessTokens),
    kv(BUCKETS.rollouts),
    kv(BUCKETS.autoscale),
    kv(BUCKETS.providerRates, PROVIDER_RATES_TTL_MS),
    kv(BUCKETS.forges),
    kv(BUCKETS.teams),
    kv(BUCKETS.teamSpend, TEAM_SPEND_TTL_MS),
    { name: `OBJ_${OBJECT_STORES.results}`, storage, num_replicas: options.replicas, max_age: 0 },
    {
      name: STREAMS.events.name,
      subjects: [...STREAMS.events.subjects],
      storage,
      num_replicas: options.replicas,
      max_age: EVENTS_MAX_AGE_MS * NANOS_PER_MS,
    },
    {
      name: STREAMS.audit.name,
      subjects: [...STREAMS.audit.subjects],
      storage,
      num_replicas: options.replicas,
      max_age: AUDIT_MAX_AGE_MS * NANOS_PER_MS,
    },
    {
      name: STREAMS.logs.name,
      subjects: [...STREAMS.logs.subjects],
      storage,
      num_replicas: options.replicas,
      max_age: LOGS_MAX_AGE_MS * NANOS_PER_MS,
      max_bytes: options.logsMaxBytes,
      duplicate_window: LOGS_DUPLICATE_WINDOW_MS * NANOS_PER_MS,
    },
  ];
}

/** What differs between the settings wanted and a stream's, in words an operator can act on. */
export function compareStream(wanted: StreamSettings, existing: Partial<StreamSettings>): string[] {
  const out: string[] = [];
  if (existing.num_replicas !== undefined && existing.num_replicas !== wanted.num_replicas) {
    out.push(`${wanted.name}: ${existing.num_replicas} replica(s), this replica wants ${wanted.num_replicas} (--replicas)`);
  }
  if (existing.storage !== undefined && existing.storage !== wanted.storage) {
    out.push(`${wanted.name}: ${existing.storage} storage, this replica wants ${wanted.storage} (--storage)`);
  }
  if (wanted.name.startsWith('KV_fleet_leases') && existing.max_age !== undefined && existing.max_age !== wanted.max_age) {
    out.push(`${wanted.name}: lease TTL ${Number(existing.max_age) / NANOS_PER_MS}ms, this replica wants ${Number(wanted.max_age) / NANOS_PER_MS}ms (--lease-ttl)`);
  }
  return out;
}

/** Every stream `cluster status` reports on: the buckets' and the appended streams. */
const STREAM_NAMES = [...Object.values(BUCKETS).map((b) => `KV_${b}`), STREAMS.events.name, STREAMS.audit.name, STREAMS.logs.name];

function toStreamHealth(info: StreamInfo): StreamHealth {
  return {
    name: info.config.name,
    replicas: info.config.num_replicas,
    storage: String(info.config.storage),
    leader: info.cluster?.leader ?? '',
    peers: (info.cluster?.replicas ?? []).map((p) => ({ name: p.name, current: p.current, offline: Boolean(p.offline), lag: Number(p.lag ?? 0), activeMs: Math.round(Number(p.active ?? 0) / NANOS_PER_MS) })),
    messages: info.state.messages,
    bytes: info.state.bytes,
  };
}

function unavailableStream(name: string): StreamHealth {
  return { name, replicas: 0, storage: 'unavailable', leader: '', peers: [], messages: 0, bytes: 0 };
}

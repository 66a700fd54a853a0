/**
 * The control plane's state in NATS JetStream: which buckets and streams
 * exist, and with what settings. Every replica runs `openState` at start;
 * creating what is missing is idempotent, so replicas may start together.
 */
import { jetstream, jetstreamManager, StorageType, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { UnavailableError } from '../../../common/errors.js';
import type { Logger } from '../../../common/logger.js';

export const BUCKETS = {
  tasks: 'fleet_tasks',
  nodes: 'fleet_nodes',
  joinTokens: 'fleet_join_tokens',
  idempotency: 'fleet_idempotency',
  leases: 'fleet_leases',
} as const;

export const STREAMS = {
  events: { name: 'FLEET_EVENTS', subjects: ['fleet.events.>'] },
  logs: { name: 'FLEET_LOGS', subjects: ['fleet.logs.>'] },
} as const;

const NANOS_PER_MS = 1_000_000;
const EVENTS_MAX_AGE_MS = 30 * 86_400_000;
const LOGS_MAX_AGE_MS = 7 * 86_400_000;
/** A resent log chunk inside this window is dropped by JetStream's de-duplication. */
const LOGS_DUPLICATE_WINDOW_MS = 10 * 60_000;
export const LEASE_TTL_MS = 10_000;
const CONNECT_TIMEOUT_MS = 10_000;

export interface StateOptions {
  servers: string[];
  /** 1 on a laptop, 3 in production. */
  replicas: number;
  storage: 'file' | 'memory';
  logsMaxBytes: number;
  name: string;
}

export interface FleetState {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  kv: { tasks: KV; nodes: KV; joinTokens: KV; idempotency: KV; leases: KV };
  close(): Promise<void>;
}

export async function connectNats(servers: string[], name: string, log: Logger): Promise<NatsConnection> {
  try {
    const nc = await connect({
      servers,
      name,
      timeout: CONNECT_TIMEOUT_MS,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      reconnectJitter: 500,
    });
    (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect' || status.type === 'reconnect' || status.type === 'error') {
          log.warn({ natsStatus: status.type, server: 'server' in status ? status.server : undefined }, 'nats connection status');
        }
      }
    })().catch(() => {});
    return nc;
  } catch (err) {
    throw new UnavailableError(`cannot connect to NATS at ${servers.join(',')}: ${(err as Error).message}`, { cause: err });
  }
}

export async function openState(options: StateOptions, log: Logger): Promise<FleetState> {
  const nc = await connectNats(options.servers, options.name, log);
  try {
    const js = jetstream(nc, { timeout: 10_000 });
    const jsm = await jetstreamManager(nc, { timeout: 10_000 });
    const storage = options.storage === 'file' ? StorageType.File : StorageType.Memory;
    const kvm = new Kvm(js);
    const bucket = (name: string, extra: { history?: number; ttl?: number } = {}) =>
      kvm.create(name, { replicas: options.replicas, storage, history: extra.history ?? 1, ...(extra.ttl ? { ttl: extra.ttl } : {}) });
    const kv = {
      tasks: await bucket(BUCKETS.tasks, { history: 5 }),
      nodes: await bucket(BUCKETS.nodes),
      joinTokens: await bucket(BUCKETS.joinTokens),
      idempotency: await bucket(BUCKETS.idempotency),
      leases: await bucket(BUCKETS.leases, { ttl: LEASE_TTL_MS }),
    };
    await ensureStream(jsm, {
      name: STREAMS.events.name,
      subjects: [...STREAMS.events.subjects],
      storage,
      num_replicas: options.replicas,
      max_age: EVENTS_MAX_AGE_MS * NANOS_PER_MS,
    });
    await ensureStream(jsm, {
      name: STREAMS.logs.name,
      subjects: [...STREAMS.logs.subjects],
      storage,
      num_replicas: options.replicas,
      max_age: LOGS_MAX_AGE_MS * NANOS_PER_MS,
      max_bytes: options.logsMaxBytes,
      duplicate_window: LOGS_DUPLICATE_WINDOW_MS * NANOS_PER_MS,
    });
    return {
      nc,
      js,
      jsm,
      kv,
      close: async () => {
        await nc.drain().catch(() => nc.close());
      },
    };
  } catch (err) {
    await nc.close().catch(() => {});
    throw new UnavailableError(`cannot set up JetStream state: ${(err as Error).message}`, { cause: err });
  }
}

type StreamSettings = Parameters<JetStreamManager['streams']['add']>[0];

async function ensureStream(jsm: JetStreamManager, config: StreamSettings & { name: string }): Promise<void> {
  try {
    await jsm.streams.info(config.name);
  } catch {
    await jsm.streams.add(config);
  }
}

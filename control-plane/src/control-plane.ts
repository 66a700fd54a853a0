/**
 * One control-plane replica: stateless (all state in JetStream), serving the
 * API and node sessions, and running the singleton loops while it holds the
 * leader lease.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { systemClock, type Clock } from '../../common/clock.js';
import type { Logger } from '../../common/logger.js';
import type { NodeRecord, Task } from '../../common/model.js';
import { CHANNEL_OPTIONS, loadProtos } from '../../common/proto.js';
import { Admin, loadOrCreateAdminToken } from './admin-auth.js';
import { startEmbeddedNats, type EmbeddedNats } from './embedded-nats.js';
import { fleetServiceHandlers } from './fleet-service.js';
import { Providers, type ProviderRecord } from './providers.js';
import { DEFAULT_TASK_RETENTION_MS, RetentionLoop } from './retention.js';
import { loadOrCreateSecretsKey, SecretBox } from './secret-box.js';
import { ResultStore } from './store/result-store.js';
import { HealthState } from './health.js';
import { JoinTokens, type JoinTokenRecord } from './join-tokens.js';
import { Lease, type LeaseRecord } from './lease.js';
import { stopAfterDisconnectMs, type LivenessSettings } from './node-health.js';
import { NodeMonitor } from './node-monitor.js';
import { DEFAULT_CANCEL_GRACE_MS, SessionRegistry } from './session/node-session.js';
import { nodeServiceHandlers } from './session/node-service.js';
import { Nodes } from './nodes.js';
import { SchedulerLoop } from './scheduler-loop.js';
import { EventLog } from './store/event-log.js';
import { Backoff } from '../../common/backoff.js';
import { ConfigConflictError, DEFAULT_LEASE_TTL_MS, openState, type FleetState } from './store/jetstream.js';
import { clusterStatus } from './cluster-status.js';
import { ReplicaRegistry, type ReplicaRecord } from './replica-registry.js';
import { KvRecords } from './store/kv-records.js';
import { LogStore } from './store/log-store.js';
import { TaskIndex } from './task-index.js';
import { Tasks } from './tasks.js';

const SHUTDOWN_GRACE_MS = 5_000;
const OPEN_STATE_TIMEOUT_MS = 120_000;
/** How often a replica checks that JetStream answers; NOT_SERVING while it does not. */
const STORE_PROBE_EVERY_MS = 2_000;

export interface ControlPlaneOptions {
  listen: string;
  dataDir: string;
  /** Empty: start the embedded nats-server. */
  natsUrls: string[];
  replicas: number;
  storage: 'file' | 'memory';
  logsMaxBytes: number;
  liveness: LivenessSettings;
  cancelGraceMs?: number;
  adminToken?: string;
  clock?: Clock;
  leaseTtlMs?: number;
  /** HOST:PORT others reach this replica at, for `cluster status` (default: the listen address). */
  advertise?: string;
  /** The image of Cline tasks submitted without one. */
  clineImage?: string;
  /** Ended tasks are removed this long after their last change; 0 keeps them forever. */
  taskRetentionMs?: number;
  /** 64 hex characters; default: DATA_DIR/secrets.key, made on first start. */
  secretsKey?: string;
}

export const DEFAULT_CLINE_IMAGE = 'localhost/cline-fleet/agent:3.0.65';

export class ControlPlane {
  readonly replicaId = randomUUID();
  private embedded: EmbeddedNats | undefined;
  private state: FleetState | undefined;
  private server: grpc.Server | undefined;
  private readonly health = new HealthState();
  private readonly sessions = new SessionRegistry();
  private index: TaskIndex | undefined;
  private nodes: Nodes | undefined;
  private lease: Lease | undefined;
  private scheduler: SchedulerLoop | undefined;
  private monitor: NodeMonitor | undefined;
  private retention: RetentionLoop | undefined;
  private registry: ReplicaRegistry | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  boundPort = 0;
  natsUrl = '';

  constructor(
    private readonly options: ControlPlaneOptions,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const { options, log } = this;
    const clock = options.clock ?? systemClock;
    const admin = loadOrCreateAdminToken(join(options.dataDir, 'admin.token'), options.adminToken);
    if (admin.source === 'created') log.info({ path: join(options.dataDir, 'admin.token') }, 'admin token created');
    const secrets = loadOrCreateSecretsKey(join(options.dataDir, 'secrets.key'), options.secretsKey);
    if (secrets.source === 'created') log.info({ path: join(options.dataDir, 'secrets.key') }, 'secrets key created');

    if (options.natsUrls.length === 0) {
      this.embedded = await startEmbeddedNats(options.dataDir, log);
    }
    const servers = this.embedded ? [this.embedded.url] : options.natsUrls;
    this.natsUrl = servers.join(',');
    this.state = await this.openStateWhenReady(
      {
        servers,
        replicas: options.replicas,
        storage: options.storage,
        logsMaxBytes: options.logsMaxBytes,
        name: `fleet-control-plane-${this.replicaId}`,
        leaseTtlMs: options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS,
      },
      log,
    );
    const { kv, js, nc } = this.state;
    const events = new EventLog(js, log);
    const taskRecords = new KvRecords<Task>(kv.tasks, 'task');
    const results = new ResultStore(this.state.results);
    const tasks = new Tasks(taskRecords, new KvRecords<{ taskId: string }>(kv.idempotency, 'idempotency key'), events, clock, log, results);
    const providers = new Providers(new KvRecords<ProviderRecord>(kv.providers, 'provider'), new SecretBox(secrets.key), clock, log);
    const joinTokens = new JoinTokens(new KvRecords<JoinTokenRecord>(kv.joinTokens, 'join token'), clock);
    const nodes = (this.nodes = new Nodes(new KvRecords<NodeRecord>(kv.nodes, 'node'), joinTokens, events, clock, log));
    const index = (this.index = new TaskIndex(taskRecords, log));
    const logs = new LogStore(js);
    await Promise.all([index.start(), nodes.start()]);

    const fence = () => this.lease?.fence() ?? null;
    const scheduler = (this.scheduler = new SchedulerLoop(tasks, index, nodes, clock, log, fence));
    const monitor = (this.monitor = new NodeMonitor(nodes, tasks, index, options.liveness, clock, log, fence));
    const retention = (this.retention = new RetentionLoop(options.taskRetentionMs ?? DEFAULT_TASK_RETENTION_MS, {
      tasks: taskRecords,
      idempotency: new KvRecords<{ taskId: string }>(kv.idempotency, 'idempotency key'),
      results,
      events,
      clock,
      log,
      fence,
    }));
    const leases = new KvRecords<LeaseRecord>(kv.leases, 'lease');
    this.lease = new Lease(leases, this.replicaId, options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS, clock, log, (leading) => {
      if (leading) {
        scheduler.start();
        monitor.start();
        retention.start();
      } else {
        scheduler.stop();
        monitor.stop();
        retention.stop();
      }
      void this.registry?.refresh();
    });

    const { fleet, health } = loadProtos();
    const server = (this.server = new grpc.Server(CHANNEL_OPTIONS));
    const registry = (this.registry = new ReplicaRegistry(
      new KvRecords<ReplicaRecord>(kv.replicas, 'replica'),
      { id: this.replicaId, address: options.advertise ?? options.listen },
      () => ({ nodeSessions: this.sessions.count, leader: this.lease?.isLeader ?? false, serving: this.health.current === 'SERVING' }),
      clock,
      log,
    ));
    server.addService(
      fleet.fleet.v1.FleetService.service,
      fleetServiceHandlers({
        admin: new Admin(admin.token),
        tasks,
        taskRecords,
        index,
        nodes,
        joinTokens,
        logs,
        log,
        providers,
        clineImage: options.clineImage ?? DEFAULT_CLINE_IMAGE,
        clusterStatus: () => clusterStatus({ jsm: this.state!.jsm, registry, leases, replicaId: this.replicaId }),
      }),
    );
    const sessionDeps = { tasks, index, nodes, logs, log, providers, heartbeatIntervalMs: options.liveness.heartbeatIntervalMs, stopAfterDisconnectMs: stopAfterDisconnectMs(options.liveness), cancelGraceMs: options.cancelGraceMs ?? DEFAULT_CANCEL_GRACE_MS };
    server.addService(fleet.fleet.v1.NodeService.service, nodeServiceHandlers(sessionDeps, this.sessions, log));
    server.addService(health.grpc.health.v1.Health.service, this.health.handlers());
    this.boundPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(options.listen, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );

    this.lease.start();
    this.health.set('SERVING');
    registry.start();
    // Serving means JetStream answers: without it nothing can be written, and
    // probes and load balancers should send callers elsewhere.
    this.probeTimer = setInterval(() => {
      this.state!.jsm.streams.info('KV_fleet_tasks').then(
        () => this.health.set('SERVING'),
        () => this.health.set('NOT_SERVING'),
      );
    }, STORE_PROBE_EVERY_MS);
    (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect') this.health.set('NOT_SERVING');
      }
    })().catch(() => {});
    log.info({ listen: options.listen, port: this.boundPort, nats: this.natsUrl, replicaId: this.replicaId, embeddedNats: Boolean(this.embedded) }, 'control plane ready');
  }

  /**
   * JetStream may still be electing its leaders (a cluster starting, a server
   * restarting): wait for it with backoff rather than exit. A configuration
   * conflict is final.
   */
  private async openStateWhenReady(options: Parameters<typeof openState>[0], log: Logger): Promise<FleetState> {
    const backoff = new Backoff({ initialMs: 500, maxMs: 5_000, multiplier: 2 });
    const deadline = Date.now() + OPEN_STATE_TIMEOUT_MS;
    for (;;) {
      try {
        return await openState(options, log);
      } catch (err) {
        if (err instanceof ConfigConflictError || Date.now() > deadline) throw err;
        const delayMs = backoff.next();
        log.warn({ err: (err as Error).message, retryInMs: delayMs }, 'waiting for JetStream');
        await new Promise((r) => setTimeout(r, delayMs));
      }
    }
  }

  /** Graceful: refuse new calls, let calls in flight finish, hand over the lease, close state. */
  async stop(): Promise<void> {
    this.health.set('NOT_SERVING');
    clearInterval(this.probeTimer);
    await this.registry?.stop();
    await this.lease?.stop();
    this.scheduler?.stop();
    this.monitor?.stop();
    this.retention?.stop();
    this.sessions.closeAll();
    const server = this.server;
    if (server) {
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, SHUTDOWN_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    }
    this.index?.stop();
    this.nodes?.stop();
    await this.state?.close().catch(() => {});
    await this.embedded?.stop();
    this.log.info('control plane stopped');
  }
}

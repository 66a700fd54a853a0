/**
 * One control-plane replica: stateless (all state in JetStream), serving the
 * API and node sessions, and running the singleton loops while it holds the
 * leader lease. This file wires the parts together; it decides nothing.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Backoff } from '../../common/backoff.js';
import { errorMessage, UnavailableError } from '../../common/errors.js';
import { systemClock, type Clock } from '../../common/clock.js';
import type { Logger } from '../../common/logger.js';
import type { Check } from '../../common/self-check.js';
import { newRegistry } from '../../common/metrics.js';
import type { Registry } from 'prom-client';
import { ControlPlaneMetrics } from './metrics.js';
import { observeStore } from './store/kv-records.js';
import { loadProtos, SERVER_OPTIONS } from '../../common/proto.js';
import { AccessTokens } from './access/access-tokens.js';
import { AuthLimiter, DEFAULT_AUTH_LIMITS, type AuthLimits } from './access/auth-limiter.js';
import { Gate } from './access/gate.js';
import { loadOrCreateAdminToken } from './admin-auth.js';
import { Autoscaler, DEFAULT_AUTOSCALE_INTERVAL_MS } from './autoscale/autoscaler.js';
import { DEFAULT_HOOK_TIMEOUT_MS, ExecHook } from './autoscale/hook.js';
import { Pools } from './autoscale/pools.js';
import { clusterStatus } from './cluster-status.js';
import { Drainer } from './drain/drainer.js';
import { startEmbeddedNats, type EmbeddedNats } from './embedded-nats.js';
import { backupHandlers } from './backup-service.js';
import { currentPercent } from '../../common/rollout.js';
import { RolloutLoop } from './rollout-loop.js';
import { DeliveryLoop } from './delivery/delivery-loop.js';
import { Forges } from './forges.js';
import { ImageRouting, Rollouts } from './rollouts.js';
import { fleetServiceHandlers } from './fleet-service.js';
import type { FleetServiceHandlers } from '../../proto/gen/fleet/v1/FleetService.js';
import { HandshakeGate, listenGrpc, type GrpcListener } from './grpc-listener.js';
import { HealthState } from './health.js';
import { JoinTokens } from './join-tokens.js';
import { Lease } from './lease.js';
import { stopAfterDisconnectMs, type LivenessSettings } from './node-health.js';
import { NodeMonitor } from './node-monitor.js';
import { Nodes } from './nodes.js';
import { ProviderRates } from './provider-rates.js';
import { Teams } from './teams.js';
import { Providers } from './providers.js';
import { ReplicaRegistry } from './replica-registry.js';
import { DEFAULT_TASK_RETENTION_MS, RetentionLoop } from './retention.js';
import { SchedulerLoop } from './scheduler-loop.js';
import { loadOrCreateSecretsKey, SecretBox } from './secret-box.js';
import { nodeServiceHandlers } from './session/node-service.js';
import { OpenStreams } from './open-streams.js';
import { AGENT_PROTOCOL, describeAccepted } from '../../common/protocol.js';
import { Admission } from './session/admission.js';
import { DEFAULT_CANCEL_GRACE_MS, HELLO_CONCURRENCY, HELLO_QUEUE, SessionRegistry } from './session/node-session.js';
import { ConfigConflictError, DEFAULT_LEASE_TTL_MS, openStore, type FleetStore, type StateOptions } from './store/jetstream.js';
import { NatsAccessError, type NatsAccess } from './store/nats-access.js';
import { TaskIndex } from './task-index.js';
import { DEFAULT_TASK_DEFAULTS, type TaskDefaults } from './task-defaults.js';
import { Tasks } from './tasks.js';
import { DEFAULT_NODE_CERT_LIFETIME_MS, loadOrCreateFleetCa, serverNames, ServerIdentity, type TlsOptions } from './tls/fleet-tls.js';
import { NodeCertificates } from './tls/node-certs.js';

/** How long calls in flight may take to finish once a replica stops; then they are cut. */
const SHUTDOWN_GRACE_MS = 5_000;
const OPEN_STATE_TIMEOUT_MS = 120_000;
/** How often a replica checks that JetStream answers; NOT_SERVING while it does not. */
const STORE_PROBE_EVERY_MS = 2_000;

export interface ControlPlaneOptions {
  listen: string;
  dataDir: string;
  /** Empty: start the embedded nats-server. */
  natsUrls: string[];
  /** Credentials and TLS for `natsUrls` (the embedded server's are made here). */
  natsAccess?: NatsAccess;
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
  /** The fleet CA and this replica's certificate: default DATA_DIR/tls, made on first start. */
  tls?: TlsOptions;
  /** How long a node certificate is valid; agents renew at 70-90% of it. */
  nodeCertLifetimeMs?: number;
  /** Failed authentications allowed per peer address. */
  authLimits?: AuthLimits;
  /** What plain tasks get when their submitter did not say. */
  taskDefaults?: TaskDefaults;
  /** Keep metrics (served by main.ts on --metrics-listen); off: none are observed at all. */
  metrics?: boolean;
  /** The operator's autoscaling hook, its path already checked (`checkHookPath`); absent: pools are computed and shown only. */
  autoscaleHook?: string;
  /** How long a hook call may take before it is stopped and counted a failure. */
  autoscaleHookTimeoutMs?: number;
  /** How often the leader decides each pool's count. */
  autoscaleIntervalMs?: number;
}

export const DEFAULT_CLINE_IMAGE = 'localhost/cline-fleet/agent:3.0.65';

export class ControlPlane {
  readonly replicaId = randomUUID();
  private embedded: EmbeddedNats | undefined;
  private store: FleetStore | undefined;
  private server: grpc.Server | undefined;
  private readonly health = new HealthState();
  private readonly sessions = new SessionRegistry();
  private readonly streams = new OpenStreams();
  private index: TaskIndex | undefined;
  private nodes: Nodes | undefined;
  private accessTokens: AccessTokens | undefined;
  private lease: Lease | undefined;
  private scheduler: SchedulerLoop | undefined;
  private monitor: NodeMonitor | undefined;
  private drainer: Drainer | undefined;
  private retention: RetentionLoop | undefined;
  private rollouts: Rollouts | undefined;
  private rolloutLoop: RolloutLoop | undefined;
  private delivery: DeliveryLoop | undefined;
  private autoscaler: Autoscaler | undefined;
  private pools: Pools | undefined;
  private providers: Providers | undefined;
  private rates: ProviderRates | undefined;
  private teams: Teams | undefined;
  private registry: ReplicaRegistry | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private silenceTimer: NodeJS.Timeout | undefined;
  private serverIdentity: ServerIdentity | undefined;
  private caExpiresAtMs = 0;
  /** This replica's metrics registry, when metrics are on. */
  readonly metricsRegistry: Registry | undefined;
  private readonly metrics: ControlPlaneMetrics | undefined;
  boundPort = 0;
  private listener: GrpcListener | undefined;
  /** SHA-256 of the fleet CA certificate: what join tokens pin. */
  caFingerprint = '';
  natsUrl = '';

  constructor(
    private readonly options: ControlPlaneOptions,
    private readonly log: Logger,
  ) {
    if (options.metrics) {
      this.metricsRegistry = newRegistry();
      // The views are read at scrape time: before start they are empty.
      this.metrics = new ControlPlaneMetrics(this.metricsRegistry, {
        activeTasks: () => this.index?.all() ?? [],
        nodes: () => this.nodes?.all() ?? [],
        activeAttemptsOn: (nodeId) => this.index?.activeAttemptsOn(nodeId) ?? 0,
        nodeSessions: () => this.sessions.count,
        leading: () => this.lease?.isLeader ?? false,
        leaderEpoch: () => this.lease?.heldEpoch ?? 0,
        serving: () => this.health.current === 'SERVING',
        serverCertificateExpiresAtMs: () => this.serverIdentity?.expiresAtMs ?? 0,
        caCertificateExpiresAtMs: () => this.caExpiresAtMs,
        rollout: () => this.rollouts?.active() ?? null,
        autoscalePools: () => this.pools?.all() ?? [],
        teams: () => {
          const teams = this.teams;
          if (!teams) return [];
          const now = Date.now();
          return teams.list().map((t) => {
            const spent = teams.spentOn(t.name, now);
            return { name: t.name, running: this.index?.activeAttemptsOfTeam(t.name) ?? 0, tokensToday: spent.tokens, costUsdToday: spent.costUsd, blocked: teams.blocked(t.name, now) !== null };
          });
        },
      });
    }
  }

  /** Ready to do its job: JetStream answers and the API listens. */
  readiness(): { ok: boolean; detail: string } {
    if (this.boundPort === 0) return { ok: false, detail: 'starting' };
    return this.health.current === 'SERVING' ? { ok: true, detail: `serving on port ${this.boundPort}` } : { ok: false, detail: 'JetStream does not answer this replica' };
  }

  async start(): Promise<void> {
    const { options, log } = this;
    const clock = options.clock ?? systemClock;
    const admin = loadOrCreateAdminToken(join(options.dataDir, 'admin.token'), options.adminToken);
    if (admin.source === 'created') log.info({ path: join(options.dataDir, 'admin.token') }, 'admin token created');
    const secrets = loadOrCreateSecretsKey(join(options.dataDir, 'secrets.key'), options.secretsKey);
    if (secrets.source === 'created') log.info({ path: join(options.dataDir, 'secrets.key') }, 'secrets key created');
    const ca = await loadOrCreateFleetCa(options.dataDir, options.tls ?? {}, log);
    this.caFingerprint = ca.fingerprint;
    this.caExpiresAtMs = ca.cert.notAfter.getTime();
    const serverIdentity = (this.serverIdentity = await ServerIdentity.start(ca, serverNames(options.listen, options.advertise), options.tls ?? {}, log));
    const nodeCerts = new NodeCertificates(ca, options.nodeCertLifetimeMs ?? DEFAULT_NODE_CERT_LIFETIME_MS, clock);

    if (options.natsUrls.length === 0) {
      this.embedded = await startEmbeddedNats(options.dataDir, log);
    }
    const servers = this.embedded ? [this.embedded.url] : options.natsUrls;
    const access = this.embedded ? this.embedded.access : (options.natsAccess ?? {});
    this.natsUrl = servers.join(',');
    const store = (this.store = await this.openStoreWhenReady(
      {
        servers,
        replicas: options.replicas,
        storage: options.storage,
        logsMaxBytes: options.logsMaxBytes,
        name: `fleet-control-plane-${this.replicaId}`,
        leaseTtlMs: options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS,
        access,
      },
      log,
    ));
    const { events } = store;
    const tasks = new Tasks(store.tasks, store.idempotency, events, clock, log, store.results);
    const metrics = this.metrics;
    if (metrics) {
      tasks.observe((previous, next) => metrics.taskChanged(previous, next));
      observeStore((op, seconds, failure) => metrics.store(op, seconds, failure));
    }
    const box = new SecretBox(secrets.key);
    const providers = (this.providers = new Providers(store.providers, box, clock, log));
    const forges = new Forges(store.forges, box, clock, log);
    const teams = (this.teams = new Teams(store.teams, store.teamSpend, clock, log));
    const rates = (this.rates = new ProviderRates({ records: store.providerRates, limits: (name) => providers.limits(name), clock, log, granted: metrics && ((p, granted, wanted) => metrics.permits(p, granted, wanted)) }));
    const joinTokens = new JoinTokens(store.joinTokens, clock, ca.fingerprint);
    const nodes = (this.nodes = new Nodes(store.nodes, joinTokens, nodeCerts, events, clock, log, this.replicaId));
    if (metrics) nodes.breakerTripped = () => metrics.breakerTripped();
    // A node revoked on any replica loses its session here too: every replica watches the node records.
    nodes.onChange((node) => {
      if (node.revokedAtMs) this.sessions.revoke(node.id);
      else this.sessions.nodeChanged(node);
    });
    const index = (this.index = new TaskIndex(store.tasks, log));
    tasks.useView(index);
    const accessTokens = (this.accessTokens = new AccessTokens(store.accessTokens, clock, log));
    const rollouts = (this.rollouts = new Rollouts(store.rollouts, options.clineImage ?? DEFAULT_CLINE_IMAGE, clock, log));
    const pools = (this.pools = new Pools(store.autoscalePools, clock, log));
    const registry = (this.registry = new ReplicaRegistry(
      store.replicas,
      { id: this.replicaId, address: options.advertise ?? options.listen },
      () => ({ nodeSessions: this.sessions.count, leader: this.lease?.isLeader ?? false, serving: this.health.current === 'SERVING' }),
      clock,
      log,
      options.liveness.heartbeatIntervalMs,
    ));
    await Promise.all([
      this.whenStoreAnswers('reading the tasks', () => index.start()),
      this.whenStoreAnswers('reading the nodes', () => nodes.start()),
      this.whenStoreAnswers('reading the access tokens', () => accessTokens.start()),
      this.whenStoreAnswers('reading the rollouts', () => rollouts.start()),
      this.whenStoreAnswers('reading the autoscale pools', () => pools.start()),
      this.whenStoreAnswers('reading the providers', () => providers.start()),
      this.whenStoreAnswers('reading the providers\' rate windows', () => rates.watch()),
      this.whenStoreAnswers('reading the teams', () => teams.start()),
      this.whenStoreAnswers('registering this replica', () => registry.start()),
    ]);
    const bootstrap = await this.whenStoreAnswers('storing the bootstrap admin token', () => accessTokens.seedBootstrap(admin.token));
    if (bootstrap === 'not-accepted') {
      log.warn(
        { source: admin.source === 'env' ? 'FLEET_ADMIN_TOKEN' : join(options.dataDir, 'admin.token') },
        'this admin token is not the fleet\'s bootstrap token (it was rotated or revoked, or another replica stored its own first): it is refused; use an access token (fleetctl access-token create)',
      );
    }

    // The leader's loops: what they read (the live views), what they write (the stores).
    const leader = { clock, log, leadingEpoch: () => this.lease?.leadingEpoch() ?? null };
    // A node's image list comes with its heartbeats: two of them before "no node has the image" fails a task.
    const scheduler = (this.scheduler = new SchedulerLoop({
      ...leader,
      tasks: index,
      nodes,
      taskWrites: tasks,
      imageGraceMs: 2 * options.liveness.heartbeatIntervalMs,
      passed: metrics && ((s) => metrics.schedulingPass(s)),
      routing: new ImageRouting(rollouts),
      providers,
      rates,
      teams,
    }));
    // A provider's --max-concurrent raised (or lifted) lets its waiting tasks go.
    providers.onLimitsChange(() => scheduler.kick());
    // A team's limits or weight changed, or its budget ran out or came back (a new day).
    teams.onSettingsChange(() => scheduler.kick());
    teams.onSpentChange(() => scheduler.kick());
    // A rollout's step or end sends tasks elsewhere from now on.
    rollouts.onChange(() => scheduler.kick());
    const monitor = (this.monitor = new NodeMonitor({ ...leader, nodes, tasks: index, taskWrites: tasks, settings: options.liveness, replicaContact: (id) => registry.vouchedUntil(id), breakerTripped: metrics && (() => metrics.breakerTripped()) }));
    const drainer = (this.drainer = new Drainer({ ...leader, nodes, tasks: index, taskWrites: tasks, everyMs: Math.floor(options.liveness.heartbeatIntervalMs / 2) }));
    const retention = (this.retention = new RetentionLoop(options.taskRetentionMs ?? DEFAULT_TASK_RETENTION_MS, { ...leader, tasks: store.tasks, idempotency: store.idempotency, results: store.results, events }));
    const rolloutLoop = (this.rolloutLoop = new RolloutLoop({
      ...leader,
      tasks: index,
      rollouts,
      transitioned: (rollout) => {
        events.record({ type: 'rollout.changed', rolloutId: rollout.id, image: rollout.image, state: rollout.state, percent: currentPercent(rollout), reason: rollout.reason }, clock.now());
        metrics?.rolloutChanged(rollout);
      },
      counted: metrics && ((arm, attempt) => metrics.rolloutOutcome(arm, attempt)),
    }));
    const hook = options.autoscaleHook ? new ExecHook(options.autoscaleHook, options.autoscaleHookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS) : null;
    const autoscaler = (this.autoscaler = new Autoscaler({ ...leader, pools, nodes, tasks: index, hook, replicaId: this.replicaId, everyMs: options.autoscaleIntervalMs ?? DEFAULT_AUTOSCALE_INTERVAL_MS, hookCalled: metrics && ((pool, result, seconds) => metrics.autoscaleHookCalled(pool, result, seconds)) }));
    // Delivery tries' scratch repositories (private trees and patches): the replica's own, emptied of a crashed run's at each start.
    const deliveries = join(options.dataDir, 'deliveries');
    rmSync(deliveries, { recursive: true, force: true });
    mkdirSync(deliveries, { recursive: true, mode: 0o700 });
    const delivery = (this.delivery = new DeliveryLoop({
      workRoot: deliveries,
      ...leader,
      tasks: index,
      writes: tasks,
      replicaId: this.replicaId,
      patch: (task) => store.results.getPatch(task.id, task.result!.attemptId),
      forge: (name, repoUrl) => forges.access(name, repoUrl),
      tried: metrics && ((outcome) => metrics.deliveryTried(outcome)),
    }));
    const loops = [scheduler, monitor, drainer, retention, rolloutLoop, autoscaler, delivery];
    // While a restore writes the state, the leader's loops are held: nothing is decided on half a fleet.
    let restoring = false;
    this.lease = new Lease(store.leases, this.replicaId, options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS, clock, log, (leading) => {
      metrics?.leadership(leading);
      for (const loop of loops) {
        if (leading && !restoring) loop.start();
        else loop.stop();
      }
      void this.registry?.refresh();
    });

    const { fleet, health } = loadProtos();
    // Connections are set up a few at a time (see grpc-listener.ts): the gate sees each one's first call.
    const handshakes = new HandshakeGate();
    const server = (this.server = new grpc.Server({ ...SERVER_OPTIONS, interceptors: [handshakes.interceptor] }));
    const gate = new Gate(accessTokens, new AuthLimiter(clock, options.authLimits ?? DEFAULT_AUTH_LIMITS), store.audit, this.replicaId, log);
    const answered = metrics && ((method: string, code: string, seconds: number | null) => metrics.rpc(method, code, seconds));
    server.addService(fleet.fleet.v1.FleetService.service, {
      ...fleetServiceHandlers({
        gate,
        accessTokens,
        audit: store.audit,
        tasks,
        taskRecords: store.tasks,
        index,
        replicaContact: (id) => registry.vouchedUntil(id),
        nodes,
        joinTokens,
        logs: store.logs,
        log,
        providers,
        forges,
        teams,
        rates,
        clineImage: () => rollouts.fleetImage(),
        rollouts,
        taskDefaults: options.taskDefaults ?? DEFAULT_TASK_DEFAULTS,
        clusterStatus: () => clusterStatus({ store, registry, replicaId: this.replicaId }),
        streams: this.streams,
        answered,
        pools,
        autoscaleHook: hook !== null,
      }),
      ...backupHandlers({
        gate,
        backup: store.backup,
        log,
        answered,
        streams: this.streams,
        leader: {
          leading: () => this.lease?.leadingEpoch() != null,
          hold: () => {
            restoring = true;
            for (const loop of loops) loop.stop();
          },
          // Started again as after an election: the node monitor judges silence only from now on.
          release: () => {
            restoring = false;
            if (this.lease?.isLeader) for (const loop of loops) loop.start();
          },
        },
      }),
    } satisfies FleetServiceHandlers);
    const sessionDeps = {
      tasks,
      index,
      nodes,
      logs: store.logs,
      log,
      providers,
      rates,
      teams,
      heartbeatIntervalMs: options.liveness.heartbeatIntervalMs,
      stopAfterDisconnectMs: stopAfterDisconnectMs(options.liveness),
      cancelGraceMs: options.cancelGraceMs ?? DEFAULT_CANCEL_GRACE_MS,
      vouching: (now: number) => registry.vouching(now),
      hellos: new Admission(HELLO_CONCURRENCY, HELLO_QUEUE, 'node hellos'),
      prefetch: () => rollouts.prefetch(),
    };
    server.addService(fleet.fleet.v1.NodeService.service, nodeServiceHandlers(sessionDeps, this.sessions, log));
    server.addService(health.grpc.health.v1.Health.service, this.health.handlers());
    this.listener = await listenGrpc(server, options.listen, serverIdentity.credentials(), handshakes, log);
    this.boundPort = this.listener.port;

    this.lease.start();
    this.health.set('SERVING');
    // A session silent for disconnected-after ends here: its node is then judged from its last heartbeat.
    this.silenceTimer = setInterval(() => this.sessions.expireSilent(Date.now(), options.liveness.disconnectedAfterMs), Math.max(50, Math.floor(options.liveness.heartbeatIntervalMs / 2)));
    // Serving means JetStream answers: without it nothing can be written, and
    // probes and load balancers should send callers elsewhere.
    this.probeTimer = setInterval(() => {
      store.ping().then(
        () => this.health.set('SERVING'),
        () => this.health.set('NOT_SERVING'),
      );
    }, STORE_PROBE_EVERY_MS);
    store.onDisconnect(() => this.health.set('NOT_SERVING'));
    log.info(
      { listen: options.listen, port: this.boundPort, nats: this.natsUrl, replicaId: this.replicaId, embeddedNats: Boolean(this.embedded), caFingerprint: ca.fingerprint, serverNames: serverIdentity.serverNames, autoscaleHook: options.autoscaleHook ?? null, nodeProtocol: AGENT_PROTOCOL, acceptedAgentProtocols: describeAccepted() },
      'control plane ready',
    );
  }

  /**
   * JetStream may still be electing its leaders (a cluster starting, a server
   * restarting): opening the store, and the first steps on a store that has
   * just opened, are tried again with backoff rather than exit. A
   * configuration conflict or refused credentials are final.
   */
  private async openStoreWhenReady(options: StateOptions, log: Logger): Promise<FleetStore> {
    return this.whenStoreAnswers('opening the state store', () => openStore(options, log), (err) => !(err instanceof ConfigConflictError || err instanceof NatsAccessError));
  }

  /** `step`, tried again with backoff while it fails with an error `retryable` accepts (by default: the store did not answer). */
  private async whenStoreAnswers<T>(what: string, step: () => Promise<T>, retryable: (err: unknown) => boolean = (err) => err instanceof UnavailableError): Promise<T> {
    const backoff = new Backoff({ initialMs: 500, maxMs: 5_000, multiplier: 2 });
    const deadline = Date.now() + OPEN_STATE_TIMEOUT_MS;
    for (;;) {
      try {
        return await step();
      } catch (err) {
        if (!retryable(err) || Date.now() > deadline) throw err;
        const delayMs = backoff.next();
        this.log.warn({ step: what, err: errorMessage(err), retryInMs: delayMs }, 'waiting for JetStream');
        await new Promise((r) => setTimeout(r, delayMs));
      }
    }
  }

  /** The loops that must not hang, for the replica's self-check (after `start`). */
  loopChecks(): Check[] {
    return [this.lease?.ticks, this.registry?.refreshes, this.scheduler?.passes, this.monitor?.passes, this.drainer?.passes, this.retention?.sweeps, this.rolloutLoop?.passes, this.autoscaler?.passes, this.delivery?.passes].filter((c): c is NonNullable<typeof c> => c !== undefined);
  }

  /** One line for `systemctl status`. */
  statusLine(): string {
    return `replica ${this.replicaId.slice(0, 8)}: ${this.lease?.isLeader ? 'leader' : 'follower'}, ${this.health.current === 'SERVING' ? 'serving' : 'not serving (JetStream does not answer)'}, ${this.sessions.count} node session(s), port ${this.boundPort}`;
  }

  /**
   * Graceful, in the order clients need: not ready (probes send callers
   * elsewhere); no new calls (the listener closes, connections get GOAWAY);
   * streams ended with UNAVAILABLE so that fleetctl resumes them on another
   * replica at once; the lease and the node sessions handed over; then the
   * unary calls in flight finish (up to SHUTDOWN_GRACE_MS) before the store
   * closes.
   */
  async stop(): Promise<void> {
    this.health.set('NOT_SERVING');
    clearInterval(this.probeTimer);
    clearInterval(this.silenceTimer);
    const server = this.server;
    this.listener?.close();
    const drained = server
      ? new Promise<void>((resolve) => {
          const force = setTimeout(() => {
            this.log.warn({ graceMs: SHUTDOWN_GRACE_MS }, 'calls still in flight when the grace ran out: cut');
            server.forceShutdown();
            resolve();
          }, SHUTDOWN_GRACE_MS);
          server.tryShutdown(() => {
            clearTimeout(force);
            resolve();
          });
        })
      : Promise.resolve();
    const streams = this.streams.endAll(`replica ${this.replicaId.slice(0, 8)} is stopping: resume on another replica`);
    if (streams > 0) this.log.info({ streams }, 'streams ended for clients to resume elsewhere');
    await this.registry?.stop();
    await this.lease?.stop();
    this.scheduler?.stop();
    this.monitor?.stop();
    this.drainer?.stop();
    this.retention?.stop();
    this.rolloutLoop?.stop();
    this.delivery?.stop();
    this.autoscaler?.stop();
    this.sessions.closeAll();
    await drained;
    this.index?.stop();
    this.nodes?.stop();
    this.accessTokens?.stop();
    this.rollouts?.stop();
    this.pools?.stop();
    this.providers?.stop();
    this.rates?.stop();
    this.teams?.stop();
    await this.store?.close().catch(() => {});
    await this.embedded?.stop();
    this.serverIdentity?.stop();
    if (this.metrics) observeStore(null);
    this.log.info('control plane stopped');
  }
}

/**
 * A replica's metrics. Two kinds, told apart in the help texts:
 * - what this replica did (calls it served, writes it made, passes it ran):
 *   counters and histograms observed where it happens, per replica, that
 *   sum across replicas;
 * - what the fleet is (tasks by state, the queue, nodes, slots): gauges
 *   computed at scrape time from this replica's live views. Every replica
 *   holds the same views, so every replica reports the same values: take
 *   max() over replicas, not sum().
 * Labels are bounded: states, reasons, methods, operations; never an id.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { activeAttempt, ATTEMPT_REASONS, ATTEMPT_STATES, isTerminal, TERMINAL_TASK_STATES, type Attempt, type NodeRecord, type Task } from '../../common/model.js';
import { currentPercent, isActive, ROLLOUT_ARMS, type Rollout, type RolloutArm } from '../../common/rollout.js';
import { newRegistry } from '../../common/metrics.js';
import type { PoolRecord } from './autoscale/pool.js';

/** Latencies from a millisecond call to a day-long task. */
const TASK_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14_400, 86_400];
const TERMINAL_STATES = [...TERMINAL_TASK_STATES];
const ATTEMPT_END_STATES = ATTEMPT_STATES.filter((s) => s !== 'ASSIGNED' && s !== 'RUNNING');
/** The single-request KV operations `observeStore` reports. */
const STORE_OPS = ['get', 'create', 'put', 'update', 'delete', 'purge'];
const CALL_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What the gauges read, at scrape time. */
export interface FleetViews {
  activeTasks(): Task[];
  nodes(): NodeRecord[];
  activeAttemptsOn(nodeId: string): number;
  nodeSessions(): number;
  leading(): boolean;
  leaderEpoch(): number;
  serving(): boolean;
  /** Unix ms; 0 when unknown. */
  serverCertificateExpiresAtMs(): number;
  caCertificateExpiresAtMs(): number;
  /** The active rollout, if any. */
  rollout(): Rollout | null;
  /** The autoscaling pools, with what the leader last decided for each. */
  autoscalePools(): PoolRecord[];
  /** The teams, with what they run and spent today (`teams.ts`). */
  teams(): TeamUsage[];
}

/** A team as the gauges show it. */
export interface TeamUsage {
  name: string;
  running: number;
  tokensToday: number;
  costUsdToday: number;
  /** Its daily budget is spent: its Cline tasks get no new attempt. */
  blocked: boolean;
}

export const INERT_VIEWS: FleetViews = {
  activeTasks: () => [],
  nodes: () => [],
  activeAttemptsOn: () => 0,
  nodeSessions: () => 0,
  leading: () => false,
  leaderEpoch: () => 0,
  serving: () => false,
  serverCertificateExpiresAtMs: () => 0,
  caCertificateExpiresAtMs: () => 0,
  rollout: () => null,
  autoscalePools: () => [],
  teams: () => [],
};

export type StoreErrorKind = 'unavailable' | 'conflict' | 'out_of_space' | 'other';

export class ControlPlaneMetrics {
  private readonly grpcRequests: Counter<'method' | 'code'>;
  private readonly grpcDuration: Histogram<'method'>;
  private readonly submitDuration: Histogram;
  private readonly storeDuration: Histogram<'op'>;
  private readonly storeErrors: Counter<'op' | 'kind'>;
  private readonly tasksEnded: Counter<'state'>;
  private readonly attemptsEnded: Counter<'state' | 'reason'>;
  private readonly taskWait: Histogram;
  private readonly hookCalls: Counter<'pool'>;
  private readonly permitsGranted: Counter<'provider'>;
  private readonly permitsWithheld: Counter<'provider'>;
  private readonly hookFailures: Counter<'pool'>;
  private readonly hookDuration: Histogram<'pool'>;
  private readonly attemptRun: Histogram;
  private readonly endToEnd: Histogram;
  private readonly tasksAssigned: Counter;
  private readonly passes: Counter;
  private readonly passDuration: Histogram;
  private readonly leaseChanges: Counter<'change'>;
  private readonly breakerTrips: Counter;
  private readonly rolloutEnds: Counter<'state'>;
  private readonly rolloutSteps: Counter;
  private readonly rolloutOutcomes: Counter<'arm' | 'outcome'>;
  private readonly deliveryTries: Counter<'outcome'>;

  constructor(
    readonly registry: Registry,
    views: FleetViews,
    now: () => number = Date.now,
  ) {
    const registers = [registry];
    this.grpcRequests = new Counter({ name: 'fleet_grpc_requests_total', help: 'API calls this replica answered, by method and gRPC status code.', labelNames: ['method', 'code'], registers });
    this.grpcDuration = new Histogram({ name: 'fleet_grpc_request_duration_seconds', help: 'How long this replica took to answer unary API calls.', labelNames: ['method'], buckets: CALL_BUCKETS, registers });
    this.submitDuration = new Histogram({ name: 'fleet_task_submit_duration_seconds', help: 'SubmitTask calls on this replica, from arrival to the stored task.', buckets: CALL_BUCKETS, registers });
    this.storeDuration = new Histogram({ name: 'fleet_jetstream_operation_duration_seconds', help: 'JetStream KV operations this replica made, by operation.', labelNames: ['op'], buckets: CALL_BUCKETS, registers });
    this.storeErrors = new Counter({ name: 'fleet_jetstream_errors_total', help: 'JetStream KV operations of this replica that failed, by operation and kind (conflict: a compare-and-set lost a race, retried).', labelNames: ['op', 'kind'], registers });
    this.tasksEnded = new Counter({ name: 'fleet_tasks_ended_total', help: 'Tasks this replica moved to an end state, by state.', labelNames: ['state'], registers });
    this.attemptsEnded = new Counter({ name: 'fleet_attempts_ended_total', help: 'Attempts this replica recorded as ended, by state and reason (none: no reason given).', labelNames: ['state', 'reason'], registers });
    this.taskWait = new Histogram({ name: 'fleet_task_wait_seconds', help: 'How long tasks waited in the queue, able to run, before this replica (as leader) assigned them.', buckets: TASK_BUCKETS, registers });
    this.attemptRun = new Histogram({ name: 'fleet_attempt_run_seconds', help: 'Attempts from their container start to their end, as recorded by this replica.', buckets: TASK_BUCKETS, registers });
    this.endToEnd = new Histogram({ name: 'fleet_task_end_to_end_seconds', help: 'Tasks from submission to their end state, as recorded by this replica.', buckets: TASK_BUCKETS, registers });
    this.tasksAssigned = new Counter({ name: 'fleet_tasks_assigned_total', help: 'Attempts this replica placed on nodes as leader.', registers });
    this.passes = new Counter({ name: 'fleet_scheduling_passes_total', help: 'Scheduling passes this replica ran as leader.', registers });
    this.passDuration = new Histogram({ name: 'fleet_scheduling_pass_duration_seconds', help: 'How long this replica\'s scheduling passes took, their writes included.', buckets: CALL_BUCKETS, registers });
    this.leaseChanges = new Counter({ name: 'fleet_lease_changes_total', help: 'Times this replica acquired or lost the leader lease.', labelNames: ['change'], registers });
    this.breakerTrips = new Counter({ name: 'fleet_breaker_trips_total', help: 'Nodes this replica cordoned automatically (the circuit breaker: Docker unreachable, disk pressure, infrastructure failures, a restart loop).', registers });
    this.rolloutEnds = new Counter({ name: 'fleet_rollouts_ended_total', help: 'Rollouts this replica (as leader) ended by its judgement: PROMOTED (healthy through its steps) or ROLLED_BACK (the canary did worse). An operator\'s promote or abort is in the audit trail, not here.', labelNames: ['state'], registers });
    this.rolloutSteps = new Counter({ name: 'fleet_rollout_steps_total', help: 'Rollout steps this replica (as leader) took forward.', registers });
    this.rolloutOutcomes = new Counter({ name: 'fleet_rollout_attempts_total', help: 'Attempts of a rollout that ended and count for its analysis, by side (canary, baseline) and outcome (succeeded, failed).', labelNames: ['arm', 'outcome'], registers });
    for (const state of ['PROMOTED', 'ROLLED_BACK']) this.rolloutEnds.inc({ state }, 0);
    for (const arm of ROLLOUT_ARMS) for (const outcome of ['succeeded', 'failed']) this.rolloutOutcomes.inc({ arm, outcome }, 0);
    new Gauge({ name: 'fleet_rollout_canary_percent', help: 'The share of new Cline tasks the active rollout sends to its canary image (0: no rollout under way) (use max()).', registers, collect() { this.set(currentPercent(views.rollout())); } });
    this.permitsGranted = new Counter({ name: 'fleet_provider_permits_granted_total', help: 'Rate permits this replica granted to node gateways (one a request), by provider.', labelNames: ['provider'], registers });
    this.permitsWithheld = new Counter({ name: 'fleet_provider_permits_withheld_total', help: 'Rate permits nodes asked this replica for and did not get (the provider\'s --max-rpm or --max-tpm reached), by provider.', labelNames: ['provider'], registers });
    this.hookCalls = new Counter({ name: 'fleet_autoscale_hook_calls_total', help: 'Autoscale hook calls this replica made as leader, by pool.', labelNames: ['pool'], registers });
    this.hookFailures = new Counter({ name: 'fleet_autoscale_hook_failures_total', help: 'Autoscale hook calls of this replica that failed (non-zero exit, timeout, could not start), by pool.', labelNames: ['pool'], registers });
    this.hookDuration = new Histogram({ name: 'fleet_autoscale_hook_duration_seconds', help: 'How long this replica\'s autoscale hook calls took, by pool.', labelNames: ['pool'], buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300], registers });
    this.deliveryTries = new Counter({ name: 'fleet_delivery_tries_total', help: 'Delivery tries of Cline results (branches and pull requests) this replica ran as leader, by outcome: delivered, retry (failed, tried again later), failed (the task failed).', labelNames: ['outcome'], registers });
    for (const outcome of ['delivered', 'retry', 'failed']) this.deliveryTries.inc({ outcome }, 0);
    // Every known label set from 0, so that increase() and rate() see the first one of each (an alert on the first out-of-space error, say).
    for (const state of TERMINAL_STATES) this.tasksEnded.inc({ state }, 0);
    for (const state of ATTEMPT_END_STATES) for (const reason of ['none', ...ATTEMPT_REASONS]) this.attemptsEnded.inc({ state, reason }, 0);
    for (const change of ['acquired', 'lost']) this.leaseChanges.inc({ change }, 0);
    for (const op of STORE_OPS) for (const kind of ['unavailable', 'conflict', 'out_of_space', 'other']) this.storeErrors.inc({ op, kind }, 0);

    new Gauge({ name: 'fleet_leader', help: '1 while this replica holds the leader lease.', registers, collect() { this.set(views.leading() ? 1 : 0); } });
    new Gauge({ name: 'fleet_leader_epoch', help: 'The lease epoch this replica leads with (0: it does not lead).', registers, collect() { this.set(views.leading() ? views.leaderEpoch() : 0); } });
    new Gauge({ name: 'fleet_jetstream_up', help: '1 while JetStream answers this replica (it serves; otherwise it reports NOT_SERVING).', registers, collect() { this.set(views.serving() ? 1 : 0); } });
    new Gauge({ name: 'fleet_node_sessions', help: 'Node sessions open on this replica.', registers, collect() { this.set(views.nodeSessions()); } });
    new Gauge({
      name: 'fleet_tls_certificate_expiry_timestamp_seconds',
      help: 'When this replica\'s server certificate and the fleet CA expire (unix seconds).',
      labelNames: ['certificate'],
      registers,
      collect() {
        this.set({ certificate: 'server' }, views.serverCertificateExpiresAtMs() / 1000);
        this.set({ certificate: 'ca' }, views.caCertificateExpiresAtMs() / 1000);
      },
    });
    // The fleet's state from the live views: the same on every replica (max() over replicas).
    new Gauge({
      name: 'fleet_tasks',
      help: 'Active tasks by state, from this replica\'s view of the fleet (every replica reports the same: use max()).',
      labelNames: ['state'],
      registers,
      collect() {
        const counts = { PENDING: 0, ASSIGNED: 0, RUNNING: 0 } as Record<string, number>;
        for (const t of views.activeTasks()) counts[t.state] = (counts[t.state] ?? 0) + 1;
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
    const pending = () => views.activeTasks().filter((t) => t.state === 'PENDING');
    new Gauge({ name: 'fleet_pending_tasks', help: 'Tasks waiting to be placed, backoffs included (every replica reports the same: use max()).', registers, collect() { this.set(pending().length); } });
    new Gauge({
      name: 'fleet_pending_oldest_age_seconds',
      help: 'How long the longest-waiting PENDING task has been able to run without being placed (0: none waits); a task in a retry backoff counts from when it ends (use max()).',
      registers,
      collect() {
        const t = now();
        let oldest = 0;
        for (const task of pending()) {
          const eligibleSince = Math.max(task.queuedAtMs ?? task.createdAtMs, task.notBeforeMs);
          if (eligibleSince < t) oldest = Math.max(oldest, t - eligibleSince);
        }
        this.set(oldest / 1000);
      },
    });
    new Gauge({
      name: 'fleet_nodes',
      help: 'Enrolled nodes (not revoked) by status (use max()).',
      labelNames: ['status'],
      registers,
      collect() {
        const counts = { READY: 0, DISCONNECTED: 0, DOWN: 0 } as Record<string, number>;
        for (const n of views.nodes()) if (!n.revokedAtMs) counts[n.status] = (counts[n.status] ?? 0) + 1;
        for (const [status, count] of Object.entries(counts)) this.set({ status }, count);
      },
    });
    new Gauge({
      name: 'fleet_nodes_cordoned',
      help: 'Cordoned nodes (not revoked) by who cordoned them: OPERATOR, or AUTO (the breaker) (use max()).',
      labelNames: ['by'],
      registers,
      collect() {
        const counts = { OPERATOR: 0, AUTO: 0 } as Record<string, number>;
        for (const n of views.nodes()) if (!n.revokedAtMs && n.cordon) counts[n.cordon.by] = (counts[n.cordon.by] ?? 0) + 1;
        for (const [by, count] of Object.entries(counts)) this.set({ by }, count);
      },
    });
    new Gauge({
      name: 'fleet_node_slots',
      help: 'Slots of READY, uncordoned nodes: used (attempts placed and not ended) and free (use max()).',
      labelNames: ['state'],
      registers,
      collect() {
        let used = 0;
        let free = 0;
        for (const n of views.nodes()) {
          if (n.revokedAtMs || n.status !== 'READY' || n.cordon || n.drain) continue;
          const busy = views.activeAttemptsOn(n.id);
          used += busy;
          free += Math.max(0, n.slots - busy);
        }
        this.set({ state: 'used' }, used);
        this.set({ state: 'free' }, free);
      },
    });
    // Autoscaling, from the pool records (the leader's decisions, stored): the same on every replica. A deleted pool's series go.
    const poolGauge = (name: string, help: string, value: (p: PoolRecord) => number) =>
      new Gauge({
        name,
        help: `${help} (use max()).`,
        labelNames: ['pool'],
        registers,
        collect() {
          this.reset();
          for (const p of views.autoscalePools()) this.set({ pool: p.name }, value(p));
        },
      });
    poolGauge('fleet_autoscale_current_nodes', 'Nodes of each autoscale pool as the leader last counted them (enrolled, not DOWN, not released)', (p) => p.state?.current ?? 0);
    poolGauge('fleet_autoscale_desired_nodes', 'Nodes each autoscale pool should have, as the leader last decided (within its min and max)', (p) => p.state?.desired ?? 0);
    poolGauge('fleet_autoscale_max_nodes', 'The most nodes each autoscale pool may have', (p) => p.maxNodes);
    poolGauge('fleet_autoscale_draining_nodes', 'Nodes each autoscale pool\'s scale-in is draining, not yet released to the hook', (p) => p.state?.draining.length ?? 0);
    poolGauge('fleet_autoscale_hook_consecutive_failures', 'Autoscale hook calls for each pool that failed in a row (0 after a success)', (p) => p.state?.failures ?? 0);
    // Teams are an admin's to make (bounded like pools); from the live views: the same on every replica.
    const teamGauge = (name: string, help: string, value: (t: TeamUsage) => number) =>
      new Gauge({
        name,
        help: `${help} (use max()).`,
        labelNames: ['team'],
        registers,
        collect() {
          this.reset();
          for (const t of views.teams()) this.set({ team: t.name }, value(t));
        },
      });
    teamGauge('fleet_team_running_tasks', 'Tasks of each team holding a slot', (t) => t.running);
    teamGauge('fleet_team_tokens_today', 'Tokens each team\'s Cline tasks used this UTC day, fleet-wide (as the gateways reported them)', (t) => t.tokensToday);
    teamGauge('fleet_team_cost_today_dollars', 'Dollars each team\'s Cline tasks spent this UTC day, fleet-wide', (t) => t.costUsdToday);
    teamGauge('fleet_team_budget_exhausted', '1 while a team\'s daily token or cost budget is spent: its Cline tasks get no new attempt and its gateways refuse their calls', (t) => (t.blocked ? 1 : 0));
  }

  /** An autoscale hook call ended. */
  /** A window's grant: how many of how many wanted. */
  permits(provider: string, granted: number, wanted: number): void {
    if (granted > 0) this.permitsGranted.inc({ provider }, granted);
    if (wanted > granted) this.permitsWithheld.inc({ provider }, wanted - granted);
  }

  deliveryTried(outcome: 'delivered' | 'retry' | 'failed'): void {
    this.deliveryTries.inc({ outcome });
  }

  autoscaleHookCalled(pool: string, result: string, seconds: number): void {
    this.hookCalls.inc({ pool });
    if (result !== 'OK') this.hookFailures.inc({ pool });
    this.hookDuration.observe({ pool }, seconds);
  }

  /** An API call answered: its method, its status code's name, how long it took (unary calls). */
  rpc(method: string, code: string, seconds: number | null): void {
    this.grpcRequests.inc({ method, code });
    if (seconds !== null) this.grpcDuration.observe({ method }, seconds);
    if (method === 'SubmitTask' && code === 'OK' && seconds !== null) this.submitDuration.observe(seconds);
  }

  store(op: string, seconds: number, error: StoreErrorKind | null): void {
    this.storeDuration.observe({ op }, seconds);
    if (error) this.storeErrors.inc({ op, kind: error });
  }

  /** A task record this replica wrote changed from `previous` to `next`. */
  taskChanged(previous: Task, next: Task): void {
    const assigned = activeAttempt(next);
    if (assigned && assigned.state === 'ASSIGNED' && !previous.attempts.some((a) => a.id === assigned.id)) {
      this.tasksAssigned.inc();
      if (assigned.queuedMs !== undefined) this.taskWait.observe(assigned.queuedMs / 1000);
    }
    for (const attempt of next.attempts) {
      if (attempt.state === 'ASSIGNED' || attempt.state === 'RUNNING') continue;
      const before = previous.attempts.find((a) => a.id === attempt.id);
      if (!before || (before.state !== 'ASSIGNED' && before.state !== 'RUNNING')) continue;
      this.attemptsEnded.inc({ state: attempt.state, reason: attempt.reason || 'none' });
      if (attempt.startedAtMs > 0 && attempt.finishedAtMs >= attempt.startedAtMs) this.attemptRun.observe((attempt.finishedAtMs - attempt.startedAtMs) / 1000);
    }
    if (isTerminal(next.state) && !isTerminal(previous.state)) {
      this.tasksEnded.inc({ state: next.state });
      this.endToEnd.observe(Math.max(0, next.updatedAtMs - next.createdAtMs) / 1000);
    }
  }

  schedulingPass(seconds: number): void {
    this.passes.inc();
    this.passDuration.observe(seconds);
  }

  leadership(leading: boolean): void {
    this.leaseChanges.inc({ change: leading ? 'acquired' : 'lost' });
  }

  breakerTripped(): void {
    this.breakerTrips.inc();
  }

  /** The leader moved a rollout on: a step, or its end. Operators' pauses and ends are not counted here. */
  rolloutChanged(rollout: Rollout): void {
    if (isActive(rollout)) this.rolloutSteps.inc();
    else this.rolloutEnds.inc({ state: rollout.state });
  }

  rolloutOutcome(arm: RolloutArm, attempt: Attempt): void {
    this.rolloutOutcomes.inc({ arm, outcome: attempt.state === 'SUCCEEDED' ? 'succeeded' : 'failed' });
  }
}

/** Every metric name a replica registers (the dashboard's test checks its queries against them). */
export function controlPlaneMetricNames(): string[] {
  const registry = newRegistry();
  new ControlPlaneMetrics(registry, INERT_VIEWS);
  return registry.getMetricsAsArray().map((m) => m.name);
}

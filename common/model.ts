/**
 * The domain model: what the control plane stores (JSON in JetStream KV),
 * what the node agent journals, and what every program works with. Each
 * union below is spelled once, here, as a constant list and the type derived
 * from it; the proto enums map onto them in `wire/`, the one place that knows
 * both shapes.
 */

/** DELIVERING: a Cline attempt succeeded and its result is being pushed to a forge (`--deliver branch|pr`). */
export const TASK_STATES = ['PENDING', 'ASSIGNED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'DELIVERING'] as const;
export type TaskState = (typeof TASK_STATES)[number];
export const TERMINAL_TASK_STATES: ReadonlySet<TaskState> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT']);

export const ATTEMPT_STATES = ['ASSIGNED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'LOST'] as const;
export type AttemptState = (typeof ATTEMPT_STATES)[number];
export const ATTEMPT_OUTCOME_STATES = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'LOST'] as const satisfies readonly AttemptState[];
/** The outcomes an agent may report for an attempt. */
export type AttemptOutcomeState = (typeof ATTEMPT_OUTCOME_STATES)[number];

/** Who is to blame for a failed attempt: infrastructure failures do not spend the task's retry budget. */
export const FAILURE_KINDS = ['TASK', 'INFRASTRUCTURE'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export const NODE_STATUSES = ['READY', 'DISCONNECTED', 'DOWN'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

export const LOG_STREAMS = ['stdout', 'stderr'] as const;
export type LogStreamName = (typeof LOG_STREAMS)[number];

/**
 * Why an attempt failed, for machines and alerts. The task's own reasons
 * (a Cline run's) spend its retry budget like a non-zero exit; the node's
 * reasons say what went wrong with the machine, and how each is charged is
 * in `NODE_FAULT_CHARGES` (the table is in docs/DESIGN.md, "Faults and who
 * pays for them").
 */
export const TASK_REASONS = ['budget_exceeded', 'stalled', 'provider_error', 'workspace_error', 'patch_too_large', 'agent_error'] as const;
export const NODE_REASONS = ['engine_unavailable', 'engine_error', 'stopped_outside', 'exit_lost', 'host_oom', 'image_missing', 'disk_full'] as const;
export const ATTEMPT_REASONS = [...TASK_REASONS, ...NODE_REASONS] as const;
export type AttemptReason = (typeof ATTEMPT_REASONS)[number];
export type NodeReason = (typeof NODE_REASONS)[number];

/**
 * What a node fault costs. `none`: the attempt never ran or its node is now
 * excluded (cordoned, or known to lack the image), so the task goes back to
 * the queue at once without spending a budget; the node pays instead.
 * `infrastructure`: the infrastructure budget (bounded, apart from the
 * task's retries), as for a lost node.
 */
export const NODE_FAULT_CHARGES: Readonly<Record<NodeReason, 'none' | 'infrastructure'>> = {
  // The engine did not answer when the container was to be made or started: it never ran; the breaker cordons the node at once.
  engine_unavailable: 'none',
  // The engine answered with an internal error (HTTP 5xx) before the container ran; cordoned at once.
  // Charged all the same: a 5xx can come from what the task asked for, and a task must not cordon every node for free.
  engine_error: 'infrastructure',
  // Stopped by a signal the agent did not send: the engine shutting down or restarting without live-restore, an operator's docker stop.
  stopped_outside: 'infrastructure',
  // It ended while its engine restarted with live-restore, and the engine lost its exit status (Docker says 255): it may or may not have done its work.
  exit_lost: 'infrastructure',
  // Killed by the host's out-of-memory killer while the task had no memory limit of its own.
  host_oom: 'infrastructure',
  // --image-pull never and the image is not on the node: the scheduler sends the task to a node that has it.
  // Charged, because a node's image list can be a heartbeat old (or it holds more than it lists): the bound stops a bounce.
  image_missing: 'infrastructure',
  // The node's journal could not write for lack of space: it never ran; the node is cordoned for disk pressure.
  disk_full: 'none',
};

export function isNodeReason(reason: AttemptReason | '' | undefined): reason is NodeReason {
  return (NODE_REASONS as readonly string[]).includes(reason ?? '');
}

export interface ResourceLimits {
  cpus: number;
  memoryBytes: number;
  pidsLimit: number;
}

export interface RetryPolicy {
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  backoffMultiplier: number;
  nonRetryableExitCodes: number[];
}

export interface TaskSpec {
  image: string;
  command: string[];
  env: Record<string, string>;
  workingDir: string;
  resources: ResourceLimits;
  timeoutMs: number;
  retry: RetryPolicy;
  nodeSelector: Record<string, string>;
  priority: number;
  idempotencyKey: string;
  /** Set: a Cline run on a repository (see ClineSpec in the proto). */
  cline?: ClineSpec;
  /** Plain tasks: the container's network. Absent on a submission: the control plane's default; on a task stored before it existed: bridge. */
  network?: AgentNetwork;
  /** Plain tasks: a read-only root file system with a writable tmpfs at /tmp. */
  readOnlyRoot?: boolean;
  /** Plain tasks: "UID" or "UID:GID"; absent: the image's user. */
  user?: string;
  /** The team it belongs to (common/teams.ts); absent: none. */
  team?: string;
}

export const AGENT_NETWORKS = ['none', 'bridge'] as const;
export type AgentNetwork = (typeof AGENT_NETWORKS)[number];

export interface ClineSpec {
  repoUrl: string;
  /** '' = the default branch. */
  ref: string;
  prompt: string;
  provider: string;
  /** 0 = no limit. */
  maxTokens: number;
  /** 0 = no limit. */
  maxCostUsd: number;
  stallTimeoutMs: number;
  maxRepeatedToolCalls: number;
  network: AgentNetwork;
  /** Absent: the patch stays with the task (`--deliver patch`). */
  delivery?: DeliverySpec;
}

/** Where a Cline result goes besides the task: `branch` pushes it as a commit, `pr` also opens a pull (merge) request. */
export const DELIVERY_MODES = ['patch', 'branch', 'pr'] as const;
export type DeliveryMode = (typeof DELIVERY_MODES)[number];

/** The forges whose pull-request APIs the control plane speaks. */
export const FORGE_TYPES = ['github', 'gitlab', 'gitea'] as const;
export type ForgeType = (typeof FORGE_TYPES)[number];

export interface DeliverySpec {
  mode: Exclude<DeliveryMode, 'patch'>;
  /** The forge (`fleetctl forge set`) whose repository the task's repo URL is. */
  forge: string;
  /** '' = `fleet/<task id>`. */
  branch: string;
  /** '' = from the prompt's first line. */
  prTitle: string;
}

/**
 * How far a task's delivery got. The commit is made from the stored result
 * alone (its base, its patch, fixed author and dates), so every try, on any
 * replica, makes the same one: a retry never pushes a different commit.
 */
export interface Delivery {
  branch: string;
  commit: string;
  baseBranch: string;
  prNumber: number;
  prUrl: string;
  /** The pull request was there already (an earlier try, or a replica that lost its lease mid-try, opened it). */
  prExisted: boolean;
  tries: number;
  /** The last try's error ('' once delivered). */
  error: string;
  deliveredAtMs: number;
  /** The replica trying now, under which leader epoch, until when (a try that outlives this is taken over). */
  claim?: { by: string; epoch: number; untilMs: number };
}

export interface AgentProgress {
  iterations: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  lastTool: string;
  updatedAtMs: number;
  /** Which providers and models served the attempt's model calls, and how many each (the gateway's count). */
  servedBy?: ServedBy[];
}

export interface TaskResult {
  attemptId: string;
  summary: string;
  verified: boolean;
  baseCommit: string;
  patchBytes: number;
  filesChanged: number;
  finishReason: string;
  usage: AgentProgress;
}

/** How an attempt ended, as its node reports it. */
export interface AttemptOutcome {
  state: AttemptOutcomeState;
  exitCode?: number;
  error: string;
  failureKind?: FailureKind;
  reason?: AttemptReason;
  /** Cline attempts: what they did, however they ended. */
  progress?: AgentProgress;
  /** A Cline attempt that succeeded; its patch travels beside it. */
  result?: TaskResult;
}

/** What a node's LLM gateway needs to reach a provider for one attempt: the key included. */
/** One provider as a node calls it: where, which model, with which key. */
export interface ProviderEndpoint {
  name: string;
  baseUrl: string;
  model: string;
  apiKey: string;
  /** It has a fleet-wide rate limit: the gateway sends each request only with a permit from the control plane. */
  rateLimited?: boolean;
}

/** What an attempt may call: its provider, then its fallbacks in order when that one keeps failing. */
export interface ProviderGrant extends ProviderEndpoint {
  fallbacks?: ProviderEndpoint[];
}

/** Model calls one provider and model served for an attempt. */
export interface ServedBy {
  provider: string;
  model: string;
  calls: number;
}

/** A provider and its fallbacks: at most this many ever serve one attempt. */
export const MAX_SERVED_BY = 8;

export interface Attempt {
  id: string;
  nodeId: string;
  state: AttemptState;
  exitCode?: number;
  error: string;
  failureKind?: FailureKind;
  assignedAtMs: number;
  startedAtMs: number;
  finishedAtMs: number;
  containerId: string;
  /** Why the control plane wants this attempt stopped while its task goes on (a drain deadline). */
  stopRequested?: string;
  /** The fencing epoch of the leader that placed it. */
  leaderEpoch?: number;
  /** Cline attempts: what they have done so far. */
  progress?: AgentProgress;
  reason?: AttemptReason | '';
  /** How long the task waited in the queue for this attempt (absent on attempts stored before it was recorded). */
  queuedMs?: number;
  /** The image the attempt runs, when a rollout chose it (absent: the task's own). */
  image?: string;
  /** The rollout that chose the image, and its side (`common/rollout.ts`). */
  rolloutId?: string;
  rolloutArm?: 'canary' | 'baseline';
}

/** The image an attempt runs: its own when a rollout chose one, else its task's. */
export function attemptImage(task: Task, attempt: Attempt): string {
  return attempt.image || task.spec.image;
}

export interface Task {
  id: string;
  spec: TaskSpec;
  state: TaskState;
  attempts: Attempt[];
  createdAtMs: number;
  updatedAtMs: number;
  notBeforeMs: number;
  /** When the task last entered the queue able to run: submitted, requeued, or a retry's backoff over. */
  queuedAtMs?: number;
  message: string;
  taskFailures: number;
  infraFailures: number;
  /** A Cline task's result; its patch is in the object store. */
  result?: TaskResult;
  /** A Cline task delivered as a branch or pull request (`spec.cline.delivery`). */
  delivery?: Delivery;
}

export interface NodeResources {
  cpus: number;
  loadPercent: number;
  memoryTotalBytes: number;
  memoryUsedBytes: number;
  diskTotalBytes: number;
  diskUsedBytes: number;
}

/** OPERATOR: only an operator lifts the cordon. AUTO: the circuit breaker lifts it after a healthy probe period. */
export const CORDON_SOURCES = ['OPERATOR', 'AUTO'] as const;
export type CordonSource = (typeof CORDON_SOURCES)[number];

export interface Cordon {
  by: CordonSource;
  reason: string;
  atMs: number;
}

export const DRAIN_STATES = ['DRAINING', 'DRAINED'] as const;
export type DrainState = (typeof DRAIN_STATES)[number];

export interface Drain {
  state: DrainState;
  requestedAtMs: number;
  deadlineMs: number;
  completedAtMs: number;
}

/** REQUESTED: waiting for the node's session; RESTARTING: the agent took it; DONE: a new agent process said hello; REFUSED: see the reason. */
export const RESTART_STATES = ['REQUESTED', 'RESTARTING', 'DONE', 'REFUSED'] as const;
export type RestartState = (typeof RESTART_STATES)[number];

/** An operator's request that the node's agent restart itself. */
export interface RestartRequest {
  id: string;
  drain: boolean;
  requestedAtMs: number;
  /** The access token that asked. */
  requestedBy: string;
  state: RestartState;
  reason: string;
  completedAtMs: number;
}

/** A start of the agent that followed another of its processes, as the control plane heard of it. */
export interface AgentRestart {
  /** When the new process said hello. */
  atMs: number;
  /** How the previous process ended (`PreviousExit.result`). */
  result: string;
  exitStatus: string;
  selfCheckProblems: string;
  /** It restarted because an operator asked. */
  requested: boolean;
}

/** What every view of a node holds. */
interface NodeBase {
  id: string;
  name: string;
  /** From the node's join token or an operator; never from the node. */
  labels: Record<string, string>;
  /** What the node offers: at most `maxSlots`. */
  slots: number;
  /** The ceiling, from the join token (or the slots offered at enrollment) or an operator. */
  maxSlots: number;
  status: NodeStatus;
  enrolledAtMs: number;
  lastHeartbeatMs: number;
  resources: NodeResources;
  agentVersion: string;
  hostname: string;
  dockerHealthy: boolean;
  dockerError: string;
  /** When an operator revoked the node (0: never); its certificates are refused for good. */
  revokedAtMs: number;
  /** When the node's newest certificate expires. */
  certificateExpiresAtMs: number;
}

/** A node as the control plane stores it. */
export interface NodeRecord extends NodeBase {
  /** The join token the node enrolled with. */
  joinTokenId?: string;
  /** The slots the agent last said it has (`slots` is that, capped at `maxSlots`). */
  offeredSlots?: number;
  /** The session that last said hello; an older session closing must not mark the node disconnected. */
  sessionId?: string;
  /** The control-plane replica holding that session: it vouches for the node's liveness while it is READY. */
  replicaId?: string;
  cordon?: Cordon | null;
  drain?: Drain | null;
  /** Fleet containers (running or awaiting removal) the agent last reported. */
  fleetContainers?: number;
  /** Why the node is short of disk space ('' or absent: it is not). */
  diskPressure?: string;
  /** The node runs only `images` (--image-pull never); otherwise it pulls what it lacks. */
  imagesOnly?: boolean;
  /** With --image-pull never: the images the node holds, normalized (`normalizeImageRef`). */
  images?: string[];
  /** Of the images it was asked to fetch ahead (a rollout's canary), those it holds, normalized. */
  prefetched?: string[];
  /** The keys (common/repo-key.ts) of the repositories the node holds a warm mirror of, sorted. */
  repoKeys?: string[];
  /** Attempts in a row that failed at the infrastructure level; a success resets it. */
  infraFailureStreak?: number;
  /** Since when Docker has been reported healthy without a break (0: not healthy). */
  dockerHealthySinceMs?: number;
  /** The agent is draining itself before it stops. */
  agentDraining?: boolean;
  /** The last restart an operator asked for. */
  restartRequest?: RestartRequest | null;
  /** How the agent's last processes ended, newest last (`MAX_RESTARTS_KEPT`). */
  restarts?: AgentRestart[];
}

/** A node as the API shows it: its record without the secrets and the bookkeeping, and the attempts placed on it. */
export interface NodeSummary extends NodeBase {
  /** Attempts the control plane has placed on the node and not seen end. */
  activeAttempts: number;
  cordon: Cordon | null;
  drain: Drain | null;
  fleetContainers: number;
  infraFailureStreak: number;
  /** Why the node is short of disk space; '' when it is not. */
  diskPressure: string;
  /** The node runs only the images it holds. */
  imagesOnly: boolean;
  /** How many images an images-only node holds. */
  imageCount: number;
  /** Keys of the repositories the node holds warm (common/repo-key.ts). */
  repoKeys: string[];
  restartRequest: RestartRequest | null;
  restarts: AgentRestart[];
}

/** A piece of an attempt's output. */
export interface LogChunk {
  taskId: string;
  attemptId: string;
  stream: LogStreamName;
  data: Uint8Array;
  atMs: number;
}

/**
 * A chunk as the fleet's log stream holds it: `seq` is its place there, the
 * same on every replica, so a reader that lost its replica resumes after it
 * on another (0: a control plane that did not say).
 */
export interface StoredLogChunk extends LogChunk {
  seq: number;
}

// ---------------------------------------------------------------------------
// The node session (NodeService.Connect): what each side says to the other.

/** What a node says about itself: set at enrollment, repeated in every hello. */
export interface NodeInfo {
  name: string;
  labels: Record<string, string>;
  slots: number;
  hostname: string;
  agentVersion: string;
}

/** How the agent's previous process ended: what its next one says in its first hello. */
export interface PreviousExit {
  /** systemd's verdict (SERVICE_RESULT): success, exit-code, signal, core-dump, watchdog, ...; 'unknown' without one (a crash outside systemd). */
  result: string;
  /** EXIT_CODE: exited, killed, dumped ('' when unknown). */
  exitCode: string;
  /** EXIT_STATUS: the exit status or the signal's name ('' when unknown). */
  exitStatus: string;
  /** What the agent's self-check found when it last failed before that end ('' when it passed). */
  selfCheckProblems: string;
  atMs: number;
  /** The restart request it ended for ('' when none). */
  restartRequestId: string;
}

export interface Hello extends NodeInfo {
  /** Attempts the agent is running or holding a result for. */
  activeAttemptIds: string[];
  /** In the first hello of a process that followed another one. */
  previousExit?: PreviousExit | null;
  /** The node session protocol the agent speaks, as it said it (0: an agent older than the field; see common/protocol.ts). */
  protocolVersion: number;
}

export interface HeartbeatReport {
  resources: NodeResources;
  freeSlots: number;
  dockerHealthy: boolean;
  dockerError: string;
  /** Containers with fleet labels on the node, running or awaiting removal. */
  fleetContainers: number;
  /** The agent is draining itself before it stops. */
  draining: boolean;
  /** Why the node is short of disk space ('' when it is not): it takes no new work. */
  diskPressure: string;
  /** Attempts the node refused without running them (it could not journal them). */
  declined: DeclinedAttempt[];
  /** The node runs only `images` (--image-pull never, and it holds no more than it lists). */
  imagesOnly: boolean;
  /** The images it holds, when they changed (or the session is new); null: the last list stands. */
  images: string[] | null;
  /** The keys of the repositories it holds warm (common/repo-key.ts), when they changed; null: the last list stands. */
  repoKeys: string[] | null;
  /** Of the images it was asked to fetch ahead (a rollout's canary), those it holds, normalized. */
  prefetched: string[];
}

export interface DeclinedAttempt {
  taskId: string;
  attemptId: string;
  reason: NodeReason;
  error: string;
}

/**
 * An event of one attempt, journaled by the agent before it is sent and
 * resent until acknowledged; `seq` is the agent's outbox sequence.
 */
export type AttemptEvent = { seq: number; taskId: string; attemptId: string; atMs: number } & (
  | { kind: 'started'; containerId: string }
  | { kind: 'output'; stream: LogStreamName; data: Uint8Array }
  | { kind: 'progress'; progress: AgentProgress }
  | { kind: 'finished'; outcome: AttemptOutcome; patch: Uint8Array }
);

export type NodeMessage =
  | { kind: 'hello'; hello: Hello }
  | { kind: 'heartbeat'; heartbeat: HeartbeatReport }
  | { kind: 'event'; event: AttemptEvent }
  /** A new client certificate, please, for the key behind this CSR (PEM). */
  | { kind: 'renew'; csrPem: string }
  | { kind: 'restart-answer'; answer: RestartAnswer }
  /** Permits wanted for a rate-limited provider, with what its calls used since the last ask. */
  | { kind: 'permit-ask'; ask: PermitRequest }
  /** What the gateway spent for teams since its last report. */
  | { kind: 'team-spend'; report: TeamSpendReport };

/** A gateway's spend for attempts of teams (common/teams.ts), acknowledged by id. */
export interface TeamSpendReport {
  entries: Array<{ taskId: string; attemptId: string; tokens: number; costUsd: number }>;
  reportId: number;
}

/** A gateway's ask for permits (common/rate-window.ts). */
export interface PermitRequest {
  provider: string;
  want: number;
  tokens: number;
  throttled: number;
  /** Echoed in the answer. */
  askId: number;
}

/** The control plane's answer: `granted` requests, each to be sent within `validForMs`. */
export interface PermitAnswer {
  provider: string;
  granted: number;
  validForMs: number;
  /** When fewer than wanted: ask again after this long. */
  retryAfterMs: number;
  /** When fewer than wanted: what the calls wait for. */
  why: string;
  /** The ask this answers. */
  askId: number;
  /** The ask's reports were not counted (the control plane's store failed): send them again. */
  uncounted: boolean;
}

export interface Welcome {
  nodeId: string;
  heartbeatIntervalMs: number;
  /** Stop every container after this long without a heartbeat ack (see the design's invariant 2). */
  stopAfterDisconnectMs: number;
  /** The control plane's node session protocol (0: one older than the field). */
  protocolVersion: number;
}

/** Run this attempt. A Cline attempt carries its provider grant (null: none could be granted). */
export interface Assignment {
  taskId: string;
  attemptId: string;
  spec: TaskSpec;
  provider: ProviderGrant | null;
}

/** Stop this attempt: SIGTERM, then SIGKILL after the grace. */
export interface CancelOrder {
  taskId: string;
  attemptId: string;
  reason: string;
  graceMs: number;
}

export type ControlMessage =
  | { kind: 'welcome'; welcome: Welcome }
  | { kind: 'assign'; assign: Assignment }
  | { kind: 'cancel'; cancel: CancelOrder }
  /** Every event with seq <= this one is durably stored. */
  | { kind: 'ack'; seq: number }
  /** The heartbeat was stored. */
  | { kind: 'heartbeat-ack'; serverTimeMs: number; prefetchImages: string[] }
  /** The node's renewed client certificate (PEM). */
  | { kind: 'certificate'; certificatePem: string }
  /** An operator asked the agent to restart itself (fleetctl node restart). */
  | { kind: 'restart'; restart: RestartOrder }
  | { kind: 'permit-grant'; grant: PermitAnswer }
  /** A team spend report was counted (or not: send it again). */
  | { kind: 'team-spend-ack'; reportId: number; uncountedAttempts: string[] }
  /** The teams whose daily budget is spent, and why; replaces the last such message. */
  | { kind: 'team-budgets'; spent: Record<string, string> };

export interface RestartOrder {
  requestId: string;
  /** Drain first (no new work; running attempts may finish until the agent's drain timeout). */
  drain: boolean;
}

/** The agent's answer to a restart order: taken, or refused with the reason. */
export interface RestartAnswer {
  requestId: string;
  accepted: boolean;
  reason: string;
}

/** A node takes new work only when it is READY, not cordoned, not draining, its engine answers and it has disk space. */
export function isSchedulable(node: NodeRecord): boolean {
  return node.status === 'READY' && !node.cordon && !node.drain && !node.agentDraining && node.dockerHealthy && !node.diskPressure;
}

/**
 * An image reference as Docker names it locally, so that what a task asks for
 * and what a node holds compare equal: `busybox` is `busybox:latest`, the
 * default registry's prefixes are dropped, and a digest wins over a tag.
 */
export function normalizeImageRef(ref: string): string {
  let name = ref.trim();
  const at = name.indexOf('@');
  if (at >= 0) {
    const digest = name.slice(at);
    name = stripDefaultRegistry(name.slice(0, at));
    const colon = name.lastIndexOf(':');
    if (colon > name.lastIndexOf('/')) name = name.slice(0, colon);
    return `${name}${digest}`;
  }
  name = stripDefaultRegistry(name);
  return name.lastIndexOf(':') > name.lastIndexOf('/') ? name : `${name}:latest`;
}

function stripDefaultRegistry(name: string): string {
  for (const prefix of ['docker.io/library/', 'index.docker.io/library/', 'docker.io/', 'index.docker.io/']) {
    if (name.startsWith(prefix)) return name.slice(prefix.length);
  }
  return name;
}

export function isTerminal(state: TaskState): boolean {
  return TERMINAL_TASK_STATES.has(state);
}

export function isAttemptActive(attempt: Attempt): boolean {
  return attempt.state === 'ASSIGNED' || attempt.state === 'RUNNING';
}

export function currentAttempt(task: Task): Attempt | undefined {
  return task.attempts[task.attempts.length - 1];
}

/** The attempt that still occupies a node, if any: the current one, while it runs. */
export function activeAttempt(task: Task): Attempt | undefined {
  const attempt = currentAttempt(task);
  return attempt && isAttemptActive(attempt) ? attempt : undefined;
}

/** A task needs attention while it is not terminal or its last attempt has not ended. */
export function isTaskActive(task: Task): boolean {
  return !isTerminal(task.state) || activeAttempt(task) !== undefined;
}

export const EMPTY_RESOURCES: NodeResources = {
  cpus: 0,
  loadPercent: 0,
  memoryTotalBytes: 0,
  memoryUsedBytes: 0,
  diskTotalBytes: 0,
  diskUsedBytes: 0,
};

/**
 * An autoscaling pool as an admin sets it (`fleetctl autoscale set`): the
 * nodes it counts, by label, and its bounds. A cooldown of 0 asks for the
 * default; the control plane stores what it resolved.
 */
export interface PoolConfig {
  name: string;
  selector: Record<string, string>;
  minNodes: number;
  maxNodes: number;
  scaleUpCooldownMs: number;
  scaleDownCooldownMs: number;
}

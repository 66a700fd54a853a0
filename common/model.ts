/**
 * The domain model: what the control plane stores (JSON in JetStream KV),
 * what the node agent journals, and what every program works with. Each
 * union below is spelled once, here, as a constant list and the type derived
 * from it; the proto enums map onto them in `wire/`, the one place that knows
 * both shapes.
 */

export const TASK_STATES = ['PENDING', 'ASSIGNED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'] as const;
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
 * spend its retry budget like a non-zero exit.
 */
export const ATTEMPT_REASONS = ['budget_exceeded', 'stalled', 'provider_error', 'workspace_error', 'patch_too_large', 'agent_error'] as const;
export type AttemptReason = (typeof ATTEMPT_REASONS)[number];

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
}

export interface AgentProgress {
  iterations: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  lastTool: string;
  updatedAtMs: number;
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
export interface ProviderGrant {
  name: string;
  baseUrl: string;
  model: string;
  apiKey: string;
}

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

/** What every view of a node holds. */
interface NodeBase {
  id: string;
  name: string;
  labels: Record<string, string>;
  slots: number;
  status: NodeStatus;
  enrolledAtMs: number;
  lastHeartbeatMs: number;
  resources: NodeResources;
  agentVersion: string;
  hostname: string;
  dockerHealthy: boolean;
  dockerError: string;
}

/** A node as the control plane stores it. */
export interface NodeRecord extends NodeBase {
  /** SHA-256 of the node credential secret (256 random bits, so no slow hash is needed); never leaves the control plane. */
  credentialHash: string;
  /** The session that last said hello; an older session closing must not mark the node disconnected. */
  sessionId?: string;
  cordon?: Cordon | null;
  drain?: Drain | null;
  /** Fleet containers (running or awaiting removal) the agent last reported. */
  fleetContainers?: number;
  /** Attempts in a row that failed at the infrastructure level; a success resets it. */
  infraFailureStreak?: number;
  /** Since when Docker has been reported healthy without a break (0: not healthy). */
  dockerHealthySinceMs?: number;
  /** The agent is draining itself before it stops. */
  agentDraining?: boolean;
}

/** A node as the API shows it: its record without the secrets and the bookkeeping, and the attempts placed on it. */
export interface NodeSummary extends NodeBase {
  /** Attempts the control plane has placed on the node and not seen end. */
  activeAttempts: number;
  cordon: Cordon | null;
  drain: Drain | null;
  fleetContainers: number;
  infraFailureStreak: number;
}

/** A piece of an attempt's output. */
export interface LogChunk {
  taskId: string;
  attemptId: string;
  stream: LogStreamName;
  data: Uint8Array;
  atMs: number;
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

export interface Hello extends NodeInfo {
  /** Attempts the agent is running or holding a result for. */
  activeAttemptIds: string[];
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

export type NodeMessage = { kind: 'hello'; hello: Hello } | { kind: 'heartbeat'; heartbeat: HeartbeatReport } | { kind: 'event'; event: AttemptEvent };

export interface Welcome {
  nodeId: string;
  heartbeatIntervalMs: number;
  /** Stop every container after this long without a heartbeat ack (see the design's invariant 2). */
  stopAfterDisconnectMs: number;
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
  | { kind: 'heartbeat-ack'; serverTimeMs: number };

/** A node takes new work only when it is READY, not cordoned and not draining. */
export function isSchedulable(node: NodeRecord): boolean {
  return node.status === 'READY' && !node.cordon && !node.drain && !node.agentDraining;
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

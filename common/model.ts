/**
 * The domain model as the control plane stores it (JSON in JetStream KV).
 * States are plain string unions; the proto enums map onto them in
 * `proto-convert.ts`, the one place that knows both.
 */

export const TASK_STATES = ['PENDING', 'ASSIGNED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'] as const;
export type TaskState = (typeof TASK_STATES)[number];
export const TERMINAL_TASK_STATES: ReadonlySet<TaskState> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT']);

export const ATTEMPT_STATES = ['ASSIGNED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'LOST'] as const;
export type AttemptState = (typeof ATTEMPT_STATES)[number];
/** The outcomes an agent may report for an attempt. */
export type AttemptOutcomeState = Exclude<AttemptState, 'ASSIGNED' | 'RUNNING'>;

export type FailureKind = 'TASK' | 'INFRASTRUCTURE';

export type NodeStatus = 'READY' | 'DISCONNECTED' | 'DOWN';

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

export type AgentNetwork = 'none' | 'bridge';

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

/**
 * Why an attempt failed, for machines and alerts. The task's own reasons
 * spend its retry budget like a non-zero exit.
 */
export type AttemptReason =
  | 'budget_exceeded'
  | 'stalled'
  | 'provider_error'
  | 'workspace_error'
  | 'patch_too_large'
  | 'agent_error';

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
}

export interface Task {
  id: string;
  spec: TaskSpec;
  state: TaskState;
  attempts: Attempt[];
  createdAtMs: number;
  updatedAtMs: number;
  notBeforeMs: number;
  message: string;
  taskFailures: number;
  infraFailures: number;
  cancelRequested: boolean;
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

export interface Cordon {
  /** OPERATOR: only an operator lifts it. AUTO: the circuit breaker lifts it after a healthy probe period. */
  by: 'OPERATOR' | 'AUTO';
  reason: string;
  atMs: number;
}

export interface Drain {
  state: 'DRAINING' | 'DRAINED';
  requestedAtMs: number;
  deadlineMs: number;
  completedAtMs: number;
}

export interface NodeRecord {
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

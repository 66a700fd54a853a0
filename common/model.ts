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
}

export interface NodeResources {
  cpus: number;
  loadPercent: number;
  memoryTotalBytes: number;
  memoryUsedBytes: number;
  diskTotalBytes: number;
  diskUsedBytes: number;
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

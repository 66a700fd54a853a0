/**
 * The one place that maps the domain model onto the wire and back. Inputs from
 * the wire are validated elsewhere (`compileTaskSpec`, the RPC handlers); this
 * file only renames.
 */
import type { AgentProgress as AgentProgressMsg } from '../proto/gen/fleet/v1/AgentProgress.js';
import type { Attempt as AttemptMsg } from '../proto/gen/fleet/v1/Attempt.js';
import type { AttemptState as AttemptStateMsg } from '../proto/gen/fleet/v1/AttemptState.js';
import type { FailureKind as FailureKindMsg } from '../proto/gen/fleet/v1/FailureKind.js';
import type { Node as NodeMsg } from '../proto/gen/fleet/v1/Node.js';
import type { NodeStatus as NodeStatusMsg } from '../proto/gen/fleet/v1/NodeStatus.js';
import type { Task as TaskMsg } from '../proto/gen/fleet/v1/Task.js';
import type { TaskResult as TaskResultMsg } from '../proto/gen/fleet/v1/TaskResult.js';
import type { TaskSpec as TaskSpecMsg } from '../proto/gen/fleet/v1/TaskSpec.js';
import type { TaskState as TaskStateMsg } from '../proto/gen/fleet/v1/TaskState.js';
import type { AgentProgress, Attempt, AttemptState, TaskResult, FailureKind, NodeRecord, NodeStatus, Task, TaskSpec, TaskState } from './model.js';

/** Wire enum names carry their type as a prefix; the domain's do not. */
function stripPrefix(value: unknown, prefix: string): string {
  const text = String(value);
  return text.startsWith(prefix) ? text.slice(prefix.length) : text;
}

export const taskStateToProto = (s: TaskState): TaskStateMsg => `TASK_STATE_${s}` as TaskStateMsg;
export const taskStateFromProto = (s: TaskStateMsg | string): TaskState | 'UNSPECIFIED' =>
  stripPrefix(s, 'TASK_STATE_') as TaskState | 'UNSPECIFIED';
export const attemptStateToProto = (s: AttemptState): AttemptStateMsg => `ATTEMPT_STATE_${s}` as AttemptStateMsg;
export const attemptStateFromProto = (s: AttemptStateMsg | string): AttemptState | 'UNSPECIFIED' =>
  stripPrefix(s, 'ATTEMPT_STATE_') as AttemptState | 'UNSPECIFIED';
export const failureKindToProto = (k: FailureKind | undefined): FailureKindMsg =>
  (k ? `FAILURE_KIND_${k}` : 'FAILURE_KIND_UNSPECIFIED') as FailureKindMsg;
export const failureKindFromProto = (k: FailureKindMsg | string): FailureKind | undefined => {
  const name = stripPrefix(k, 'FAILURE_KIND_');
  return name === 'TASK' || name === 'INFRASTRUCTURE' ? name : undefined;
};
export const nodeStatusToProto = (s: NodeStatus): NodeStatusMsg => `NODE_STATUS_${s}` as NodeStatusMsg;
export const nodeStatusFromProto = (s: NodeStatusMsg | string): string => stripPrefix(s, 'NODE_STATUS_');

export function specToProto(spec: TaskSpec): TaskSpecMsg {
  return {
    image: spec.image,
    command: spec.command,
    env: spec.env,
    workingDir: spec.workingDir,
    resources: { cpus: spec.resources.cpus, memoryBytes: spec.resources.memoryBytes, pidsLimit: spec.resources.pidsLimit },
    timeoutMs: spec.timeoutMs,
    retry: { ...spec.retry },
    nodeSelector: spec.nodeSelector,
    priority: spec.priority,
    idempotencyKey: spec.idempotencyKey,
    ...(spec.cline ? { cline: { ...spec.cline } } : {}),
  };
}

export const EMPTY_PROGRESS: AgentProgress = { iterations: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, lastTool: '', updatedAtMs: 0 };

export function progressToProto(p: AgentProgress | undefined): AgentProgressMsg {
  return { ...(p ?? EMPTY_PROGRESS) };
}

/** Numbers from the wire may be absent or negative: keep them within sense. */
export function progressFromProto(p: AgentProgressMsg | null | undefined): AgentProgress {
  const count = (v: unknown) => Math.max(0, Math.floor(Number(v) || 0));
  return {
    iterations: count(p?.iterations),
    inputTokens: count(p?.inputTokens),
    outputTokens: count(p?.outputTokens),
    costUsd: Math.max(0, Number(p?.costUsd) || 0),
    lastTool: String(p?.lastTool ?? '').slice(0, 200),
    updatedAtMs: count(p?.updatedAtMs),
  };
}

export function resultToProto(r: TaskResult): TaskResultMsg {
  return { ...r, usage: progressToProto(r.usage) };
}

export function attemptToProto(a: Attempt): AttemptMsg {
  return {
    id: a.id,
    nodeId: a.nodeId,
    state: attemptStateToProto(a.state),
    ...(a.exitCode === undefined ? {} : { exitCode: a.exitCode }),
    error: a.error,
    failureKind: failureKindToProto(a.failureKind),
    assignedAtMs: a.assignedAtMs,
    startedAtMs: a.startedAtMs,
    finishedAtMs: a.finishedAtMs,
    containerId: a.containerId,
    stopRequested: a.stopRequested ?? '',
    leaderEpoch: a.leaderEpoch ?? 0,
    ...(a.progress ? { progress: progressToProto(a.progress) } : {}),
    reason: a.reason ?? '',
  };
}

/** Secrets in env are the operator's own; the admin API returns the spec as submitted. */
export function taskToProto(t: Task): TaskMsg {
  return {
    id: t.id,
    spec: specToProto(t.spec),
    state: taskStateToProto(t.state),
    attempts: t.attempts.map(attemptToProto),
    createdAtMs: t.createdAtMs,
    updatedAtMs: t.updatedAtMs,
    notBeforeMs: t.notBeforeMs,
    message: t.message,
    taskFailures: t.taskFailures,
    infraFailures: t.infraFailures,
    cancelRequested: t.cancelRequested,
    ...(t.result ? { result: resultToProto(t.result) } : {}),
  };
}

export function nodeToProto(n: NodeRecord, activeAttempts: number): NodeMsg {
  return {
    id: n.id,
    name: n.name,
    labels: n.labels,
    slots: n.slots,
    status: nodeStatusToProto(n.status),
    enrolledAtMs: n.enrolledAtMs,
    lastHeartbeatMs: n.lastHeartbeatMs,
    resources: { ...n.resources },
    activeAttempts,
    agentVersion: n.agentVersion,
    hostname: n.hostname,
    dockerHealthy: n.dockerHealthy,
    dockerError: n.dockerError,
    cordoned: Boolean(n.cordon),
    cordonReason: n.cordon?.reason ?? '',
    cordonedBy: n.cordon?.by ?? '',
    drain: n.drain ? { ...n.drain } : { state: '', requestedAtMs: 0, deadlineMs: 0, completedAtMs: 0 },
    fleetContainers: n.fleetContainers ?? 0,
    infraFailureStreak: n.infraFailureStreak ?? 0,
  };
}

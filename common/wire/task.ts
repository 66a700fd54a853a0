/**
 * Tasks on the wire: the spec, a Cline attempt's progress and result, an
 * attempt, a task. Encoders rename; decoders check every field and return a
 * domain value or throw a ValidationError naming the field.
 */
import type { AgentProgress as AgentProgressMsg, AgentProgress__Output } from '../../proto/gen/fleet/v1/AgentProgress.js';
import type { ServedBy__Output as ServedByMsg } from '../../proto/gen/fleet/v1/ServedBy.js';
import type { Attempt as AttemptMsg, Attempt__Output } from '../../proto/gen/fleet/v1/Attempt.js';
import type { Task as TaskMsg, Task__Output } from '../../proto/gen/fleet/v1/Task.js';
import type { TaskResult as TaskResultMsg, TaskResult__Output } from '../../proto/gen/fleet/v1/TaskResult.js';
import type { TaskSpec as TaskSpecMsg } from '../../proto/gen/fleet/v1/TaskSpec.js';
import type { ClineSpec as ClineSpecMsg } from '../../proto/gen/fleet/v1/ClineSpec.js';
import type { Delivery as DeliveryMsg, Delivery__Output } from '../../proto/gen/fleet/v1/Delivery.js';
import { ValidationError } from '../errors.js';
import { ATTEMPT_REASONS, MAX_SERVED_BY, type AgentProgress, type Attempt, type AttemptReason, type ClineSpec, type Delivery, type Task, type TaskResult, type TaskSpec } from '../model.js';
import { compileTaskSpec, PROVIDER_LIMITS, RESULT_LIMITS, SPEC_LIMITS } from '../task-spec.js';
import { decodeAttemptState, decodeFailureKind, decodeTaskState, encodeAttemptState, encodeFailureKind, encodeTaskState } from './enums.js';
import { bool, count, int, num, str, text } from './fields.js';

const MAX_ERROR_CHARS = 4096;
const MAX_TOOL_CHARS = 200;
const MAX_FINISH_REASON_CHARS = 64;
const MAX_ID_CHARS = 128;
const MAX_COST_USD = 1e9;
export const INT32_MIN = -2_147_483_648;
export const INT32_MAX = 2_147_483_647;
const COMMIT_PATTERN = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

export function encodeTaskSpec(spec: TaskSpec): TaskSpecMsg {
  return {
    image: spec.image,
    command: spec.command,
    env: spec.env,
    workingDir: spec.workingDir,
    resources: { ...spec.resources },
    timeoutMs: spec.timeoutMs,
    retry: { ...spec.retry },
    nodeSelector: spec.nodeSelector,
    priority: spec.priority,
    idempotencyKey: spec.idempotencyKey,
    ...(spec.cline ? { cline: encodeClineSpec(spec.cline) } : {}),
    network: spec.network ?? '',
    readOnlyRoot: spec.readOnlyRoot ?? false,
    user: spec.user ?? '',
    team: spec.team ?? '',
  };
}

function encodeClineSpec(c: ClineSpec): ClineSpecMsg {
  const { delivery, ...rest } = c;
  return { ...rest, deliver: delivery?.mode ?? 'patch', forge: delivery?.forge ?? '', branch: delivery?.branch ?? '', prTitle: delivery?.prTitle ?? '' };
}

/** The spec's own rules (limits, defaults) are in `task-spec.ts`; its errors name `spec.…` fields. */
export function decodeTaskSpec(msg: TaskSpecMsg | null | undefined): TaskSpec {
  return compileTaskSpec(msg);
}

export const EMPTY_PROGRESS: AgentProgress = { iterations: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, lastTool: '', updatedAtMs: 0 };

export function encodeProgress(p: AgentProgress): AgentProgressMsg {
  return { ...p, servedBy: p.servedBy ?? [] };
}

export function decodeProgress(field: string, p: AgentProgress__Output | null | undefined): AgentProgress {
  return {
    iterations: count(`${field}.iterations`, p?.iterations),
    inputTokens: count(`${field}.input_tokens`, p?.inputTokens),
    outputTokens: count(`${field}.output_tokens`, p?.outputTokens),
    costUsd: num(`${field}.cost_usd`, p?.costUsd, 0, MAX_COST_USD),
    lastTool: text(`${field}.last_tool`, p?.lastTool, MAX_TOOL_CHARS),
    updatedAtMs: count(`${field}.updated_at_ms`, p?.updatedAtMs),
    ...decodeServedBy(`${field}.served_by`, p?.servedBy),
  };
}

function decodeServedBy(field: string, list: ServedByMsg[] | undefined): Pick<AgentProgress, 'servedBy'> {
  if (!list || list.length === 0) return {};
  if (list.length > MAX_SERVED_BY) throw new ValidationError(field, `at most ${MAX_SERVED_BY} providers serve an attempt, got ${list.length}`);
  return {
    servedBy: list.map((x, i) => ({
      provider: str(`${field}[${i}].provider`, x.provider, PROVIDER_LIMITS.nameChars),
      model: str(`${field}[${i}].model`, x.model, PROVIDER_LIMITS.modelChars),
      calls: count(`${field}[${i}].calls`, x.calls),
    })),
  };
}

export function encodeResult(r: TaskResult): TaskResultMsg {
  return { ...r, usage: encodeProgress(r.usage) };
}

/**
 * `attemptId` and `patchBytes` are the receiver's to know (the attempt the
 * report came with, the patch that arrived), so they are passed in, not read.
 */
export function decodeResult(field: string, r: TaskResult__Output, attemptId: string, patchBytes: number): TaskResult {
  const baseCommit = str(`${field}.base_commit`, r.baseCommit, 64);
  if (!COMMIT_PATTERN.test(baseCommit)) throw new ValidationError(`${field}.base_commit`, 'must be a full commit id');
  const summary = str(`${field}.summary`, r.summary);
  return {
    attemptId,
    // Longer summaries are cut, with a marker, by the agent; the bound holds for any peer.
    summary: summary.slice(0, RESULT_LIMITS.summaryChars),
    verified: bool(`${field}.verified`, r.verified),
    baseCommit,
    patchBytes,
    filesChanged: count(`${field}.files_changed`, r.filesChanged),
    finishReason: text(`${field}.finish_reason`, r.finishReason, MAX_FINISH_REASON_CHARS),
    usage: decodeProgress(`${field}.usage`, r.usage),
  };
}

export function decodeReason(field: string, value: unknown): AttemptReason | undefined {
  const reason = str(field, value, 64);
  if (reason === '') return undefined;
  const known = ATTEMPT_REASONS.find((r) => r === reason);
  if (!known) throw new ValidationError(field, `"${reason}" is not a known reason (${ATTEMPT_REASONS.join(', ')})`);
  return known;
}

export function encodeAttempt(a: Attempt): AttemptMsg {
  return {
    id: a.id,
    nodeId: a.nodeId,
    state: encodeAttemptState(a.state),
    ...(a.exitCode === undefined ? {} : { exitCode: a.exitCode }),
    error: a.error,
    failureKind: encodeFailureKind(a.failureKind),
    assignedAtMs: a.assignedAtMs,
    startedAtMs: a.startedAtMs,
    finishedAtMs: a.finishedAtMs,
    containerId: a.containerId,
    stopRequested: a.stopRequested ?? '',
    leaderEpoch: a.leaderEpoch ?? 0,
    ...(a.progress ? { progress: encodeProgress(a.progress) } : {}),
    reason: a.reason ?? '',
    ...(a.queuedMs === undefined ? {} : { queuedMs: a.queuedMs }),
    image: a.image ?? '',
    rolloutId: a.rolloutId ?? '',
    rolloutArm: a.rolloutArm ?? '',
  };
}

export function decodeAttempt(field: string, a: Attempt__Output): Attempt {
  const failureKind = decodeFailureKind(`${field}.failure_kind`, a.failureKind);
  const stopRequested = text(`${field}.stop_requested`, a.stopRequested, MAX_ERROR_CHARS);
  const leaderEpoch = count(`${field}.leader_epoch`, a.leaderEpoch);
  const reason = decodeReason(`${field}.reason`, a.reason);
  return {
    id: str(`${field}.id`, a.id, MAX_ID_CHARS),
    nodeId: str(`${field}.node_id`, a.nodeId, MAX_ID_CHARS),
    state: decodeAttemptState(`${field}.state`, a.state),
    ...(a.exitCode === undefined || a.exitCode === null ? {} : { exitCode: int(`${field}.exit_code`, a.exitCode, INT32_MIN, INT32_MAX) }),
    error: text(`${field}.error`, a.error, MAX_ERROR_CHARS),
    ...(failureKind ? { failureKind } : {}),
    assignedAtMs: count(`${field}.assigned_at_ms`, a.assignedAtMs),
    startedAtMs: count(`${field}.started_at_ms`, a.startedAtMs),
    finishedAtMs: count(`${field}.finished_at_ms`, a.finishedAtMs),
    containerId: str(`${field}.container_id`, a.containerId, MAX_ID_CHARS),
    ...(stopRequested ? { stopRequested } : {}),
    ...(leaderEpoch ? { leaderEpoch } : {}),
    ...(a.progress ? { progress: decodeProgress(`${field}.progress`, a.progress) } : {}),
    ...(reason ? { reason } : {}),
    ...(a.queuedMs === undefined || a.queuedMs === null ? {} : { queuedMs: count(`${field}.queued_ms`, a.queuedMs) }),
    ...(a.image ? { image: str(`${field}.image`, a.image, SPEC_LIMITS.imageChars) } : {}),
    ...(a.rolloutId ? { rolloutId: str(`${field}.rollout_id`, a.rolloutId, MAX_ID_CHARS) } : {}),
    ...(a.rolloutArm ? { rolloutArm: decodeArm(`${field}.rollout_arm`, a.rolloutArm) } : {}),
  };
}

function decodeArm(field: string, arm: string): 'canary' | 'baseline' {
  if (arm === 'canary' || arm === 'baseline') return arm;
  throw new ValidationError(field, `"${arm}" is not canary or baseline`);
}

/** Secrets in env are the operator's own; the admin API returns the spec as submitted. */
export function encodeTask(t: Task): TaskMsg {
  return {
    id: t.id,
    spec: encodeTaskSpec(t.spec),
    state: encodeTaskState(t.state),
    attempts: t.attempts.map(encodeAttempt),
    createdAtMs: t.createdAtMs,
    updatedAtMs: t.updatedAtMs,
    notBeforeMs: t.notBeforeMs,
    message: t.message,
    taskFailures: t.taskFailures,
    infraFailures: t.infraFailures,
    ...(t.result ? { result: encodeResult(t.result) } : {}),
    ...(t.delivery ? { delivery: encodeDelivery(t.delivery) } : {}),
  };
}

function encodeDelivery(d: Delivery): DeliveryMsg {
  return { branch: d.branch, commit: d.commit, baseBranch: d.baseBranch, prNumber: d.prNumber, prUrl: d.prUrl, prExisted: d.prExisted, tries: d.tries, error: d.error, deliveredAtMs: d.deliveredAtMs };
}

function decodeDelivery(d: Delivery__Output): Delivery {
  const commit = str('delivery.commit', d.commit, 64);
  if (commit !== '' && !COMMIT_PATTERN.test(commit)) throw new ValidationError('delivery.commit', 'is not a commit id');
  return {
    branch: str('delivery.branch', d.branch, 256),
    commit,
    baseBranch: str('delivery.base_branch', d.baseBranch, 256),
    prNumber: count('delivery.pr_number', d.prNumber),
    prUrl: str('delivery.pr_url', d.prUrl, 2048),
    prExisted: bool('delivery.pr_existed', d.prExisted),
    tries: count('delivery.tries', d.tries),
    error: str('delivery.error', d.error, MAX_ERROR_CHARS),
    deliveredAtMs: count('delivery.delivered_at_ms', d.deliveredAtMs),
  };
}

export function decodeTask(t: Task__Output): Task {
  const result = t.result ? decodeResult('result', t.result, str('result.attempt_id', t.result.attemptId, MAX_ID_CHARS), count('result.patch_bytes', t.result.patchBytes)) : undefined;
  return {
    id: str('id', t.id, MAX_ID_CHARS),
    spec: decodeTaskSpec(t.spec),
    state: decodeTaskState('state', t.state),
    attempts: (t.attempts ?? []).map((a, i) => decodeAttempt(`attempts[${i}]`, a)),
    createdAtMs: count('created_at_ms', t.createdAtMs),
    updatedAtMs: count('updated_at_ms', t.updatedAtMs),
    notBeforeMs: count('not_before_ms', t.notBeforeMs),
    message: str('message', t.message),
    taskFailures: count('task_failures', t.taskFailures),
    infraFailures: count('infra_failures', t.infraFailures),
    ...(result ? { result } : {}),
    ...(t.delivery ? { delivery: decodeDelivery(t.delivery) } : {}),
  };
}

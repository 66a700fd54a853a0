/**
 * Every task state transition, in one place. Pure functions: each takes the
 * task as stored and returns the next version, or throws a typed error. The
 * callers apply the result with a compare-and-set; a conflict re-reads and
 * calls again, so these functions always decide on fresh data.
 */
import type { Placement } from '../../common/rollout.js';
import { fullJitterDelayMs } from '../../common/backoff.js';
import { FleetError, PermissionError, PreconditionError } from '../../common/errors.js';
import { activeAttempt, currentAttempt, isNodeReason, isTerminal, NODE_FAULT_CHARGES, type AgentProgress, type Attempt, type AttemptOutcome, type Delivery, type Task, type TaskSpec } from '../../common/model.js';

/**
 * Infrastructure failures (lost node, Docker error, drain) are not the task's
 * fault and do not spend its retry budget, but a task that breaks every node it
 * touches must still end: this bounds them separately.
 */
export const MAX_INFRA_FAILURES = 5;
const INFRA_RETRY_BACKOFF = { initialMs: 500, maxMs: 30_000, multiplier: 2 };

/** A report from an attempt that is no longer the task's current one. */
export class StaleAttemptError extends FleetError {
  constructor(
    readonly taskId: string,
    readonly attemptId: string,
  ) {
    super('FAILED_PRECONDITION', `attempt ${attemptId} is not the current attempt of task ${taskId}`);
  }
}

export function newTask(id: string, spec: TaskSpec, now: number): Task {
  return {
    id,
    spec,
    state: 'PENDING',
    attempts: [],
    createdAtMs: now,
    updatedAtMs: now,
    notBeforeMs: 0,
    queuedAtMs: now,
    message: 'waiting for a node',
    taskFailures: 0,
    infraFailures: 0,
  };
}

export function assignTask(task: Task, attemptId: string, nodeId: string, now: number, leaderEpoch = 0, placement?: Placement): Task {
  if (task.state !== 'PENDING') {
    throw new PreconditionError(`task ${task.id} is ${task.state}, not PENDING`);
  }
  // Tasks stored before queuedAtMs was recorded: their creation or backoff end is the best guess.
  const queuedAtMs = task.queuedAtMs ?? Math.max(task.createdAtMs, task.notBeforeMs);
  const attempt: Attempt = {
    id: attemptId,
    nodeId,
    state: 'ASSIGNED',
    error: '',
    queuedMs: Math.max(0, now - queuedAtMs),
    assignedAtMs: now,
    startedAtMs: 0,
    finishedAtMs: 0,
    containerId: '',
    ...(leaderEpoch ? { leaderEpoch } : {}),
    ...(placement?.rollout ? { image: placement.image, rolloutId: placement.rollout.id, rolloutArm: placement.rollout.arm } : {}),
  };
  const canary = placement?.rollout?.arm === 'canary' ? ` (canary ${placement.image})` : '';
  return { ...task, state: 'ASSIGNED', attempts: [...task.attempts, attempt], updatedAtMs: now, notBeforeMs: 0, message: `assigned to ${nodeId}${canary}` };
}

/**
 * A node may only report on the current attempt of a task, and only if the
 * control plane placed that attempt on it: the node's identity comes from its
 * credential, the attempt's owner from the stored record.
 */
export function checkOwner(task: Task, nodeId: string, attemptId: string): void {
  ownedAttempt(task, nodeId, attemptId);
  if (currentAttempt(task)?.id !== attemptId) throw new StaleAttemptError(task.id, attemptId);
}

/** The attempt, current or not, if the control plane placed it on this node. */
export function ownedAttempt(task: Task, nodeId: string, attemptId: string): Attempt {
  const attempt = task.attempts.find((a) => a.id === attemptId);
  if (!attempt) throw new StaleAttemptError(task.id, attemptId);
  if (attempt.nodeId !== nodeId) throw new PermissionError(`attempt ${attemptId} does not belong to node ${nodeId}`);
  return attempt;
}

function requireCurrent(task: Task, attemptId: string): Attempt {
  const attempt = currentAttempt(task);
  if (!attempt || attempt.id !== attemptId) throw new StaleAttemptError(task.id, attemptId);
  return attempt;
}

function withCurrent(task: Task, attempt: Attempt): Attempt[] {
  return [...task.attempts.slice(0, -1), attempt];
}

/** Returns null when the report changes nothing (a resent event). */
export function attemptStarted(task: Task, attemptId: string, containerId: string, now: number): Task | null {
  const attempt = requireCurrent(task, attemptId);
  if (attempt.state !== 'ASSIGNED') return null;
  const started: Attempt = { ...attempt, state: 'RUNNING', startedAtMs: now, containerId };
  const state = isTerminal(task.state) ? task.state : 'RUNNING';
  return { ...task, state, attempts: withCurrent(task, started), updatedAtMs: now, message: isTerminal(task.state) ? task.message : `running on ${attempt.nodeId}` };
}

/**
 * Records how the current attempt ended and decides what the task does next:
 * finish, or go back to PENDING after a backoff. Returns null for a resent report.
 */
export function attemptFinished(task: Task, attemptId: string, outcome: AttemptOutcome, now: number, random: () => number = Math.random): Task | null {
  const attempt = requireCurrent(task, attemptId);
  if (attempt.state !== 'ASSIGNED' && attempt.state !== 'RUNNING') return null;
  const failureKind = outcome.state === 'SUCCEEDED' ? undefined : (outcome.failureKind ?? (outcome.state === 'LOST' ? 'INFRASTRUCTURE' : 'TASK'));
  const ended: Attempt = {
    ...attempt,
    state: outcome.state,
    ...(outcome.exitCode === undefined ? {} : { exitCode: outcome.exitCode }),
    error: outcome.error,
    ...(failureKind ? { failureKind } : {}),
    ...(outcome.reason ? { reason: outcome.reason } : {}),
    ...(outcome.progress ? { progress: outcome.progress } : {}),
    finishedAtMs: now,
  };
  const base: Task = { ...task, attempts: withCurrent(task, ended), updatedAtMs: now };
  // A cancelled task keeps its state; this only records how its last attempt ended.
  if (isTerminal(task.state)) return base;
  if (outcome.state === 'SUCCEEDED') return succeeded(base, outcome);
  // Stopped on purpose (a drain): not the task's fault nor the node's failure.
  if (attempt.stopRequested) return { ...base, state: 'PENDING', notBeforeMs: 0, queuedAtMs: now, message: `requeued: ${attempt.stopRequested}` };
  if (failureKind === 'INFRASTRUCTURE' && isNodeReason(outcome.reason) && NODE_FAULT_CHARGES[outcome.reason] === 'none') {
    // The node pays (it is cordoned, or known to lack the image): back to the queue at once, no budget spent.
    return { ...base, state: 'PENDING', notBeforeMs: 0, queuedAtMs: now, message: `${outcome.error}; requeued (${outcome.reason}: no budget spent)` };
  }
  if (failureKind === 'INFRASTRUCTURE') return afterInfraFailure(base, outcome, now, random);
  return afterTaskFailure(base, outcome, now, random);
}

/** A succeeded attempt ends the task, or, for a result to deliver as a branch or pull request, starts its delivery. */
function succeeded(task: Task, outcome: AttemptOutcome): Task {
  const result = outcome.result;
  const delivery = task.spec.cline?.delivery;
  if (!result) return { ...task, state: 'SUCCEEDED', message: 'completed' };
  if (!delivery) return { ...task, state: 'SUCCEEDED', message: 'completed', result };
  if (result.patchBytes === 0) return { ...task, state: 'SUCCEEDED', message: 'completed; nothing to deliver: the run changed no file', result };
  const what = delivery.mode === 'pr' ? 'a pull request' : 'a branch';
  return {
    ...task,
    state: 'DELIVERING',
    notBeforeMs: 0,
    result,
    delivery: { branch: '', commit: '', baseBranch: '', prNumber: 0, prUrl: '', prExisted: false, tries: 0, error: '', deliveredAtMs: 0 },
    message: `completed; delivering as ${what} to forge "${delivery.forge}"`,
  };
}

/** Delivery tries a task gets before it fails (each after a backoff); `fleetctl task deliver` starts again. */
export const MAX_DELIVERY_TRIES = 5;
const DELIVERY_BACKOFF = { initialMs: 2_000, maxMs: 60_000, multiplier: 2 };

/** Who tries a delivery: a replica, as leader of an epoch. */
export interface DeliveryClaim {
  by: string;
  epoch: number;
}

/** A delivery's outcome written by a try that no longer holds it (another replica took it over). */
export class StaleDeliveryError extends FleetError {
  constructor(taskId: string) {
    super('FAILED_PRECONDITION', `task ${taskId}'s delivery is no longer this replica's to finish`);
  }
}

/**
 * Takes the task's next delivery try for `claim`, held until `now + holdMs`.
 * Null when it is not due (a backoff), or another try holds it: one whose
 * hold has not run out, under this leader's epoch or a later one. A later
 * leader takes over an earlier leader's try at once (and a replica its own
 * claim, whose try could not record its outcome): that try makes the same
 * commit and finds the same pull request, so running both is harmless.
 */
export function claimDelivery(task: Task, claim: DeliveryClaim, now: number, holdMs: number): Task | null {
  const delivery = task.delivery;
  if (task.state !== 'DELIVERING' || !delivery || task.notBeforeMs > now) return null;
  const held = delivery.claim;
  // The same replica under the same epoch takes back its own claim: a try whose outcome could not be written (its caller runs one try per task at a time).
  const own = held?.by === claim.by && held.epoch === claim.epoch;
  if (held && held.untilMs > now && held.epoch >= claim.epoch && !own) return null;
  const tries = delivery.tries + 1;
  return {
    ...task,
    delivery: { ...delivery, tries, claim: { ...claim, untilMs: now + holdMs } },
    updatedAtMs: now,
    message: `delivering (try ${tries} of ${MAX_DELIVERY_TRIES})`,
  };
}

/** The delivery without a claim: a try's end, or a new start. */
function unclaimed(delivery: Delivery): Delivery {
  const { claim: _held, ...rest } = delivery;
  return rest;
}

function requireClaim(task: Task, claim: DeliveryClaim): Delivery {
  const held = task.delivery?.claim;
  if (task.state !== 'DELIVERING' || !task.delivery || !held || held.by !== claim.by || held.epoch !== claim.epoch) throw new StaleDeliveryError(task.id);
  return task.delivery;
}

/** What a delivery made, so far or in the end. */
export type DeliveryMade = Pick<Delivery, 'branch' | 'commit' | 'baseBranch' | 'prNumber' | 'prUrl' | 'prExisted'>;

export function deliveryDone(task: Task, claim: DeliveryClaim, made: DeliveryMade, now: number): Task {
  const rest = unclaimed(requireClaim(task, claim));
  const message = made.prUrl
    ? `delivered: pull request #${made.prNumber}${made.prExisted ? ' (it was open already)' : ''} ${made.prUrl}`
    : `delivered: branch ${made.branch} at ${made.commit.slice(0, 12)}`;
  return { ...task, state: 'SUCCEEDED', notBeforeMs: 0, updatedAtMs: now, delivery: { ...rest, ...made, error: '', deliveredAtMs: now }, message };
}

/**
 * A try failed. A failure worth retrying (the forge or the network down)
 * waits a backoff while tries remain; any other (a refused token, a
 * protected branch, a branch that holds another commit) ends the task FAILED
 * at once. Either way the result and its patch stay with the task.
 */
export function deliveryFailed(task: Task, claim: DeliveryClaim, failure: { error: string; retryable: boolean; made: Partial<DeliveryMade> }, now: number, random: () => number = Math.random): Task {
  const delivery = requireClaim(task, claim);
  const next: Delivery = { ...unclaimed(delivery), ...failure.made, error: failure.error };
  if (failure.retryable && delivery.tries < MAX_DELIVERY_TRIES) {
    const delay = fullJitterDelayMs(DELIVERY_BACKOFF, delivery.tries, random);
    return {
      ...task,
      delivery: next,
      notBeforeMs: now + delay,
      updatedAtMs: now,
      message: `delivery try ${delivery.tries} of ${MAX_DELIVERY_TRIES} failed: ${failure.error}; trying again in ${Math.ceil(delay / 1000)}s`,
    };
  }
  const after = failure.retryable ? ` (after ${delivery.tries} tries)` : '';
  return {
    ...task,
    state: 'FAILED',
    delivery: next,
    notBeforeMs: 0,
    updatedAtMs: now,
    message: `delivery failed${after}: ${failure.error}. The result and its patch are kept: fix the cause, then fleetctl task deliver ${task.id}`,
  };
}

/** `fleetctl task deliver`: a task whose delivery failed tries again, without running the agent again. */
export function redeliver(task: Task, now: number): Task {
  if (!task.spec.cline?.delivery) throw new PreconditionError(`task ${task.id} was not submitted with --deliver branch or --deliver pr: its result is its patch (fleetctl task result ${task.id} --patch)`);
  if (task.state === 'DELIVERING') throw new PreconditionError(`task ${task.id} is being delivered already (${task.message})`);
  if (task.state !== 'FAILED' || !task.result || !task.delivery) {
    const why = task.state === 'SUCCEEDED' && task.delivery?.deliveredAtMs ? `it was delivered already: ${task.message}` : `it is ${task.state}, and its delivery did not fail`;
    throw new PreconditionError(`task ${task.id} has nothing to deliver again: ${why}`);
  }
  return { ...task, state: 'DELIVERING', notBeforeMs: 0, updatedAtMs: now, delivery: { ...unclaimed(task.delivery), tries: 0 }, message: 'delivering again (fleetctl task deliver)' };
}

function afterTaskFailure(task: Task, outcome: AttemptOutcome, now: number, random: () => number): Task {
  const failures = task.taskFailures + 1;
  const finalState = outcome.state === 'TIMED_OUT' ? 'TIMED_OUT' : 'FAILED';
  const what =
    outcome.state === 'TIMED_OUT'
      ? `timed out after ${task.spec.timeoutMs}ms`
      : outcome.reason
        ? `${outcome.reason}: ${outcome.error}`
        : outcome.exitCode !== undefined
          ? `exited with code ${outcome.exitCode}`
          : outcome.error || 'failed';
  const nonRetryable = outcome.exitCode !== undefined && task.spec.retry.nonRetryableExitCodes.includes(outcome.exitCode);
  if (nonRetryable || failures >= task.spec.retry.maxAttempts) {
    const why = nonRetryable ? ' (exit code not retried)' : task.spec.retry.maxAttempts > 1 ? ` after ${failures} attempts` : '';
    return { ...task, state: finalState, taskFailures: failures, message: `${what}${why}` };
  }
  const policy = { initialMs: task.spec.retry.initialBackoffMs, maxMs: task.spec.retry.maxBackoffMs, multiplier: task.spec.retry.backoffMultiplier };
  const delay = fullJitterDelayMs(policy, failures, random);
  return { ...task, state: 'PENDING', taskFailures: failures, notBeforeMs: now + delay, queuedAtMs: now + delay, message: `${what}; retry ${failures} of ${task.spec.retry.maxAttempts - 1} in ${delay}ms` };
}

function afterInfraFailure(task: Task, outcome: AttemptOutcome, now: number, random: () => number): Task {
  const failures = task.infraFailures + 1;
  const what = outcome.error || 'the node could not run the attempt';
  if (failures >= MAX_INFRA_FAILURES) {
    return { ...task, state: 'FAILED', infraFailures: failures, message: `${what} (${failures} infrastructure failures in a row)` };
  }
  const delay = fullJitterDelayMs(INFRA_RETRY_BACKOFF, failures, random);
  return { ...task, state: 'PENDING', infraFailures: failures, notBeforeMs: now + delay, queuedAtMs: now + delay, message: `${what}; requeued` };
}

/** Records a running Cline attempt's progress; null when the attempt has ended. */
export function attemptProgress(task: Task, attemptId: string, progress: AgentProgress, now: number): Task | null {
  const attempt = requireCurrent(task, attemptId);
  if (attempt.state !== 'ASSIGNED' && attempt.state !== 'RUNNING') return null;
  if (attempt.progress && attempt.progress.updatedAtMs >= progress.updatedAtMs) return null;
  return { ...task, attempts: withCurrent(task, { ...attempt, progress }), updatedAtMs: now };
}

/**
 * Cancel works in every non-terminal state. A task with a running attempt is
 * CANCELLED at once; its attempt stays active (and keeps its node slot) until
 * the agent reports the container stopped.
 */
export function cancelTask(task: Task, reason: string, now: number): Task {
  if (isTerminal(task.state)) throw new PreconditionError(`task ${task.id} is already ${task.state}`);
  const message = reason ? `cancelled: ${reason}` : 'cancelled';
  return { ...task, state: 'CANCELLED', notBeforeMs: 0, updatedAtMs: now, message };
}

/**
 * Asks the node to stop the current attempt while the task goes on (a drain
 * past its deadline). When the attempt ends the task is requeued at once,
 * spending no budget. Returns null when there is nothing (more) to ask.
 */
export function requestStop(task: Task, attemptId: string, reason: string, now: number): Task | null {
  const attempt = activeAttempt(task);
  if (!attempt || attempt.id !== attemptId || attempt.stopRequested || isTerminal(task.state)) return null;
  return { ...task, attempts: withCurrent(task, { ...attempt, stopRequested: reason }), updatedAtMs: now, message: `stopping: ${reason}` };
}

/** A task that no node will ever run as it is (its image is on no node that could run it) ends now, with why. */
export function failUnplaceable(task: Task, message: string, now: number): Task | null {
  if (task.state !== 'PENDING') return null;
  return { ...task, state: 'FAILED', notBeforeMs: 0, updatedAtMs: now, message };
}

/** Why a PENDING task is still waiting, for `task get`; null when the message says so already. */
export function explainWait(task: Task, why: string, now: number): Task | null {
  if (task.state !== 'PENDING' || task.message === why) return null;
  return { ...task, message: why, updatedAtMs: now };
}

/**
 * What a node should be doing for this task: run the attempt, stop it, or
 * nothing. Level-triggered delivery compares this with what the node says it runs.
 */
export type Desired = { kind: 'run'; attempt: Attempt } | { kind: 'stop'; attempt: Attempt } | { kind: 'none' };

export function desiredOnNode(task: Task, nodeId: string): Desired {
  const attempt = activeAttempt(task);
  if (!attempt || attempt.nodeId !== nodeId) return { kind: 'none' };
  return isTerminal(task.state) || attempt.stopRequested ? { kind: 'stop', attempt } : { kind: 'run', attempt };
}

/**
 * Task operations: what the API and the node sessions ask for, applied to
 * the tasks bucket with compare-and-set. The decisions themselves are in
 * `task-state.ts`.
 */
import type { Placement } from '../../common/rollout.js';
import { createHash } from 'node:crypto';
import type { Clock } from '../../common/clock.js';
import { ConflictError, NotFoundError, PermissionError, PreconditionError, ValidationError } from '../../common/errors.js';
import { ID_PATTERN, newId } from '../../common/ids.js';
import type { Logger } from '../../common/logger.js';
import { isTaskActive, isTerminal, type AgentProgress, type AttemptOutcome, type Task, type TaskSpec, type TaskState } from '../../common/model.js';
import type { ResultStore } from './store/result-store.js';
import type { EventLog } from './store/event-log.js';
import type { KvRecords, Versioned } from './store/kv-records.js';
import type { IdempotencyRecord } from './store/records.js';
import {
  assignTask,
  attemptFinished,
  attemptProgress,
  attemptStarted,
  cancelTask,
  checkOwner,
  claimDelivery,
  deliveryDone,
  deliveryFailed,
  explainWait,
  failUnplaceable,
  newTask,
  redeliver,
  requestStop,
  StaleAttemptError,
  type DeliveryClaim,
  type DeliveryMade,
} from './task-state.js';

export const DEFAULT_LIST_LIMIT = 500;
/** Task records read at once while a page is filled. */
const LIST_READ_CHUNK = 64;
/** Task records one ListTasks call reads at most, whatever it matches. */
export const MAX_LIST_READS = 5_000;
export const MAX_LIST_LIMIT = 10_000;

/** One report of an attempt that `Tasks.reported` applies together with others of the same attempt. */
export type AttemptReport = { kind: 'started'; containerId: string } | { kind: 'progress'; progress: AgentProgress } | { kind: 'finished'; outcome: AttemptOutcome };

/**
 * The idempotency bucket's key for a submission key: fixed length, whatever
 * the client sent. A team's keys are its own: another team's submission with
 * the same key makes its own task and never learns of the first.
 */
export function idempotencyRecordKey(idempotencyKey: string, team = ''): string {
  return createHash('sha256').update(team ? `${team}\0${idempotencyKey}` : idempotencyKey).digest('hex');
}

export function checkTaskId(field: string, id: string): string {
  if (!ID_PATTERN.test(id) || !id.startsWith('task_')) throw new ValidationError(field, `"${id.slice(0, 40)}" is not a task id`);
  return id;
}

/** Own writes remembered for the next compare-and-set, at most (the live view catches up within milliseconds). */
const MAX_REMEMBERED = 4_096;

/** The replica's live view of active tasks (`TaskIndex`), with their revisions. */
export interface ActiveView {
  versioned(taskId: string): Versioned<Task> | undefined;
  all(): Task[];
}

export class Tasks {
  /** This replica's latest writes of active tasks: a node's next report usually comes before the view has seen them. */
  private readonly written = new Map<string, Versioned<Task>>();
  private view: ActiveView = { versioned: () => undefined, all: () => [] };
  /** Told of every change this replica writes (metrics). */
  private observer: ((previous: Task, next: Task) => void) | undefined;

  constructor(
    private readonly records: KvRecords<Task>,
    private readonly idempotency: KvRecords<IdempotencyRecord>,
    private readonly events: EventLog,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly results: ResultStore,
  ) {}

  /** Compare-and-set from the versions the live view holds, instead of reading each record first; list active tasks from it. */
  useView(view: ActiveView): void {
    this.view = view;
  }

  /** `observer` hears each task change this replica writes, with the version it replaced. */
  observe(observer: (previous: Task, next: Task) => void): void {
    this.observer = observer;
  }

  /** A change by compare-and-set, from the newest version held here (or a read). */
  private async change(taskId: string, decide: (task: Task) => Task | null): Promise<{ record: Versioned<Task>; changed: boolean }> {
    const seen = this.view.versioned(taskId);
    const mine = this.written.get(taskId);
    const held = !mine || (seen && seen.revision >= mine.revision) ? seen : mine;
    let previous: Task | undefined;
    const result = await this.records.modify(
      taskId,
      (task) => {
        previous = task;
        return decide(task);
      },
      held,
    );
    if (result.changed) {
      this.remember(result.record);
      if (previous) this.observer?.(previous, result.record.value);
    }
    return result;
  }

  private remember(record: Versioned<Task>): void {
    this.written.delete(record.key);
    if (!isTaskActive(record.value)) return;
    this.written.set(record.key, record);
    if (this.written.size > MAX_REMEMBERED) this.written.delete(this.written.keys().next().value!);
  }

  /**
   * Stores a new PENDING task. Acknowledged means written: the caller hears
   * back only after the KV write has succeeded. With an idempotency key, the
   * key is reserved first with the task's id, then the task is created; a
   * retry after a failure between the two finds the reservation and finishes
   * the job under the same id, so every step can be repeated safely and a key
   * never makes two tasks.
   */
  async submit(spec: TaskSpec): Promise<Task> {
    const now = this.clock.now();
    let taskId = newId('task', now);
    if (spec.idempotencyKey) {
      const key = idempotencyRecordKey(spec.idempotencyKey, spec.team);
      try {
        await this.idempotency.create(key, { taskId });
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        // From the stream leader: a server that lost writes to a crash must
        // not decide which task the key made.
        const reserved = await this.idempotency.getFromLeader(key);
        if (!reserved) throw err;
        taskId = reserved.value.taskId;
      }
    }
    const task = newTask(taskId, spec, now);
    try {
      await this.records.create(task.id, task);
    } catch (err) {
      // Created by an earlier try of the same submission: that task is the answer.
      if (err instanceof ConflictError && spec.idempotencyKey) return this.get(task.id);
      throw err;
    }
    this.events.record({ type: 'task.submitted', taskId: task.id }, now);
    this.log.debug({ taskId: task.id, image: spec.image }, 'task submitted');
    return task;
  }

  async get(taskId: string): Promise<Task> {
    const found = await this.records.get(taskId);
    if (!found) throw new NotFoundError(`task ${taskId} not found`);
    return found.value;
  }

  async getVersioned(taskId: string): Promise<Versioned<Task> | null> {
    return this.records.get(taskId);
  }

  /**
   * A page of tasks, newest first (ids sort by creation time), older than
   * `after` (a task id; "" for the first page). Only active states asked
   * for: from the live view, no read at all. Otherwise the keys are listed
   * (headers only) and records are read a page at a time until the page is
   * full, so the cost follows the page, not the bucket, unless the states
   * asked for are rare.
   */
  async list(states: ReadonlySet<TaskState>, limit: number, after: string, team = ''): Promise<{ tasks: Task[]; next: string }> {
    // (A page may end short of `limit` with a next page: see MAX_LIST_READS.)
    const wanted = (t: Task) => (states.size === 0 || states.has(t.state)) && (team === '' || t.spec.team === team);
    const fromView = states.size > 0 && [...states].every((s) => !isTerminal(s));
    if (fromView) {
      const all = this.view.all()
        .filter((t) => wanted(t) && (after === '' || t.id < after))
        .sort((a, b) => (a.id < b.id ? 1 : -1));
      const tasks = all.slice(0, limit);
      return { tasks, next: all.length > limit ? tasks[tasks.length - 1]!.id : '' };
    }
    const keys = (await this.records.keys()).filter((k) => after === '' || k < after).sort((a, b) => (a < b ? 1 : -1));
    const tasks: Task[] = [];
    let i = 0;
    while (i < keys.length && tasks.length < limit) {
      // A filter that matches little (a rare state, a small team's tasks) must not make one call read the whole bucket:
      // past the bound, the page ends short, and the next one starts after the last task read.
      if (i >= MAX_LIST_READS) return { tasks, next: keys[i - 1]! };
      const chunk = keys.slice(i, i + Math.min(LIST_READ_CHUNK, Math.max(limit - tasks.length, 16)));
      i += chunk.length;
      const read = await Promise.all(chunk.map((k) => this.records.get(k)));
      for (const [j, r] of read.entries()) {
        if (!r || !wanted(r.value)) continue;
        tasks.push(r.value);
        // Full: the page ends here, and the next one starts after this task.
        if (tasks.length === limit) return { tasks, next: i - chunk.length + j + 1 < keys.length ? r.value.id : '' };
      }
    }
    return { tasks, next: '' };
  }

  async cancel(taskId: string, reason: string): Promise<Task> {
    const { record } = await this.change(taskId, (task) => cancelTask(task, reason, this.clock.now()));
    this.events.record({ type: 'task.cancelled', taskId, reason });
    this.log.info({ taskId, reason }, 'task cancelled');
    return record.value;
  }

  /** Returns false when the task moved on meanwhile (another leader, a cancel). */
  async assign(taskId: string, nodeId: string, leaderEpoch: number, placement?: Placement): Promise<boolean> {
    const attemptId = newId('att', this.clock.now());
    try {
      const { changed } = await this.change(taskId, (task) =>
        task.state === 'PENDING' ? assignTask(task, attemptId, nodeId, this.clock.now(), leaderEpoch, placement) : null,
      );
      if (changed) {
        this.events.record({ type: 'task.assigned', taskId, attemptId, nodeId, leaderEpoch });
        this.log.debug({ taskId, attemptId, nodeId, leaderEpoch }, 'task assigned');
      }
      return changed;
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
  }

  /** Throws StaleAttemptError for a report from an attempt that is not current. */
  async started(nodeId: string, taskId: string, attemptId: string, containerId: string): Promise<void> {
    await this.reported(nodeId, taskId, attemptId, [{ kind: 'started', containerId }]);
  }

  /**
   * A node's reports of one of its attempts, applied in order as one change:
   * one report (`started`, `progress`, `finished`), or several that came
   * together (a short task's `started` and `finished`, progress piled up
   * behind a slow write, an outbox resent after a reconnect), written once
   * instead of once for each. A `finished` here has no patch to store first
   * (`finished` takes those). Throws StaleAttemptError for an attempt that is
   * not current, and then nothing of the run is applied. Returns the task as
   * it now is, or null when the run changed nothing (all resends).
   */
  async reported(nodeId: string, taskId: string, attemptId: string, reports: readonly AttemptReport[]): Promise<Task | null> {
    let applied: AttemptReport[] = [];
    const { changed, record } = await this.change(taskId, (task) => {
      checkOwner(task, nodeId, attemptId);
      // `decide` runs again after a lost compare-and-set: what this try applied, from scratch.
      applied = [];
      let current: Task | null = null;
      for (const report of reports) {
        const from: Task = current ?? task;
        const next: Task | null =
          report.kind === 'started'
            ? attemptStarted(from, attemptId, report.containerId, this.clock.now())
            : report.kind === 'progress'
              ? attemptProgress(from, attemptId, report.progress, this.clock.now())
              : attemptFinished(from, attemptId, report.outcome, this.clock.now());
        if (!next) continue;
        current = next;
        applied.push(report);
      }
      return current;
    });
    if (!changed) return null;
    for (const report of applied) {
      if (report.kind === 'started') this.recordStarted(nodeId, record.value, attemptId);
      if (report.kind === 'finished') this.recordFinished(nodeId, record.value, attemptId, report.outcome);
    }
    return record.value;
  }

  private recordStarted(nodeId: string, task: Task, attemptId: string): void {
    this.events.record({ type: 'task.started', taskId: task.id, attemptId, nodeId });
    this.log.debug({ taskId: task.id, attemptId, nodeId }, 'attempt started');
  }

  /**
   * A Cline result's patch is stored first, then the record that points at
   * it; a report refused on the way leaves no object behind.
   */
  /** Returns the task as it now is, or null when the report changed nothing (a resend). */
  async finished(nodeId: string, taskId: string, attemptId: string, outcome: AttemptOutcome, patch?: Uint8Array): Promise<Task | null> {
    if (outcome.result && patch) {
      const current = await this.records.get(taskId);
      if (!current) throw new NotFoundError(`task ${taskId} not found`);
      checkOwner(current.value, nodeId, attemptId);
      await this.results.putPatch(taskId, attemptId, patch);
    }
    try {
      return await this.reported(nodeId, taskId, attemptId, [{ kind: 'finished', outcome }]);
    } catch (err) {
      if (outcome.result && patch && (err instanceof StaleAttemptError || err instanceof PermissionError)) await this.results.remove(taskId, attemptId);
      throw err;
    }
  }

  private recordFinished(nodeId: string, task: Task, attemptId: string, outcome: AttemptOutcome): void {
    const taskId = task.id;
    this.events.record({
      type: 'task.attempt_finished',
      taskId,
      attemptId,
      nodeId,
      state: outcome.state,
      ...(outcome.exitCode === undefined ? {} : { exitCode: outcome.exitCode }),
      ...(outcome.reason ? { reason: outcome.reason } : {}),
      taskState: task.state,
    });
    // A success is routine (debug); anything else is worth a line.
    this.log[outcome.state === 'SUCCEEDED' ? 'debug' : 'info'](
      { taskId, attemptId, nodeId, attemptState: outcome.state, exitCode: outcome.exitCode, reason: outcome.reason, taskState: task.state, terminal: isTerminal(task.state) },
      'attempt finished',
    );
  }

  /** A running Cline attempt's iterations, tokens and cost, for `task get`. */
  async progress(nodeId: string, taskId: string, attemptId: string, progress: AgentProgress): Promise<void> {
    await this.reported(nodeId, taskId, attemptId, [{ kind: 'progress', progress }]);
  }

  /** The result of a Cline task, and its patch when asked for. */
  async result(taskId: string, includePatch: boolean): Promise<{ task: Task; patch: Buffer | null }> {
    const task = await this.get(taskId);
    if (!task.result) {
      const why = isTerminal(task.state) ? `it ended ${task.state}: ${task.message}` : `it is ${task.state}`;
      throw new PreconditionError(`task ${taskId} has no result: ${task.spec.cline ? why : 'it is not a Cline task'}`);
    }
    const patch = includePatch ? await this.results.getPatch(taskId, task.result.attemptId) : null;
    if (includePatch && task.result.patchBytes > 0 && !patch) throw new NotFoundError(`the patch of task ${taskId} is missing from the object store`);
    return { task, patch };
  }

  async explainWait(taskId: string, why: string): Promise<void> {
    await this.change(taskId, (task) => explainWait(task, why, this.clock.now())).catch((err: unknown) => {
      if (!(err instanceof NotFoundError)) throw err;
    });
  }

  async failUnplaceable(taskId: string, why: string): Promise<void> {
    const { changed } = await this.change(taskId, (task) => failUnplaceable(task, why, this.clock.now()));
    if (!changed) return;
    this.events.record({ type: 'task.unplaceable', taskId, reason: why });
    this.log.warn({ taskId, reason: why }, 'task failed: no node can run it');
  }

  /** Asks the node to stop an attempt whose task goes on; it is requeued when the attempt ends. */
  async requestStop(taskId: string, attemptId: string, reason: string): Promise<void> {
    const { changed } = await this.change(taskId, (task) => requestStop(task, attemptId, reason, this.clock.now()));
    if (changed) this.log.info({ taskId, attemptId, reason }, 'attempt stop requested');
  }

  /** Takes the next delivery try of a DELIVERING task; null when it is not due or another try holds it. */
  async claimDelivery(taskId: string, claim: DeliveryClaim, holdMs: number): Promise<Task | null> {
    try {
      const { changed, record } = await this.change(taskId, (task) => claimDelivery(task, claim, this.clock.now(), holdMs));
      return changed ? record.value : null;
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
  }

  async deliveryDone(taskId: string, claim: DeliveryClaim, made: DeliveryMade): Promise<Task> {
    const { record } = await this.change(taskId, (task) => deliveryDone(task, claim, made, this.clock.now()));
    this.events.record({ type: 'task.delivered', taskId, branch: made.branch, commit: made.commit, ...(made.prUrl ? { prUrl: made.prUrl, prNumber: made.prNumber } : {}) });
    this.log.info({ taskId, branch: made.branch, commit: made.commit, prNumber: made.prNumber || undefined, prUrl: made.prUrl || undefined, prExisted: made.prExisted }, 'task delivered');
    return record.value;
  }

  async deliveryFailed(taskId: string, claim: DeliveryClaim, failure: { error: string; retryable: boolean; made: Partial<DeliveryMade> }): Promise<Task> {
    const { record } = await this.change(taskId, (task) => deliveryFailed(task, claim, failure, this.clock.now()));
    const task = record.value;
    this.events.record({ type: 'task.delivery_failed', taskId, error: failure.error, retryable: failure.retryable, taskState: task.state });
    this.log.warn({ taskId, err: failure.error, retryable: failure.retryable, tries: task.delivery?.tries, taskState: task.state }, 'delivery try failed');
    return task;
  }

  /** `fleetctl task deliver`: a failed delivery tries again from the stored result. */
  async redeliver(taskId: string): Promise<Task> {
    const { record } = await this.change(taskId, (task) => redeliver(task, this.clock.now()));
    this.events.record({ type: 'task.redeliver', taskId });
    this.log.info({ taskId }, 'delivery asked again');
    return record.value;
  }
}

/**
 * Retention: the leader forgets tasks that ended longer ago than the
 * retention period, with their result patches and idempotency keys, so the
 * tasks bucket and the object store do not grow without bound. The audit
 * stream (FLEET_EVENTS) keeps its own 30 days. A task whose last attempt is
 * still running is never removed, whatever its state.
 */
import type { Clock } from '../../common/clock.js';
import { ConflictError, errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { InFlight } from '../../common/self-check.js';
import { LEADER_PASS_BOUND_MS } from './leader-roles.js';
import { isTaskActive, isTerminal, type Task } from '../../common/model.js';
import type { EventLog } from './store/event-log.js';
import type { KvRecords, Versioned } from './store/kv-records.js';
import type { IdempotencyRecord } from './store/records.js';
import type { ResultStore } from './store/result-store.js';
import { idempotencyRecordKey } from './tasks.js';

export const DEFAULT_TASK_RETENTION_MS = 30 * 86_400_000;
/** How often the leader looks; shorter retentions are looked at twice per period. */
const MAX_SWEEP_INTERVAL_MS = 10 * 60_000;
const MIN_SWEEP_INTERVAL_MS = 1_000;

/** Tasks ended (and their attempts with them) before `now - retentionMs`. Pure. */
export function expiredTasks(tasks: ReadonlyArray<Versioned<Task>>, now: number, retentionMs: number): Versioned<Task>[] {
  if (retentionMs <= 0) return [];
  return tasks.filter(({ value }) => isTerminal(value.state) && !isTaskActive(value) && value.updatedAtMs < now - retentionMs);
}

export function sweepIntervalMs(retentionMs: number): number {
  return Math.min(MAX_SWEEP_INTERVAL_MS, Math.max(MIN_SWEEP_INTERVAL_MS, Math.floor(retentionMs / 2)));
}

export interface RetentionDeps {
  tasks: KvRecords<Task>;
  idempotency: KvRecords<IdempotencyRecord>;
  results: ResultStore;
  events: EventLog;
  clock: Clock;
  log: Logger;
  /** The leader's epoch, or null when this replica does not lead. */
  leadingEpoch: () => number | null;
}

export class RetentionLoop {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  /** For the self-check: a sweep that does not end (it removes at most a pass's worth, each call with a timeout). */
  readonly sweeps = new InFlight('retention sweep', 10 * LEADER_PASS_BOUND_MS);

  constructor(
    private readonly retentionMs: number,
    private readonly deps: RetentionDeps,
  ) {}

  start(): void {
    if (this.retentionMs <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.sweep(), sweepIntervalMs(this.retentionMs));
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One pass; returns how many tasks were removed. */
  sweep(): Promise<number> {
    return this.busy ? Promise.resolve(0) : this.sweeps.track(this.sweepNow());
  }

  private async sweepNow(): Promise<number> {
    this.busy = true;
    let removed = 0;
    try {
      const expired = expiredTasks(await this.deps.tasks.list((t) => isTerminal(t.state)), this.deps.clock.now(), this.retentionMs);
      for (const record of expired) {
        // Leadership can end mid-pass: no removal after it has.
        if (this.deps.leadingEpoch() === null) break;
        if (await this.remove(record)) removed++;
      }
      if (removed > 0) this.deps.log.info({ removed, retentionMs: this.retentionMs }, 'expired tasks removed');
    } catch (err) {
      this.deps.log.warn({ err: errorMessage(err) }, 'retention pass failed');
    } finally {
      this.busy = false;
    }
    return removed;
  }

  /**
   * The patches and the idempotency key go first, the record last and only if
   * it is unchanged: a pass cut short leaves a task to be removed next time,
   * never a record pointing at nothing it needs.
   */
  private async remove({ key, value: task, revision }: Versioned<Task>): Promise<boolean> {
    const { results, idempotency, tasks, events, clock, log } = this.deps;
    for (const attempt of task.attempts) await results.remove(task.id, attempt.id);
    if (task.spec.idempotencyKey) {
      const hash = idempotencyRecordKey(task.spec.idempotencyKey, task.spec.team);
      const reserved = await idempotency.get(hash);
      if (reserved?.value.taskId === task.id) await idempotency.purge(hash, reserved.revision).catch(() => {});
    }
    try {
      await tasks.purge(key, revision);
    } catch (err) {
      if (err instanceof ConflictError) return false;
      throw err;
    }
    events.record({ type: 'task.expired', taskId: task.id, state: task.state }, clock.now());
    log.debug({ taskId: task.id, state: task.state }, 'task expired');
    return true;
  }
}

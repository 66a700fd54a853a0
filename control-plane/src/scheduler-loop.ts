/**
 * The leader's scheduling loop: the I/O around `schedule()`. It runs when
 * something changed (a task or node event from the KV watches) and when the
 * earliest retry backoff ends, never on a polling interval. Runs are
 * coalesced: a change during a run causes exactly one more run.
 */
import { errorMessage } from '../../common/errors.js';
import { isSchedulable } from '../../common/model.js';
import type { ActiveTasks, LeaderContext, NodeDirectory, TaskWrites } from './leader-roles.js';
import { schedule, type NodeView } from './scheduler.js';

/** After a failed pass (store unavailable), try again after this long. */
const RETRY_AFTER_ERROR_MS = 1_000;

export interface SchedulerDeps extends LeaderContext {
  tasks: ActiveTasks;
  nodes: NodeDirectory;
  taskWrites: Pick<TaskWrites, 'assign'>;
}

export class SchedulerLoop {
  private running = false;
  private busy = false;
  private dirty = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: Array<() => void> = [];
  private idle: Promise<void> = Promise.resolve();

  constructor(private readonly deps: SchedulerDeps) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe.push(
      this.deps.tasks.onChange(() => this.kick()),
      this.deps.nodes.onChange(() => this.kick()),
    );
    this.kick();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.wakeTimer);
    for (const u of this.unsubscribe.splice(0)) u();
  }

  /** Resolves when no pass is running or due (for tests and an orderly stop). */
  settled(): Promise<void> {
    return this.idle;
  }

  kick(): void {
    if (!this.running) return;
    if (this.busy) {
      this.dirty = true;
      return;
    }
    this.busy = true;
    this.idle = this.pass().finally(() => {
      this.busy = false;
      if (this.dirty && this.running) {
        this.dirty = false;
        this.kick();
      }
    });
  }

  private nodeViews(): NodeView[] {
    return this.deps.nodes.all().map((n) => ({
      id: n.id,
      labels: n.labels,
      slots: n.slots,
      status: n.status,
      activeAttempts: this.deps.tasks.activeAttemptsOn(n.id),
      schedulable: isSchedulable(n),
    }));
  }

  private async pass(): Promise<void> {
    const { clock, log, leadingEpoch, taskWrites } = this.deps;
    const now = clock.now();
    const plan = schedule(this.deps.tasks.pending(), this.nodeViews(), now);
    clearTimeout(this.wakeTimer);
    if (plan.wakeAtMs !== undefined) {
      this.wakeTimer = setTimeout(() => this.kick(), Math.max(0, plan.wakeAtMs - now));
    }
    if (plan.assignments.length === 0) return;
    const results = await Promise.allSettled(
      plan.assignments.map(async (a) => {
        const epoch = leadingEpoch();
        if (epoch === null || !this.running) return false;
        return taskWrites.assign(a.taskId, a.nodeId, epoch);
      }),
    );
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0) {
      log.warn({ failed: failed.length, err: errorMessage(failed[0]!.reason) }, 'assignments failed; retrying');
      clearTimeout(this.wakeTimer);
      this.wakeTimer = setTimeout(() => this.kick(), RETRY_AFTER_ERROR_MS);
    }
    log.debug({ assigned: results.length - failed.length, durationMs: clock.now() - now }, 'scheduling pass');
  }
}

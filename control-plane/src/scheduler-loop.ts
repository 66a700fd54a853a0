/**
 * The leader's scheduling loop: the I/O around `schedule()`. It runs when
 * something changed (a task or node event from the KV watches) and when the
 * earliest retry backoff ends, never on a polling interval. Runs are
 * coalesced: a change during a run causes exactly one more run.
 */
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/logger.js';
import { isSchedulable } from '../../common/model.js';
import type { Nodes } from './nodes.js';
import { schedule, type NodeView } from './scheduler.js';
import type { TaskIndex } from './task-index.js';
import type { Tasks } from './tasks.js';

/** After a failed pass (store unavailable), try again after this long. */
const RETRY_AFTER_ERROR_MS = 1_000;

export class SchedulerLoop {
  private running = false;
  private busy = false;
  private dirty = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    private readonly tasks: Tasks,
    private readonly index: TaskIndex,
    private readonly nodes: Nodes,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** The leader's epoch, or null once leadership is gone: checked before every write. */
    private readonly fence: () => number | null,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe.push(
      this.index.onChange(() => this.kick()),
      this.nodes.onChange(() => this.kick()),
    );
    this.kick();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.wakeTimer);
    for (const u of this.unsubscribe.splice(0)) u();
  }

  kick(): void {
    if (!this.running) return;
    if (this.busy) {
      this.dirty = true;
      return;
    }
    this.busy = true;
    void this.pass().finally(() => {
      this.busy = false;
      if (this.dirty && this.running) {
        this.dirty = false;
        this.kick();
      }
    });
  }

  private nodeViews(): NodeView[] {
    return this.nodes.all().map((n) => ({
      id: n.id,
      labels: n.labels,
      slots: n.slots,
      status: n.status,
      activeAttempts: this.index.activeAttemptsOn(n.id),
      schedulable: isSchedulable(n),
    }));
  }

  private async pass(): Promise<void> {
    const now = this.clock.now();
    const plan = schedule(this.index.pending(), this.nodeViews(), now);
    clearTimeout(this.wakeTimer);
    if (plan.wakeAtMs !== undefined) {
      this.wakeTimer = setTimeout(() => this.kick(), Math.max(0, plan.wakeAtMs - now));
    }
    if (plan.assignments.length === 0) return;
    const results = await Promise.allSettled(
      plan.assignments.map(async (a) => {
        const epoch = this.fence();
        if (epoch === null || !this.running) return false;
        return this.tasks.assign(a.taskId, a.nodeId, epoch);
      }),
    );
    const failed = results.filter((r) => r.status === 'rejected');
    if (failed.length > 0) {
      this.log.warn({ failed: failed.length, err: (failed[0] as PromiseRejectedResult).reason?.message }, 'assignments failed; retrying');
      clearTimeout(this.wakeTimer);
      this.wakeTimer = setTimeout(() => this.kick(), RETRY_AFTER_ERROR_MS);
    }
    this.log.debug({ assigned: results.length - failed.length, durationMs: this.clock.now() - now }, 'scheduling pass');
  }
}

/**
 * The leader's scheduling loop: the I/O around `schedule()`. It runs when
 * something changed (a task or node event from the KV watches) and when the
 * earliest retry backoff ends, never on a polling interval. Runs are
 * coalesced: a change during a run causes exactly one more run.
 */
import { errorMessage } from '../../common/errors.js';
import type { NodeRecord } from '../../common/model.js';
import type { ActiveTasks, LeaderContext, NodeDirectory, TaskWrites } from './leader-roles.js';
import { schedule, type NodeView, type Unavailable } from './scheduler.js';

/** After a failed pass (store unavailable), try again after this long. */
const RETRY_AFTER_ERROR_MS = 1_000;

export interface SchedulerDeps extends LeaderContext {
  tasks: ActiveTasks;
  nodes: NodeDirectory;
  taskWrites: Pick<TaskWrites, 'assign' | 'explainWait' | 'failUnplaceable'>;
  /** How long a task waits before "its image is on no node" fails it (see ScheduleOptions). */
  imageGraceMs: number;
}

/**
 * Why a node takes no new work now, in the scheduler's terms. A condition
 * (the engine, the disk) comes before the cordon it brings with it: it says
 * more about when the node will be back.
 */
export function unavailable(n: NodeRecord): Unavailable | null {
  if (!n.dockerHealthy) return 'engine';
  if (n.diskPressure) return 'disk';
  if (n.cordon) return 'cordoned';
  if (n.drain || n.agentDraining) return 'draining';
  return null;
}

export function nodeView(n: NodeRecord, activeAttempts: number): NodeView {
  return {
    id: n.id,
    name: n.name,
    labels: n.labels,
    slots: n.slots,
    status: n.status,
    activeAttempts,
    unavailable: unavailable(n),
    // An engine that does not answer cannot say what it holds: unknown, not "nothing".
    images: n.imagesOnly && n.dockerHealthy ? new Set(n.images ?? []) : null,
  };
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

  private async pass(): Promise<void> {
    const { clock, log, leadingEpoch, taskWrites, imageGraceMs } = this.deps;
    const now = clock.now();
    const nodes = this.deps.nodes.all().map((n) => nodeView(n, this.deps.tasks.activeAttemptsOn(n.id)));
    const pending = this.deps.tasks.pending();
    const plan = schedule(pending, nodes, now, { imageGraceMs });
    const shown = new Map(pending.map((t) => [t.id, t.message]));
    clearTimeout(this.wakeTimer);
    // A task that may fail for its image is looked at again when its grace is over.
    const wakeAtMs = plan.wakeAtMs ?? (plan.unschedulable.size > 0 ? now + imageGraceMs : undefined);
    if (wakeAtMs !== undefined) this.wakeTimer = setTimeout(() => this.kick(), Math.max(0, wakeAtMs - now));
    const writes = [
      ...plan.assignments.map((a) => (epoch: number) => taskWrites.assign(a.taskId, a.nodeId, epoch)),
      ...[...plan.failures].map(([taskId, why]) => () => taskWrites.failUnplaceable(taskId, why)),
      // Only a reason that changed is written: most passes change none.
      ...[...plan.unschedulable].filter(([taskId, why]) => shown.get(taskId) !== why).map(([taskId, why]) => () => taskWrites.explainWait(taskId, why)),
    ];
    if (writes.length === 0) return;
    const results = await Promise.allSettled(
      writes.map(async (write) => {
        const epoch = leadingEpoch();
        if (epoch === null || !this.running) return false;
        return write(epoch);
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

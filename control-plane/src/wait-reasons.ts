/**
 * The reasons waiting tasks show ("every matching node is full", "no node
 * with a healthy Docker engine"), written behind the placements, a few at a
 * time. A reason that changes for a whole class is one write per task: with a
 * backlog of 100,000 tasks, one flip of the only node's engine is 100,000
 * writes. Made by the pass itself, they were all in flight at once (memory
 * and NATS spiked) and the next pass, and so every placement, waited for the
 * last of them. Here the pass only notes them; at most `concurrency` are
 * written at a time, the newest reason for a task replaces the one not yet
 * written, and one no longer true when its turn comes (the task was placed,
 * or its class's reason changed again) is dropped. A reason that comes and
 * goes within moments is never written to most of the tasks.
 *
 * One write per task at a time: a newer reason noted while one is in flight
 * waits for it to land. While this replica may not write (its lease is being
 * renewed late) or after a failed write, the lane pauses for a second and
 * keeps what is due; losing leadership for good clears it (`clear`). A task
 * whose class's reason changed while its write was in flight is noted again
 * by the scheduler when it sees the write land (SchedulerLoop's task changes).
 */
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';

export interface WaitReasonDeps {
  /** Stores the reason (a compare-and-set of the task record). */
  write(taskId: string, why: string): Promise<void>;
  /** Still true: the task waits, and its class's reason is still `why`. */
  stillTrue(taskId: string, why: string): boolean;
  /** This replica may write (it leads). */
  mayWrite(): boolean;
  log: Logger;
  /** Writes in flight at most. */
  concurrency?: number;
  /** How long the lane pauses when it may not write, or after a failed write. */
  pauseMs?: number;
}

export const WAIT_REASON_CONCURRENCY = 16;
const PAUSE_MS = 1_000;

export class WaitReasons {
  /** Not yet written: task id → its newest reason. */
  private readonly due = new Map<string, string>();
  /** Ids in the order they were noted (from `head` on); one no longer in `due` was written or dropped. */
  private order: string[] = [];
  private head = 0;
  /** Ids whose write is in flight. */
  private readonly writing = new Set<string>();
  private pausedUntilMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private failed = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly concurrency: number;
  private readonly pauseMs: number;

  constructor(private readonly deps: WaitReasonDeps) {
    this.concurrency = deps.concurrency ?? WAIT_REASON_CONCURRENCY;
    this.pauseMs = deps.pauseMs ?? PAUSE_MS;
  }

  /** Reasons not yet written. */
  get pending(): number {
    return this.due.size;
  }

  note(reasons: ReadonlyMap<string, string>): void {
    for (const [taskId, why] of reasons) this.enqueue(taskId, why);
    this.pump();
  }

  noteOne(taskId: string, why: string): void {
    this.enqueue(taskId, why);
    this.pump();
  }

  /** Leadership ended, or the queue was made anew: what was not written is for the next pass or leader to decide. */
  clear(): void {
    this.due.clear();
    this.order = [];
    this.head = 0;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.settle();
  }

  /** Resolves once nothing is in flight and nothing is due, or the lane is paused (tests, an orderly stop). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private enqueue(taskId: string, why: string): void {
    // Re-noted: its place in line is kept, its reason is the newest.
    if (!this.due.has(taskId)) this.order.push(taskId);
    this.due.set(taskId, why);
  }

  private pump(): void {
    if (!this.deps.mayWrite() || Date.now() < this.pausedUntilMs) {
      this.resumeLater();
      this.settle();
      return;
    }
    while (this.writing.size < this.concurrency && this.head < this.order.length) {
      const taskId = this.order[this.head++]!;
      const why = this.due.get(taskId);
      // Written or dropped already, or its write is in flight (whose end puts it back in line).
      if (why === undefined || this.writing.has(taskId)) continue;
      this.due.delete(taskId);
      if (!this.deps.stillTrue(taskId, why)) continue;
      this.writing.add(taskId);
      this.deps
        .write(taskId, why)
        .catch((err: unknown) => {
          // The store is away, most likely: the reason is due again (unless a newer one is), after a pause.
          if (!this.due.has(taskId)) this.due.set(taskId, why);
          this.pausedUntilMs = Date.now() + this.pauseMs;
          if (this.failed++ % 1000 === 0) this.deps.log.warn({ taskId, err: errorMessage(err), failed: this.failed }, "a waiting task's reason was not stored; trying again");
        })
        .finally(() => {
          this.writing.delete(taskId);
          if (this.due.has(taskId)) this.order.push(taskId);
          this.pump();
        });
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
    this.settle();
  }

  private resumeLater(): void {
    if (this.timer || this.due.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, Math.max(1, this.pausedUntilMs - Date.now(), this.deps.mayWrite() ? 0 : this.pauseMs));
    this.timer.unref();
  }

  private isIdle(): boolean {
    return this.writing.size === 0 && (this.due.size === 0 || this.timer !== undefined);
  }

  private settle(): void {
    if (!this.isIdle()) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

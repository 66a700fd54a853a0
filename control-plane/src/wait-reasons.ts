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
 * goes within moments is never written to most of the tasks. One that changed
 * while its write was in flight is followed by the class's new one: the pass
 * that changed it saw the task's old message and may have found nothing to
 * write.
 */
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';

export interface WaitReasonDeps {
  /** Stores the reason (a compare-and-set of the task record). */
  write(taskId: string, why: string): Promise<void>;
  /** Still true: the task waits, and its class's reason is still `why`. */
  stillTrue(taskId: string, why: string): boolean;
  /** The reason the task's class gives now, if one. */
  reasonNow(taskId: string): string | undefined;
  /** This replica may write (it leads). */
  mayWrite(): boolean;
  log: Logger;
  /** Writes in flight at most. */
  concurrency?: number;
}

export const WAIT_REASON_CONCURRENCY = 16;

export class WaitReasons {
  /** Not yet written, oldest first: task id → its newest reason. */
  private readonly due = new Map<string, string>();
  private inFlight = 0;
  private failed = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly concurrency: number;

  constructor(private readonly deps: WaitReasonDeps) {
    this.concurrency = deps.concurrency ?? WAIT_REASON_CONCURRENCY;
  }

  /** Reasons not yet written. */
  get pending(): number {
    return this.due.size;
  }

  note(reasons: ReadonlyMap<string, string>): void {
    for (const [taskId, why] of reasons) {
      // Re-noted: its place in line is kept, its reason is the newest.
      this.due.set(taskId, why);
    }
    this.pump();
  }

  /** Leadership ended: what was not written is for the next leader to decide. */
  clear(): void {
    this.due.clear();
    this.settle();
  }

  /** Resolves once nothing is due or in flight (tests, an orderly stop). */
  idle(): Promise<void> {
    if (this.due.size === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.inFlight < this.concurrency && this.due.size > 0) {
      const [taskId, why] = this.due.entries().next().value as [string, string];
      this.due.delete(taskId);
      if (!this.deps.mayWrite()) {
        this.due.clear();
        break;
      }
      if (!this.deps.stillTrue(taskId, why)) continue;
      this.inFlight++;
      this.deps
        .write(taskId, why)
        .then(() => {
          const now = this.deps.reasonNow(taskId);
          if (now !== undefined && now !== why && !this.due.has(taskId)) this.due.set(taskId, now);
        })
        .catch((err: unknown) => {
          // Not retried: the store is away, or the task moved on; the next change of the class's reason writes it again.
          if (this.failed++ % 1000 === 0) this.deps.log.warn({ taskId, err: errorMessage(err), failed: this.failed }, 'a waiting task\'s reason was not stored');
        })
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
    this.settle();
  }

  private settle(): void {
    if (this.due.size > 0 || this.inFlight > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

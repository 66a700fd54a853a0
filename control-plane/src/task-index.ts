/**
 * This replica's view of the tasks that still need attention (not terminal,
 * or with an attempt that has not ended), kept current by a KV watch.
 * Terminal tasks leave the index, so its size follows the active work, not
 * the history. The scheduler and the node sessions read it; listeners hear
 * every change, which is what makes scheduling and delivery event-driven.
 */
import { activeAttempt, isTaskActive, type Task } from '../../common/model.js';
import type { Logger } from '../../common/logger.js';
import type { KvRecords, RecordChange } from './store/kv-records.js';
import { LiveView } from './store/live-view.js';

export type TaskListener = (task: Task, previous: Task | undefined) => void;

export class TaskIndex {
  private readonly active = new Map<string, Task>();
  private readonly byNode = new Map<string, Set<string>>();
  private readonly listeners = new Set<TaskListener>();
  private readonly view: LiveView<Task>;

  constructor(records: KvRecords<Task>, log: Logger) {
    this.view = new LiveView(records, { reset: (snapshot) => this.reset(snapshot), change: (change) => this.apply(change) }, log);
  }

  /** Resolves once the index holds every active task in the bucket. */
  async start(): Promise<void> {
    await this.view.start();
  }

  stop(): void {
    this.view.stop();
  }

  /** A fresh snapshot replaces everything; listeners hear every task again (delivery is level-triggered). */
  private reset(snapshot: RecordChange<Task>[]): void {
    this.active.clear();
    this.byNode.clear();
    for (const change of snapshot) this.apply(change);
  }

  onChange(listener: TaskListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(taskId: string): Task | undefined {
    return this.active.get(taskId);
  }

  pending(): Task[] {
    return [...this.active.values()].filter((t) => t.state === 'PENDING');
  }

  /** Tasks whose current attempt occupies the node. */
  onNode(nodeId: string): Task[] {
    return [...(this.byNode.get(nodeId) ?? [])].map((id) => this.active.get(id)).filter((t): t is Task => t !== undefined);
  }

  activeAttemptsOn(nodeId: string): number {
    return this.byNode.get(nodeId)?.size ?? 0;
  }

  /**
   * Applies a change. One watch delivers a bucket's changes in revision
   * order, and a restarted watch hands over a whole snapshot (`reset`), so
   * the last change applied is always the newest.
   */
  private apply(change: RecordChange<Task>): void {
    const previous = this.active.get(change.key);
    if (previous) this.unindexNode(previous);
    if (change.deleted || !isTaskActive(change.value)) {
      this.active.delete(change.key);
    } else {
      this.active.set(change.key, change.value);
      this.indexNode(change.value);
    }
    if (!change.deleted) for (const listener of this.listeners) listener(change.value, previous);
  }

  private indexNode(task: Task): void {
    const attempt = activeAttempt(task);
    if (!attempt) return;
    let set = this.byNode.get(attempt.nodeId);
    if (!set) this.byNode.set(attempt.nodeId, (set = new Set()));
    set.add(task.id);
  }

  private unindexNode(task: Task): void {
    const attempt = activeAttempt(task);
    if (attempt) this.byNode.get(attempt.nodeId)?.delete(task.id);
  }
}

/**
 * This replica's view of the tasks that still need attention (not terminal,
 * or with an attempt that has not ended), kept current by a KV watch.
 * Terminal tasks leave the index, so its size follows the active work, not
 * the history. Listeners hear every change, which is what makes scheduling
 * and delivery event-driven; a node session listens only to the tasks on its
 * node, and a WatchTask call only to its task, so a change costs what it
 * concerns, not what the replica serves.
 */
import { activeAttempt, isTaskActive, type Task } from '../../common/model.js';
import type { Logger } from '../../common/logger.js';
import type { KvRecords, RecordChange, Versioned } from './store/kv-records.js';
import { LiveView } from './store/live-view.js';

export type TaskListener = (task: Task, previous: Task | undefined) => void;
/** A task change with its revision: listeners of one task see a reset's snapshot again, and order by revision. */
export type VersionedListener = (task: Versioned<Task>) => void;

export class TaskIndex {
  private readonly active = new Map<string, Versioned<Task>>();
  private readonly byNode = new Map<string, Set<string>>();
  /** Active attempts per provider (Cline tasks): what a provider's --max-concurrent is held to. */
  private readonly byProvider = new Map<string, number>();
  /** Active attempts per team: its --max-running and its share of the slots. */
  private readonly byTeam = new Map<string, number>();
  private readonly listeners = new Set<TaskListener>();
  private readonly nodeListeners = new Map<string, Set<TaskListener>>();
  private readonly taskListeners = new Map<string, Set<VersionedListener>>();
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
    this.byProvider.clear();
    this.byTeam.clear();
    for (const change of snapshot) this.apply(change);
  }

  /** Every change of every task (the scheduler). */
  onChange(listener: TaskListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Changes of tasks whose current attempt is, or was until this change, on the node (its session). */
  onNodeChange(nodeId: string, listener: TaskListener): () => void {
    return subscribe(this.nodeListeners, nodeId, listener);
  }

  /** Changes of one task, the last one included when it ends (WatchTask). */
  onTaskChange(taskId: string, listener: VersionedListener): () => void {
    return subscribe(this.taskListeners, taskId, listener);
  }

  get(taskId: string): Task | undefined {
    return this.active.get(taskId)?.value;
  }

  /** The task with its revision, for a compare-and-set without a read. */
  versioned(taskId: string): Versioned<Task> | undefined {
    return this.active.get(taskId);
  }

  /** Every task in the view (active ones, and ended ones whose last attempt has not). */
  all(): Task[] {
    const out: Task[] = [];
    for (const { value } of this.active.values()) out.push(value);
    return out;
  }

  pending(): Task[] {
    const out: Task[] = [];
    for (const { value } of this.active.values()) if (value.state === 'PENDING') out.push(value);
    return out;
  }

  /** Tasks whose current attempt occupies the node. */
  onNode(nodeId: string): Task[] {
    const out: Task[] = [];
    for (const id of this.byNode.get(nodeId) ?? []) {
      const task = this.active.get(id)?.value;
      if (task) out.push(task);
    }
    return out;
  }

  activeAttemptsOn(nodeId: string): number {
    return this.byNode.get(nodeId)?.size ?? 0;
  }

  activeAttemptsOf(provider: string): number {
    return this.byProvider.get(provider) ?? 0;
  }

  /** Tasks of the team holding a slot ('' = tasks of no team). */
  activeAttemptsOfTeam(team: string): number {
    return this.byTeam.get(team) ?? 0;
  }

  runningTeams(): Iterable<string> {
    return this.byTeam.keys();
  }

  /**
   * Applies a change. One watch delivers a bucket's changes in revision
   * order, and a restarted watch hands over a whole snapshot (`reset`), so
   * the last change applied is always the newest.
   */
  private apply(change: RecordChange<Task>): void {
    const previous = this.active.get(change.key)?.value;
    const previousNode = previous ? activeAttempt(previous)?.nodeId : undefined;
    if (previous) this.unindexNode(previous);
    if (change.deleted || !isTaskActive(change.value)) {
      this.active.delete(change.key);
    } else {
      this.active.set(change.key, { key: change.key, value: change.value, revision: change.revision });
      this.indexNode(change.value);
    }
    if (change.deleted) return;
    const task = change.value;
    for (const listener of this.listeners) listener(task, previous);
    const node = activeAttempt(task)?.nodeId;
    if (node) for (const listener of this.nodeListeners.get(node) ?? []) listener(task, previous);
    if (previousNode && previousNode !== node) for (const listener of this.nodeListeners.get(previousNode) ?? []) listener(task, previous);
    const versioned = { key: change.key, value: task, revision: change.revision };
    for (const listener of this.taskListeners.get(task.id) ?? []) listener(versioned);
  }

  private indexNode(task: Task): void {
    const attempt = activeAttempt(task);
    if (!attempt) return;
    let set = this.byNode.get(attempt.nodeId);
    if (!set) this.byNode.set(attempt.nodeId, (set = new Set()));
    set.add(task.id);
    const provider = task.spec.cline?.provider;
    if (provider) this.byProvider.set(provider, (this.byProvider.get(provider) ?? 0) + 1);
    const team = task.spec.team ?? '';
    this.byTeam.set(team, (this.byTeam.get(team) ?? 0) + 1);
  }

  private unindexNode(task: Task): void {
    const attempt = activeAttempt(task);
    if (!attempt) return;
    const set = this.byNode.get(attempt.nodeId);
    set?.delete(task.id);
    if (set?.size === 0) this.byNode.delete(attempt.nodeId);
    const provider = task.spec.cline?.provider;
    if (provider) {
      const left = (this.byProvider.get(provider) ?? 1) - 1;
      if (left > 0) this.byProvider.set(provider, left);
      else this.byProvider.delete(provider);
    }
    const team = task.spec.team ?? '';
    const left = (this.byTeam.get(team) ?? 1) - 1;
    if (left > 0) this.byTeam.set(team, left);
    else this.byTeam.delete(team);
  }
}

function subscribe<L>(map: Map<string, Set<L>>, key: string, listener: L): () => void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(listener);
  return () => {
    const current = map.get(key);
    current?.delete(listener);
    if (current?.size === 0) map.delete(key);
  };
}

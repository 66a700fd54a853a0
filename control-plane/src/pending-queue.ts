/**
 * The leader's queue of PENDING tasks, kept current from task changes rather
 * than rebuilt and sorted on every scheduling pass. Tasks that can run on the
 * same nodes (the same node selector and image) form a class; each class is
 * a heap in scheduling order (`comparePending`). A pass looks at the heads
 * of the classes, not at every task, so its cost follows the placements it
 * makes and the number of classes, not the length of the queue: a backlog of
 * a hundred thousand tasks costs a pass no more than one of ten.
 *
 * Heap entries are never removed in place: an entry carries a token, and it
 * counts only while the task's token is still that one (a task that leaves
 * the queue or comes back gets a new token, and its old entries are dropped
 * when they surface).
 */
import { normalizeImageRef, type Task } from '../../common/model.js';

/** Scheduling order: higher priority first, then first submitted first. */
export function comparePending(a: Task, b: Task): number {
  return b.spec.priority - a.spec.priority || a.createdAtMs - b.createdAtMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

interface Entry {
  task: Task;
  token: number;
  /** Where the task waits: its class (due now), the backoff heap, or taken by a pass. */
  place: TaskClass | 'delayed' | 'taken';
}

interface HeapItem {
  id: string;
  token: number;
  task: Task;
}

/** A binary heap; `before(a, b)`: a comes out first. */
class Heap<T> {
  private readonly items: T[] = [];
  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < items.length && this.before(items[l]!, items[best]!)) best = l;
        if (r < items.length && this.before(items[r]!, items[best]!)) best = r;
        if (best === i) break;
        [items[i], items[best]] = [items[best]!, items[i]!];
        i = best;
      }
    }
    return top;
  }
}

/** Tasks that can run on the same nodes, in scheduling order. */
export class TaskClass {
  private readonly heap = new Heap<HeapItem>((a, b) => comparePending(a.task, b.task) < 0);
  /** The ids of the tasks waiting in this class. */
  readonly members = new Set<string>();
  /** The reason last written to every member (see `explain` in scheduler.ts); undefined: none yet. */
  explained: string | undefined;
  /** Members that joined since `explained` was written. */
  readonly unexplained = new Set<string>();

  constructor(
    readonly key: string,
    readonly selector: Readonly<Record<string, string>>,
    /** The image, normalized (`normalizeImageRef`). */
    readonly image: string,
    /** The provider of its Cline tasks ('' for plain tasks): a provider's limit holds a class, not the queue. */
    readonly provider: string,
    /** The team of its tasks ('' = none): the team's share and limits hold a class, not the queue. */
    readonly team: string,
    /** The task's current record if the heap entry still counts, else undefined. */
    private readonly current: (item: HeapItem, cls: TaskClass) => Task | undefined,
  ) {}

  add(item: HeapItem): void {
    this.heap.push(item);
    this.members.add(item.id);
    this.unexplained.add(item.id);
  }

  leave(id: string): void {
    this.members.delete(id);
    this.unexplained.delete(id);
  }

  /** The first task in scheduling order, if any. */
  head(): Task | undefined {
    for (let top = this.heap.peek(); top; top = this.heap.peek()) {
      const task = this.current(top, this);
      if (task) return task;
      this.heap.pop();
    }
    return undefined;
  }
}

export class PendingQueue {
  /** `imageOf`: the image a task would run now (a rollout may choose another than its own). */
  constructor(private readonly imageOf: (task: Task) => string = (task) => task.spec.image) {}

  private readonly entries = new Map<string, Entry>();
  private readonly classes = new Map<string, TaskClass>();
  private readonly delayed = new Heap<HeapItem>((a, b) => a.task.notBeforeMs < b.task.notBeforeMs);
  private tokens = 0;
  private readonly current = (item: HeapItem, place: TaskClass | 'delayed'): Task | undefined => {
    const entry = this.entries.get(item.id);
    return entry !== undefined && entry.token === item.token && entry.place === place ? entry.task : undefined;
  };

  /** Applies a task's change: a PENDING task is queued (or its record refreshed), any other leaves. */
  update(task: Task): void {
    if (task.state !== 'PENDING') {
      this.remove(task.id);
      return;
    }
    const entry = this.entries.get(task.id);
    // Same wait (a new reason shown, say): the record is refreshed where it is.
    if (entry && entry.place !== 'taken' && entry.task.notBeforeMs === task.notBeforeMs) {
      entry.task = task;
      return;
    }
    this.remove(task.id);
    this.insert(task);
  }

  /** The task left the queue for good (ended, deleted). */
  remove(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    if (entry.place instanceof TaskClass) entry.place.leave(id);
    this.entries.delete(id);
  }

  get(id: string): Task | undefined {
    return this.entries.get(id)?.task;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The task still waits in a class whose reason is `why` (or whose members
   * each have their own, `imageMissing`, or that no pass has explained yet): a
   * reason decided by an earlier pass is still worth writing. Not when the
   * task was placed, left, or its class's reason has changed since (the pass
   * that changed it decided anew).
   */
  stillExplains(id: string, why: string): boolean {
    const place = this.entries.get(id)?.place;
    return place instanceof TaskClass && (place.explained === why || place.explained === undefined);
  }

  /** The reason the task's class gives all its members now; undefined: none (the task left, or no single reason). */
  classReason(id: string): string | undefined {
    const place = this.entries.get(id)?.place;
    return place instanceof TaskClass ? place.explained : undefined;
  }

  /** Tasks whose backoff is over join their classes. */
  promote(now: number): void {
    for (let top = this.delayed.peek(); top && top.task.notBeforeMs <= now; top = this.delayed.peek()) {
      this.delayed.pop();
      if (!this.current(top, 'delayed')) continue;
      const entry = this.entries.get(top.id)!;
      this.enter(entry, top.id);
    }
  }

  /** When the earliest backoff ends, if any task waits one out. */
  wakeAtMs(): number | undefined {
    for (let top = this.delayed.peek(); top; top = this.delayed.peek()) {
      if (this.current(top, 'delayed')) return top.task.notBeforeMs;
      this.delayed.pop();
    }
    return undefined;
  }

  /** The classes with tasks waiting in them. */
  *waiting(): Iterable<TaskClass> {
    for (const [key, cls] of this.classes) {
      if (cls.members.size > 0) yield cls;
      else this.classes.delete(key);
    }
  }

  /** A pass placed the task: it stays out of its class until its change arrives, or `putBack`. */
  take(id: string): void {
    const entry = this.entries.get(id);
    if (!entry || !(entry.place instanceof TaskClass)) return;
    entry.place.leave(id);
    entry.place = 'taken';
  }

  /** The placement was not stored (another leader, the store away): the task waits again. */
  putBack(id: string): void {
    const entry = this.entries.get(id);
    if (!entry || entry.place !== 'taken') return;
    this.entries.delete(id);
    this.insert(entry.task);
  }

  private insert(task: Task): void {
    const entry: Entry = { task, token: ++this.tokens, place: 'delayed' };
    this.entries.set(task.id, entry);
    // A task with a backoff waits for `promote` to find it over (at once, if it already is).
    if (task.notBeforeMs > 0) this.delayed.push({ id: task.id, token: entry.token, task });
    else this.enter(entry, task.id);
  }

  private enter(entry: Entry, id: string): void {
    const cls = this.classOf(entry.task);
    entry.place = cls;
    entry.token = ++this.tokens;
    cls.add({ id, token: entry.token, task: entry.task });
  }

  private classOf(task: Task): TaskClass {
    const image = normalizeImageRef(this.imageOf(task));
    const selector = task.spec.nodeSelector;
    const provider = task.spec.cline?.provider ?? '';
    const team = task.spec.team ?? '';
    const key = `${image}\n${provider}\n${team}\n${JSON.stringify(Object.entries(selector).sort())}`;
    let cls = this.classes.get(key);
    if (!cls) this.classes.set(key, (cls = new TaskClass(key, selector, image, provider, team, this.current)));
    return cls;
  }
}

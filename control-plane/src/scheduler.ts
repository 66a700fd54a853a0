/**
 * The scheduling decision: a pure function of (pending tasks, nodes, now).
 * It never does I/O; `scheduler-loop.ts` feeds it a snapshot and applies the
 * plan with compare-and-set writes. Two leaders racing cannot assign a task
 * twice (the CAS does that), so this function only has to be good, not safe.
 */
import { currentAttempt, normalizeImageRef, type NodeStatus, type Task } from '../../common/model.js';

/** Why a READY node takes no new work now. */
export type Unavailable = 'cordoned' | 'draining' | 'engine' | 'disk';

export interface NodeView {
  id: string;
  name: string;
  labels: Record<string, string>;
  slots: number;
  status: NodeStatus;
  /** Attempts placed on the node that have not ended (from task records, not heartbeats). */
  activeAttempts: number;
  /** null: the node takes new work. */
  unavailable: Unavailable | null;
  /** The images the node can run, or null when it pulls what it lacks. */
  images: ReadonlySet<string> | null;
}

export interface Assignment {
  taskId: string;
  nodeId: string;
}

export interface Plan {
  assignments: Assignment[];
  /** The earliest not-before time still in the future: when to look again. */
  wakeAtMs: number | undefined;
  /** Tasks that no node can take now, and why (shown in `task get`). */
  unschedulable: Map<string, string>;
  /** Tasks that no node will run as they are, and why: they fail. */
  failures: Map<string, string>;
}

export interface ScheduleOptions {
  /**
   * How long a task may have waited before "its image is on no node" fails
   * it: node image lists come with heartbeats, so an image just loaded is
   * seen a heartbeat or two later.
   */
  imageGraceMs: number;
}

const DEFAULT_OPTIONS: ScheduleOptions = { imageGraceMs: 10_000 };
/** Nodes named in a message, at most. */
const MAX_NAMES_SHOWN = 10;

export function matchesSelector(labels: Record<string, string>, selector: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/** Higher priority first, then first submitted first. */
export function comparePending(a: Task, b: Task): number {
  return b.spec.priority - a.spec.priority || a.createdAtMs - b.createdAtMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

const UNAVAILABLE_WORDS: Record<Unavailable, string> = {
  cordoned: 'cordoned',
  draining: 'draining',
  engine: 'Docker engine not answering',
  disk: 'short of disk space',
};

/**
 * Why no node takes the task, in words an operator can act on. No counts:
 * the reason is written to the task whenever it changes, and counts would
 * change it with every node that comes and goes.
 */
function whyNoNode(candidates: readonly NodeView[]): string {
  const causes = new Set<Unavailable>();
  for (const n of candidates) if (n.unavailable) causes.add(n.unavailable);
  if (causes.size === 1 && causes.has('engine')) return 'no node with a healthy Docker engine';
  if (causes.size === 1 && causes.has('disk')) return 'no node with free disk space';
  return `no matching node takes new work (${[...causes].sort().map((c) => UNAVAILABLE_WORDS[c]).join(', ')})`;
}

export function schedule(pending: readonly Task[], nodes: readonly NodeView[], now: number, options: ScheduleOptions = DEFAULT_OPTIONS): Plan {
  const free = new Map<string, number>();
  for (const node of nodes) {
    if (node.status === 'READY' && node.unavailable === null) free.set(node.id, Math.max(0, node.slots - node.activeAttempts));
  }
  const assignments: Assignment[] = [];
  const unschedulable = new Map<string, string>();
  const failures = new Map<string, string>();
  let wakeAtMs: number | undefined;

  for (const task of [...pending].sort(comparePending)) {
    if (task.state !== 'PENDING') continue;
    if (task.notBeforeMs > now) {
      wakeAtMs = wakeAtMs === undefined ? task.notBeforeMs : Math.min(wakeAtMs, task.notBeforeMs);
      continue;
    }
    const ready = nodes.filter((n) => n.status === 'READY' && matchesSelector(n.labels, task.spec.nodeSelector));
    if (ready.length === 0) {
      unschedulable.set(task.id, Object.keys(task.spec.nodeSelector).length > 0 ? 'no ready node matches the node selector' : 'no ready node');
      continue;
    }
    const image = normalizeImageRef(task.spec.image);
    const canRun = ready.filter((n) => n.images === null || n.images.has(image));
    if (canRun.length === 0) {
      const names = ready.slice(0, MAX_NAMES_SHOWN).map((n) => n.name).join(', ') + (ready.length > MAX_NAMES_SHOWN ? ` and ${ready.length - MAX_NAMES_SHOWN} more` : '');
      const why = `image ${task.spec.image} is on no node that could run it: load it (docker load) on ${names}, or let a node pull images (--image-pull missing)`;
      if (now - (task.queuedAtMs ?? task.createdAtMs) >= options.imageGraceMs) failures.set(task.id, why);
      else unschedulable.set(task.id, why);
      continue;
    }
    const usable = canRun.filter((n) => free.has(n.id));
    if (usable.length === 0) {
      unschedulable.set(task.id, whyNoNode(canRun));
      continue;
    }
    const withRoom = usable.filter((n) => (free.get(n.id) ?? 0) > 0);
    if (withRoom.length === 0) {
      unschedulable.set(task.id, 'every matching node is full');
      continue;
    }
    const node = pickNode(withRoom, free, currentAttempt(task)?.nodeId);
    assignments.push({ taskId: task.id, nodeId: node.id });
    free.set(node.id, (free.get(node.id) ?? 0) - 1);
  }
  return { assignments, wakeAtMs, unschedulable, failures };
}
/**
 * Spread: the node with the largest share of free slots wins. A retry avoids
 * the node its last attempt ran on when another has room, since a node that
 * just failed a task is the likeliest to fail it again.
 */
function pickNode(candidates: NodeView[], free: Map<string, number>, previousNodeId: string | undefined): NodeView {
  const others = previousNodeId ? candidates.filter((n) => n.id !== previousNodeId) : candidates;
  const pool = others.length > 0 ? others : candidates;
  let best = pool[0]!;
  let bestShare = -1;
  for (const node of pool) {
    const share = (free.get(node.id) ?? 0) / Math.max(1, node.slots);
    if (share > bestShare || (share === bestShare && node.id < best.id)) {
      best = node;
      bestShare = share;
    }
  }
  return best;
}

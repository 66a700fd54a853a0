/**
 * The scheduling decision: a pure function of (pending tasks, nodes, now).
 * It never does I/O; `scheduler-loop.ts` feeds it a snapshot and applies the
 * plan with compare-and-set writes. Two leaders racing cannot assign a task
 * twice (the CAS does that), so this function only has to be good, not safe.
 */
import { currentAttempt, type NodeStatus, type Task } from '../../common/model.js';

export interface NodeView {
  id: string;
  labels: Record<string, string>;
  slots: number;
  status: NodeStatus;
  /** Attempts placed on the node that have not ended (from task records, not heartbeats). */
  activeAttempts: number;
  schedulable: boolean;
}

export interface Assignment {
  taskId: string;
  nodeId: string;
}

export interface Plan {
  assignments: Assignment[];
  /** The earliest not-before time still in the future: when to look again. */
  wakeAtMs: number | undefined;
  /** Tasks that no node can take now, and why (for `task get`). */
  unschedulable: Map<string, string>;
}

export function matchesSelector(labels: Record<string, string>, selector: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/** Higher priority first, then first submitted first. */
export function comparePending(a: Task, b: Task): number {
  return b.spec.priority - a.spec.priority || a.createdAtMs - b.createdAtMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function schedule(pending: readonly Task[], nodes: readonly NodeView[], now: number): Plan {
  const free = new Map<string, number>();
  for (const node of nodes) {
    if (node.status === 'READY' && node.schedulable) free.set(node.id, Math.max(0, node.slots - node.activeAttempts));
  }
  const assignments: Assignment[] = [];
  const unschedulable = new Map<string, string>();
  let wakeAtMs: number | undefined;

  for (const task of [...pending].sort(comparePending)) {
    if (task.state !== 'PENDING') continue;
    if (task.notBeforeMs > now) {
      wakeAtMs = wakeAtMs === undefined ? task.notBeforeMs : Math.min(wakeAtMs, task.notBeforeMs);
      continue;
    }
    const matching = nodes.filter((n) => free.has(n.id) && matchesSelector(n.labels, task.spec.nodeSelector));
    if (matching.length === 0) {
      unschedulable.set(task.id, Object.keys(task.spec.nodeSelector).length > 0 ? 'no ready node matches the node selector' : 'no ready node');
      continue;
    }
    const withRoom = matching.filter((n) => (free.get(n.id) ?? 0) > 0);
    if (withRoom.length === 0) {
      unschedulable.set(task.id, 'every matching node is full');
      continue;
    }
    const node = pickNode(withRoom, free, currentAttempt(task)?.nodeId);
    assignments.push({ taskId: task.id, nodeId: node.id });
    free.set(node.id, (free.get(node.id) ?? 0) - 1);
  }
  return { assignments, wakeAtMs, unschedulable };
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

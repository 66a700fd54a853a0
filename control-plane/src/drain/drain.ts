/**
 * Drains, decided: pure functions over a node record and the attempts on it.
 * A drain stops new work at once (`isSchedulable`), lets running attempts
 * finish until its deadline, then asks the node to stop what is left (those
 * tasks are requeued, spending no budget), and is complete only when the
 * node itself has reported no fleet container since the drain began, or the
 * node is DOWN (a node judged DOWN has stopped its own containers; see the
 * design's invariant 2). `drainer.ts` is the loop that applies these.
 */
import { ValidationError } from '../../../common/errors.js';
import type { CordonSource, Drain, NodeRecord } from '../../../common/model.js';
import type { ActiveAttemptRef } from '../leader-roles.js';

export const DEFAULT_DRAIN_DEADLINE_MS = 3_600_000;
export const MAX_DRAIN_DEADLINE_MS = 7 * 86_400_000;

export type DrainAction =
  | { kind: 'stop-attempts'; nodeId: string; attempts: ActiveAttemptRef[]; reason: string }
  | { kind: 'drain-complete'; nodeId: string };

/** The deadline a DrainNode call asked for: 0 is the default; refused outside the bounds, naming the field. */
export function drainDeadlineMs(requested: unknown): number {
  const ms = Number(requested ?? 0);
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_DRAIN_DEADLINE_MS) {
    throw new ValidationError('deadline_ms', `must be between 0 (the default, ${DEFAULT_DRAIN_DEADLINE_MS}ms) and ${MAX_DRAIN_DEADLINE_MS}, got ${String(requested)}`);
  }
  return ms || DEFAULT_DRAIN_DEADLINE_MS;
}

/** The node with a drain begun now, or null when one is already under way (asking twice changes nothing). */
export function startDrain(node: NodeRecord, now: number, deadlineMs: number): NodeRecord | null {
  if (node.drain?.state === 'DRAINING') return null;
  return { ...node, drain: { state: 'DRAINING', requestedAtMs: now, deadlineMs: now + deadlineMs, completedAtMs: 0 } };
}

export function completeDrain(node: NodeRecord, now: number): NodeRecord | null {
  if (node.drain?.state !== 'DRAINING') return null;
  return { ...node, drain: { ...node.drain, state: 'DRAINED', completedAtMs: now } };
}

/** The node back in service after a drain the autoscaler began and no longer wants (demand returned), or null when there is none. */
export function endDrain(node: NodeRecord): NodeRecord | null {
  return node.drain ? { ...node, drain: null } : null;
}

/** What is left of a drain when a node is uncordoned: an operator's uncordon ends it; the breaker's leaves it. */
export function drainAfterUncordon(node: NodeRecord, by: CordonSource): Drain | null {
  return by === 'OPERATOR' ? null : (node.drain ?? null);
}

/** What to do about one node's drain now. `down`: the node is judged DOWN. */
export function judgeDrain(node: NodeRecord, attempts: readonly ActiveAttemptRef[], down: boolean, now: number): DrainAction[] {
  const d = node.drain;
  if (!d || d.state !== 'DRAINING') return [];
  if (attempts.length === 0) {
    // Complete only when the node itself has said it holds no fleet container
    // since the drain began; a node that is DOWN has stopped its own.
    const reportedEmpty = node.lastHeartbeatMs >= d.requestedAtMs && (node.fleetContainers ?? 0) === 0;
    return reportedEmpty || down ? [{ kind: 'drain-complete', nodeId: node.id }] : [];
  }
  const toStop = attempts.filter((a) => !a.stopRequested);
  if (now >= d.deadlineMs && toStop.length > 0) {
    return [{ kind: 'stop-attempts', nodeId: node.id, attempts: toStop, reason: `node ${node.name} drained (deadline passed)` }];
  }
  return [];
}

/**
 * What the leader decides about nodes' health, as a pure function of (nodes,
 * their active attempts, now): liveness (READY → DISCONNECTED → DOWN, and the
 * attempts of a DOWN node lost) and the circuit breaker (cordon a node that
 * keeps failing at the infrastructure level, lift it after a healthy probe
 * period). `node-monitor.ts` applies the actions; drains are decided in
 * `drain/drain.ts`.
 */
import type { NodeRecord } from '../../common/model.js';
import type { ActiveAttemptRef } from './leader-roles.js';
import { inRestartLoop } from './node-state.js';

export interface LivenessSettings {
  heartbeatIntervalMs: number;
  disconnectedAfterMs: number;
  downAfterMs: number;
  /** The agent stops its containers this long before the node would be judged DOWN. */
  stopMarginMs: number;
  /** Infrastructure failures in a row that cordon a node. */
  breakerThreshold: number;
  /** How long an auto-cordoned node must look healthy before it is uncordoned. */
  breakerProbeMs: number;
}

export const DEFAULT_LIVENESS: LivenessSettings = {
  heartbeatIntervalMs: 5_000,
  disconnectedAfterMs: 15_000,
  downAfterMs: 30_000,
  stopMarginMs: 10_000,
  breakerThreshold: 3,
  breakerProbeMs: 30_000,
};

/** The agent's own cut-off stop uses at most this grace, so it is done well inside the margin. */
export const MIN_STOP_MARGIN_MS = 3_000;

/** What the control plane tells each agent in its Welcome. */
export function stopAfterDisconnectMs(settings: LivenessSettings): number {
  return settings.downAfterMs - settings.stopMarginMs;
}

/** Refuses settings that would let an agent keep running after its node is DOWN. */
export function checkLiveness(s: LivenessSettings): string | null {
  if (s.heartbeatIntervalMs < 100) return '--heartbeat-interval: must be at least 100ms';
  if (s.disconnectedAfterMs <= s.heartbeatIntervalMs * 2) return '--disconnected-after: must be more than twice --heartbeat-interval';
  if (s.downAfterMs <= s.disconnectedAfterMs) return '--down-after: must be longer than --disconnected-after';
  if (s.stopMarginMs < MIN_STOP_MARGIN_MS) return `--stop-margin: must be at least ${MIN_STOP_MARGIN_MS}ms`;
  if (stopAfterDisconnectMs(s) <= s.heartbeatIntervalMs * 2) return '--stop-margin: leaves the agent too little time (down-after minus margin must exceed two heartbeats)';
  if (!Number.isInteger(s.breakerThreshold) || s.breakerThreshold < 1) return '--breaker-threshold: must be at least 1';
  return null;
}

export type NodeAction =
  | { kind: 'status'; nodeId: string; status: 'DISCONNECTED' | 'DOWN' }
  | { kind: 'lose-attempts'; nodeId: string; attempts: ActiveAttemptRef[]; reason: string }
  | { kind: 'cordon'; nodeId: string; reason: string }
  | { kind: 'uncordon'; nodeId: string };

/** Until when a replica may have acknowledged its nodes' heartbeats, as far as the leader knows (0: not heard from). */
export type ReplicaContact = (replicaId: string) => number;

export interface Judgement {
  nodes: readonly NodeRecord[];
  attemptsOn: (nodeId: string) => ActiveAttemptRef[];
  now: number;
  /** Heartbeats older than this are not held against a node: the judge itself was away. */
  judgingSinceMs: number;
  settings: LivenessSettings;
  replicaContact: ReplicaContact;
}

/**
 * When the node was last known alive. Most heartbeats are never written
 * (`heartbeatNeedsWrite`): a READY node's session is held by a replica that
 * ends it when the node falls silent (writing its last heartbeat then) and
 * that acknowledges heartbeats only while it can store its own entry, so the
 * node counts as heard from for as long as its replica may have vouched for
 * it (see replica-registry.ts).
 */
export function lastContactMs(node: NodeRecord, replicaContact: ReplicaContact): number {
  return node.status === 'READY' && node.replicaId ? Math.max(node.lastHeartbeatMs, replicaContact(node.replicaId)) : node.lastHeartbeatMs;
}

export function judgeNodes({ nodes, attemptsOn, now, judgingSinceMs, settings, replicaContact }: Judgement): NodeAction[] {
  const actions: NodeAction[] = [];
  for (const node of nodes) {
    const attempts = attemptsOn(node.id);
    const contactMs = lastContactMs(node, replicaContact);
    const silentMs = now - Math.max(contactMs, judgingSinceMs);
    if (node.status !== 'DOWN' && silentMs > settings.downAfterMs) {
      actions.push({ kind: 'status', nodeId: node.id, status: 'DOWN' });
    } else if (node.status === 'READY' && silentMs > settings.disconnectedAfterMs) {
      actions.push({ kind: 'status', nodeId: node.id, status: 'DISCONNECTED' });
    }
    if ((node.status === 'DOWN' || silentMs > settings.downAfterMs) && attempts.length > 0) {
      actions.push({ kind: 'lose-attempts', nodeId: node.id, attempts, reason: `node ${node.name} lost: no heartbeat for ${Math.round(silentMs / 1000)}s` });
    }
    actions.push(...breaker(node, now, settings));
  }
  return actions;
}

function breaker(node: NodeRecord, now: number, settings: LivenessSettings): NodeAction[] {
  if (node.status !== 'READY') return [];
  const streak = node.infraFailureStreak ?? 0;
  if (!node.cordon) {
    if (!node.dockerHealthy && node.lastHeartbeatMs > 0 && node.dockerError) {
      return [{ kind: 'cordon', nodeId: node.id, reason: `docker unreachable: ${node.dockerError}` }];
    }
    if (node.diskPressure) return [{ kind: 'cordon', nodeId: node.id, reason: `disk pressure: ${node.diskPressure}` }];
    if (streak >= settings.breakerThreshold) {
      return [{ kind: 'cordon', nodeId: node.id, reason: `${streak} infrastructure failures in a row` }];
    }
    return [];
  }
  const healthySince = node.dockerHealthySinceMs ?? 0;
  // A node whose agent is in a restart loop stays cordoned until its failed restarts age out of the window.
  if (node.cordon.by === 'AUTO' && node.dockerHealthy && !node.diskPressure && healthySince > 0 && !inRestartLoop(node, now) && now - Math.max(healthySince, node.cordon.atMs) >= settings.breakerProbeMs) {
    return [{ kind: 'uncordon', nodeId: node.id }];
  }
  return [];
}

/**
 * Every change of a node record, in one place, like `task-state.ts` for
 * tasks: pure functions that take the record as stored and return the next
 * version, or null when nothing changes. `nodes.ts` applies them with
 * compare-and-set; the leader loops' in-memory tests apply them to a map.
 */
import type { AgentRestart, CordonSource, HeartbeatReport, NodeInfo, NodeRecord, NodeStatus, PreviousExit, RestartAnswer, RestartRequest } from '../../common/model.js';
import { drainAfterUncordon } from './drain/drain.js';

/**
 * A node's hello changes only what the node may say about itself: its
 * version, hostname and how many slots it offers now, never more than its
 * ceiling. Its name and labels stay what enrollment and operators made them.
 * The replica that holds the session vouches for the node's liveness from
 * now on (see `lastContactMs` in node-health.ts).
 */
export function nodeHello(n: NodeRecord, info: NodeInfo & { previousExit?: PreviousExit | null }, sessionId: string, replicaId: string, now: number): NodeRecord {
  const maxSlots = n.maxSlots || n.slots;
  const next: NodeRecord = { ...n, hostname: info.hostname, agentVersion: info.agentVersion, slots: Math.min(info.slots, maxSlots), offeredSlots: info.slots, maxSlots, sessionId, replicaId, status: 'READY', lastHeartbeatMs: now };
  return info.previousExit ? agentRestarted(next, info.previousExit, now) : next;
}

/** The agent's restarts a node record keeps, newest last. */
export const MAX_RESTARTS_KEPT = 10;
/** This many failed restarts (see `failedRestart`) within the window cordon the node: its agent is in a restart loop. */
export const RESTART_LOOP = { count: 3, windowMs: 15 * 60_000 };

/** The failed restarts within the restart-loop window. */
function failedRestarts(n: NodeRecord, now: number): AgentRestart[] {
  return (n.restarts ?? []).filter((r) => now - r.atMs <= RESTART_LOOP.windowMs && failedRestart(r));
}

/** The agent is in a restart loop: the breaker keeps the node cordoned while it is. */
export function inRestartLoop(n: NodeRecord, now: number): boolean {
  return failedRestarts(n, now).length >= RESTART_LOOP.count;
}

/** A restart after the agent failed: its watchdog or self-check, or a crash. Not one an operator asked for, nor a kill. */
export function failedRestart(r: AgentRestart): boolean {
  return !r.requested && (r.result === 'watchdog' || r.result === 'exit-code' || r.result === 'core-dump' || r.selfCheckProblems !== '');
}

function describeRestart(r: AgentRestart): string {
  const how = r.result === 'watchdog' ? 'killed by the watchdog' : r.result === 'core-dump' ? `crashed (${r.exitStatus || 'core dump'})` : r.result === 'exit-code' ? `exited with status ${r.exitStatus || '?'}` : r.result;
  return r.selfCheckProblems ? `${how}; its self-check: ${r.selfCheckProblems}` : how;
}

/**
 * A new agent process followed another: kept in the node's restarts; it
 * completes the restart request it ended for; and the breaker cordons a
 * node whose agent keeps failing (a restart loop), with the reason.
 */
export function agentRestarted(n: NodeRecord, exit: PreviousExit, now: number): NodeRecord {
  const request = n.restartRequest;
  const requested = exit.restartRequestId !== '' && request?.id === exit.restartRequestId;
  const restart: AgentRestart = { atMs: now, result: exit.result, exitStatus: exit.exitStatus, selfCheckProblems: exit.selfCheckProblems, requested };
  const next: NodeRecord = { ...n, restarts: [...(n.restarts ?? []), restart].slice(-MAX_RESTARTS_KEPT) };
  if (requested && request!.state !== 'DONE') next.restartRequest = { ...request!, state: 'DONE', reason: '', completedAtMs: now };
  const failed = failedRestarts(next, now);
  if (failed.length < RESTART_LOOP.count || next.cordon) return next;
  const reason = `restart loop: the agent restarted ${failed.length} times in ${RESTART_LOOP.windowMs / 60_000} min after failing (last: ${describeRestart(failed[failed.length - 1]!)})`;
  return cordonNode(next, 'AUTO', reason, now) ?? next;
}

/** A restart still under way; one older than this is taken as lost (the agent never answered), and may be asked again. */
export const RESTART_UNDER_WAY_MS = 10 * 60_000;

export function restartUnderWay(n: NodeRecord, now: number): RestartRequest | null {
  const r = n.restartRequest;
  return r && (r.state === 'REQUESTED' || r.state === 'RESTARTING') && now - r.requestedAtMs < RESTART_UNDER_WAY_MS ? r : null;
}

/** An operator asks the agent to restart; the node's session delivers it. */
export function restartRequested(n: NodeRecord, request: Pick<RestartRequest, 'id' | 'drain' | 'requestedBy'>, now: number): NodeRecord {
  return { ...n, restartRequest: { ...request, requestedAtMs: now, state: 'REQUESTED', reason: '', completedAtMs: 0 } };
}

/** The agent took the request (it restarts now, or after draining) or refused it. */
export function restartAnswered(n: NodeRecord, answer: RestartAnswer, now: number): NodeRecord | null {
  const r = n.restartRequest;
  if (!r || r.id !== answer.requestId || r.state !== 'REQUESTED') return null;
  return { ...n, restartRequest: { ...r, state: answer.accepted ? 'RESTARTING' : 'REFUSED', reason: answer.reason, completedAtMs: answer.accepted ? 0 : now } };
}

/** The node's latest session ended: DISCONNECTED, last heard from at its last heartbeat. */
export function nodeSessionClosed(n: NodeRecord, sessionId: string, lastHeartbeatMs: number): NodeRecord | null {
  if (n.sessionId !== sessionId) return null;
  const last = Math.max(n.lastHeartbeatMs, lastHeartbeatMs);
  return n.status === 'DISCONNECTED' && last === n.lastHeartbeatMs ? null : { ...n, status: n.status === 'DOWN' ? 'DOWN' : 'DISCONNECTED', lastHeartbeatMs: last };
}

/**
 * Whether a heartbeat must be written to the node record: when it changes
 * what the scheduler, the leader's loops or an operator act on, while the
 * node drains (its completion waits for a heartbeat after the request), or
 * when the stored one is `refreshMs` old (resources and "last heartbeat" in
 * `node list`). Otherwise it costs no write: liveness is the session's
 * replica's to vouch for.
 */
export function heartbeatNeedsWrite(n: NodeRecord, beat: HeartbeatReport, now: number, refreshMs: number): boolean {
  if (n.status !== 'READY' || n.drain?.state === 'DRAINING' || now - n.lastHeartbeatMs >= refreshMs) return true;
  const next = nodeHeartbeat(n, beat, now);
  return (
    next.dockerHealthy !== n.dockerHealthy ||
    next.dockerError !== n.dockerError ||
    next.dockerHealthySinceMs !== n.dockerHealthySinceMs ||
    (next.diskPressure ?? '') !== (n.diskPressure ?? '') ||
    Boolean(next.agentDraining) !== Boolean(n.agentDraining) ||
    Boolean(next.imagesOnly) !== Boolean(n.imagesOnly) ||
    (next.fleetContainers ?? 0) !== (n.fleetContainers ?? 0) ||
    !sameStrings(next.images ?? [], n.images ?? []) ||
    !sameStrings(next.prefetched ?? [], n.prefetched ?? []) ||
    !sameStrings(next.repoKeys ?? [], n.repoKeys ?? [])
  );
}

/** The same strings in the same order (image lists, label pairs). */
export function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** An operator's change of labels or of the slot ceiling (0: unchanged). */
export function nodeSetByOperator(n: NodeRecord, change: { set: Record<string, string>; removed: readonly string[]; maxSlots: number }): NodeRecord {
  const labels = { ...n.labels, ...change.set };
  for (const key of change.removed) delete labels[key];
  const maxSlots = change.maxSlots || n.maxSlots || n.slots;
  return { ...n, labels, maxSlots, slots: Math.min(n.offeredSlots ?? n.slots, maxSlots) };
}

export function nodeHeartbeat(n: NodeRecord, beat: HeartbeatReport, now: number): NodeRecord {
  const healthy = beat.dockerHealthy && !beat.diskPressure;
  return {
    ...n,
    status: 'READY',
    lastHeartbeatMs: now,
    resources: beat.resources,
    dockerHealthy: beat.dockerHealthy,
    dockerError: beat.dockerError,
    // Healthy (the engine answers and the disk has room) without a break since then: the breaker's probe period counts from it.
    dockerHealthySinceMs: healthy ? n.dockerHealthySinceMs || now : 0,
    fleetContainers: beat.fleetContainers,
    agentDraining: beat.draining,
    diskPressure: beat.diskPressure,
    imagesOnly: beat.imagesOnly,
    images: beat.imagesOnly ? (beat.images ?? n.images ?? []) : [],
    prefetched: [...beat.prefetched].sort(),
    // Sent when they change (and with a session's first heartbeat); otherwise the last list stands.
    repoKeys: beat.repoKeys ?? n.repoKeys ?? [],
  };
}

export function nodeStatus(n: NodeRecord, status: NodeStatus): NodeRecord | null {
  return n.status === status ? null : { ...n, status };
}

/** Feeds the circuit breaker: an infrastructure failure lengthens the streak, anything else ends it. */
export function attemptResult(n: NodeRecord, infraFailure: boolean): NodeRecord | null {
  const streak = infraFailure ? (n.infraFailureStreak ?? 0) + 1 : 0;
  return streak === (n.infraFailureStreak ?? 0) ? null : { ...n, infraFailureStreak: streak };
}

/** An operator's cordon is never replaced by the breaker's. */
export function cordonNode(n: NodeRecord, by: CordonSource, reason: string, now: number): NodeRecord | null {
  if (n.cordon && (n.cordon.by === 'OPERATOR' || by === 'AUTO')) return null;
  return { ...n, cordon: { by, reason, atMs: now } };
}

/**
 * Revoked: cordoned with the reason, and no longer READY, so nothing is
 * placed on it; hellos and heartbeats are refused from now on, so liveness
 * judges it DOWN after down-after and its attempts are lost then.
 */
export function nodeRevoked(n: NodeRecord, now: number): NodeRecord {
  return { ...n, revokedAtMs: now, status: n.status === 'READY' ? 'DISCONNECTED' : n.status, cordon: { by: 'OPERATOR', reason: 'revoked', atMs: now } };
}

/** The breaker lifts only its own cordons; an operator lifts any cordon (and with it any drain) and resets the streak. */
export function uncordonNode(n: NodeRecord, by: CordonSource): NodeRecord | null {
  if (by === 'AUTO' && n.cordon?.by !== 'AUTO') return null;
  if (!n.cordon && !n.drain && !n.infraFailureStreak) return null;
  return { ...n, cordon: null, drain: drainAfterUncordon(n, by), infraFailureStreak: 0 };
}

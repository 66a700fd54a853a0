/**
 * Autoscaling, decided: a pure function of one pool (its settings and what
 * the leader kept about it), the pool's nodes, the work waiting for them and
 * the time. `autoscaler.ts` gathers the inputs and applies the answer.
 *
 * The count. Work that needs a slot on the pool is the attempts running on
 * its nodes plus the PENDING tasks able to run now whose node selector the
 * pool's selector satisfies. When the waiting tasks outnumber the free slots
 * of the nodes that take work, the pool needs the difference in nodes (at
 * the slots per node its nodes have); otherwise it needs as many nodes as
 * the work fills, but never fewer than it has minus its idle nodes (only an
 * idle node can go). Then clamped to [min, max].
 *
 * Scale-up asks the hook for the count at once, then not again for a
 * scale-up cooldown (machines take a while to join). Scale-in waits until
 * the surplus has lasted a scale-down cooldown (and as long since the last
 * scale-up), drains idle nodes through the ordinary drain, and names a node
 * to the hook only once its drain is complete: no attempt, no container. A
 * rise in demand meanwhile ends those drains instead of asking for more.
 */
import { fullJitterDelayMs, type BackoffPolicy } from '../../../common/backoff.js';
import type { HookCallRecord, NodeRef, PoolConfig, PoolState } from './pool.js';

/** Slots per node assumed for a pool that has no node to measure. */
export const DEFAULT_SLOTS_PER_NODE = 4;
/** Between failed hook calls: exponential with full jitter, from 2 s up to 5 min. */
export const HOOK_BACKOFF: BackoffPolicy = { initialMs: 2_000, maxMs: 300_000, multiplier: 2 };
/** The shortest wait after a failure, so that a hook failing at once does not spin. */
const MIN_RETRY_MS = 500;

/** A pool's node as the decision sees it. */
export interface PoolNode {
  id: string;
  name: string;
  /** READY, DISCONNECTED (still counted: it may come back) or DOWN (not counted). */
  status: 'READY' | 'DISCONNECTED' | 'DOWN';
  revoked: boolean;
  slots: number;
  activeAttempts: number;
  /** Takes new work now (`isSchedulable`). */
  schedulable: boolean;
  drain: 'DRAINING' | 'DRAINED' | null;
  enrolledAtMs: number;
}

export interface PoolInput {
  pool: PoolConfig;
  state: PoolState;
  /** The nodes whose labels the pool's selector matches. */
  nodes: readonly PoolNode[];
  /** PENDING tasks that could run on the pool's nodes now. */
  pending: number;
  now: number;
  /** Whether a hook may be called now (configured, none under way, no backoff); `blocked` says why not. */
  hook: { configured: boolean; blocked: string | null };
}

export type AutoscaleAction =
  | { kind: 'drain'; node: NodeRef }
  | { kind: 'end-drain'; node: NodeRef }
  | { kind: 'call'; current: number; desired: number; remove: NodeRef[]; scaleUp: boolean };

export interface PoolDecision {
  state: PoolState;
  actions: AutoscaleAction[];
}

const ref = (n: PoolNode): NodeRef => ({ id: n.id, name: n.name });

/** Whether a task with this node selector can run on a node with the pool's labels. */
export function runsOnPool(taskSelector: Record<string, string>, poolSelector: Record<string, string>): boolean {
  return Object.entries(taskSelector).every(([k, v]) => poolSelector[k] === v);
}

export function clamp(n: number, pool: PoolConfig): number {
  return Math.min(pool.maxNodes, Math.max(pool.minNodes, n));
}

interface Count {
  current: number;
  target: number;
  why: string;
  live: PoolNode[];
  released: NodeRef[];
  draining: PoolNode[];
  /** A drain of this pool's scale-in was ended by someone else (an operator's uncordon). */
  drainEnded: boolean;
}

/** How many nodes the work needs, before min and max. */
function count(input: PoolInput): Count {
  const { state, nodes, pending } = input;
  const members = nodes.filter((n) => !n.revoked && n.status !== 'DOWN');
  // A released node counts no more; an operator who ended its drain put it back in service.
  const releasedIds = new Set(state.released.map((r) => r.id));
  const released = members.filter((n) => releasedIds.has(n.id) && n.drain !== null);
  const live = members.filter((n) => !released.includes(n));
  const drainingIds = new Set(state.draining.map((d) => d.id));
  const draining = live.filter((n) => drainingIds.has(n.id) && n.drain !== null);
  const drainEnded = live.some((n) => drainingIds.has(n.id) && n.drain === null);
  const slotsPerNode = Math.max(0, ...live.map((n) => n.slots)) || DEFAULT_SLOTS_PER_NODE;
  const running = live.reduce((sum, n) => sum + n.activeAttempts, 0);
  const usable = live.filter((n) => n.schedulable);
  const free = usable.reduce((sum, n) => sum + Math.max(0, n.slots - n.activeAttempts), 0);
  const idle = usable.filter((n) => n.activeAttempts === 0).length;
  const shortfall = Math.max(0, pending - free);
  const base = { current: live.length, live, released: released.map(ref), draining, drainEnded };
  if (shortfall > 0) {
    return { ...base, target: live.length + Math.ceil(shortfall / slotsPerNode), why: `${pending} task(s) waiting, ${free} free slot(s): ${shortfall} more slot(s) needed at ${slotsPerNode} per node` };
  }
  const byWork = Math.ceil((running + pending) / slotsPerNode);
  const target = Math.max(byWork, live.length - idle - draining.length);
  return { ...base, target, why: `${running} running, ${pending} waiting, ${free} free slot(s) at ${slotsPerNode} per node: ${byWork} node(s) of work` };
}

/** What to do about one pool now, and what to remember. */
export function decidePool(input: PoolInput): PoolDecision {
  const { pool, state, now, hook } = input;
  const c = count(input);
  const desired = clamp(c.target, pool);
  const bound = desired !== c.target ? ` (${desired > c.target ? 'min' : 'max'} ${desired > c.target ? pool.minNodes : pool.maxNodes})` : '';
  const next: PoolState = { ...state, current: c.current, desired, released: c.released, draining: c.draining.map(ref), decidedAtMs: now };
  const actions: AutoscaleAction[] = [];
  let why = `${c.why}${bound}`;

  if (desired >= c.current) {
    next.surplusSinceMs = 0;
    // The nodes being drained are wanted again: back to work, before any new machine.
    if (c.draining.length > 0) {
      for (const n of c.draining) actions.push({ kind: 'end-drain', node: ref(n) });
      next.draining = [];
      return { state: { ...next, why: `${why}; scale-in cancelled` }, actions };
    }
    if (desired === c.current) return { state: { ...next, why }, actions };
    const upReadyAtMs = state.lastScaleUpAtMs > 0 ? state.lastScaleUpAtMs + pool.scaleUpCooldownMs : 0;
    if (!hook.configured) why += '; no --autoscale-hook: signal only';
    else if (now < upReadyAtMs) why += `; scale-up cooldown until ${new Date(upReadyAtMs).toISOString()}`;
    else if (hook.blocked) why += `; ${hook.blocked}`;
    else actions.push({ kind: 'call', current: c.current, desired, remove: [], scaleUp: true });
    return { state: { ...next, why }, actions };
  }

  // More nodes than the work needs.
  // An operator who put a drained node back to work restarts the wait: the pool does not take it again at once.
  next.surplusSinceMs = c.drainEnded ? now : state.surplusSinceMs || now;
  if (!hook.configured) return { state: { ...next, why: `${why}; no --autoscale-hook: signal only` }, actions };
  const excess = c.current - desired;
  // Demand rose while nodes drained: the ones not yet drained go back first.
  if (c.draining.length > excess) {
    const back = [...c.draining].sort((a, b) => Number(a.drain === 'DRAINED') - Number(b.drain === 'DRAINED')).slice(0, c.draining.length - excess);
    for (const n of back) actions.push({ kind: 'end-drain', node: ref(n) });
    next.draining = c.draining.filter((n) => !back.includes(n)).map(ref);
  }
  const readyAtMs = Math.max(next.surplusSinceMs, state.lastScaleUpAtMs) + pool.scaleDownCooldownMs;
  if (now < readyAtMs) return { state: { ...next, why: `${why}; scale-down cooldown until ${new Date(readyAtMs).toISOString()}` }, actions };
  const toDrain = excess - next.draining.length;
  if (toDrain > 0) {
    // Newest first (the last machines added are the first removed), never one at work.
    const idle = c.live
      .filter((n) => n.schedulable && n.activeAttempts === 0)
      .sort((a, b) => b.enrolledAtMs - a.enrolledAtMs || (a.id < b.id ? -1 : 1))
      .slice(0, toDrain);
    for (const n of idle) actions.push({ kind: 'drain', node: ref(n) });
    next.draining = [...next.draining, ...idle.map(ref)];
  }
  const drainingIds = new Set(next.draining.map((d) => d.id));
  const drained = c.draining.filter((n) => drainingIds.has(n.id) && n.drain === 'DRAINED' && n.activeAttempts === 0).map(ref);
  if (drained.length === 0) return { state: { ...next, why: `${why}; draining ${next.draining.length} node(s)` }, actions };
  if (hook.blocked) return { state: { ...next, why: `${why}; ${drained.length} drained node(s) to release; ${hook.blocked}` }, actions };
  actions.push({ kind: 'call', current: c.current, desired: c.current - drained.length, remove: drained, scaleUp: false });
  return { state: { ...next, why: `${why}; releasing ${drained.length} drained node(s)` }, actions };
}

/** Why the hook may not be called for this pool now (null: it may). */
export function hookBlocked(state: PoolState, now: number): string | null {
  if (state.inFlight && now < state.inFlight.deadlineMs) return `a hook call is under way (since ${new Date(state.inFlight.startedAtMs).toISOString()})`;
  if (now < state.nextRetryAtMs) return `the hook failed ${state.failures} time(s) in a row; next try at ${new Date(state.nextRetryAtMs).toISOString()}`;
  return null;
}

/**
 * The pool's state after a hook call ended: a success resets the failures,
 * starts the scale-up cooldown (a call for more) or moves the nodes it
 * named from draining to released; a failure sets the next try after a
 * full-jitter backoff. `random` in [0, 1) (injected for tests).
 */
export function afterCall(state: PoolState, call: HookCallRecord, scaleUp: boolean, random: () => number = Math.random): PoolState {
  const base = { ...state, inFlight: null, lastCall: call };
  if (call.result !== 'OK') {
    const failures = state.failures + 1;
    return { ...base, failures, nextRetryAtMs: call.endedAtMs + Math.max(MIN_RETRY_MS, fullJitterDelayMs(HOOK_BACKOFF, failures, random)) };
  }
  const removed = new Set(call.remove.map((r) => r.id));
  return {
    ...base,
    failures: 0,
    nextRetryAtMs: 0,
    lastScaleUpAtMs: scaleUp ? call.endedAtMs : state.lastScaleUpAtMs,
    draining: state.draining.filter((d) => !removed.has(d.id)),
    released: [...state.released.filter((r) => !removed.has(r.id)), ...call.remove],
  };
}

/**
 * The leader's autoscaling loop: every `everyMs` it asks `decidePool` about
 * each pool, stores the answer (compare-and-set on the pool's record), and
 * applies it: drains begun or ended through the ordinary drain, and a call
 * of the operator's hook. Calls run beside the loop, at most one per pool:
 * the pool's record says a call is under way (and until when) before the
 * hook starts, so a new leader does not call it again for the same pool
 * while the old one's call may still run. A call's result is stored on the
 * record it started from, even if leadership ended meanwhile: it happened.
 */
import { errorMessage } from '../../../common/errors.js';
import { isSchedulable, type NodeRecord, type Task } from '../../../common/model.js';
import { DEFAULT_DRAIN_DEADLINE_MS } from '../drain/drain.js';
import { PeriodicLoop, type ActiveTasks, type LeaderContext, type NodeDirectory, type NodeDrains } from '../leader-roles.js';
import { matchesSelector } from '../scheduler.js';
import { afterCall, decidePool, hookBlocked, runsOnPool, type AutoscaleAction, type PoolDecision, type PoolNode } from './decide.js';
import type { AutoscaleHook, HookInput } from './hook.js';
import { EMPTY_POOL_STATE, type HookCallRecord, type HookResult, type PoolRecord, type PoolState } from './pool.js';
import type { PoolStore } from './pools.js';

export const DEFAULT_AUTOSCALE_INTERVAL_MS = 10_000;
/** A call's record holds its pool this long past the hook's timeout (the kill grace, a slow store). */
const IN_FLIGHT_GRACE_MS = 15_000;
/** A hook's error as stored on the pool, at most. */
const MAX_ERROR_CHARS = 1_024;

export interface AutoscalerDeps extends LeaderContext {
  pools: PoolStore;
  nodes: NodeDirectory & NodeDrains;
  tasks: ActiveTasks;
  /** null: no --autoscale-hook; the counts are computed and shown, nothing is drained or called. */
  hook: AutoscaleHook | null;
  replicaId: string;
  everyMs: number;
  /** In [0, 1), for the backoff's jitter (tests pin it). */
  random?: () => number;
  /** Told of each hook call that ended (metrics). */
  hookCalled?: (pool: string, result: HookResult, seconds: number) => void;
}

type CallAction = Extract<AutoscaleAction, { kind: 'call' }>;

export function poolNode(n: NodeRecord, activeAttempts: number): PoolNode {
  return { id: n.id, name: n.name, status: n.status, revoked: n.revokedAtMs > 0, slots: n.slots, activeAttempts, schedulable: isSchedulable(n), drain: n.drain?.state ?? null, enrolledAtMs: n.enrolledAtMs };
}

/** Equal but for when it was decided: nothing worth a write. */
function sameState(a: PoolState, b: PoolState): boolean {
  return JSON.stringify({ ...a, decidedAtMs: 0 }) === JSON.stringify({ ...b, decidedAtMs: 0 });
}

/** PENDING tasks able to run now that ask for the same labels. */
interface WaitingClass {
  selector: Record<string, string>;
  count: number;
}

/**
 * The waiting tasks grouped by node selector, once per pass: each pool then
 * looks at a few selectors, not at every task (a pass costs O(pending +
 * pools × selectors), not O(pending × pools)).
 */
export function waitingBySelector(pending: readonly Task[], now: number): WaitingClass[] {
  const classes = new Map<string, WaitingClass>();
  for (const t of pending) {
    if (t.state !== 'PENDING' || t.notBeforeMs > now) continue;
    const selector = t.spec.nodeSelector;
    const keys = Object.keys(selector);
    const key = keys.length === 0 ? '' : JSON.stringify(keys.sort().map((k) => [k, selector[k]]));
    const found = classes.get(key);
    if (found) found.count++;
    else classes.set(key, { selector, count: 1 });
  }
  return [...classes.values()];
}

export class Autoscaler extends PeriodicLoop {
  /** Calls of this replica's, by pool. */
  private readonly calls = new Map<string, Promise<void>>();

  constructor(private readonly deps: AutoscalerDeps) {
    super(deps.everyMs, 'autoscale pass');
  }

  /** Resolves when no hook call of this replica's is running (tests, an orderly stop). */
  async settled(): Promise<void> {
    while (this.calls.size > 0) await Promise.all(this.calls.values());
  }

  protected async pass(): Promise<void> {
    const { pools, clock, log, leadingEpoch } = this.deps;
    const now = clock.now();
    const nodes = this.deps.nodes.all();
    const waiting = waitingBySelector(this.deps.tasks.pending(), now);
    for (const pool of pools.all()) {
      if (leadingEpoch() === null) return;
      if (this.calls.has(pool.name)) continue;
      await this.decide(pool.name, nodes, waiting, now).catch((err: unknown) => log.warn({ pool: pool.name, err: errorMessage(err) }, 'autoscale decision not applied'));
    }
  }

  private async decide(name: string, nodes: readonly NodeRecord[], waiting: readonly WaitingClass[], now: number): Promise<void> {
    const { pools, tasks, hook, replicaId, leadingEpoch } = this.deps;
    let decision: PoolDecision | undefined;
    // Decided on the stored record: a call's result written a moment ago is not undone by an older copy.
    const stored = await pools.update(name, (p) => {
      const state: PoolState = { ...EMPTY_POOL_STATE, ...p.state };
      const members = nodes.filter((n) => matchesSelector(n.labels, p.selector)).map((n) => poolNode(n, tasks.activeAttemptsOn(n.id)));
      const pending = waiting.reduce((sum, w) => sum + (runsOnPool(w.selector, p.selector) ? w.count : 0), 0);
      decision = decidePool({ pool: p, state, nodes: members, pending, now, hook: { configured: hook !== null, blocked: hookBlocked(state, now) } });
      const calls = decision.actions.some((a) => a.kind === 'call');
      const next = calls && hook ? { ...decision.state, inFlight: { startedAtMs: now, deadlineMs: now + hook.timeoutMs + IN_FLIGHT_GRACE_MS, replicaId } } : decision.state;
      return sameState(state, next) ? null : { ...p, state: next };
    });
    if (!stored || !decision) return;
    for (const action of decision.actions) {
      if (leadingEpoch() === null) return;
      await this.apply(stored, action);
    }
  }

  private async apply(pool: PoolRecord, action: AutoscaleAction): Promise<void> {
    const { nodes, log } = this.deps;
    switch (action.kind) {
      case 'drain':
        await nodes.drain(action.node.id, DEFAULT_DRAIN_DEADLINE_MS);
        log.info({ pool: pool.name, nodeId: action.node.id, nodeName: action.node.name }, 'autoscale scale-in: draining an idle node');
        return;
      case 'end-drain':
        await nodes.endDrain(action.node.id);
        log.info({ pool: pool.name, nodeId: action.node.id, nodeName: action.node.name }, 'autoscale scale-in cancelled: node back in service');
        return;
      case 'call':
        this.startCall(pool, action);
        return;
    }
  }

  private startCall(pool: PoolRecord, action: CallAction): void {
    const { hook, pools, clock, log, replicaId } = this.deps;
    const inFlight = pool.state.inFlight;
    if (!hook || !inFlight) return;
    const input: HookInput = {
      version: 1,
      pool: pool.name,
      selector: pool.selector,
      current: action.current,
      desired: action.desired,
      minNodes: pool.minNodes,
      maxNodes: pool.maxNodes,
      remove: action.remove,
      reason: pool.state.why,
      attempt: pool.state.failures + 1,
    };
    log.info({ pool: pool.name, current: action.current, desired: action.desired, remove: action.remove.map((n) => n.id), attempt: input.attempt }, 'autoscale hook called');
    const started = performance.now();
    const run = (async () => {
      const outcome = await hook.call(input).catch((err: unknown) => ({ result: 'FAILED' as const, error: errorMessage(err), stdout: '' }));
      const seconds = (performance.now() - started) / 1000;
      this.deps.hookCalled?.(pool.name, outcome.result, seconds);
      const call: HookCallRecord = { startedAtMs: inFlight.startedAtMs, endedAtMs: clock.now(), current: action.current, desired: action.desired, remove: action.remove, result: outcome.result, error: outcome.error.slice(0, MAX_ERROR_CHARS) };
      const stored = await pools.update(pool.name, (p) => {
        const mine = p.state?.inFlight?.replicaId === replicaId && p.state.inFlight.startedAtMs === inFlight.startedAtMs;
        return mine ? { ...p, state: afterCall({ ...EMPTY_POOL_STATE, ...p.state }, call, action.scaleUp, this.deps.random) } : null;
      });
      const fields = { pool: pool.name, current: action.current, desired: action.desired, remove: action.remove.map((n) => n.id), durationMs: Math.round(seconds * 1000) };
      if (outcome.result === 'OK') log.info({ ...fields, stdout: outcome.stdout.slice(0, 512) }, 'autoscale hook succeeded');
      else log.warn({ ...fields, result: outcome.result, err: call.error, failures: stored?.state.failures, nextRetryAtMs: stored?.state.nextRetryAtMs }, 'autoscale hook failed');
    })()
      .catch((err: unknown) => log.warn({ pool: pool.name, err: errorMessage(err) }, 'autoscale hook result not stored'))
      .finally(() => this.calls.delete(pool.name));
    this.calls.set(pool.name, run);
  }
}

/**
 * Autoscaling pools: what an admin sets (a label selector, min and max
 * nodes, cooldowns) and what the leader keeps beside it (its last decision,
 * the nodes it drains and releases, its hook's last call), in one record
 * per pool in the `fleet_autoscale` bucket. Both halves are written by
 * compare-and-set, so an admin's change and the leader's bookkeeping never
 * undo each other, and a new leader picks up where the last one stopped.
 */
import { ValidationError } from '../../../common/errors.js';
import { PROVIDER_NAME_PATTERN, SPEC_LIMITS, validateLabels } from '../../../common/task-spec.js';
import { int, str, stringMap } from '../../../common/wire/fields.js';
import type { PoolConfig } from '../../../common/model.js';
import type { AutoscalePool as AutoscalePoolMsg } from '../../../proto/gen/fleet/v1/AutoscalePool.js';
import type { SetAutoscalePoolRequest__Output } from '../../../proto/gen/fleet/v1/SetAutoscalePoolRequest.js';

export const DEFAULT_SCALE_UP_COOLDOWN_MS = 60_000;
export const DEFAULT_SCALE_DOWN_COOLDOWN_MS = 600_000;
export const MIN_COOLDOWN_MS = 1_000;
export const MAX_COOLDOWN_MS = 86_400_000;
/** A pool's node count, at most (a hook asked for more is a typo, not a plan). */
export const MAX_POOL_NODES = 10_000;
/** Pools a fleet may have: each costs the leader a pass over the nodes. */
export const MAX_POOLS = 64;

export type { PoolConfig };

export interface NodeRef {
  id: string;
  name: string;
}

export const HOOK_RESULTS = ['OK', 'FAILED', 'TIMED_OUT'] as const;
export type HookResult = (typeof HOOK_RESULTS)[number];

export interface HookCallRecord {
  startedAtMs: number;
  endedAtMs: number;
  current: number;
  desired: number;
  remove: NodeRef[];
  result: HookResult;
  error: string;
}

/** What the leader keeps about a pool between its passes (and across a failover). */
export interface PoolState {
  current: number;
  desired: number;
  why: string;
  decidedAtMs: number;
  /** When a call asking for more nodes last succeeded (the scale-up cooldown runs from it). */
  lastScaleUpAtMs: number;
  /** Since when the pool has had more nodes than it needs (0: it has not). */
  surplusSinceMs: number;
  /** Nodes this pool's scale-in drains, not yet released. */
  draining: NodeRef[];
  /** Nodes named to the hook for removal, until they are DOWN, revoked or back in service. */
  released: NodeRef[];
  lastCall: HookCallRecord | null;
  /** Calls that failed in a row. */
  failures: number;
  /** The next call waits until then (a failure's backoff). */
  nextRetryAtMs: number;
  /**
   * A call under way, written before the hook starts: a new leader waits
   * until its deadline rather than call the hook for the same pool at once.
   */
  inFlight: { startedAtMs: number; deadlineMs: number; replicaId: string } | null;
}

export interface PoolRecord extends PoolConfig {
  createdAtMs: number;
  updatedAtMs: number;
  state: PoolState;
}

export const EMPTY_POOL_STATE: PoolState = {
  current: 0,
  desired: 0,
  why: '',
  decidedAtMs: 0,
  lastScaleUpAtMs: 0,
  surplusSinceMs: 0,
  draining: [],
  released: [],
  lastCall: null,
  failures: 0,
  nextRetryAtMs: 0,
  inFlight: null,
};

export function checkPoolName(field: string, value: unknown): string {
  const name = str(field, value, 64);
  if (!PROVIDER_NAME_PATTERN.test(name)) throw new ValidationError(field, 'pool names are lower-case letters, digits, "-" and "_" (at most 63)');
  return name;
}

function cooldown(field: string, value: unknown, fallback: number): number {
  const ms = int(field, value, 0, MAX_COOLDOWN_MS);
  if (ms === 0) return fallback;
  if (ms < MIN_COOLDOWN_MS) throw new ValidationError(field, `must be at least ${MIN_COOLDOWN_MS}ms (0: the default, ${fallback}ms), got ${ms}`);
  return ms;
}

/** Validates SetAutoscalePool's fields, naming the first bad one. */
export function compilePoolInput(req: SetAutoscalePoolRequest__Output): PoolConfig {
  const name = checkPoolName('name', req.name);
  const selector = validateLabels('selector', stringMap('selector', req.selector ?? {}), SPEC_LIMITS.selectorLabels);
  if (Object.keys(selector).length === 0) throw new ValidationError('selector', 'give at least one label (k=v): the pool\'s nodes are those that have them all');
  const minNodes = int('min_nodes', req.minNodes, 0, MAX_POOL_NODES);
  const maxNodes = int('max_nodes', req.maxNodes, 1, MAX_POOL_NODES);
  if (maxNodes < minNodes) throw new ValidationError('max_nodes', `must be at least min_nodes (${minNodes}), got ${maxNodes}`);
  return {
    name,
    selector,
    minNodes,
    maxNodes,
    scaleUpCooldownMs: cooldown('scale_up_cooldown_ms', req.scaleUpCooldownMs, DEFAULT_SCALE_UP_COOLDOWN_MS),
    scaleDownCooldownMs: cooldown('scale_down_cooldown_ms', req.scaleDownCooldownMs, DEFAULT_SCALE_DOWN_COOLDOWN_MS),
  };
}

export function poolToProto(p: PoolRecord, hookConfigured: boolean): AutoscalePoolMsg {
  const s = { ...EMPTY_POOL_STATE, ...p.state };
  return {
    name: p.name,
    selector: p.selector,
    minNodes: p.minNodes,
    maxNodes: p.maxNodes,
    scaleUpCooldownMs: p.scaleUpCooldownMs,
    scaleDownCooldownMs: p.scaleDownCooldownMs,
    createdAtMs: p.createdAtMs,
    updatedAtMs: p.updatedAtMs,
    current: s.current,
    desired: s.desired,
    why: s.why,
    decidedAtMs: s.decidedAtMs,
    draining: s.draining,
    released: s.released,
    lastCall: s.lastCall,
    failures: s.failures,
    nextRetryAtMs: s.nextRetryAtMs,
    callStartedAtMs: s.inFlight?.startedAtMs ?? 0,
    hookConfigured,
  };
}

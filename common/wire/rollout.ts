/** Rollouts on the wire: what `rollout start` sends and what `rollout status|history` shows. */
import type { Rollout as RolloutMsg, Rollout__Output } from '../../proto/gen/fleet/v1/Rollout.js';
import type { RolloutArmStats as ArmStatsMsg, RolloutArmStats__Output } from '../../proto/gen/fleet/v1/RolloutArmStats.js';
import type { StartRolloutRequest__Output } from '../../proto/gen/fleet/v1/StartRolloutRequest.js';
import { ValidationError } from '../errors.js';
import {
  checkRolloutSettings,
  currentPercent,
  DEFAULT_MAX_COST_INCREASE,
  DEFAULT_MAX_FAILURE_INCREASE,
  DEFAULT_MIN_TASKS,
  DEFAULT_STEP_INTERVAL_MS,
  DEFAULT_STEPS,
  ROLLOUT_ACTIONS,
  ROLLOUT_STATES,
  type ArmStats,
  type Rollout,
  type RolloutAction,
  type RolloutSettings,
  type RolloutState,
} from '../rollout.js';
import { checkImage, SPEC_LIMITS } from '../task-spec.js';
import { count, int, listOf, num, str, text } from './fields.js';

const MAX_ID_CHARS = 128;
const MAX_REASON_CHARS = 2048;
const MAX_STEPS = 20;
const MAX_HISTORY = 200;

/** Where a rollout stands, as the answering replica sees the nodes. */
export interface RolloutView extends Rollout {
  currentPercent: number;
  nodesReady: number;
  nodesTotal: number;
}

export function encodeStats(s: ArmStats): ArmStatsMsg {
  return { ...s, failedByReason: { ...s.failedByReason } };
}

function decodeStats(field: string, s: RolloutArmStats__Output | null | undefined): ArmStats {
  const failedByReason: Record<string, number> = {};
  for (const [k, v] of Object.entries(s?.failedByReason ?? {})) failedByReason[str(`${field}.failed_by_reason`, k, 64)] = count(`${field}.failed_by_reason.${k}`, v);
  return {
    attempts: count(`${field}.attempts`, s?.attempts),
    succeeded: count(`${field}.succeeded`, s?.succeeded),
    failed: count(`${field}.failed`, s?.failed),
    failedByReason,
    successDurationMs: count(`${field}.success_duration_ms`, s?.successDurationMs),
    successTokens: count(`${field}.success_tokens`, s?.successTokens),
  };
}

export function encodeRollout(r: Rollout, nodes: { ready: number; total: number } = { ready: 0, total: 0 }): RolloutMsg {
  return {
    id: r.id,
    image: r.image,
    baselineImage: r.baselineImage,
    steps: r.steps,
    stepIndex: r.stepIndex,
    stepStartedAtMs: r.stepStartedAtMs,
    stepIntervalMs: r.stepIntervalMs,
    minTasks: r.minTasks,
    maxFailureIncrease: r.maxFailureIncrease,
    maxCostIncrease: r.maxCostIncrease,
    state: r.state,
    reason: r.reason,
    createdAtMs: r.createdAtMs,
    updatedAtMs: r.updatedAtMs,
    endedAtMs: r.endedAtMs,
    createdBy: r.createdBy,
    canary: encodeStats(r.canary),
    baseline: encodeStats(r.baseline),
    history: r.history,
    currentPercent: currentPercent(r),
    nodesReady: nodes.ready,
    nodesTotal: nodes.total,
  };
}

export function decodeRollout(field: string, r: Rollout__Output): RolloutView {
  const state = ROLLOUT_STATES.find((s) => s === r.state);
  if (!state) throw new ValidationError(`${field}.state`, `"${String(r.state).slice(0, 40)}" is not a rollout state (${ROLLOUT_STATES.join(', ')})`);
  return {
    id: str(`${field}.id`, r.id, MAX_ID_CHARS),
    image: str(`${field}.image`, r.image, SPEC_LIMITS.imageChars),
    baselineImage: str(`${field}.baseline_image`, r.baselineImage, SPEC_LIMITS.imageChars),
    steps: listOf(`${field}.steps`, r.steps, MAX_STEPS).map((p, i) => int(`${field}.steps[${i}]`, p, 0, 100)),
    stepIndex: int(`${field}.step_index`, r.stepIndex, 0, MAX_STEPS),
    stepStartedAtMs: count(`${field}.step_started_at_ms`, r.stepStartedAtMs),
    stepIntervalMs: count(`${field}.step_interval_ms`, r.stepIntervalMs),
    minTasks: count(`${field}.min_tasks`, r.minTasks),
    maxFailureIncrease: num(`${field}.max_failure_increase`, r.maxFailureIncrease, 0, 1),
    maxCostIncrease: num(`${field}.max_cost_increase`, r.maxCostIncrease, 0, 100),
    state: state satisfies RolloutState,
    reason: text(`${field}.reason`, r.reason, MAX_REASON_CHARS),
    createdAtMs: count(`${field}.created_at_ms`, r.createdAtMs),
    updatedAtMs: count(`${field}.updated_at_ms`, r.updatedAtMs),
    endedAtMs: count(`${field}.ended_at_ms`, r.endedAtMs),
    createdBy: text(`${field}.created_by`, r.createdBy, 200),
    canary: decodeStats(`${field}.canary`, r.canary),
    baseline: decodeStats(`${field}.baseline`, r.baseline),
    history: listOf(`${field}.history`, r.history, MAX_HISTORY).map((e, i) => ({ atMs: count(`${field}.history[${i}].at_ms`, e.atMs), what: text(`${field}.history[${i}].what`, e.what, MAX_REASON_CHARS) })),
    currentPercent: int(`${field}.current_percent`, r.currentPercent, 0, 100),
    nodesReady: count(`${field}.nodes_ready`, r.nodesReady),
    nodesTotal: count(`${field}.nodes_total`, r.nodesTotal),
  };
}

/** StartRollout's fields, defaults filled in and every one checked (naming the bad one). */
export function decodeStartRollout(req: StartRolloutRequest__Output): RolloutSettings {
  const steps = listOf('steps', req.steps, MAX_STEPS).map((p, i) => int(`steps[${i}]`, p, 1, 100));
  const optional = (field: string, value: number | null | undefined, fallback: number, max: number) => (value === undefined || value === null ? fallback : num(field, value, 0, max));
  return checkRolloutSettings({
    image: checkImage('image', str('image', req.image, SPEC_LIMITS.imageChars).trim()),
    steps: steps.length > 0 ? steps : [...DEFAULT_STEPS],
    stepIntervalMs: count('step_interval_ms', req.stepIntervalMs) || DEFAULT_STEP_INTERVAL_MS,
    minTasks: count('min_tasks', req.minTasks) || DEFAULT_MIN_TASKS,
    maxFailureIncrease: optional('max_failure_increase', req.maxFailureIncrease, DEFAULT_MAX_FAILURE_INCREASE, 1),
    maxCostIncrease: optional('max_cost_increase', req.maxCostIncrease, DEFAULT_MAX_COST_INCREASE, 100),
  });
}

export function decodeRolloutAction(action: unknown): RolloutAction {
  const found = ROLLOUT_ACTIONS.find((a) => a === action);
  if (!found) throw new ValidationError('action', `"${String(action).slice(0, 40)}" is not one of ${ROLLOUT_ACTIONS.join(', ')}`);
  return found;
}

/**
 * Canary rollouts of the fleet's Cline image, as pure functions: which side
 * of a rollout a task runs on, what an ended attempt adds to a side's
 * figures, and the judgement the leader applies every pass (advance a step,
 * promote, roll back, or wait for samples). The leader's loop
 * (`control-plane/src/rollout-loop.ts`) does the I/O; `fleetctl` renders the
 * same records.
 *
 * The comparison is between attempts that ran at the same time on the two
 * images, so a bad hour for a provider hits both sides alike. Only outcomes
 * that say something about the image count (see `countsForImage`).
 */
import { createHash } from 'node:crypto';
import { ValidationError } from './errors.js';
import { normalizeImageRef, type Attempt, type Task } from './model.js';

export const ROLLOUT_STATES = ['PROGRESSING', 'PAUSED', 'PROMOTED', 'ROLLED_BACK', 'ABORTED'] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];
export const ROLLOUT_ACTIONS = ['pause', 'resume', 'promote', 'abort'] as const;
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];
export const ROLLOUT_ARMS = ['canary', 'baseline'] as const;
export type RolloutArm = (typeof ROLLOUT_ARMS)[number];

export const DEFAULT_STEPS = [10, 25, 50, 100] as const;
export const DEFAULT_STEP_INTERVAL_MS = 10 * 60_000;
export const DEFAULT_MIN_TASKS = 20;
export const DEFAULT_MAX_FAILURE_INCREASE = 0.1;
export const DEFAULT_MAX_COST_INCREASE = 0.5;
/** Entries kept in a rollout's history (steps are few; pauses could be many). */
const MAX_HISTORY = 50;
const MAX_STEPS = 20;
/** The failure reason of an attempt that failed with no reason of its own: its command exited non-zero. */
export const EXIT_REASON = 'exit';

export interface ArmStats {
  attempts: number;
  succeeded: number;
  failed: number;
  failedByReason: Record<string, number>;
  successDurationMs: number;
  successTokens: number;
}

export interface RolloutEvent {
  atMs: number;
  what: string;
}

export interface RolloutSettings {
  image: string;
  steps: number[];
  stepIntervalMs: number;
  minTasks: number;
  maxFailureIncrease: number;
  maxCostIncrease: number;
}

export interface Rollout extends RolloutSettings {
  id: string;
  baselineImage: string;
  stepIndex: number;
  stepStartedAtMs: number;
  state: RolloutState;
  reason: string;
  createdAtMs: number;
  updatedAtMs: number;
  endedAtMs: number;
  createdBy: string;
  canary: ArmStats;
  baseline: ArmStats;
  history: RolloutEvent[];
}

/** Where a Cline task runs and why: the image, and the rollout side when a rollout chose it. */
export interface Placement {
  image: string;
  rollout?: { id: string; arm: RolloutArm };
}

export function emptyStats(): ArmStats {
  return { attempts: 0, succeeded: 0, failed: 0, failedByReason: {}, successDurationMs: 0, successTokens: 0 };
}

export type ActiveRollout = Rollout & { state: 'PROGRESSING' | 'PAUSED' };

export function isActive(r: Rollout | null | undefined): r is ActiveRollout {
  return r !== null && r !== undefined && (r.state === 'PROGRESSING' || r.state === 'PAUSED');
}

/** The share of new eligible tasks that goes to the canary now. */
export function currentPercent(r: Rollout | null | undefined): number {
  return isActive(r) ? (r.steps[r.stepIndex] ?? 0) : 0;
}

/**
 * Checks what an operator asked for; every refusal names its field. Steps
 * rise strictly, lie in 1..100 and end at 100 (the step that promotes).
 */
export function checkRolloutSettings(s: RolloutSettings): RolloutSettings {
  if (s.image.trim() === '') throw new ValidationError('image', 'must name the canary image');
  if (s.steps.length === 0 || s.steps.length > MAX_STEPS) throw new ValidationError('steps', `must list 1 to ${MAX_STEPS} percentages, e.g. 10,25,50,100`);
  s.steps.forEach((p, i) => {
    if (!Number.isInteger(p) || p < 1 || p > 100) throw new ValidationError('steps', `each step is a whole percentage from 1 to 100, got ${p}`);
    if (i > 0 && p <= s.steps[i - 1]!) throw new ValidationError('steps', `must rise step by step, got ${s.steps.join(',')}`);
  });
  if (s.steps.at(-1) !== 100) throw new ValidationError('steps', `must end at 100 (reaching it promotes the image), got ${s.steps.join(',')}`);
  if (!Number.isInteger(s.stepIntervalMs) || s.stepIntervalMs < 1_000 || s.stepIntervalMs > 7 * 86_400_000) throw new ValidationError('step_interval_ms', 'must be from 1s to 7d');
  if (!Number.isInteger(s.minTasks) || s.minTasks < 1 || s.minTasks > 100_000) throw new ValidationError('min_tasks', 'must be from 1 to 100000');
  if (!(s.maxFailureIncrease >= 0 && s.maxFailureIncrease <= 1)) throw new ValidationError('max_failure_increase', 'must be from 0 to 1 (a difference of failure rates: 0.1 is ten points)');
  if (!(s.maxCostIncrease >= 0 && s.maxCostIncrease <= 100)) throw new ValidationError('max_cost_increase', 'must be from 0 to 100 (0.5: half as long again, or half as many tokens again)');
  return s;
}

/**
 * Which side of the rollout a task runs on: a function of the rollout and
 * the task's id, so that every replica, and the next leader, agrees, and a
 * task on the canary at 10% is still on it at 25%. A task whose attempt
 * already ran the canary goes to the baseline: one canary attempt per task,
 * so a bad image costs a task one attempt, not its retries.
 */
export function armFor(rollout: Rollout, task: Task): RolloutArm {
  const percent = currentPercent(rollout);
  if (percent <= 0) return 'baseline';
  if (task.attempts.some((a) => a.rolloutId === rollout.id && a.rolloutArm === 'canary')) return 'baseline';
  if (percent >= 100) return 'canary';
  const digest = createHash('sha256').update(`${rollout.id}:${task.id}`).digest();
  return (digest.readUInt32BE(0) / 0x1_0000_0000) * 100 < percent ? 'canary' : 'baseline';
}

/** Whether the rollout decides where the task runs: a Cline task on the image the rollout replaces. */
export function eligible(rollout: Rollout, task: Task): boolean {
  return task.spec.cline !== undefined && normalizeImageRef(task.spec.image) === normalizeImageRef(rollout.baselineImage);
}

/**
 * Whether an ended attempt says something about its image: a success, or a
 * failure the task is to blame for (its command, Cline stalling, its budget,
 * the provider). A node's faults, cancels and lost attempts say nothing.
 */
export function countsForImage(a: Attempt): boolean {
  if (a.state === 'SUCCEEDED') return true;
  return (a.state === 'FAILED' || a.state === 'TIMED_OUT') && a.failureKind !== 'INFRASTRUCTURE';
}

/** Adds an ended attempt to a side's figures (a copy: records are never changed in place). */
export function addOutcome(stats: ArmStats, a: Attempt): ArmStats {
  const next: ArmStats = { ...stats, failedByReason: { ...stats.failedByReason }, attempts: stats.attempts + 1 };
  if (a.state === 'SUCCEEDED') {
    next.succeeded++;
    next.successDurationMs += Math.max(0, a.finishedAtMs - (a.startedAtMs || a.assignedAtMs));
    next.successTokens += (a.progress?.inputTokens ?? 0) + (a.progress?.outputTokens ?? 0);
  } else {
    next.failed++;
    const reason = a.state === 'TIMED_OUT' ? 'timed_out' : a.reason || EXIT_REASON;
    next.failedByReason[reason] = (next.failedByReason[reason] ?? 0) + 1;
  }
  return next;
}

/** Two sides' figures summed (deltas flushed onto stored figures). */
export function sumStats(a: ArmStats, b: ArmStats): ArmStats {
  const failedByReason = { ...a.failedByReason };
  for (const [k, v] of Object.entries(b.failedByReason)) failedByReason[k] = (failedByReason[k] ?? 0) + v;
  return {
    attempts: a.attempts + b.attempts,
    succeeded: a.succeeded + b.succeeded,
    failed: a.failed + b.failed,
    failedByReason,
    successDurationMs: a.successDurationMs + b.successDurationMs,
    successTokens: a.successTokens + b.successTokens,
  };
}

/** `a` less `b`, where `b` is a part of `a` (what of a pending delta was written); a reason left at zero goes. */
export function minusStats(a: ArmStats, b: ArmStats): ArmStats {
  const failedByReason: Record<string, number> = {};
  for (const [k, v] of Object.entries(a.failedByReason)) {
    const rest = v - (b.failedByReason[k] ?? 0);
    if (rest > 0) failedByReason[k] = rest;
  }
  return {
    attempts: a.attempts - b.attempts,
    succeeded: a.succeeded - b.succeeded,
    failed: a.failed - b.failed,
    failedByReason,
    successDurationMs: a.successDurationMs - b.successDurationMs,
    successTokens: a.successTokens - b.successTokens,
  };
}

export const failureRate = (s: ArmStats): number => (s.attempts === 0 ? 0 : s.failed / s.attempts);
const mean = (sum: number, n: number): number => (n === 0 ? 0 : sum / n);

export type Verdict =
  | { kind: 'wait'; why: string }
  | { kind: 'advance'; why: string }
  | { kind: 'promote'; why: string }
  | { kind: 'rollback'; why: string };

const pct = (x: number): string => `${(x * 100).toFixed(0)}%`;

/**
 * Whether the canary does worse than the baseline by more than the limits,
 * and in what: its failure rate (naming the reason that grew most), its time
 * to succeed, or its tokens per success. Undefined when it does not. A
 * baseline with fewer samples than `minTasks` is taken as failing nothing
 * and costing what the canary costs: the canary is then judged on its own
 * failure rate alone.
 */
export function canaryWorse(r: Rollout): string | undefined {
  const { canary, baseline } = r;
  const baselineKnown = baseline.attempts >= r.minTasks;
  const baseRate = baselineKnown ? failureRate(baseline) : 0;
  const rate = failureRate(canary);
  if (rate - baseRate > r.maxFailureIncrease) {
    let worst = '';
    let worstRise = -Infinity;
    for (const [reason, n] of Object.entries(canary.failedByReason)) {
      const rise = n / canary.attempts - (baselineKnown ? (baseline.failedByReason[reason] ?? 0) / baseline.attempts : 0);
      if (rise > worstRise || (rise === worstRise && reason < worst)) [worst, worstRise] = [reason, rise];
    }
    return `the canary failed ${pct(rate)} of ${canary.attempts} attempts against ${baselineKnown ? `${pct(baseRate)} of ${baseline.attempts} on the baseline` : `too few baseline samples (${baseline.attempts})`}, more than ${pct(r.maxFailureIncrease)} higher; mostly ${worst}`;
  }
  if (!baselineKnown || canary.succeeded < r.minTasks || baseline.succeeded === 0) return undefined;
  const limit = 1 + r.maxCostIncrease;
  const time = [mean(canary.successDurationMs, canary.succeeded), mean(baseline.successDurationMs, baseline.succeeded)] as const;
  if (time[1] > 0 && time[0] > time[1] * limit) return `a canary success took ${(time[0] / 1000).toFixed(1)} s on average against ${(time[1] / 1000).toFixed(1)} s on the baseline, more than ${limit.toFixed(2)}×`;
  const tokens = [mean(canary.successTokens, canary.succeeded), mean(baseline.successTokens, baseline.succeeded)] as const;
  if (tokens[1] > 0 && tokens[0] > tokens[1] * limit) return `a canary success used ${tokens[0].toFixed(0)} tokens on average against ${tokens[1].toFixed(0)} on the baseline, more than ${limit.toFixed(2)}×`;
  return undefined;
}

/**
 * The leader's judgement of an active rollout at `now`. A rollback needs
 * `minTasks` canary samples, as does every step forward; a step forward also
 * needs its interval over and the rollout not paused. The step to 100%
 * promotes.
 */
export function judge(r: Rollout, now: number): Verdict {
  if (r.canary.attempts >= r.minTasks) {
    const worse = canaryWorse(r);
    if (worse) return { kind: 'rollback', why: worse };
  }
  if (r.state === 'PAUSED') return { kind: 'wait', why: 'paused' };
  if (r.canary.attempts < r.minTasks) return { kind: 'wait', why: `waiting for canary samples: ${r.canary.attempts} of ${r.minTasks}` };
  const due = r.stepStartedAtMs + r.stepIntervalMs;
  // The due time, not a countdown: the reason changes when what the rollout waits for does, not every second.
  if (now < due) return { kind: 'wait', why: `healthy; the next step is due at ${new Date(due).toISOString()}` };
  const next = r.steps[r.stepIndex + 1];
  if (next === undefined || next >= 100) return { kind: 'promote', why: `healthy after ${r.canary.attempts} canary attempts (${pct(failureRate(r.canary))} failed, baseline ${pct(failureRate(r.baseline))} of ${r.baseline.attempts})` };
  return { kind: 'advance', why: `healthy at ${r.steps[r.stepIndex]}%: to ${next}%` };
}

/** A history entry added, oldest dropped past the bound. */
export function withEvent(r: Rollout, atMs: number, what: string): RolloutEvent[] {
  return [...r.history, { atMs, what }].slice(-MAX_HISTORY);
}

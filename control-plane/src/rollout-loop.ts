/**
 * The leader's rollout loop. It counts the outcomes of the attempts a
 * rollout placed as they end (from the task changes this replica sees) and,
 * every pass, adds them to the stored rollout and applies the judgement
 * (`judge` in common/rollout.ts) in the same compare-and-set: advance a
 * step, promote, or roll back. The stored figures are the state: a new
 * leader goes on from them. Outcomes that ended after the old leader's last
 * write and before the new one started are not counted (up to a lease TTL
 * and a pass). Only a change this leader saw happen adds an outcome; a write
 * whose answer was lost though the store took it (a timeout) is written
 * again, so such a pass's outcomes can count twice.
 */
import { errorMessage } from '../../common/errors.js';
import type { Attempt, Task } from '../../common/model.js';
import { addOutcome, countsForImage, emptyStats, isActive, judge, minusStats, sumStats, withEvent, type ArmStats, type Rollout, type RolloutArm } from '../../common/rollout.js';
import { PeriodicLoop, type ActiveTasks, type LeaderContext } from './leader-roles.js';
import { end, type Rollouts } from './rollouts.js';
import type { RolloutRecord } from './store/records.js';

const PASS_EVERY_MS = 1_000;

export interface RolloutLoopDeps extends LeaderContext {
  tasks: Pick<ActiveTasks, 'onChange'>;
  rollouts: Pick<Rollouts, 'active' | 'modify' | 'onChange'>;
  /** Told of each transition the loop made (events, metrics). */
  transitioned?: (rollout: Rollout, from: Rollout) => void;
  /** Told of each outcome counted (metrics). */
  counted?: (arm: RolloutArm, attempt: Attempt) => void;
}

interface Pending {
  rolloutId: string;
  canary: ArmStats;
  baseline: ArmStats;
}

export class RolloutLoop extends PeriodicLoop {
  private pending: Pending | null = null;
  private unsubscribe: Array<() => void> = [];

  constructor(private readonly deps: RolloutLoopDeps) {
    super(PASS_EVERY_MS, 'rollout pass');
  }

  override start(): void {
    if (this.unsubscribe.length === 0) {
      this.pending = null;
      this.unsubscribe.push(this.deps.tasks.onChange((task, previous) => this.observe(task, previous)));
    }
    super.start();
  }

  override stop(): void {
    super.stop();
    for (const u of this.unsubscribe.splice(0)) u();
    this.pending = null;
  }

  /** Attempts of the active rollout that ended in this change count for their side. */
  private observe(task: Task, previous: Task | undefined): void {
    const rollout = this.deps.rollouts.active();
    // Without the task as it was, whether an attempt ended just now is unknown: not counted, never twice.
    if (!rollout || !previous) return;
    for (const attempt of task.attempts) {
      if (attempt.rolloutId !== rollout.id || !attempt.rolloutArm || attempt.finishedAtMs === 0) continue;
      const before = previous.attempts.find((a) => a.id === attempt.id);
      if (!before || before.finishedAtMs !== 0 || !countsForImage(attempt)) continue;
      if (this.pending?.rolloutId !== rollout.id) this.pending = { rolloutId: rollout.id, canary: emptyStats(), baseline: emptyStats() };
      this.pending[attempt.rolloutArm] = addOutcome(this.pending[attempt.rolloutArm], attempt);
      this.deps.counted?.(attempt.rolloutArm, attempt);
    }
  }

  protected async pass(): Promise<void> {
    const { clock, log, leadingEpoch } = this.deps;
    const active = this.deps.rollouts.active();
    if (!active || leadingEpoch() === null) return;
    // A copy: outcomes seen while the write is under way are added to `pending`, not to what is written.
    const delta = this.pending?.rolloutId === active.id ? { ...this.pending } : null;
    const now = clock.now();
    let before: Rollout | null = null;
    try {
      const { record, changed } = await this.deps.rollouts.modify((stored) => {
        before = stored.rollout;
        if (leadingEpoch() === null) return null;
        return decide(stored, delta, now);
      });
      if (!changed) return;
      // What was added is in the store now; outcomes seen meanwhile stay for the next pass.
      if (delta && this.pending?.rolloutId === delta.rolloutId) this.pending = { ...this.pending, canary: minusStats(this.pending.canary, delta.canary), baseline: minusStats(this.pending.baseline, delta.baseline) };
      const after = record.value.rollout;
      if (after && before && (after.state !== (before as Rollout).state || after.stepIndex !== (before as Rollout).stepIndex)) {
        log[after.state === 'ROLLED_BACK' ? 'warn' : 'info']({ rolloutId: after.id, image: after.image, state: after.state, percent: after.steps[after.stepIndex], reason: after.reason }, 'rollout changed');
        this.deps.transitioned?.(after, before);
      }
    } catch (err) {
      log.warn({ rolloutId: active.id, err: errorMessage(err) }, 'rollout pass failed; trying again');
    }
  }
}

/** The stored record with the outcomes added and the judgement applied; null when nothing changes. */
export function decide(stored: RolloutRecord, delta: Pending | null, now: number): RolloutRecord | null {
  const r = stored.rollout;
  if (!isActive(r)) return null;
  const counted = delta !== null && delta.rolloutId === r.id && delta.canary.attempts + delta.baseline.attempts > 0;
  const rollout: Rollout = counted ? { ...r, canary: sumStats(r.canary, delta.canary), baseline: sumStats(r.baseline, delta.baseline) } : r;
  const verdict = judge(rollout, now);
  switch (verdict.kind) {
    case 'rollback':
      return end(stored, rollout, 'ROLLED_BACK', `rolled back: ${verdict.why}`, now);
    case 'promote':
      return end(stored, rollout, 'PROMOTED', `promoted: ${verdict.why}`, now);
    case 'advance': {
      const stepIndex = rollout.stepIndex + 1;
      const what = `${rollout.steps[stepIndex]}% of new Cline tasks on ${rollout.image}: ${verdict.why}`;
      return { ...stored, rollout: { ...rollout, stepIndex, stepStartedAtMs: now, reason: what, updatedAtMs: now, history: withEvent(rollout, now, what) } };
    }
    case 'wait':
      // A paused rollout keeps the operator's words; otherwise the reason says what it waits for.
      if (rollout.state === 'PAUSED') return counted ? { ...stored, rollout: { ...rollout, updatedAtMs: now } } : null;
      if (!counted && rollout.reason === verdict.why) return null;
      return { ...stored, rollout: { ...rollout, reason: verdict.why, updatedAtMs: now } };
  }
}

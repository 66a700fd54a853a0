import test from 'ava';
import fc from 'fast-check';
import { compileTaskSpec } from './task-spec.js';
import type { Attempt, Task } from './model.js';
import { addOutcome, armFor, canaryWorse, checkRolloutSettings, countsForImage, emptyStats, judge, minusStats, sumStats, type ArmStats } from './rollout.js';
import { rolloutFixture } from './testing/rollout-fixture.js';

const rollout = rolloutFixture;

const attempt = (state: Attempt['state'], extra: Partial<Attempt> = {}): Attempt => ({ id: 'att_x', nodeId: 'node_x', state, error: '', assignedAtMs: 0, startedAtMs: 1_000, finishedAtMs: 11_000, containerId: '', ...extra });

/** `n` attempts of which `failed` failed for `reason`, the successes taking `ms` and `tokens`. */
function arm(n: number, failed: number, reason = 'agent_error', ms = 10_000, tokens = 1_000): ArmStats {
  let s = emptyStats();
  for (let i = 0; i < n; i++) {
    s = addOutcome(s, i < failed ? attempt('FAILED', { reason: reason as Attempt['reason'], failureKind: 'TASK' }) : attempt('SUCCEEDED', { startedAtMs: 1, finishedAtMs: 1 + ms, progress: { iterations: 1, inputTokens: tokens, outputTokens: 0, costUsd: 0, lastTool: '', updatedAtMs: 0 } }));
  }
  return s;
}

const task = (id: string, attempts: Attempt[] = []): Task => ({
  id,
  spec: compileTaskSpec({ image: 'localhost/agent:1', command: [], cline: { repoUrl: 'https://example.com/r.git', prompt: 'p' } }),
  state: 'PENDING',
  attempts,
  createdAtMs: 0,
  updatedAtMs: 0,
  notBeforeMs: 0,
  message: '',
  taskFailures: 0,
  infraFailures: 0,
});

test('no decision before min-tasks canary samples, however bad they look', (t) => {
  const v = judge(rollout({ canary: arm(9, 9), baseline: arm(100, 0) }), 120_000);
  t.deepEqual(v, { kind: 'wait', why: 'waiting for canary samples: 9 of 10' });
});

test('a canary failing more than the limit above the baseline is rolled back, naming the reason that grew', (t) => {
  const v = judge(rollout({ canary: arm(10, 5, 'stalled'), baseline: arm(50, 5) }), 0);
  t.is(v.kind, 'rollback');
  t.regex(v.why, /failed 50% of 10 attempts against 10% of 50 on the baseline, more than 10% higher; mostly stalled/);
});

test('within the limit it waits for the step interval, then advances; the step to 100 promotes', (t) => {
  const healthy = { canary: arm(10, 1), baseline: arm(50, 5) };
  // The due time, not a countdown: the same words every second until it comes.
  t.deepEqual(judge(rollout(healthy), 30_000), { kind: 'wait', why: 'healthy; the next step is due at 1970-01-01T00:01:00.000Z' });
  t.deepEqual(judge(rollout(healthy), 59_999), judge(rollout(healthy), 30_000));
  t.deepEqual(judge(rollout(healthy), 60_000), { kind: 'advance', why: 'healthy at 10%: to 50%' });
  t.is(judge(rollout({ ...healthy, stepIndex: 1 }), 60_000).kind, 'promote');
});

test('a paused rollout does not step forward, but is still rolled back', (t) => {
  t.deepEqual(judge(rollout({ state: 'PAUSED', canary: arm(10, 0), baseline: arm(50, 0) }), 600_000), { kind: 'wait', why: 'paused' });
  t.is(judge(rollout({ state: 'PAUSED', canary: arm(10, 10), baseline: arm(50, 0) }), 0).kind, 'rollback');
});

test('with too few baseline samples the canary is judged on its own failure rate', (t) => {
  t.is(judge(rollout({ canary: arm(10, 2), baseline: arm(3, 0) }), 0).kind, 'rollback');
  t.is(judge(rollout({ canary: arm(10, 1), baseline: arm(3, 3) }), 0).kind, 'wait');
});

test('slower or hungrier successes are rolled back; failures are compared first', (t) => {
  t.regex(canaryWorse(rollout({ canary: arm(10, 0, 'x', 20_000), baseline: arm(20, 0, 'x', 10_000) }))!, /took 20\.0 s on average against 10\.0 s/);
  t.regex(canaryWorse(rollout({ canary: arm(10, 0, 'x', 10_000, 2_000), baseline: arm(20, 0, 'x', 10_000, 1_000) }))!, /used 2000 tokens on average against 1000/);
  t.is(canaryWorse(rollout({ canary: arm(10, 0, 'x', 14_000, 1_400), baseline: arm(20, 0, 'x', 10_000, 1_000) })), undefined);
});

test('only outcomes that say something about the image count', (t) => {
  t.true(countsForImage(attempt('SUCCEEDED')));
  t.true(countsForImage(attempt('FAILED', { failureKind: 'TASK', reason: 'stalled' })));
  t.true(countsForImage(attempt('TIMED_OUT')));
  t.false(countsForImage(attempt('FAILED', { failureKind: 'INFRASTRUCTURE', reason: 'engine_error' })));
  t.false(countsForImage(attempt('LOST')));
  t.false(countsForImage(attempt('CANCELLED')));
  const s = addOutcome(addOutcome(emptyStats(), attempt('FAILED')), attempt('TIMED_OUT'));
  t.deepEqual(s.failedByReason, { exit: 1, timed_out: 1 });
  t.deepEqual(sumStats(s, s).failedByReason, { exit: 2, timed_out: 2 });
});

test('the canary gets its share of tasks, the same tasks on every replica, and keeps them as the share grows', (t) => {
  fc.assert(
    fc.property(fc.constantFrom(10, 25, 50), (percent) => {
      const r = rollout({ steps: [percent, 100] });
      const ids = Array.from({ length: 4000 }, (_, i) => `task_${String(i).padStart(19, '0')}`);
      const canary = ids.filter((id) => armFor(r, task(id)) === 'canary');
      // 4000 draws: the share is within four standard deviations.
      const sd = Math.sqrt(4000 * (percent / 100) * (1 - percent / 100));
      t.true(Math.abs(canary.length - 40 * percent) < 4 * sd, `${canary.length} of 4000 at ${percent}%`);
      const wider = rollout({ steps: [percent, 60, 100], stepIndex: 1 });
      return canary.every((id) => armFor(wider, task(id)) === 'canary');
    }),
    { numRuns: 3 },
  );
});

test('a task whose attempt already ran the canary goes to the baseline; at 100% every other task is canary', (t) => {
  const r = rollout({ steps: [100] });
  t.is(armFor(r, task('task_0000000000000000001')), 'canary');
  t.is(armFor(r, task('task_0000000000000000001', [attempt('FAILED', { rolloutId: r.id, rolloutArm: 'canary' })])), 'baseline');
  t.is(armFor(rollout({ state: 'ABORTED', steps: [100] }), task('task_0000000000000000001')), 'baseline');
});

test('settings are refused with the field named', (t) => {
  const ok = { image: 'a:2', steps: [10, 100], stepIntervalMs: 60_000, minTasks: 5, maxFailureIncrease: 0.1, maxCostIncrease: 0.5 };
  t.notThrows(() => checkRolloutSettings(ok));
  t.throws(() => checkRolloutSettings({ ...ok, steps: [10, 50] }), { message: /steps: must end at 100/ });
  t.throws(() => checkRolloutSettings({ ...ok, steps: [50, 10, 100] }), { message: /steps: must rise/ });
  t.throws(() => checkRolloutSettings({ ...ok, steps: [0, 100] }), { message: /steps: each step is a whole percentage/ });
  t.throws(() => checkRolloutSettings({ ...ok, stepIntervalMs: 10 }), { message: /step_interval/ });
  t.throws(() => checkRolloutSettings({ ...ok, maxFailureIncrease: 2 }), { message: /max_failure_increase/ });
});

test('what was written of a delta comes off it exactly, whatever was added meanwhile', (t) => {
  const outcome = fc.oneof(
    fc.record({ ms: fc.nat(100_000), tokens: fc.nat(10_000) }).map(({ ms, tokens }) => attempt('SUCCEEDED', { startedAtMs: 1, finishedAtMs: 1 + ms, progress: { iterations: 1, inputTokens: tokens, outputTokens: 0, costUsd: 0, lastTool: '', updatedAtMs: 0 } })),
    fc.constantFrom('stalled', 'agent_error', 'budget_exhausted').map((reason) => attempt('FAILED', { reason: reason as Attempt['reason'], failureKind: 'TASK' })),
  );
  fc.assert(
    fc.property(fc.array(outcome, { maxLength: 30 }), fc.array(outcome, { maxLength: 30 }), (written, later) => {
      const delta = written.reduce(addOutcome, emptyStats());
      const pending = later.reduce(addOutcome, delta);
      t.deepEqual(minusStats(pending, delta), later.reduce(addOutcome, emptyStats()));
      t.deepEqual(sumStats(delta, minusStats(pending, delta)), pending);
    }),
  );
});

import test from 'ava';
import { PreconditionError } from '../../common/errors.js';
import { activeAttempt, isTaskActive, NODE_FAULT_CHARGES, NODE_REASONS } from '../../common/model.js';
import { compileTaskSpec } from '../../common/task-spec.js';
import { assignTask, attemptFinished, attemptProgress, attemptStarted, cancelTask, desiredOnNode, explainWait, failUnplaceable, MAX_INFRA_FAILURES, newTask, StaleAttemptError } from './task-state.js';

const spec = (retry: Record<string, unknown> = {}) =>
  compileTaskSpec({ image: 'busybox', command: ['true'], retry: { initialBackoffMs: 1000, maxBackoffMs: 60_000, ...retry } });
const half = () => 0.5;

function running(maxAttempts = 1, nonRetryableExitCodes: number[] = []) {
  const t0 = newTask('task_1', spec({ maxAttempts, nonRetryableExitCodes }), 0);
  const t1 = assignTask(t0, 'att_1', 'node_a', 1);
  return attemptStarted(t1, 'att_1', 'c1', 2)!;
}

test('the happy path: PENDING → ASSIGNED → RUNNING → SUCCEEDED', (t) => {
  const pending = newTask('task_1', spec(), 0);
  t.is(pending.state, 'PENDING');
  const assigned = assignTask(pending, 'att_1', 'node_a', 1);
  t.is(assigned.state, 'ASSIGNED');
  t.is(assigned.attempts[0]!.state, 'ASSIGNED');
  const run = attemptStarted(assigned, 'att_1', 'c1', 2)!;
  t.is(run.state, 'RUNNING');
  t.is(run.attempts[0]!.containerId, 'c1');
  const done = attemptFinished(run, 'att_1', { state: 'SUCCEEDED', exitCode: 0, error: '' }, 3)!;
  t.is(done.state, 'SUCCEEDED');
  t.false(isTaskActive(done));
});

test('each attempt records how long its task waited in the queue: from submission, or from the end of a retry backoff', (t) => {
  const first = assignTask(newTask('task_1', spec({ maxAttempts: 2 }), 1_000), 'att_1', 'node_a', 4_500);
  t.is(first.attempts[0]!.queuedMs, 3_500);
  const failed = attemptFinished(attemptStarted(first, 'att_1', 'c1', 4_600)!, 'att_1', { state: 'FAILED', exitCode: 1, error: '' }, 5_000, half)!;
  t.is(failed.notBeforeMs, 5_500, 'a backoff of half the first second');
  const second = assignTask(failed, 'att_2', 'node_b', 7_500);
  t.is(second.attempts[1]!.queuedMs, 2_000, 'the backoff is not queueing');
  const old = { ...newTask('task_2', spec(), 1_000), queuedAtMs: undefined };
  t.is(assignTask(old, 'att_1', 'node_a', 1_250).attempts[0]!.queuedMs, 250, 'a task stored before the field: from its creation');
});

test('a resent report changes nothing', (t) => {
  const run = running();
  t.is(attemptStarted(run, 'att_1', 'c1', 5), null);
  const done = attemptFinished(run, 'att_1', { state: 'SUCCEEDED', exitCode: 0, error: '' }, 3)!;
  t.is(attemptFinished(done, 'att_1', { state: 'FAILED', exitCode: 1, error: '' }, 4), null);
});

test('a report from an older attempt is refused', (t) => {
  const run = running(3);
  const retried = attemptFinished(run, 'att_1', { state: 'FAILED', exitCode: 1, error: 'x' }, 3, half)!;
  const second = assignTask({ ...retried, notBeforeMs: 0 }, 'att_2', 'node_b', 4);
  const err = t.throws(() => attemptFinished(second, 'att_1', { state: 'SUCCEEDED', exitCode: 0, error: '' }, 5), { instanceOf: StaleAttemptError });
  t.is(err?.message, 'attempt att_1 is not the current attempt of task task_1');
  t.throws(() => attemptStarted(second, 'att_0', 'c', 5), { instanceOf: StaleAttemptError });
});

test('a failed attempt retries with full-jitter backoff until the budget is spent', (t) => {
  let task = running(3);
  task = attemptFinished(task, 'att_1', { state: 'FAILED', exitCode: 3, error: '' }, 100, half)!;
  t.is(task.state, 'PENDING');
  t.is(task.taskFailures, 1);
  t.is(task.notBeforeMs, 100 + 500, 'first retry: uniform in [0, 1000)');
  task = attemptStarted(assignTask({ ...task }, 'att_2', 'node_b', 700), 'att_2', 'c2', 701)!;
  task = attemptFinished(task, 'att_2', { state: 'FAILED', exitCode: 3, error: '' }, 1000, half)!;
  t.is(task.notBeforeMs, 1000 + 1000, 'second retry: uniform in [0, 2000)');
  task = attemptStarted(assignTask(task, 'att_3', 'node_c', 2000), 'att_3', 'c3', 2001)!;
  task = attemptFinished(task, 'att_3', { state: 'FAILED', exitCode: 3, error: '' }, 3000, half)!;
  t.is(task.state, 'FAILED');
  t.is(task.message, 'exited with code 3 after 3 attempts');
  t.deepEqual(task.attempts.map((a) => a.exitCode), [3, 3, 3]);
});

test('a non-retryable exit code ends the task at once', (t) => {
  const task = attemptFinished(running(5, [42]), 'att_1', { state: 'FAILED', exitCode: 42, error: '' }, 3)!;
  t.is(task.state, 'FAILED');
  t.is(task.message, 'exited with code 42 (exit code not retried)');
});

test('a timed-out last attempt ends TIMED_OUT', (t) => {
  const task = attemptFinished(running(), 'att_1', { state: 'TIMED_OUT', error: 'timed out' }, 3)!;
  t.is(task.state, 'TIMED_OUT');
});

test('infrastructure failures do not spend the task failure budget, but are bounded', (t) => {
  let task = running(1);
  for (let i = 1; i < MAX_INFRA_FAILURES; i++) {
    task = attemptFinished(task, task.attempts.at(-1)!.id, { state: 'LOST', error: 'node lost' }, i * 10, half)!;
    t.is(task.state, 'PENDING');
    t.is(task.taskFailures, 0);
    t.is(task.infraFailures, i);
    task = attemptStarted(assignTask(task, `att_${i + 1}`, 'node_b', i * 10 + 1), `att_${i + 1}`, 'c', i * 10 + 2)!;
  }
  task = attemptFinished(task, task.attempts.at(-1)!.id, { state: 'FAILED', error: 'docker create failed', failureKind: 'INFRASTRUCTURE' }, 1000, half)!;
  t.is(task.state, 'FAILED');
  t.regex(task.message, /infrastructure failures in a row/);
});

test('cancel works in every non-terminal state and keeps a running attempt until it stops', (t) => {
  const pending = cancelTask(newTask('task_1', spec(), 0), 'no longer needed', 1);
  t.is(pending.state, 'CANCELLED');
  t.false(isTaskActive(pending));

  const assigned = cancelTask(assignTask(newTask('task_2', spec(), 0), 'att_1', 'node_a', 1), '', 2);
  t.is(assigned.state, 'CANCELLED');
  t.is(activeAttempt(assigned)?.id, 'att_1', 'its attempt is stopped, not forgotten');
  t.deepEqual(desiredOnNode(assigned, 'node_a'), { kind: 'stop', attempt: assigned.attempts[0]! });

  const run = cancelTask(running(), 'stop', 5);
  t.true(isTaskActive(run), 'its attempt still holds the node');
  const stopped = attemptFinished(run, 'att_1', { state: 'CANCELLED', error: 'cancelled' }, 6)!;
  t.is(stopped.state, 'CANCELLED', 'the task keeps its state');
  t.is(activeAttempt(stopped), undefined);
  t.false(isTaskActive(stopped));
  t.throws(() => cancelTask(stopped, '', 7), { instanceOf: PreconditionError, message: 'task task_1 is already CANCELLED' });
});

test('a backing-off task can be cancelled', (t) => {
  const waiting = attemptFinished(running(3), 'att_1', { state: 'FAILED', exitCode: 1, error: '' }, 3, half)!;
  t.true(waiting.notBeforeMs > 3);
  const cancelled = cancelTask(waiting, '', 4);
  t.is(cancelled.state, 'CANCELLED');
  t.is(cancelled.notBeforeMs, 0);
});

test('desired state per node: run on the owner, nothing elsewhere', (t) => {
  const task = assignTask(newTask('task_1', spec(), 0), 'att_1', 'node_a', 1);
  t.is(desiredOnNode(task, 'node_a').kind, 'run');
  t.is(desiredOnNode(task, 'node_b').kind, 'none');
});

test('a failure with a reason says it in the task message and spends the task budget', (t) => {
  const failed = attemptFinished(running(1), 'att_1', { state: 'FAILED', exitCode: 137, error: 'token budget of 100 spent (120 used)', failureKind: 'TASK', reason: 'budget_exceeded' }, 3, half)!;
  t.is(failed.state, 'FAILED');
  t.is(failed.message, 'budget_exceeded: token budget of 100 spent (120 used)');
  t.is(failed.attempts[0]!.reason, 'budget_exceeded');
  t.is(failed.taskFailures, 1);
});

test('a Cline success stores its result; progress is kept only while the attempt runs and only forward', (t) => {
  const run = running();
  const p = (iterations: number, at: number) => ({ iterations, inputTokens: 10 * iterations, outputTokens: iterations, costUsd: 0, lastTool: 'x', updatedAtMs: at });
  const moved = attemptProgress(run, 'att_1', p(2, 10), 10)!;
  t.is(moved.attempts[0]!.progress?.iterations, 2);
  t.is(attemptProgress(moved, 'att_1', p(1, 5), 11), null, 'an older report changes nothing');
  const usage = p(3, 20);
  const result = { attemptId: 'att_1', summary: 's', verified: true, baseCommit: 'a'.repeat(40), patchBytes: 10, filesChanged: 1, finishReason: 'completed', usage };
  const done = attemptFinished(moved, 'att_1', { state: 'SUCCEEDED', exitCode: 0, error: '', result, progress: usage }, 30)!;
  t.deepEqual(done.result, result);
  t.is(done.attempts[0]!.progress?.iterations, 3);
  t.is(attemptProgress(done, 'att_1', p(4, 40), 40), null);
});

test('a node fault that keeps the node out of the way costs the task nothing; one that does not spends the infrastructure budget', (t) => {
  for (const reason of ['engine_unavailable', 'disk_full'] as const) {
    const task = attemptFinished(running(1), 'att_1', { state: 'FAILED', error: 'node n1: docker create: connect ENOENT', failureKind: 'INFRASTRUCTURE', reason }, 100, half)!;
    t.is(task.state, 'PENDING', reason);
    t.deepEqual([task.taskFailures, task.infraFailures, task.notBeforeMs, task.queuedAtMs], [0, 0, 0, 100], `${reason}: back to the queue at once, no budget`);
    t.regex(task.message, new RegExp(`requeued \\(${reason}: no budget spent\\)$`));
  }
  for (const reason of ['engine_error', 'stopped_outside', 'exit_lost', 'host_oom', 'image_missing'] as const) {
    const task = attemptFinished(running(1), 'att_1', { state: 'FAILED', exitCode: 143, error: 'x', failureKind: 'INFRASTRUCTURE', reason }, 100, half)!;
    t.deepEqual([task.state, task.taskFailures, task.infraFailures], ['PENDING', 0, 1], `${reason} spends the infrastructure budget`);
    t.true(task.notBeforeMs > 100, `${reason}: retried after a backoff`);
  }
  const declined = attemptFinished(running(1), 'att_1', { state: 'LOST', error: 'disk full', failureKind: 'INFRASTRUCTURE', reason: 'disk_full' }, 100, half)!;
  t.deepEqual([declined.state, declined.infraFailures], ['PENDING', 0], 'a declined attempt (LOST, disk_full) is free too');
  t.is(NODE_REASONS.filter((r) => NODE_FAULT_CHARGES[r] === 'none').length, 2, 'the table and this test agree');
});

test('a PENDING task can be told why it waits (once) or failed for good; nothing else can', (t) => {
  const pending = newTask('task_1', spec(), 0);
  const told = explainWait(pending, 'no ready node', 5)!;
  t.is(told.message, 'no ready node');
  t.is(explainWait(told, 'no ready node', 6), null, 'the same reason is not written again');
  t.is(failUnplaceable(told, 'image x is on no node', 7)!.state, 'FAILED');
  t.is(explainWait(running(), 'x', 8), null);
  t.is(failUnplaceable(running(), 'x', 8), null);
});

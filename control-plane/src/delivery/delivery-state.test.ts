/** The task's delivery states: from a succeeded attempt to a pushed branch and pull request, or a failure an operator retries. */
import test from 'ava';
import { PreconditionError } from '../../../common/errors.js';
import { isTaskActive, isTerminal, type Task } from '../../../common/model.js';
import { compileTaskSpec } from '../../../common/task-spec.js';
import { assignTask, attemptFinished, attemptStarted, cancelTask, claimDelivery, deliveryDone, deliveryFailed, MAX_DELIVERY_TRIES, newTask, redeliver, StaleDeliveryError } from '../task-state.js';

const HOLD = 60_000;
const mine = { by: 'replica-a', epoch: 7 };
const made = { branch: 'fleet/task_1', commit: 'c'.repeat(40), baseBranch: 'main', prNumber: 3, prUrl: 'https://forge/pr/3', prExisted: false };

function clineTask(deliver: 'patch' | 'branch' | 'pr', patchBytes = 10): Task {
  const spec = compileTaskSpec({ cline: { repoUrl: 'https://forge.example/o/r.git', prompt: 'fix it', deliver, forge: deliver === 'patch' ? '' : 'gh' } });
  const run = attemptStarted(assignTask(newTask('task_1', spec, 0), 'att_1', 'node_a', 1), 'att_1', 'c1', 2)!;
  const usage = { iterations: 1, inputTokens: 1, outputTokens: 1, costUsd: 0, lastTool: '', updatedAtMs: 3 };
  const result = { attemptId: 'att_1', summary: 'did it', verified: false, baseCommit: 'a'.repeat(40), patchBytes, filesChanged: 1, finishReason: 'completed', usage };
  return attemptFinished(run, 'att_1', { state: 'SUCCEEDED', exitCode: 0, error: '', result }, 10)!;
}

test('a result to deliver keeps the task active in DELIVERING; a patch-only task, or one that changed nothing, ends SUCCEEDED', (t) => {
  const delivering = clineTask('pr');
  t.is(delivering.state, 'DELIVERING');
  t.false(isTerminal(delivering.state));
  t.true(isTaskActive(delivering));
  t.is(delivering.delivery?.tries, 0);
  t.regex(delivering.message, /delivering as a pull request to forge "gh"/);
  t.is(clineTask('patch').state, 'SUCCEEDED');
  const nothing = clineTask('branch', 0);
  t.is(nothing.state, 'SUCCEEDED');
  t.regex(nothing.message, /nothing to deliver/);
});

test('one claim at a time: another replica waits for the hold to run out; a later leader takes over at once; the same replica takes back its own', (t) => {
  const claimed = claimDelivery(clineTask('pr'), mine, 100, HOLD)!;
  t.is(claimed.delivery?.tries, 1);
  t.deepEqual(claimed.delivery?.claim, { ...mine, untilMs: 100 + HOLD });
  t.is(claimDelivery(claimed, { by: 'replica-b', epoch: 7 }, 200, HOLD), null, 'a live claim of the same epoch holds');
  t.is(claimDelivery(claimed, { by: 'replica-b', epoch: 6 }, 200, HOLD), null, 'an older leader cannot take it');
  t.is(claimDelivery(claimed, { by: 'replica-b', epoch: 8 }, 200, HOLD)?.delivery?.claim?.by, 'replica-b', 'a later leader takes it over');
  t.is(claimDelivery(claimed, { by: 'replica-b', epoch: 7 }, 100 + HOLD, HOLD)?.delivery?.claim?.by, 'replica-b', 'a hold that ran out is taken');
  t.is(claimDelivery(claimed, mine, 200, HOLD)?.delivery?.tries, 2, 'the same replica and epoch take back their own claim');
  t.is(claimDelivery(clineTask('patch'), mine, 100, HOLD), null, 'nothing to deliver');
});

test('only the claim\'s holder records the outcome: delivered ends SUCCEEDED with the pull request in the message', (t) => {
  const claimed = claimDelivery(clineTask('pr'), mine, 100, HOLD)!;
  t.throws(() => deliveryDone(claimed, { by: 'replica-b', epoch: 8 }, made, 200), { instanceOf: StaleDeliveryError });
  const done = deliveryDone(claimed, mine, made, 200);
  t.is(done.state, 'SUCCEEDED');
  t.is(done.delivery?.claim, undefined);
  t.is(done.delivery?.deliveredAtMs, 200);
  t.is(done.delivery?.commit, made.commit);
  t.is(done.message, 'delivered: pull request #3 https://forge/pr/3');
  t.throws(() => deliveryDone(done, mine, made, 300), { instanceOf: StaleDeliveryError }, 'a repeat after the end changes nothing');
  const cancelled = cancelTask(claimed, 'no', 150);
  t.throws(() => deliveryDone(cancelled, mine, made, 200), { instanceOf: StaleDeliveryError }, 'a cancel in the middle stands');
});

test('a failure worth retrying backs off while tries remain, then fails the task; a refusal fails it at once; either way the result stays', (t) => {
  let task = clineTask('pr');
  let now = 100;
  for (let i = 1; i < MAX_DELIVERY_TRIES; i++) {
    t.is(claimDelivery(task, mine, now, HOLD)?.delivery?.tries, i);
    task = deliveryFailed(claimDelivery(task, mine, now, HOLD)!, mine, { error: 'the forge did not answer', retryable: true, made: {} }, now, () => 0.5);
    t.is(task.state, 'DELIVERING');
    t.true(task.notBeforeMs > now, 'a backoff');
    t.is(claimDelivery(task, mine, now + 1, HOLD), null, 'not before the backoff ends');
    t.regex(task.message, new RegExp(`delivery try ${i} of ${MAX_DELIVERY_TRIES} failed: the forge did not answer; trying again in \\d+s`));
    now = task.notBeforeMs;
  }
  const last = deliveryFailed(claimDelivery(task, mine, now, HOLD)!, mine, { error: 'the forge did not answer', retryable: true, made: { branch: 'fleet/task_1', commit: made.commit } }, now);
  t.is(last.state, 'FAILED');
  t.regex(last.message, /^delivery failed \(after 5 tries\): the forge did not answer\. The result and its patch are kept: fix the cause, then fleetctl task deliver task_1$/);
  t.truthy(last.result, 'the result stays');
  t.is(last.delivery?.commit, made.commit, 'what the try had made is kept');

  const refused = deliveryFailed(claimDelivery(clineTask('pr'), mine, 100, HOLD)!, mine, { error: 'the forge refused the token', retryable: false, made: {} }, 100);
  t.is(refused.state, 'FAILED');
  t.regex(refused.message, /^delivery failed: the forge refused the token/);
});

test('task deliver: only a failed delivery starts again, with its tries reset; anything else says why not', (t) => {
  const failed = deliveryFailed(claimDelivery(clineTask('pr'), mine, 100, HOLD)!, mine, { error: 'refused', retryable: false, made: {} }, 100);
  const again = redeliver(failed, 200);
  t.is(again.state, 'DELIVERING');
  t.is(again.delivery?.tries, 0);
  t.is(again.notBeforeMs, 0);
  t.is(claimDelivery(again, mine, 200, HOLD)?.delivery?.tries, 1);
  t.throws(() => redeliver(again, 300), { instanceOf: PreconditionError, message: /is being delivered already/ });
  const done = deliveryDone(claimDelivery(clineTask('pr'), mine, 100, HOLD)!, mine, made, 200);
  t.throws(() => redeliver(done, 300), { instanceOf: PreconditionError, message: /it was delivered already/ });
  t.throws(() => redeliver(clineTask('patch'), 300), { instanceOf: PreconditionError, message: /was not submitted with --deliver/ });
});

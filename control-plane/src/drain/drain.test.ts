import test from 'ava';
import { ValidationError } from '../../../common/errors.js';
import type { ActiveAttemptRef } from '../leader-roles.js';
import { nodeRecord } from '../testing/memory-fleet.js';
import { completeDrain, DEFAULT_DRAIN_DEADLINE_MS, drainAfterUncordon, drainDeadlineMs, judgeDrain, startDrain } from './drain.js';

const attempt: ActiveAttemptRef = { taskId: 'task_1', attemptId: 'att_1', stopRequested: false };
const node = nodeRecord('node_a', { name: 'a', lastHeartbeatMs: 100_000 });

test('a drain stops what is left at its deadline and completes when the node reports no containers', (t) => {
  const draining = { ...node, drain: { state: 'DRAINING' as const, requestedAtMs: 99_000, deadlineMs: 105_000, completedAtMs: 0 }, fleetContainers: 1 };
  t.deepEqual(judgeDrain(draining, [attempt], false, 100_500), [], 'attempts may finish before the deadline');
  t.deepEqual(judgeDrain(draining, [attempt], false, 105_000), [{ kind: 'stop-attempts', nodeId: 'node_a', attempts: [attempt], reason: 'node a drained (deadline passed)' }]);
  t.deepEqual(judgeDrain(draining, [{ ...attempt, stopRequested: true }], false, 105_500), [], 'asked once');
  t.deepEqual(judgeDrain(draining, [], false, 106_000), [], 'the attempt ended but a container is still there');
  t.deepEqual(judgeDrain({ ...draining, fleetContainers: 0 }, [], false, 106_000), [{ kind: 'drain-complete', nodeId: 'node_a' }]);
  t.deepEqual(judgeDrain({ ...draining, fleetContainers: 0, lastHeartbeatMs: 98_000 }, [], false, 99_500), [], 'a report from before the drain proves nothing');
  t.deepEqual(judgeDrain(draining, [], true, 106_000), [{ kind: 'drain-complete', nodeId: 'node_a' }], 'a DOWN node has stopped its own containers');
  t.deepEqual(judgeDrain(node, [attempt], false, 200_000), [], 'no drain, nothing to do');
});

test('a drain begins once, completes once, and an operator uncordon ends it while the breaker does not', (t) => {
  const started = startDrain(node, 1_000, 60_000)!;
  t.deepEqual(started.drain, { state: 'DRAINING', requestedAtMs: 1_000, deadlineMs: 61_000, completedAtMs: 0 });
  t.is(startDrain(started, 2_000, 5_000), null, 'asking again keeps the first deadline');
  const done = completeDrain(started, 3_000)!;
  t.deepEqual(done.drain, { state: 'DRAINED', requestedAtMs: 1_000, deadlineMs: 61_000, completedAtMs: 3_000 });
  t.is(completeDrain(done, 4_000), null);
  t.is(drainAfterUncordon(started, 'OPERATOR'), null);
  t.deepEqual(drainAfterUncordon(started, 'AUTO'), started.drain);
});

test('the requested deadline defaults and is bounded, naming the field', (t) => {
  t.is(drainDeadlineMs(0), DEFAULT_DRAIN_DEADLINE_MS);
  t.is(drainDeadlineMs(60_000), 60_000);
  const err = t.throws(() => drainDeadlineMs(-1), { instanceOf: ValidationError });
  t.is(err?.message, 'deadline_ms: must be between 0 (the default, 3600000ms) and 604800000, got -1');
  t.throws(() => drainDeadlineMs(1.5), { instanceOf: ValidationError });
});

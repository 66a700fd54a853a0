import test from 'ava';
import type { Task } from '../../common/model.js';
import { compileTaskSpec } from '../../common/task-spec.js';
import { expiredTasks, sweepIntervalMs } from './retention.js';
import { assignTask, attemptFinished, attemptStarted, cancelTask, newTask } from './task-state.js';

const spec = compileTaskSpec({ image: 'busybox', command: ['true'] });
const versioned = (value: Task) => ({ key: value.id, value, revision: 1 });

function ended(id: string, at: number): Task {
  const run = attemptStarted(assignTask(newTask(id, spec, 0), `att_${id}`, 'node_a', 1), `att_${id}`, 'c', 2)!;
  return attemptFinished(run, `att_${id}`, { state: 'SUCCEEDED', exitCode: 0, error: '' }, at)!;
}

test('only tasks ended before the retention period are expired', (t) => {
  const day = 86_400_000;
  const now = 40 * day;
  const old = ended('task_old', 5 * day);
  const recent = ended('task_recent', 39 * day);
  const pending = newTask('task_pending', spec, 0);
  const expired = expiredTasks([old, recent, pending].map(versioned), now, 30 * day);
  t.deepEqual(expired.map((r) => r.key), ['task_old']);
  t.deepEqual(expiredTasks([old].map(versioned), now, 0), [], '0 keeps everything');
});

test('a cancelled task whose attempt still runs is kept, however old', (t) => {
  const run = attemptStarted(assignTask(newTask('task_c', spec, 0), 'att_c', 'node_a', 1), 'att_c', 'c', 2)!;
  const cancelled = cancelTask(run, 'stop', 3);
  t.is(cancelled.state, 'CANCELLED');
  t.deepEqual(expiredTasks([versioned(cancelled)], 1e12, 1), []);
  const stopped = attemptFinished(cancelled, 'att_c', { state: 'CANCELLED', error: 'stopped' }, 4)!;
  t.is(expiredTasks([versioned(stopped)], 1e12, 1).length, 1);
});

test('the sweep runs twice per retention period, between 1 s and 10 min apart', (t) => {
  t.is(sweepIntervalMs(30 * 86_400_000), 600_000);
  t.is(sweepIntervalMs(4_000), 2_000);
  t.is(sweepIntervalMs(10), 1_000);
});

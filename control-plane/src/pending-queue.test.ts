import test from 'ava';
import { compileTaskSpec } from '../../common/task-spec.js';
import type { Task } from '../../common/model.js';
import { PendingQueue } from './pending-queue.js';
import { schedulePass, type NodeView } from './scheduler.js';
import { assignTask, newTask } from './task-state.js';

const spec = (extra: Record<string, unknown> = {}) => compileTaskSpec({ image: 'busybox', command: ['true'], ...extra });
const task = (id: string, createdAtMs: number, extra: Partial<Task> = {}, specExtra: Record<string, unknown> = {}): Task => ({ ...newTask(id, spec(specExtra), createdAtMs), ...extra });
const node = (id: string, extra: Partial<NodeView> = {}): NodeView => ({ id, name: id, labels: {}, slots: 2, status: 'READY', activeAttempts: 0, unavailable: null, images: null, prefetched: new Set(), ...extra });
const ids = (plan: { assignments: Array<{ taskId: string }> }) => plan.assignments.map((a) => a.taskId);

test('priorities hold across classes: the queue takes the first task of whichever class comes first', (t) => {
  const queue = new PendingQueue();
  queue.update(task('t1', 1));
  queue.update(task('t2', 2, {}, { image: 'alpine' }));
  queue.update(task('t3', 3, {}, { priority: 9, image: 'alpine' }));
  queue.update(task('t4', 4, {}, { nodeSelector: { zone: 'a' } }));
  const plan = schedulePass(queue, [node('n', { slots: 3, labels: { zone: 'a' } })], 10);
  t.deepEqual(ids(plan), ['t3', 't1', 't2']);
  t.is(queue.size, 4, 'placed tasks stay known until their change arrives');
});

test('a placement that was not stored is put back; a stored one leaves with its change', (t) => {
  const queue = new PendingQueue();
  const t1 = task('t1', 1);
  queue.update(t1);
  queue.update(task('t2', 2));
  const first = schedulePass(queue, [node('n', { slots: 1 })], 10);
  t.deepEqual(ids(first), ['t1']);
  // The write failed: t1 waits again, ahead of t2.
  queue.putBack('t1');
  t.deepEqual(ids(schedulePass(queue, [node('n', { slots: 1 })], 10)), ['t1']);
  // This time it was stored: its ASSIGNED change removes it, and t2 is next.
  queue.update(assignTask(t1, 'att1', 'n', 11));
  t.deepEqual(ids(schedulePass(queue, [node('n', { slots: 1 })], 12)), ['t2']);
  t.is(queue.size, 1);
});

test('a cancelled task leaves; a retry waits out its backoff in the queue, then runs', (t) => {
  const queue = new PendingQueue();
  queue.update(task('t1', 1));
  queue.update({ ...task('t1', 1), state: 'CANCELLED' });
  t.deepEqual(ids(schedulePass(queue, [node('n')], 10)), []);
  queue.update(task('t2', 2, { notBeforeMs: 500 }));
  const early = schedulePass(queue, [node('n')], 100);
  t.deepEqual(ids(early), []);
  t.is(early.wakeAtMs, 500);
  t.deepEqual(ids(schedulePass(queue, [node('n')], 500)), ['t2']);
});

test('a backlog with no free slot costs a pass nothing per task: no task is looked at, no reason written', (t) => {
  const queue = new PendingQueue();
  for (let i = 0; i < 100_000; i++) queue.update(task(`t${String(i).padStart(6, '0')}`, i));
  const full = [node('a', { slots: 8, activeAttempts: 8 }), node('b', { slots: 8, activeAttempts: 8 })];
  const first = schedulePass(queue, full, 200_000);
  t.deepEqual(ids(first), []);
  t.is(first.unschedulable.size, 0, 'tasks that show what they were submitted with are not rewritten');
  // Capacity comes back: exactly that many, first submitted first.
  const freed = schedulePass(queue, [node('a', { slots: 8, activeAttempts: 5 }), node('b', { slots: 8, activeAttempts: 8 })], 200_001);
  t.deepEqual(ids(freed), ['t000000', 't000001', 't000002']);
});

test('a reason is written once per task, and again only when it changes', (t) => {
  const queue = new PendingQueue();
  queue.update(task('t1', 1, {}, { nodeSelector: { gpu: 'yes' } }));
  const first = schedulePass(queue, [node('n')], 10);
  t.is(first.unschedulable.get('t1'), 'no ready node matches the node selector');
  queue.update(task('t1', 1, { message: 'no ready node matches the node selector' }, { nodeSelector: { gpu: 'yes' } }));
  t.is(schedulePass(queue, [node('n')], 11).unschedulable.size, 0, 'the same reason is not written again');
  queue.update(task('t2', 2, {}, { nodeSelector: { gpu: 'yes' } }));
  t.deepEqual([...schedulePass(queue, [node('n')], 12).unschedulable.keys()], ['t2'], 'only the newcomer is told');
  t.deepEqual(ids(schedulePass(queue, [node('g', { labels: { gpu: 'yes' } })], 13)), ['t1', 't2']);
});

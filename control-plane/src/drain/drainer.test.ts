import test from 'ava';
import { pino } from 'pino';
import { FakeClock, MemoryFleet, nodeRecord } from '../testing/memory-fleet.js';
import { startDrain } from './drain.js';
import { Drainer } from './drainer.js';

const log = pino({ level: 'silent' });

function world(leading = () => 1 as number | null) {
  const clock = new FakeClock();
  const fleet = new MemoryFleet(clock);
  const drainer = new Drainer({ clock, log, leadingEpoch: leading, nodes: fleet.nodesView, tasks: fleet.tasksView, taskWrites: fleet, everyMs: 500 });
  return { clock, fleet, drainer };
}

test('the drainer stops what is left after the deadline, once, and completes when the node reports it empty', async (t) => {
  const { clock, fleet, drainer } = world();
  fleet.addNode(startDrain(nodeRecord('node_a', { lastHeartbeatMs: clock.now(), fleetContainers: 1 }), clock.now(), 10_000)!);
  fleet.addTask('task_1');
  await fleet.assign('task_1', 'node_a', 1);
  await drainer.tick();
  t.deepEqual(fleet.writes, ['assign task_1 node_a'], 'before the deadline the attempt may finish');
  clock.advance(10_000);
  await drainer.tick();
  await drainer.tick();
  t.deepEqual(fleet.writes.slice(1), ['stop task_1'], 'asked to stop once');
  const attemptId = fleet.task('task_1').attempts[0]!.id;
  await fleet.finished('node_a', 'task_1', attemptId, { state: 'CANCELLED', error: 'stopped', failureKind: 'INFRASTRUCTURE' });
  t.is(fleet.task('task_1').state, 'PENDING', 'the task is requeued, spending no budget');
  t.is(fleet.task('task_1').infraFailures, 0);
  await drainer.tick();
  t.is(fleet.node('node_a').drain?.state, 'DRAINING', 'a container may still be there');
  fleet.setNode({ ...fleet.node('node_a'), fleetContainers: 0, lastHeartbeatMs: clock.now() });
  await drainer.tick();
  t.is(fleet.node('node_a').drain?.state, 'DRAINED');
});

test('the drainer writes nothing once leadership is gone', async (t) => {
  let epoch: number | null = 1;
  const { clock, fleet, drainer } = world(() => epoch);
  fleet.addNode(startDrain(nodeRecord('node_a', { lastHeartbeatMs: clock.now(), fleetContainers: 0 }), clock.now() - 1, 10_000)!);
  epoch = null;
  await drainer.tick();
  t.is(fleet.node('node_a').drain?.state, 'DRAINING');
  t.deepEqual(fleet.writes, []);
});

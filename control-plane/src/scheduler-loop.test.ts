import test from 'ava';
import { pino } from 'pino';
import { SchedulerLoop } from './scheduler-loop.js';
import { FakeClock, MemoryFleet, nodeRecord } from './testing/memory-fleet.js';

const log = pino({ level: 'silent' });

function world(leading: () => number | null = () => 7) {
  const clock = new FakeClock();
  const fleet = new MemoryFleet(clock);
  const loop = new SchedulerLoop({ clock, log, leadingEpoch: leading, tasks: fleet.tasksView, nodes: fleet.nodesView, taskWrites: fleet, imageGraceMs: 10_000 });
  return { clock, fleet, loop };
}

test('a task submitted while the loop runs is placed, with the leader epoch, without polling', async (t) => {
  const { fleet, loop } = world();
  fleet.addNode(nodeRecord('node_a', { slots: 1 }));
  loop.start();
  fleet.addTask('task_1');
  await loop.settled();
  await loop.settled();
  t.is(fleet.task('task_1').state, 'ASSIGNED');
  t.is(fleet.task('task_1').attempts[0]!.leaderEpoch, 7);
  fleet.addTask('task_2');
  await loop.settled();
  t.is(fleet.task('task_2').state, 'PENDING', 'the node is full');
  await fleet.finished('node_a', 'task_1', fleet.task('task_1').attempts[0]!.id, { state: 'SUCCEEDED', exitCode: 0, error: '' });
  await loop.settled();
  await loop.settled();
  t.is(fleet.task('task_2').state, 'ASSIGNED', 'the freed slot is used as soon as the change is seen');
  loop.stop();
});

test('a cordoned or draining node gets nothing; uncordoned, it gets the waiting task', async (t) => {
  const { fleet, loop } = world();
  fleet.addNode(nodeRecord('node_a', { cordon: { by: 'OPERATOR', reason: 'x', atMs: 0 } }));
  fleet.addTask('task_1');
  loop.start();
  await loop.settled();
  t.is(fleet.task('task_1').state, 'PENDING');
  fleet.setNode({ ...fleet.node('node_a'), cordon: null, agentDraining: true });
  await loop.settled();
  t.is(fleet.task('task_1').state, 'PENDING', 'an agent draining itself takes no new work');
  fleet.setNode({ ...fleet.node('node_a'), agentDraining: false });
  await loop.settled();
  await loop.settled();
  t.is(fleet.task('task_1').state, 'ASSIGNED');
  loop.stop();
});

test('no assignment without leadership, and none after stop', async (t) => {
  let epoch: number | null = null;
  const { fleet, loop } = world(() => epoch);
  fleet.addNode(nodeRecord('node_a'));
  fleet.addTask('task_1');
  loop.start();
  await loop.settled();
  t.is(fleet.task('task_1').state, 'PENDING');
  loop.stop();
  epoch = 3;
  fleet.addTask('task_2');
  await loop.settled();
  t.deepEqual(fleet.writes, []);
});

test('with nothing waiting, node changes (every hello after a restart) cost no look at the nodes; a task then placed is placed at once', async (t) => {
  const clock = new FakeClock();
  const fleet = new MemoryFleet(clock);
  let looks = 0;
  const nodes = fleet.nodesView;
  const counted = { ...nodes, all: () => (looks++, nodes.all()) };
  const loop = new SchedulerLoop({ clock, log, leadingEpoch: () => 7, tasks: fleet.tasksView, nodes: counted, taskWrites: fleet, imageGraceMs: 10_000 });
  loop.start();
  for (let i = 0; i < 200; i++) {
    fleet.addNode(nodeRecord(`node_${String(i).padStart(3, '0')}`, { slots: 1 }));
    await loop.settled();
  }
  t.is(looks, 0, 'two hundred nodes arrived with no task waiting');
  fleet.addTask('task_1');
  await loop.settled();
  await loop.settled();
  t.is(fleet.task('task_1').state, 'ASSIGNED');
  t.true(looks >= 1);
  loop.stop();
});

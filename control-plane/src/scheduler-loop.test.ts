import test from 'ava';
import { pino } from 'pino';
import { SchedulerLoop, unavailable } from './scheduler-loop.js';
import { FakeClock, MemoryFleet, nodeRecord } from './testing/memory-fleet.js';
import { explainWait } from './task-state.js';

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

test('an enrolled node is "unreported" until its first heartbeat says how its engine is', (t) => {
  const enrolled = nodeRecord('node_a', { dockerHealthy: false, dockerError: '' });
  t.is(unavailable(enrolled), 'unreported');
  t.is(unavailable({ ...enrolled, dockerError: 'connect ENOENT /var/run/docker.sock' }), 'engine');
  t.is(unavailable({ ...enrolled, dockerHealthy: true }), null);
});

test('reasons over a backlog are written behind the placements, a few at a time; a reason gone before its turn is not written', async (t) => {
  const clock = new FakeClock();
  const fleet = new MemoryFleet(clock);
  const held: Array<() => void> = [];
  let reasonWrites = 0;
  const taskWrites = {
    assign: fleet.assign.bind(fleet),
    failUnplaceable: fleet.failUnplaceable.bind(fleet),
    // A store that answers when the test says: the reasons are still being written when the engine comes back.
    explainWait: (taskId: string, why: string) =>
      new Promise<void>((resolve) => {
        reasonWrites++;
        held.push(() => void fleet.explainWait(taskId, why).then(resolve));
      }),
  };
  const loop = new SchedulerLoop({ clock, log, leadingEpoch: () => 7, tasks: fleet.tasksView, nodes: fleet.nodesView, taskWrites, imageGraceMs: 10_000 });
  fleet.addNode(nodeRecord('node_a', { slots: 4, dockerHealthy: false, dockerError: 'connect ENOENT /var/run/docker.sock' }));
  for (let i = 0; i < 2_000; i++) fleet.addTask(`task_${String(i).padStart(4, '0')}`);
  loop.start();
  await new Promise((r) => setImmediate(r));
  t.is(loop.reasonsDue, 2_000 - held.length, 'every task has a reason to be told');
  t.true(held.length > 0 && held.length <= 16, `${held.length} written at once`);
  // The engine is back before the reasons are written: the pass places at once, without waiting for them.
  fleet.setNode({ ...fleet.node('node_a'), dockerHealthy: true, dockerError: '' });
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  t.is(fleet.writes.filter((w) => w.startsWith('assign')).length, 4, 'four placed while sixteen reasons were still in flight');
  for (let i = 0; i < 20 && held.length > 0; i++) {
    for (const land of held.splice(0)) land();
    await new Promise((r) => setImmediate(r));
  }
  await loop.settled();
  // The reasons in flight landed, and those tasks were then told the class's new one; the rest never were.
  t.true(reasonWrites <= 2 * 16, `${reasonWrites} reason writes for 2,000 waiting tasks`);
  const shown = new Set([...Array(2_000).keys()].map((i) => fleet.task(`task_${String(i).padStart(4, '0')}`)).filter((task) => task.state === 'PENDING').map((task) => task.message));
  t.deepEqual([...shown].sort(), ['every matching node is full', 'waiting for a node'], 'none is left saying the engine is down');
  loop.stop();
});

test('a reason whose write lands after its class changed (the store acknowledged it, the watch brought it later) is followed by the new one', async (t) => {
  const clock = new FakeClock();
  const fleet = new MemoryFleet(clock);
  const tick = () => new Promise((r) => setImmediate(r));
  const acks: Array<() => void> = [];
  const lagging: Array<() => void> = [];
  const taskWrites = {
    assign: fleet.assign.bind(fleet),
    failUnplaceable: fleet.failUnplaceable.bind(fleet),
    explainWait: (taskId: string, why: string) =>
      new Promise<void>((resolve) =>
        acks.push(() => {
          const next = explainWait(fleet.task(taskId), why, clock.now());
          if (next) lagging.push(() => fleet.setTask(next));
          resolve();
        }),
      ),
  };
  const loop = new SchedulerLoop({ clock, log, leadingEpoch: () => 7, tasks: fleet.tasksView, nodes: fleet.nodesView, taskWrites, imageGraceMs: 10_000 });
  fleet.addNode(nodeRecord('node_a', { slots: 4, dockerHealthy: false, dockerError: 'connect ENOENT /var/run/docker.sock' }));
  for (let i = 0; i < 20; i++) fleet.addTask(`task_${String(i).padStart(2, '0')}`);
  loop.start();
  await tick();
  for (const ack of acks.splice(0)) ack();
  await tick();
  // The engine is back before the watch brings the sixteen reasons just stored: the pass still sees "waiting for a node".
  fleet.setNode({ ...fleet.node('node_a'), dockerHealthy: true, dockerError: '' });
  await tick();
  await tick();
  for (let i = 0; i < 10; i++) {
    for (const deliver of lagging.splice(0)) deliver();
    for (const ack of acks.splice(0)) ack();
    await tick();
  }
  await loop.settled();
  const shown = new Map<string, number>();
  for (let i = 0; i < 20; i++) {
    const task = fleet.task(`task_${String(i).padStart(2, '0')}`);
    if (task.state === 'PENDING') shown.set(task.message, (shown.get(task.message) ?? 0) + 1);
  }
  t.deepEqual([...shown], [['every matching node is full', 16]], 'the sixteen that were told the engine was down are told they wait for a slot');
  loop.stop();
});

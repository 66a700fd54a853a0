import test from 'ava';
import { pino } from 'pino';
import { DEFAULT_LIVENESS } from './node-health.js';
import { NodeMonitor } from './node-monitor.js';
import { FakeClock, MemoryFleet, nodeRecord } from './testing/memory-fleet.js';

const log = pino({ level: 'silent' });

function world(leading: () => number | null = () => 1) {
  const clock = new FakeClock();
  const fleet = new MemoryFleet(clock);
  const monitor = new NodeMonitor({ clock, log, leadingEpoch: leading, nodes: fleet.nodesView, tasks: fleet.tasksView, taskWrites: fleet, settings: DEFAULT_LIVENESS, replicaContact: () => 0 });
  return { clock, fleet, monitor };
}

test('a silent node goes DISCONNECTED, then DOWN, and its attempt is lost and its task requeued', async (t) => {
  const { clock, fleet, monitor } = world();
  monitor.start();
  monitor.stop();
  fleet.addNode(nodeRecord('node_a', { lastHeartbeatMs: clock.now() }));
  fleet.addTask('task_1');
  await fleet.assign('task_1', 'node_a', 1);
  clock.advance(15_001);
  await monitor.tick();
  t.is(fleet.node('node_a').status, 'DISCONNECTED');
  t.is(fleet.task('task_1').state, 'ASSIGNED', 'nothing moves while the node may come back');
  clock.advance(15_000);
  await monitor.tick();
  t.is(fleet.node('node_a').status, 'DOWN');
  const task = fleet.task('task_1');
  t.is(task.state, 'PENDING');
  t.is(task.attempts[0]!.state, 'LOST');
  t.is(task.infraFailures, 1);
  t.regex(task.attempts[0]!.error, /^node a lost: no heartbeat for 30s$/);
  await monitor.tick();
  t.deepEqual(fleet.writes, ['assign task_1 node_a', 'status DISCONNECTED node_a', 'status DOWN node_a', 'finished task_1 LOST'], 'a second pass changes nothing');
});

test('a new leader gives every node a fresh grace period', async (t) => {
  const { clock, fleet, monitor } = world();
  fleet.addNode(nodeRecord('node_a', { lastHeartbeatMs: clock.now() - 3_600_000 }));
  monitor.start();
  monitor.stop();
  await monitor.tick();
  t.is(fleet.node('node_a').status, 'READY', 'silence the leader did not witness is not held against the node');
  clock.advance(15_001);
  await monitor.tick();
  t.is(fleet.node('node_a').status, 'DISCONNECTED');
});

test('the breaker cordons a node whose Docker is unreachable and lifts its own cordon after a healthy probe, never an operator\'s', async (t) => {
  const { clock, fleet, monitor } = world();
  monitor.start();
  monitor.stop();
  fleet.addNode(nodeRecord('node_a', { lastHeartbeatMs: clock.now(), dockerHealthy: false, dockerError: 'connect ENOENT /var/run/docker.sock', dockerHealthySinceMs: 0 }));
  fleet.addNode(nodeRecord('node_b', { lastHeartbeatMs: clock.now(), cordon: { by: 'OPERATOR', reason: 'maintenance', atMs: 0 } }));
  await monitor.tick();
  t.deepEqual(fleet.node('node_a').cordon, { by: 'AUTO', reason: 'docker unreachable: connect ENOENT /var/run/docker.sock', atMs: clock.now() });
  fleet.setNode({ ...fleet.node('node_a'), dockerHealthy: true, dockerError: '', dockerHealthySinceMs: clock.now() });
  clock.advance(29_000);
  fleet.setNode({ ...fleet.node('node_a'), lastHeartbeatMs: clock.now() });
  fleet.setNode({ ...fleet.node('node_b'), lastHeartbeatMs: clock.now() });
  await monitor.tick();
  t.truthy(fleet.node('node_a').cordon, 'still within the probe period');
  clock.advance(1_000);
  fleet.setNode({ ...fleet.node('node_a'), lastHeartbeatMs: clock.now() });
  fleet.setNode({ ...fleet.node('node_b'), lastHeartbeatMs: clock.now() });
  await monitor.tick();
  t.is(fleet.node('node_a').cordon, null);
  t.is(fleet.node('node_b').cordon?.by, 'OPERATOR');
});

test('the monitor writes nothing once leadership is gone', async (t) => {
  let epoch: number | null = 1;
  const { clock, fleet, monitor } = world(() => epoch);
  monitor.start();
  monitor.stop();
  fleet.addNode(nodeRecord('node_a', { lastHeartbeatMs: clock.now() }));
  clock.advance(60_000);
  epoch = null;
  await monitor.tick();
  t.is(fleet.node('node_a').status, 'READY');
  t.deepEqual(fleet.writes, []);
});

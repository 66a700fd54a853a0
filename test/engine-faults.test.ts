/**
 * A node's Docker engine restarted under running work, stopped when work is
 * placed, or missing an image: on private engines of the test's own (own data
 * root, socket and bridge), so that the machine's engine stays up for the
 * rest of the suite. Nothing here may be charged to the task.
 */
import anyTest, { type TestFn } from 'ava';
import { TestDockerd } from './harness/dockerd.js';
import { eventually, getTask, TestFleet, untilState, type TaskJson } from './harness/fleet.js';
import { TEST_IMAGE } from './harness/requirements.js';

interface Context {
  fleet: TestFleet;
  restoring: TestDockerd;
  plain: TestDockerd;
}
const test = anyTest as TestFn<Context>;

const PRIVATE_ONLY_IMAGE = 'fleet-test/private-only:1';

test.before(async (t) => {
  const restoring = await TestDockerd.start({ liveRestore: true });
  const plain = await TestDockerd.start({ liveRestore: false });
  t.context = { restoring, plain } as Context;
  const fleet = await TestFleet.start({
    agents: [{ name: 'steady', labels: { pool: 'b' }, slots: 2 }],
    controlPlaneArgs: ['--heartbeat-interval', '500ms', '--disconnected-after', '2s', '--down-after', '12s', '--stop-margin', '4s', '--breaker-probe', '2s'],
  });
  t.context.fleet = fleet;
  fleet.extraEngines.push(restoring.docker, plain.docker);
  await restoring.loadFrom(fleet.docker, TEST_IMAGE);
  await restoring.loadFrom(fleet.docker, TEST_IMAGE, PRIVATE_ONLY_IMAGE);
  await restoring.loadFrom(fleet.docker, TEST_IMAGE);
  await plain.loadFrom(fleet.docker, TEST_IMAGE);
  await fleet.addAgent({ name: 'restorer', labels: { engine: 'restorer' }, slots: 2 }, { extraArgs: ['--docker-host', restoring.host] });
  await fleet.addAgent({ name: 'plain', labels: { engine: 'plain', pool: 'b' }, slots: 2 }, { extraArgs: ['--docker-host', plain.host] });
});

test.after.always(async (t) => {
  await t.context.fleet?.stop();
  await t.context.restoring?.destroy();
  await t.context.plain?.destroy();
});

const TICKS = ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "tick $i"; sleep 1; done'];

async function submit(fleet: TestFleet, args: string[], command: string[] = TICKS, image = TEST_IMAGE): Promise<string> {
  const result = await fleet.fleetctl(['task', 'submit', '--image', image, ...args, '--', ...command]);
  if (result.code !== 0) throw new Error(`submit failed: ${result.stderr}`);
  return result.stdout.trim();
}

async function runningWithOutput(fleet: TestFleet, id: string): Promise<TaskJson> {
  const task = await untilState(fleet, id, ['RUNNING'], 60_000);
  await eventually('the first ticks in the log', async () => /tick 2/.test((await fleet.fleetctl(['task', 'logs', id])).stdout), 30_000);
  return task;
}

test.serial('live-restore on: a task running through an engine restart is adopted, on the same container, with all its output, and completes once', async (t) => {
  const { fleet, restoring } = t.context;
  const id = await submit(fleet, ['--label-selector', 'engine=restorer']);
  const before = await runningWithOutput(fleet, id);
  await restoring.restart();
  const done = await untilState(fleet, id, ['SUCCEEDED', 'FAILED'], 60_000);
  t.is(done.state, 'SUCCEEDED', done.message);
  t.is(done.attempts.length, 1, 'one attempt: adopted, not retried');
  t.is(done.attempts[0]!.containerId, before.attempts[0]!.containerId, 'the same container');
  const full = await fleet.json<{ taskFailures: number; infraFailures: number }>(['task', 'get', id]);
  t.deepEqual([full.taskFailures, full.infraFailures], [0, 0]);
  const logs = (await fleet.fleetctl(['task', 'logs', id])).stdout;
  t.deepEqual(logs.trim().split('\n'), Array.from({ length: 12 }, (_, i) => `tick ${i + 1}`), 'every line once, in order');
  await fleet.agent('restorer').process.waitForLog('the container survived its engine restart (live-restore); following it again');
});

test.serial('live-restore off: the attempt killed by the engine restart is the node\'s failure, not the task\'s, and the task completes elsewhere, even when the engine comes back with live-restore on', async (t) => {
  const { fleet, plain } = t.context;
  // Everything to the plain node first: the other node of its pool is held back.
  await fleet.fleetctl(['node', 'cordon', 'steady']);
  const id = await submit(fleet, ['--label-selector', 'pool=b', '--retries', '0']);
  const before = await runningWithOutput(fleet, id);
  t.is(before.attempts[0]!.nodeId, fleet.agent('plain').nodeId);
  await fleet.fleetctl(['node', 'uncordon', 'steady']);
  // An upgrade that turns live-restore on: the engine going down still stops the container.
  await plain.restart(true);
  const done = await untilState(fleet, id, ['SUCCEEDED', 'FAILED'], 60_000);
  t.is(done.state, 'SUCCEEDED', done.message);
  t.is(done.attempts.length, 2);
  const [killed, rerun] = done.attempts as [TaskJson['attempts'][number] & { reason?: string }, TaskJson['attempts'][number]];
  t.deepEqual([killed.nodeId, killed.state, killed.reason], [fleet.agent('plain').nodeId, 'FAILED', 'stopped_outside']);
  t.regex(killed.error, /engine (shutting down|went away|restarted without live-restore)/);
  t.is(rerun.nodeId, fleet.agent('steady').nodeId, 'retried on the other node');
  const full = await fleet.json<{ taskFailures: number }>(['task', 'get', id]);
  t.is(full.taskFailures, 0, 'no retry of the task\'s own was spent (it had none)');
  await plain.restart(false);
});

test.serial('an engine that is down gets no work: the task waits, saying why, and runs when the engine is back', async (t) => {
  const { fleet, plain } = t.context;
  await plain.down();
  await eventually('the plain node to be cordoned by the breaker', async () => {
    const nodes = await fleet.json<Array<{ name: string; cordoned: boolean; cordonedBy: string; dockerHealthy: boolean }>>(['node', 'list']);
    const node = nodes.find((n) => n.name === 'plain');
    return node?.cordoned && node.cordonedBy === 'AUTO' && !node.dockerHealthy;
  }, 20_000);
  const id = await submit(fleet, ['--label-selector', 'engine=plain'], ['echo', 'ran']);
  const waiting = await eventually('the task to say why it waits', async () => {
    const task = await getTask(fleet, id);
    return task.message === 'no node with a healthy Docker engine' ? task : undefined;
  }, 20_000);
  t.is(waiting.state, 'PENDING');
  t.deepEqual(waiting.attempts, [], 'no attempt was spent on the engine that is down');
  await plain.up();
  const done = await untilState(fleet, id, ['SUCCEEDED', 'FAILED'], 60_000);
  t.is(done.state, 'SUCCEEDED');
  t.is(done.attempts.length, 1);
});

test.serial('images per node: a task goes to the node that holds its image; an image on no node fails the task, saying what to load where', async (t) => {
  const { fleet } = t.context;
  const here = await submit(fleet, [], ['echo', 'here'], PRIVATE_ONLY_IMAGE);
  const done = await untilState(fleet, here, ['SUCCEEDED', 'FAILED'], 60_000);
  t.is(done.state, 'SUCCEEDED', done.message);
  t.deepEqual(done.attempts.map((a) => a.nodeId), [fleet.agent('restorer').nodeId], 'only the restorer holds it');
  const nowhere = await submit(fleet, [], ['true'], 'fleet-test/nowhere:1');
  const failed = await untilState(fleet, nowhere, ['FAILED', 'SUCCEEDED'], 60_000);
  t.is(failed.state, 'FAILED');
  t.deepEqual(failed.attempts, [], 'no node was tried');
  t.regex(failed.message, /^image fleet-test\/nowhere:1 is on no node that could run it: load it \(docker load\) on (steady|restorer|plain)(, (steady|restorer|plain)){2}, or let a node pull images/);
});

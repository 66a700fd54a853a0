/**
 * Nodes that fail: an agent killed for good (its machine gone) and an agent
 * cut off from the network while it keeps running. Each time the task
 * completes on another node, exactly one attempt is LOST, no two attempts
 * ever ran at once (Docker's own start and die times), and the node that
 * comes back reconciles without running the old attempt again.
 */
import anyTest, { type TestFn } from 'ava';
import { assertNoOverlap, eventually, getTask, submitTask, TestFleet, untilState } from './harness/fleet.js';
import { TestNetns } from './harness/netns.js';

const test = anyTest as TestFn<{ fleet: TestFleet; netns: TestNetns }>;

// Scaled down: DISCONNECTED after 2s, agents stop their containers after 2s cut off, DOWN after 5s.
const LIVENESS = ['--heartbeat-interval', '500ms', '--disconnected-after', '2s', '--down-after', '5s', '--stop-margin', '3s'];

test.before(async (t) => {
  t.context.netns = TestNetns.create();
  t.context.fleet = await TestFleet.start({ agents: [{ name: 'steady', slots: 2 }, { name: 'doomed', slots: 2 }], controlPlaneArgs: LIVENESS, listenHost: '0.0.0.0' });
});

test.after.always(async (t) => {
  await t.context.fleet?.stop();
  t.context.netns?.destroy();
});

async function nodeStatus(fleet: TestFleet, name: string): Promise<string> {
  const nodes = await fleet.json<Array<{ name: string; status: string }>>(['node', 'list']);
  return nodes.find((n) => n.name === name)?.status ?? 'missing';
}

/** Runs `command` on `on`, by keeping every other node cordoned until it runs there. */
async function runOn(fleet: TestFleet, on: string, command: string[]): Promise<string> {
  const others = fleet.agents.filter((a) => a.spec.name !== on);
  for (const a of others) await fleet.fleetctl(['node', 'cordon', a.nodeId]);
  const id = await submitTask(fleet, [], command);
  const running = await untilState(fleet, id, ['RUNNING']);
  if (running.attempts[0]!.nodeId !== fleet.agent(on).nodeId) throw new Error('ran on the wrong node');
  for (const a of others) await fleet.fleetctl(['node', 'uncordon', a.nodeId]);
  return id;
}

test.serial('SIGKILL of an agent whose machine is gone: the node goes DOWN and the task completes elsewhere, one attempt LOST', async (t) => {
  const { fleet } = t.context;
  const doomed = fleet.agent('doomed');
  const id = await runOn(fleet, 'doomed', ['sh', '-c', 'sleep 3; echo finished']);
  await doomed.process.stop('SIGKILL');
  // The machine died with its agent: its containers die too.
  for (const c of await fleet.containers()) if (c.Labels['io.cline-fleet.node'] === doomed.nodeId) await fleet.docker.getContainer(c.Id).kill().catch(() => {});

  await eventually('the node to be DOWN', async () => (await nodeStatus(fleet, 'doomed')) === 'DOWN', 15_000);
  const done = await untilState(fleet, id, ['SUCCEEDED', 'FAILED'], 30_000);
  t.is(done.state, 'SUCCEEDED');
  t.deepEqual(done.attempts.map((a) => [a.nodeId, a.state]), [[doomed.nodeId, 'LOST'], [fleet.agent('steady').nodeId, 'SUCCEEDED']]);
  t.regex(done.attempts[0]!.error, /node doomed lost: no heartbeat/);
  const full = await fleet.json<{ taskFailures: number; infraFailures: number }>(['task', 'get', id]);
  t.is(full.taskFailures, 0, "a lost node does not spend the task's own failure budget");
  t.is(full.infraFailures, 1);
  t.is((await fleet.fleetctl(['task', 'logs', id])).stdout.split('finished').length - 1, 1);
  t.is(await assertNoOverlap(fleet, id), 2);

  // The machine comes back: its agent reports the old attempt, which is refused, and its container goes.
  await fleet.restartAgent(doomed);
  await eventually('the node to be READY again', async () => (await nodeStatus(fleet, 'doomed')) === 'READY');
  await eventually('the stale container to be removed', async () => !(await fleet.containers()).some((c) => c.Labels['io.cline-fleet.node'] === doomed.nodeId));
  t.true(fleet.controlPlane!.logLines().some((l) => l.msg === 'report from a stale attempt refused' && l.taskId === id));
  const after = await getTask(fleet, id);
  t.is(after.state, 'SUCCEEDED');
  t.is(after.attempts.length, 2, 'the stale report changed nothing');
});

test.serial('an agent cut off from the network stops its own containers; the task completes elsewhere; on return it reconciles without running the old attempt', async (t) => {
  const { fleet, netns } = t.context;
  const islander = await fleet.addAgent({ name: 'islander', slots: 2 }, { netns: netns.name, server: `${netns.hostAddress}:${fleet.port}` });
  // Long enough to be running still when the cut comes on a loaded machine (CI run 15: 8 s was over before it).
  const id = await runOn(fleet, 'islander', ['sh', '-c', 'sleep 20; echo finished']);
  const oldContainer = (await getTask(fleet, id)).attempts[0]!.containerId;

  netns.cut(true);
  await islander.process.waitForLog('stopping every attempt on this node', 10_000);
  // How long the stop takes is the machine's business; that it came before the task ran elsewhere is checked below (no overlap).
  await eventually('the cut-off container to stop', async () => {
    const c = (await fleet.containers()).find((x) => x.Id === oldContainer);
    return c !== undefined && c.State !== 'running';
  }, 30_000, 100);
  t.true(islander.process.child.exitCode === null, 'the agent itself is still alive');

  const done = await untilState(fleet, id, ['SUCCEEDED', 'FAILED'], 40_000);
  t.is(done.state, 'SUCCEEDED');
  t.deepEqual(done.attempts.map((a) => [a.nodeId, a.state]), [[islander.nodeId, 'LOST'], [fleet.agent('steady').nodeId, 'SUCCEEDED']]);
  t.is(await assertNoOverlap(fleet, id), 2, 'the old container died before the new one started');

  netns.cut(false);
  await eventually('the islander to be READY again', async () => (await nodeStatus(fleet, 'islander')) === 'READY', 40_000);
  await eventually('its stopped container to be removed', async () => !(await fleet.containers()).some((c) => c.Id === oldContainer), 20_000);
  const lives = await fleet.containerLifetimes(id);
  t.is(lives.filter((l) => l.nodeId === islander.nodeId).length, 1, 'the old attempt never ran again');
  const after = await getTask(fleet, id);
  t.is(after.attempts.length, 2);
  t.is(after.state, 'SUCCEEDED');
});

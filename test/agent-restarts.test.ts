/**
 * Agent restarts: a SIGKILLed agent that comes back adopts its container and
 * finishes the attempt once, wherever on the way to starting the container
 * it died: after create (an orphan the reaper removes), after journaling the
 * container (made again), after start (adopted).
 */
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { assertNoOverlap, eventually, getTask, submitTask, TestFleet, untilState } from './harness/fleet.js';

const test = anyTest as TestFn<{ fleet: TestFleet }>;

test.before(async (t) => {
  t.context.fleet = await TestFleet.start({ agents: [{ name: 'restarter', slots: 2 }] });
});

test.after.always(async (t) => {
  await t.context.fleet?.stop();
});

test.serial('SIGKILL of the agent while a task runs: on restart the task completes once, on the same container, with all its output', async (t) => {
  const { fleet } = t.context;
  const agent = fleet.agent('restarter');
  const id = await submitTask(fleet, [], ['sh', '-c', 'echo before; sleep 3; echo after']);
  const running = await untilState(fleet, id, ['RUNNING']);
  const containerId = running.attempts[0]!.containerId;
  t.truthy(containerId);
  await eventually('the first line to be stored', async () => (await fleet.fleetctl(['task', 'logs', id])).stdout.includes('before'));
  await agent.process.stop('SIGKILL');
  t.true((await fleet.containers()).some((c) => c.Id === containerId && c.State === 'running'), 'the container outlives its agent');

  await fleet.restartAgent(agent);
  t.truthy(await agent.process.waitForLog('attempt adopted'));
  const done = await untilState(fleet, id, ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED']);
  t.is(done.state, 'SUCCEEDED');
  t.is(done.attempts.length, 1, 'completed once');
  t.is(done.attempts[0]!.containerId, containerId, 'on the same container');
  const logs = await fleet.fleetctl(['task', 'logs', id]);
  t.is(logs.stdout, 'before\nafter\n', 'output resumed exactly where the journal left off');
  t.is(await assertNoOverlap(fleet, id), 1);
  await eventually('the container to be removed', async () => (await fleet.containers()).length === 0);
});

/**
 * Restarts the agent with FLEET_AGENT_FAULT=crash-<point>, submits `command`
 * and waits for the agent to kill itself there. Returns the task and the
 * containers made for it.
 */
async function crashAt(t: ExecutionContext<{ fleet: TestFleet }>, point: 'after-create' | 'before-start' | 'after-start', command: string[]) {
  const { fleet } = t.context;
  const agent = fleet.agent('restarter');
  await agent.process.stop('SIGKILL');
  await fleet.restartAgent(agent, { FLEET_AGENT_FAULT: `crash-${point}` });
  const id = await submitTask(fleet, [], command);
  t.is(await agent.process.exited, 128, `the agent killed itself ${point.replace('-', ' ')}`);
  const containers = (await fleet.containers()).filter((c) => c.Labels['io.cline-fleet.task'] === id);
  t.is(containers.length, 1, 'one container was made');
  return { fleet, agent, id, container: containers[0]! };
}

test.serial('a crash between creating a container and journaling it: the reaper removes the orphan and the task still runs once', async (t) => {
  const { fleet, agent, id, container: orphan } = await crashAt(t, 'after-create', ['echo', 'ran']);
  t.is(orphan.State, 'created', 'never started');

  await fleet.restartAgent(agent);
  const removal = agent.process.logLines().find((l) => l.msg === 'removing orphaned container');
  t.is(removal?.reason, 'created but never journaled (the agent stopped in between)');
  const done = await untilState(fleet, id, ['SUCCEEDED', 'FAILED']);
  t.is(done.state, 'SUCCEEDED');
  t.is(done.attempts.length, 1);
  t.not(done.attempts[0]!.containerId, orphan.Id);
  t.is((await fleet.fleetctl(['task', 'logs', id])).stdout, 'ran\n');
  await eventually('no fleet container to remain', async () => (await fleet.containers()).length === 0);
  t.is((await getTask(fleet, id)).attempts.length, 1);
});

test.serial('a crash between journaling a container and starting it: the container is made again and the task runs once', async (t) => {
  const { fleet, agent, id, container: made } = await crashAt(t, 'before-start', ['echo', 'ran']);
  t.is(made.State, 'created', 'the journaled container was never started');

  await fleet.restartAgent(agent);
  t.truthy(await agent.process.waitForLog('removing the container made but never started before the agent stopped'));
  const done = await untilState(fleet, id, ['SUCCEEDED', 'FAILED']);
  t.is(done.state, 'SUCCEEDED', done.message);
  t.is(done.attempts.length, 1);
  t.not(done.attempts[0]!.containerId, made.Id, 'on a container made by the new process');
  t.is((await fleet.fleetctl(['task', 'logs', id])).stdout, 'ran\n');
  await eventually('no fleet container to remain', async () => (await fleet.containers()).length === 0);
});

test.serial('a crash between starting a container and journaling the start: the container is adopted and the task runs once', async (t) => {
  const { fleet, agent, id, container: started } = await crashAt(t, 'after-start', ['sh', '-c', 'echo before; sleep 2; echo after']);
  t.not(started.State, 'created', 'the container was started');

  await fleet.restartAgent(agent);
  t.truthy(await agent.process.waitForLog('attempt adopted: its container was started just before the agent stopped'));
  const done = await untilState(fleet, id, ['SUCCEEDED', 'FAILED']);
  t.is(done.state, 'SUCCEEDED', done.message);
  t.is(done.attempts.length, 1, 'run once');
  t.is(done.attempts[0]!.containerId, started.Id, 'on the container the old process started');
  t.is((await fleet.fleetctl(['task', 'logs', id])).stdout, 'before\nafter\n');
  t.is(await assertNoOverlap(fleet, id), 1);
  await eventually('no fleet container to remain', async () => (await fleet.containers()).length === 0);
});

/**
 * Stopping an agent and cancelling in awkward states: SIGTERM leaves the
 * containers running for the next process; a second SIGTERM drains first;
 * cancel works while a task is ASSIGNED but not started, and while it waits
 * out a retry backoff.
 */
import anyTest, { type TestFn } from 'ava';
import { assertNoOverlap, eventually, getTask, submitTask, TestFleet, untilState } from './harness/fleet.js';

const test = anyTest as TestFn<{ fleet: TestFleet }>;

test.before(async (t) => {
  t.context.fleet = await TestFleet.start({ agents: [{ name: 'worker', slots: 2 }] });
});

test.after.always(async (t) => {
  await t.context.fleet?.stop();
});

test.serial('SIGTERM stops the agent and leaves its container running; the next process reports the result that finished meanwhile', async (t) => {
  const { fleet } = t.context;
  const agent = fleet.agent('worker');
  const id = await submitTask(fleet, [], ['sh', '-c', 'sleep 4; echo kept']);
  const running = await untilState(fleet, id, ['RUNNING']);
  t.is(await agent.process.stop('SIGTERM'), 0);
  t.true(agent.process.logLines().some((l) => l.msg === 'stopping; send the signal again to drain first'));
  const container = (await fleet.containers()).find((c) => c.Id === running.attempts[0]!.containerId);
  t.true(container !== undefined, 'the container outlived its agent');
  await eventually('the container to finish while the agent is away', async () => (await fleet.containers()).find((c) => c.Id === container!.Id)?.State === 'exited', 15_000);
  t.is((await getTask(fleet, id)).state, 'RUNNING', 'nobody has reported it yet');
  await fleet.restartAgent(agent);
  const done = await untilState(fleet, id, ['SUCCEEDED', 'FAILED']);
  t.is(done.state, 'SUCCEEDED');
  t.is(done.attempts.length, 1);
  t.is((await fleet.fleetctl(['task', 'logs', id])).stdout, 'kept\n');
});

test.serial('a second SIGTERM drains first: running work finishes and is reported before the agent exits', async (t) => {
  const { fleet } = t.context;
  const agent = fleet.agent('worker');
  const id = await submitTask(fleet, [], ['sh', '-c', 'sleep 2; echo drained']);
  await untilState(fleet, id, ['RUNNING']);
  agent.process.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 200));
  agent.process.child.kill('SIGTERM');
  await agent.process.waitForLog('draining before stop', 5_000);
  const queued = await submitTask(fleet, [], ['true']);
  t.is(await agent.process.exited, 0);
  t.true(agent.process.logLines().some((l) => l.msg === 'drained'));
  const done = await getTask(fleet, id);
  t.is(done.state, 'SUCCEEDED', 'the result was reported before the agent exited');
  t.deepEqual((await fleet.containers()).filter((c) => c.Labels['io.cline-fleet.task'] === id), [], 'and its container removed');
  t.not((await getTask(fleet, queued)).state, 'RUNNING', 'a draining node takes no new work');
  await fleet.restartAgent(agent);
  t.is((await untilState(fleet, queued, ['SUCCEEDED'])).state, 'SUCCEEDED');
});

test.serial('cancel while ASSIGNED but not started: the node never runs it', async (t) => {
  const { fleet } = t.context;
  const agent = fleet.agent('worker');
  // A frozen agent cannot start what it is sent; the assignment waits in its socket.
  agent.process.child.kill('SIGSTOP');
  try {
    const id = await submitTask(fleet, [], ['echo', 'never']);
    const assigned = await untilState(fleet, id, ['ASSIGNED']);
    t.is(assigned.attempts[0]!.state, 'ASSIGNED');
    const cancel = await fleet.fleetctl(['task', 'cancel', id]);
    t.is(cancel.code, 0, cancel.stderr);
    agent.process.child.kill('SIGCONT');
    await eventually('the attempt to end', async () => (await getTask(fleet, id)).attempts[0]!.state === 'CANCELLED', 15_000);
    const task = await getTask(fleet, id);
    t.is(task.state, 'CANCELLED');
    t.is((await fleet.fleetctl(['task', 'logs', id])).stdout, '', 'it never ran');
    t.is((await fleet.containerLifetimes(id)).length, 0, 'no container of it ever started');
  } finally {
    agent.process.child.kill('SIGCONT');
  }
});

test.serial('cancel while PENDING in a retry backoff', async (t) => {
  const { fleet } = t.context;
  const id = await submitTask(fleet, ['--retries', '3', '--backoff', '1h', '--max-backoff', '1h'], ['sh', '-c', 'exit 1']);
  const waiting = await eventually('the task to wait out a backoff', async () => {
    const task = await getTask(fleet, id);
    return task.state === 'PENDING' && task.attempts.length === 1 ? task : undefined;
  });
  t.regex(waiting.message, /retry 1 of 3 in \d+ms/);
  await fleet.fleetctl(['task', 'cancel', id]);
  const task = await getTask(fleet, id);
  t.is(task.state, 'CANCELLED');
  t.is(task.attempts.length, 1);
  t.is(await assertNoOverlap(fleet, id), 1);
});

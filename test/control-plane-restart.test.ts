/**
 * The control plane dies (SIGKILL) while twenty tasks run and comes back on
 * the same address: agents reconnect with backoff and jitter, running
 * attempts keep running, every task completes, none twice.
 */
import anyTest, { type TestFn } from 'ava';
import { assertNoOverlapAll, eventually, submitTask, TestFleet, type TaskJson } from './harness/fleet.js';

const test = anyTest as TestFn<{ fleet: TestFleet }>;

test.before(async (t) => {
  // Agents stop their containers after 36 s cut off: longer than the outage below, even on a loaded machine
  // (CI run 15: with 16 s, a restart and the agents' reconnect backoff took longer, and one task ran twice).
  t.context.fleet = await TestFleet.start({
    agents: [{ name: 'one', slots: 10 }, { name: 'two', slots: 10 }],
    controlPlaneArgs: ['--heartbeat-interval', '1s', '--disconnected-after', '5s', '--down-after', '40s', '--stop-margin', '4s'],
  });
});

test.after.always(async (t) => {
  await t.context.fleet?.stop();
});

test('SIGKILL of the control plane while 20 tasks run: all complete after it restarts, none twice', async (t) => {
  const { fleet } = t.context;
  // Long enough that all twenty run at once even when a loaded machine starts containers slowly.
  const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => submitTask(fleet, [], ['sh', '-c', `sleep 25; echo task-${i}`])));
  await eventually('all twenty to run', async () => {
    const tasks = await fleet.json<TaskJson[]>(['task', 'list', '--state', 'RUNNING']);
    return tasks.filter((x) => ids.includes(x.id)).length === 20;
  }, 60_000);
  const containersBefore = new Set((await fleet.containers()).map((c) => c.Id));

  await fleet.controlPlane!.stop('SIGKILL');
  await new Promise((r) => setTimeout(r, 1_000));
  await fleet.startControlPlane();

  for (const agent of fleet.agents) await agent.process.waitForLog('control plane session lost; reconnecting', 5_000);
  const finished = await eventually('all twenty to succeed', async () => {
    const tasks = (await fleet.json<TaskJson[]>(['task', 'list', '--limit', '100'])).filter((x) => ids.includes(x.id));
    const bad = tasks.find((x) => ['FAILED', 'CANCELLED', 'TIMED_OUT'].includes(x.state));
    if (bad) throw new Error(`${bad.id} ended ${bad.state}: ${bad.message}`);
    return tasks.length === 20 && tasks.every((x) => x.state === 'SUCCEEDED') ? tasks : undefined;
  }, 60_000, 500);

  for (const [i, id] of ids.entries()) {
    const task = finished.find((x) => x.id === id)!;
    t.is(task.attempts.length, 1, `${id} ran once`);
    t.true(containersBefore.has(task.attempts[0]!.containerId), 'on the container it had before the restart');
    t.is((await fleet.fleetctl(['task', 'logs', id])).stdout, `task-${i}\n`);
  }
  const containers = await assertNoOverlapAll(fleet, ids);
  t.deepEqual([...containers.values()], ids.map(() => 1), 'one container per task, ever');
  await eventually('no fleet container to remain', async () => (await fleet.containers()).length === 0);
});

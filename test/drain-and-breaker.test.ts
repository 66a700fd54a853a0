/**
 * Drains and the circuit breaker, on real processes: a drain with a deadline
 * requeues what is left and completes only when no fleet container remains;
 * a node whose Docker engine becomes unreachable is cordoned automatically,
 * its work goes elsewhere, and it returns to service when the engine does.
 */
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { assertNoOverlap, eventually, getTask, submitTask, TestFleet, untilState } from './harness/fleet.js';
import { DockerProxy } from './harness/docker-proxy.js';

const test = anyTest as TestFn<{ fleet: TestFleet; proxy: DockerProxy }>;

interface NodeJson {
  id: string;
  name: string;
  status: string;
  cordoned: boolean;
  cordonedBy: string;
  cordonReason: string;
  drain: { state: string } | null;
  activeAttempts: number;
}

test.before(async (t) => {
  const fleet = await TestFleet.start({ agents: [{ name: 'keeper', slots: 2 }], controlPlaneArgs: ['--heartbeat-interval', '500ms', '--disconnected-after', '2s', '--breaker-probe', '2s'] });
  t.context.fleet = fleet;
  t.context.proxy = new DockerProxy(join(fleet.dir, 'docker-proxy.sock'));
  await t.context.proxy.start();
  await fleet.addAgent({ name: 'flaky', slots: 2 }, { extraArgs: ['--docker-host', t.context.proxy.url] });
});

test.after.always(async (t) => {
  await t.context.fleet?.stop();
  await t.context.proxy?.stop();
});

const node = async (fleet: TestFleet, name: string): Promise<NodeJson> => (await fleet.json<NodeJson[]>(['node', 'list'])).find((n) => n.name === name)!;

test.serial('a drain with a deadline requeues the long task elsewhere and completes only after its container is gone', async (t) => {
  const { fleet } = t.context;
  const keeper = fleet.agent('keeper');
  await fleet.fleetctl(['node', 'cordon', 'flaky']);
  const id = await submitTask(fleet, [], ['sh', '-c', 'sleep 30']);
  const running = await untilState(fleet, id, ['RUNNING']);
  t.is(running.attempts[0]!.nodeId, keeper.nodeId);
  await fleet.fleetctl(['node', 'uncordon', 'flaky']);

  const drain = await fleet.fleetctl(['node', 'drain', 'keeper', '--deadline', '1s', '--wait']);
  t.is(drain.code, 0, drain.stderr);
  t.regex(drain.stderr, /DRAINING\(1 left/, 'progress is shown');
  t.regex(drain.stderr, /^draining keeper: 1 attempt\(s\) running, deadline in (\d+ms|1s)$/m, 'the deadline as asked for');
  t.regex(drain.stdout, /keeper \(node_\w+\) READY,DRAINED/);
  // Complete means: no fleet container on the node any more, not even a stopped one.
  t.deepEqual((await fleet.containers()).filter((c) => c.Labels['io.cline-fleet.node'] === keeper.nodeId), []);

  const requeued = await untilState(fleet, id, ['RUNNING']);
  t.is(requeued.attempts.length, 2);
  t.is(requeued.attempts[1]!.nodeId, fleet.agent('flaky').nodeId, 'requeued on the other node');
  t.is(requeued.attempts[0]!.state, 'CANCELLED');
  const full = await fleet.json<{ taskFailures: number; infraFailures: number }>(['task', 'get', id]);
  t.deepEqual([full.taskFailures, full.infraFailures], [0, 0], 'a drain spends no failure budget');
  t.is(await assertNoOverlap(fleet, id), 2);

  const listed = await node(fleet, 'keeper');
  t.is(listed.drain?.state, 'DRAINED');
  const second = await submitTask(fleet, [], ['true']);
  t.is((await untilState(fleet, second, ['SUCCEEDED'])).attempts[0]!.nodeId, fleet.agent('flaky').nodeId, 'a drained node takes no new work');
  await fleet.fleetctl(['task', 'cancel', id]);
  await fleet.fleetctl(['node', 'uncordon', 'keeper']);
  t.is((await node(fleet, 'keeper')).drain, null);
  await eventually('no fleet container to remain', async () => (await fleet.containers()).length === 0);
});

test.serial('cordon and uncordon by an operator', async (t) => {
  const { fleet } = t.context;
  const cordon = await fleet.fleetctl(['node', 'cordon', 'flaky', '--reason', 'disk swap']);
  t.is(cordon.code, 0);
  t.regex(cordon.stdout, /READY,CORDONED: disk swap/);
  const listed = await node(fleet, 'flaky');
  t.deepEqual([listed.cordoned, listed.cordonedBy], [true, 'OPERATOR']);
  const unknown = await fleet.fleetctl(['node', 'cordon', 'no-such-node']);
  t.is(unknown.code, 1);
  t.is(unknown.stderr, 'fleetctl: node "no-such-node" not found (fleetctl node list shows the nodes)\n');
  await fleet.fleetctl(['node', 'uncordon', 'flaky']);
  t.false((await node(fleet, 'flaky')).cordoned);
});

test.serial('Docker unreachable on one node: it is cordoned automatically, work goes elsewhere, and it returns when Docker does', async (t) => {
  const { fleet, proxy } = t.context;
  const flaky = fleet.agent('flaky');
  await proxy.stop();
  const cordoned = await eventually('the breaker to cordon the node', async () => {
    const n = await node(fleet, 'flaky');
    return n.cordoned ? n : undefined;
  }, 15_000);
  t.is(cordoned.cordonedBy, 'AUTO');
  t.regex(cordoned.cordonReason, /^docker unreachable: /);

  const ids = await Promise.all([1, 2, 3].map(() => submitTask(fleet, [], ['true'])));
  for (const id of ids) {
    const done = await untilState(fleet, id, ['SUCCEEDED', 'FAILED']);
    t.is(done.state, 'SUCCEEDED');
    t.deepEqual(done.attempts.map((a) => a.nodeId), [fleet.agent('keeper').nodeId]);
  }

  await proxy.start();
  await eventually('the node to be uncordoned after its healthy probe', async () => !(await node(fleet, 'flaky')).cordoned, 20_000);
  await fleet.fleetctl(['node', 'cordon', 'keeper']);
  const back = await submitTask(fleet, [], ['echo', 'back']);
  const done = await untilState(fleet, back, ['SUCCEEDED', 'FAILED']);
  t.is(done.state, 'SUCCEEDED');
  t.is(done.attempts[0]!.nodeId, flaky.nodeId, 'it runs work again');
  await fleet.fleetctl(['node', 'uncordon', 'keeper']);
});

test.serial('a node whose engine fails to create containers is cordoned at its first failure, and its tasks complete elsewhere; the task budget is untouched', async (t) => {
  const { fleet, proxy } = t.context;
  const flaky = fleet.agent('flaky');
  const keeper = fleet.agent('keeper');
  await fleet.fleetctl(['node', 'cordon', 'keeper']);
  proxy.failCreates = true;
  const ids = await Promise.all([1, 2, 3].map(() => submitTask(fleet, [], ['echo', 'survived'])));
  const cordoned = await eventually('the breaker to cordon the node', async () => {
    const n = await node(fleet, 'flaky');
    return n.cordoned ? n : undefined;
  }, 20_000);
  t.is(cordoned.cordonedBy, 'AUTO');
  t.regex(cordoned.cordonReason, /^docker engine failed: node \w+: docker create: \(HTTP code 500\) .*fault injected: the engine cannot create containers/);
  // The engine stays broken until the tasks are done: an attempt placed on
  // the flaky node just before its cordon must fail there too, not succeed.
  await fleet.fleetctl(['node', 'uncordon', 'keeper']);

  let triedFlaky = 0;
  for (const id of ids) {
    const done = await untilState(fleet, id, ['SUCCEEDED', 'FAILED'], 30_000);
    t.is(done.state, 'SUCCEEDED');
    // The first failure cordons the node: the other tasks may never have tried it.
    const failed = done.attempts.slice(0, -1);
    triedFlaky += failed.length;
    for (const a of failed as Array<(typeof failed)[number] & { reason?: string }>) {
      t.deepEqual([a.nodeId, a.state, a.reason], [flaky.nodeId, 'FAILED', 'engine_error']);
      t.regex(a.error, /fault injected: the engine cannot create containers/);
    }
    t.is(done.attempts.at(-1)!.nodeId, keeper.nodeId, 'the retry went to another node');
    const full = await fleet.json<{ taskFailures: number; infraFailures: number }>(['task', 'get', id]);
    // An engine error is charged to the bounded infrastructure budget (a 5xx
    // can come from what the task asked for), never to the task's own.
    t.deepEqual([full.taskFailures, full.infraFailures], [0, failed.length], 'one infrastructure failure per failed attempt');
  }
  t.true(triedFlaky >= 1, 'a task failed on the broken engine first');
  proxy.failCreates = false;
  await eventually('the node to return after its healthy probe', async () => !(await node(fleet, 'flaky')).cordoned, 20_000);
  t.is((await getTask(fleet, ids[0]!)).state, 'SUCCEEDED');
});

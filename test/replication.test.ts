/**
 * Three control-plane replicas on a three-node JetStream cluster (R3): one
 * leader at a time with a fencing epoch, failover after the leader dies, a
 * lost nats-server costs nothing acknowledged, a replica that disagrees with
 * the cluster's settings refuses to run, and a cluster without quorum says so
 * and recovers by itself.
 */
import * as grpc from '@grpc/grpc-js';
import anyTest, { type TestFn } from 'ava';
import { eventually, submitTask, TestFleet, untilState } from './harness/fleet.js';
import { bearer, call, clients } from './harness/grpc.js';
import { TEST_IMAGE } from './harness/requirements.js';

const test = anyTest as TestFn<{ fleet: TestFleet }>;

interface ClusterJson {
  replicas: Array<{ id: string; leader: boolean; serving: boolean; nodeSessions: number }>;
  leader: { replicaId: string; epoch: number };
  streams: Array<{ name: string; replicas: number; leader: string; peers: Array<{ name: string; current: boolean }> }>;
  jetstreamHealthy: boolean;
}

test.before(async (t) => {
  // Agents stop their containers only after 20s without contact: longer than the outages below.
  t.context.fleet = await TestFleet.start({
    natsCluster: 3,
    replicas: 3,
    agents: [{ name: 'r-one', slots: 4 }, { name: 'r-two', slots: 4 }],
    controlPlaneArgs: ['--down-after', '30s', '--stop-margin', '10s'],
  });
});

test.after.always(async (t) => {
  await t.context.fleet?.stop();
});

const status = (fleet: TestFleet) => fleet.json<ClusterJson>(['cluster', 'status']);

test.serial('cluster status shows three replicas, one leader with its epoch, and R3 streams in sync', async (t) => {
  const { fleet } = t.context;
  const s = await eventually('three replicas registered, both sessions counted, streams current', async () => {
    const x = await status(fleet);
    return x.replicas.length === 3 && x.jetstreamHealthy && x.replicas.reduce((n, r) => n + r.nodeSessions, 0) === 2 ? x : undefined;
  });
  t.is(s.replicas.filter((r) => r.leader).length, 1);
  t.is(s.replicas.find((r) => r.leader)!.id, s.leader.replicaId);
  t.true(s.leader.epoch > 0);
  t.is(s.replicas.reduce((n, r) => n + r.nodeSessions, 0), 2, 'each agent holds one session');
  for (const stream of s.streams) {
    t.is(stream.replicas, 3, `${stream.name} is R3`);
    t.not(stream.leader, '');
  }
  const table = await fleet.fleetctl(['cluster', 'status']);
  t.regex(table.stdout, /^Leader: +\S+ \(epoch \d+, renewed/m);
  t.regex(table.stdout, /JetStream: +healthy/);
});

test.serial('a replica started with settings that conflict with the cluster refuses to run and says what differs', async (t) => {
  const { fleet } = t.context;
  const err = await t.throwsAsync(fleet.startControlPlane(3, ['--replicas', '1', '--storage', 'memory']));
  const cp = fleet.controlPlanes[3]!;
  t.is(await cp.exited, 1);
  t.regex(cp.text, /refusing to run: the JetStream state was created with other settings/);
  t.regex(cp.text, /KV_fleet_tasks: 3 replica\(s\), this replica wants 1 \(--replicas\)/);
  t.regex(cp.text, /KV_fleet_tasks: file storage, this replica wants memory \(--storage\)/);
  t.truthy(err);
  fleet.controlPlanes.pop();
  fleet.ports.pop();
  fleet.server = fleet.ports.map((p) => `127.0.0.1:${p}`).join(',');
});

test.serial('SIGKILL of the leader: another replica takes over within seconds, with a higher epoch, and work goes on', async (t) => {
  const { fleet } = t.context;
  const before = await status(fleet);
  const leader = fleet.leaderIndex();
  t.true(leader >= 0);
  // Keep work pending across the kill: a selector nothing matches yet.
  const waiting = await submitTask(fleet, ['--label-selector', 'later=yes'], ['true']);
  const killedAt = Date.now();
  await fleet.controlPlanes[leader]!.stop('SIGKILL');
  const id = await submitTask(fleet, [], ['echo', 'after the leader died']);
  const done = await untilState(fleet, id, ['SUCCEEDED', 'FAILED'], 30_000);
  const resumedMs = Date.parse(done.attempts[0]!.startedAt!) - killedAt;
  t.is(done.state, 'SUCCEEDED');
  t.true(resumedMs < 8_000, `scheduling resumed ${resumedMs}ms after the leader died`);
  const after = await eventually('a new leader', async () => {
    const s = await status(fleet);
    return s.leader.replicaId && s.leader.replicaId !== before.leader.replicaId ? s : undefined;
  });
  t.true(after.leader.epoch > before.leader.epoch, 'the epoch only grows');
  const full = await fleet.json<{ attempts: Array<{ id: string }> }>(['task', 'get', id]);
  t.is(full.attempts.length, 1);
  await eventually('both agents to hold sessions on surviving replicas', async () => {
    const s = await status(fleet);
    return s.replicas.filter((r) => r.id !== before.leader.replicaId).reduce((n, r) => n + r.nodeSessions, 0) === 2;
  }, 30_000);
  await fleet.fleetctl(['task', 'cancel', waiting]);
  await fleet.startControlPlane(leader);
});

test.serial('SIGKILL of one nats-server loses no acknowledged submission and submissions go on', async (t) => {
  const { fleet } = t.context;
  const cluster = fleet.natsCluster!;
  const acknowledged: string[] = [];
  let failures = 0;
  let stop = false;
  const submitter = (async () => {
    while (!stop) {
      const r = await fleet.fleetctl(['task', 'submit', '--image', TEST_IMAGE, '--', 'true']);
      if (r.code === 0) acknowledged.push(r.stdout.trim());
      else failures++;
    }
  })();
  await eventually('a few submissions', async () => acknowledged.length >= 3);
  await cluster.kill('nats-2');
  const killedAt = Date.now();
  const countAtKill = acknowledged.length;
  try {
    // A stream the dead server led waits out an election (4 to 9 s), and each fleetctl is a process of its own on a loaded machine.
    await eventually('submissions to succeed again', async () => acknowledged.length >= countAtKill + 5, 30_000, 100);
  } finally {
    // Whatever happened, the next test starts from a whole cluster.
    await cluster.restart('nats-2');
    stop = true;
    await submitter;
  }
  t.log(`${acknowledged.length} acknowledged, ${failures} refused while the server was down; five more acknowledged ${((Date.now() - killedAt) / 1000).toFixed(1)}s after the kill`);
  for (const id of acknowledged) {
    const task = await untilState(fleet, id, ['SUCCEEDED', 'FAILED'], 60_000);
    t.is(task.state, 'SUCCEEDED', `${id} was acknowledged and must not be lost`);
  }
  await eventually('streams to be in sync again', async () => (await status(fleet)).jetstreamHealthy, 60_000, 500);
});

test.serial('without quorum the replicas say NOT_SERVING and refuse writes; running attempts go on; all resumes when quorum returns', async (t) => {
  const { fleet } = t.context;
  const cluster = fleet.natsCluster!;
  const id = await submitTask(fleet, [], ['sh', '-c', 'sleep 12; echo outlived']);
  const running = await untilState(fleet, id, ['RUNNING']);
  await cluster.kill('nats-1');
  await cluster.kill('nats-3');
  const api = clients(`127.0.0.1:${fleet.ports[0]}`, fleet.caPem);
  await eventually('the replica to report NOT_SERVING', async () => (await call<{ status: string }>((cb) => api.health.Check({ service: '' }, cb))).res?.status === 'NOT_SERVING', 20_000);
  const refused = await call((cb) => api.fleet.SubmitTask({ spec: { image: TEST_IMAGE, command: ['true'] } }, bearer(fleet.adminToken), { deadline: Date.now() + 15_000 }, cb));
  t.true(refused.err !== null && [grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED].includes(refused.err.code), `write refused with ${refused.err?.code}: ${refused.err?.details}`);
  t.true((await fleet.containers()).some((c) => c.Id === running.attempts[0]!.containerId && c.State === 'running'), 'the attempt keeps running');

  await cluster.restart('nats-1');
  await cluster.restart('nats-3');
  await eventually('the replica to serve again', async () => (await call<{ status: string }>((cb) => api.health.Check({ service: '' }, cb))).res?.status === 'SERVING', 60_000, 500);
  const done = await untilState(fleet, id, ['SUCCEEDED', 'FAILED'], 60_000);
  t.is(done.state, 'SUCCEEDED');
  t.is(done.attempts.length, 1, 'it ran once, through the outage');
  t.is((await fleet.fleetctl(['task', 'logs', id])).stdout, 'outlived\n');
  const after = await submitTask(fleet, [], ['true']);
  t.is((await untilState(fleet, after, ['SUCCEEDED'], 60_000)).state, 'SUCCEEDED');
});

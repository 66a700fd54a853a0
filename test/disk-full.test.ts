/**
 * A node whose data directory fills up (a small tmpfs of its own, filled with
 * dd while a task runs): the agent keeps running, reports disk pressure, is
 * cordoned, new work goes to the other node, and once space is freed the
 * running task's result arrives, once, with all its output.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { eventually, untilState, TestFleet } from './harness/fleet.js';
import { TEST_IMAGE } from './harness/requirements.js';

interface Context {
  fleet: TestFleet;
  disk: string;
}
const test = anyTest as TestFn<Context>;

interface NodeJson {
  name: string;
  cordoned: boolean;
  cordonedBy: string;
  cordonReason: string;
}

test.before(async (t) => {
  if (process.getuid?.() !== 0) throw new Error('this test mounts a small tmpfs for a node\'s data dir: run it as root (CI does)');
  // Short: the agent's gateway sockets live under its data dir.
  const disk = mkdtempSync('/tmp/fdd-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', disk]);
  t.context = { disk } as Context;
  const fleet = await TestFleet.start({
    agents: [{ name: 'roomy', slots: 2 }],
    controlPlaneArgs: ['--heartbeat-interval', '500ms', '--disconnected-after', '2s', '--down-after', '30s', '--stop-margin', '10s', '--breaker-probe', '2s'],
  });
  t.context.fleet = fleet;
  await fleet.addAgent({ name: 'cramped', slots: 2 }, { dataDir: join(disk, 'agent'), extraArgs: ['--min-free-disk', '8m'] });
});

test.after.always(async (t) => {
  await t.context.fleet?.stop();
  if (t.context.disk) {
    spawnSync('umount', ['-l', t.context.disk]);
    rmSync(t.context.disk, { recursive: true, force: true });
  }
});

const node = async (fleet: TestFleet, name: string) => (await fleet.json<NodeJson[]>(['node', 'list'])).find((n) => n.name === name)!;

test.serial('a full data dir: no crash, the node is cordoned with the reason, new work goes elsewhere, and the running task reports once space is back', async (t) => {
  const { fleet, disk } = t.context;
  const cramped = fleet.agent('cramped');
  await fleet.fleetctl(['node', 'cordon', 'roomy']);
  const command = ['sh', '-c', 'i=0; while [ $i -lt 30 ]; do echo "line $i"; i=$((i+1)); sleep 0.5; done'];
  const id = (await fleet.fleetctl(['task', 'submit', '--image', TEST_IMAGE, '--', ...command])).stdout.trim();
  const running = await untilState(fleet, id, ['RUNNING'], 60_000);
  t.is(running.attempts[0]!.nodeId, cramped.nodeId);
  await fleet.fleetctl(['node', 'uncordon', 'roomy']);

  const filler = join(disk, 'filler');
  spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=1M'], { stdio: 'ignore' });
  const cordoned = await eventually('the cramped node to be cordoned for disk pressure', async () => {
    const n = await node(fleet, 'cramped');
    return n.cordoned ? n : undefined;
  }, 10_000);
  t.is(cordoned.cordonedBy, 'AUTO');
  t.regex(cordoned.cordonReason, /^disk pressure: .*(data dir .* free|the journal cannot write)/);

  const elsewhere = (await fleet.fleetctl(['task', 'submit', '--image', TEST_IMAGE, '--', 'echo', 'elsewhere'])).stdout.trim();
  const placed = await untilState(fleet, elsewhere, ['SUCCEEDED', 'FAILED'], 60_000);
  t.is(placed.state, 'SUCCEEDED');
  t.is(placed.attempts[0]!.nodeId, fleet.agent('roomy').nodeId, 'new work goes to the node with room');

  // Let the running task finish while the disk is full: its outcome is held.
  await eventually('the task\'s container to exit', async () => (await fleet.containers()).some((c) => c.Labels['io.cline-fleet.task'] === id && c.State === 'exited'), 40_000);
  t.is(cramped.process.child.exitCode, null, 'the agent is still running');
  t.is((await untilState(fleet, id, ['RUNNING', 'SUCCEEDED'], 5_000)).state, 'RUNNING', 'its result waits for space');

  rmSync(filler, { force: true });
  const done = await untilState(fleet, id, ['SUCCEEDED', 'FAILED'], 30_000);
  t.is(done.state, 'SUCCEEDED');
  t.is(done.attempts.length, 1, 'once');
  const logs = (await fleet.fleetctl(['task', 'logs', id])).stdout;
  t.deepEqual(logs.trim().split('\n'), Array.from({ length: 30 }, (_, i) => `line ${i}`), 'every line, once, in order');
  await eventually('the node to come back after its probe', async () => !(await node(fleet, 'cramped')).cordoned, 20_000);
});

/**
 * Plain tasks run with the operator's defaults, against a real Docker engine:
 * no network unless asked, memory and CPU limits, and (where the operator
 * turns them on) a read-only root and a non-root user. Each case reads the
 * setting from inside the container itself.
 */
import anyTest, { type TestFn } from 'ava';
import { submitTask, TestFleet, untilState } from './harness/fleet.js';

const test = anyTest as TestFn<{ fleet: TestFleet }>;

test.before(async (t) => {
  t.context.fleet = await TestFleet.start({ agents: [{ name: 'sandbox', slots: 4 }] });
});

test.after.always(async (t) => {
  await t.context.fleet?.stop();
});

/** The container's memory limit and CPU quota as "BYTES QUOTA PERIOD", from cgroup v2 or v1 ("max" for none). */
const LIMITS = [
  'mem=$(cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes)',
  '[ "$mem" -gt 4611686018427387904 ] 2>/dev/null && mem=max',
  'cpu=$(cat /sys/fs/cgroup/cpu.max 2>/dev/null || echo "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)")',
  'case "$cpu" in -1*) cpu="max 100000";; esac',
  'echo "$mem $cpu"',
].join('; ');

/** Runs `script` as a plain task and returns its output. */
async function run(fleet: TestFleet, args: string[], script: string): Promise<{ state: string; out: string }> {
  const id = await submitTask(fleet, args, ['sh', '-c', script]);
  const done = await untilState(fleet, id, ['SUCCEEDED', 'FAILED']);
  const logs = await fleet.fleetctl(['task', 'logs', id]);
  return { state: done.state, out: logs.stdout + logs.stderr };
}

test.serial('by default a plain task has no network, 2 GiB of memory and 2 CPUs, and task get says so', async (t) => {
  const { fleet } = t.context;
  const id = await submitTask(fleet, [], ['sh', '-c', `ls /sys/class/net; ${LIMITS}`]);
  const done = await untilState(fleet, id, ['SUCCEEDED', 'FAILED']);
  t.is(done.state, 'SUCCEEDED');
  const out = (await fleet.fleetctl(['task', 'logs', id])).stdout.split('\n').filter(Boolean);
  t.deepEqual(out, ['lo', `${2 * 1024 ** 3} 200000 100000`], "only loopback; the limits are the cgroup's");
  t.regex((await fleet.fleetctl(['task', 'get', id])).stdout, /Runs with: network none, memory 2\.0 ?GiB, 2 CPUs, the image's user, writable root/);
});

test.serial("a task's own settings win: bridge, its own limits, a read-only root, a user", async (t) => {
  const { fleet } = t.context;
  const own = await run(fleet, ['--network', 'bridge', '--memory', '64m', '--cpus', '0.5', '--read-only-root', '--user', '1000:1000'],
    `ls /sys/class/net | tr "\\n" " "; echo; ${LIMITS}; id -u; touch /tmp/ok && echo tmp-writable; touch /root-file 2>/dev/null || echo root-read-only`);
  t.is(own.state, 'SUCCEEDED', own.out);
  const lines = own.out.split('\n').filter(Boolean);
  t.regex(lines[0]!, /\beth0\b/);
  t.deepEqual(lines.slice(1), [`${64 * 1024 ** 2} 50000 100000`, '1000', 'tmp-writable', 'root-read-only']);
});

test.serial("more CPUs than the engine has are capped at its count (Docker would refuse them); a UID alone gets its own group, not root's", async (t) => {
  const { fleet } = t.context;
  const engineCpus = Number(((await fleet.docker.info()) as { NCPU: number }).NCPU);
  const out = await run(fleet, ['--cpus', '64', '--user', '2000'], `${LIMITS}; id -u; id -g`);
  t.is(out.state, 'SUCCEEDED', out.out);
  t.deepEqual(out.out.split('\n').filter(Boolean), [`${2 * 1024 ** 3} ${engineCpus * 100000} 100000`, '2000', '2000']);
});

test.serial('bad values are refused naming the flag, before any call', async (t) => {
  const { fleet } = t.context;
  const net = await fleet.fleetctl(['task', 'submit', '--image', 'fleet-test/busybox:1', '--network', 'host', '--', 'true']);
  t.is(net.code, 2);
  t.regex(net.stderr, /--network/);
  const user = await fleet.fleetctl(['task', 'submit', '--image', 'fleet-test/busybox:1', '--user', 'root', '--', 'true']);
  t.is(user.code, 2);
  t.is(user.stderr, 'fleetctl: --user: must be a numeric UID or UID:GID (e.g. 1000:1000), got "root"\n');
});

test.serial("the operator's read-only root and user hold for every plain task, and a submitter cannot pick another user", async (t) => {
  const strict = await TestFleet.start({ agents: [{ name: 'strict', slots: 2 }], controlPlaneArgs: ['--task-read-only-root', '--task-user', '1000:1000', '--task-default-memory', '0', '--task-default-cpus', '0', '--task-default-network', 'bridge'] });
  t.teardown(() => strict.stop());
  const out = await run(strict, [], `id -u; touch /x 2>/dev/null || echo root-read-only; ${LIMITS}; ls /sys/class/net | grep -c eth0`);
  t.is(out.state, 'SUCCEEDED', out.out);
  t.deepEqual(out.out.split('\n').filter(Boolean), ['1000', 'root-read-only', 'max max 100000', '1']);
  const root = await strict.fleetctl(['task', 'submit', '--image', 'fleet-test/busybox:1', '--user', '0', '--', 'true']);
  t.is(root.code, 2);
  t.regex(root.stderr, /spec\.user: plain tasks run as 1000:1000 on this fleet \(the control plane's --task-user\)/);
});

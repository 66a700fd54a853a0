/**
 * The daemons under a real systemd: a container with systemd as PID 1 where
 * the real installers install and start the units exactly as on a customer
 * machine. The agent there uses this machine's Docker. Then: a task runs;
 * the agent killed with SIGKILL, hung (its event loop blocked), or stopped
 * with SIGSTOP comes back by systemd's hand and its task completes once;
 * `systemctl stop` leaves the containers for the next start; running the
 * installer again with a new build keeps the containers and the identity;
 * `fleetctl node restart` restarts the agent from afar;
 * `installers/upgrade-node-agent.sh` drains, swaps, waits and uncordons,
 * and rolls back.
 *
 * Figures (t.log): from the SIGKILL, and from the hang, to the agent's
 * session being open again.
 */
import anyTest, { type TestFn } from 'ava';
import { execFileSync } from 'node:child_process';
import { eventually } from './harness/fleet.js';
import { SystemdHost } from './harness/systemd-host.js';

interface TaskJson {
  id: string;
  state: string;
  attempts: Array<{ id: string; nodeId: string; containerId: string; state: string }>;
}

interface NodeJson {
  id: string;
  name: string;
  status: string;
  agentVersion: string;
  lastHeartbeatMs: number;
}

const test = anyTest as TestFn<{ host: SystemdHost; nodeId: string }>;
const AGENT = 'fleet-node-agent.service';
const CONTROL_PLANE = 'fleet-control-plane.service';
const TERMINAL = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'];

test.before(async (t) => {
  const host = (t.context.host = await SystemdHost.boot());
  await host.must(['/src/installers/install-control-plane.sh', '--listen', '127.0.0.1:7700'], { timeoutMs: 180_000 });
  const token = (await host.fleetctl(['token', 'create'])).stdout.split('\n')[0]!.trim();
  await host.must(['sh', '-c', 'umask 077; cat > /root/join-token'], { input: `${token}\n` });
  await host.must(['/src/installers/install-node-agent.sh', '--control-plane', '127.0.0.1:7700', '--join-token-file', '/root/join-token', '--name', 'sd-node', '--slots', '2'], { timeoutMs: 180_000 });
  const nodes = await eventually('the node to enroll', async () => {
    const list = await host.fleetctlJson<NodeJson[]>(['node', 'list']);
    return list.length === 1 && list[0]!.status === 'READY' ? list : undefined;
  }, 60_000);
  t.context.nodeId = nodes[0]!.id;
});

test.after.always(async (t) => {
  await t.context.host?.destroy();
});

async function submit(host: SystemdHost, script: string): Promise<string> {
  const result = await host.fleetctl(['task', 'submit', '--image', 'fleet-test/busybox:1', '--', 'sh', '-c', script]);
  if (result.code !== 0) throw new Error(`task submit: ${result.stderr}`);
  return result.stdout.trim();
}

function task(host: SystemdHost, id: string): Promise<TaskJson> {
  return host.fleetctlJson<TaskJson>(['task', 'get', id]);
}

function untilState(host: SystemdHost, id: string, states: string[], timeoutMs = 90_000): Promise<TaskJson> {
  return eventually(`task ${id} to reach ${states.join('|')}`, async () => {
    const t = await task(host, id);
    return states.includes(t.state) ? t : undefined;
  }, timeoutMs, 500);
}

/** The states of the task's containers on this machine's Docker. */
function containerStates(taskId: string): string[] {
  const out = execFileSync('docker', ['ps', '-a', '--filter', `label=io.cline-fleet.task=${taskId}`, '--format', '{{.State}}'], { encoding: 'utf8' }).trim();
  return out ? out.split('\n') : [];
}

/**
 * Waits for a process other than `oldPid` to run the agent with its session
 * open, and returns how long after `sinceMs` that was.
 */
async function untilServingAgain(host: SystemdHost, oldPid: number, sinceMs: number, timeoutMs = 90_000): Promise<{ ms: number; pid: number }> {
  return eventually('the agent to serve again', async () => {
    const { MainPID, ActiveState } = await host.show(AGENT, 'MainPID', 'ActiveState');
    const pid = Number(MainPID);
    if (ActiveState !== 'active' || pid === 0 || pid === oldPid) return undefined;
    const lines = await host.journal(AGENT);
    const open = lines.find((l) => l.includes(`"pid":${pid},`) && l.includes('control plane session open'));
    if (!open) return undefined;
    const atMs = Date.parse((JSON.parse(open) as { time: string }).time);
    return { ms: atMs - sinceMs, pid };
  }, timeoutMs, 250);
}

test.serial('the installers start both daemons as Type=notify services with a watchdog, and the agent runs a task', async (t) => {
  const { host } = t.context;
  for (const unit of [CONTROL_PLANE, AGENT]) {
    const props = await host.show(unit, 'Type', 'ActiveState', 'SubState', 'NotifyAccess', 'WatchdogUSec', 'StatusText', 'User');
    t.is(props.Type, 'notify', `${unit} is Type=notify`);
    t.is(props.ActiveState, 'active', `${unit} is active: it said READY=1`);
    t.is(props.NotifyAccess, 'all');
    t.not(props.WatchdogUSec, '0', `${unit} has a watchdog`);
    t.is(props.User, 'fleet');
    t.truthy(props.StatusText, `${unit} reports a status line`);
  }
  // The status line follows the replica (refreshed every 5s): it took the lease after it said READY.
  await eventually('the control plane to show itself as leader', async () => /^replica [0-9a-f]{8}: leader, serving, 1 node session/.test((await host.show(CONTROL_PLANE, 'StatusText')).StatusText!), 15_000, 500);
  const id = await submit(host, 'echo hello from systemd');
  const done = await untilState(host, id, TERMINAL);
  t.is(done.state, 'SUCCEEDED');
  t.is(done.attempts.length, 1);
});

test.serial('kill -9 of the agent: systemd starts it again, it adopts the container and the task completes once', async (t) => {
  const { host } = t.context;
  const id = await submit(host, 'echo start; sleep 12; echo end');
  const running = await untilState(host, id, ['RUNNING']);
  const oldPid = await host.mainPid(AGENT);
  const killedAt = Date.now();
  await host.must(['kill', '-9', String(oldPid)]);
  const back = await untilServingAgain(host, oldPid, killedAt);
  t.log(`kill -9 → session open again: ${(back.ms / 1000).toFixed(1)}s (RestartSec=2s)`);
  t.true(back.ms < 15_000, `back within the restart delay and a start (${back.ms}ms)`);
  const done = await untilState(host, id, TERMINAL);
  t.is(done.state, 'SUCCEEDED');
  t.is(done.attempts.length, 1, 'completed once');
  t.is(done.attempts[0]!.containerId, running.attempts[0]!.containerId, 'on the same container, adopted');
  const lines = await host.journal(AGENT);
  t.true(lines.some((l) => l.includes(`"pid":${back.pid},`) && l.includes('"result":"signal"') && l.includes('previous run ended')), 'the new process says how the last one ended');
});

test.serial('a hung agent (event loop blocked, then SIGSTOP) is killed by the watchdog and restarted; the task completes once', async (t) => {
  const { host } = t.context;
  // The fault hook, set the way an operator sets anything on a unit: a drop-in.
  await host.must(['sh', '-c', 'mkdir -p /etc/systemd/system/fleet-node-agent.service.d && printf "[Service]\\nEnvironment=FLEET_AGENT_FAULT=hang-on-sigusr2\\n" > /etc/systemd/system/fleet-node-agent.service.d/fault.conf && systemctl daemon-reload && systemctl restart fleet-node-agent']);
  const id = await submit(host, 'echo start; sleep 45; echo end');
  const running = await untilState(host, id, ['RUNNING']);

  let oldPid = await host.mainPid(AGENT);
  const hungAt = Date.now();
  await host.must(['systemctl', 'kill', '--signal=SIGUSR2', AGENT]);
  const back = await untilServingAgain(host, oldPid, hungAt);
  t.log(`event loop blocked → session open again: ${(back.ms / 1000).toFixed(1)}s (WatchdogSec=20s)`);
  t.true(back.ms < 60_000, `serving again within 60s (${back.ms}ms)`);
  const journal = await host.journal(AGENT);
  t.true(journal.some((l) => l.includes('Watchdog timeout')), 'systemd says it was the watchdog');
  t.true(journal.some((l) => l.includes(`"pid":${back.pid},`) && l.includes('"result":"watchdog"')), 'the new process knows its predecessor was killed by the watchdog');

  oldPid = back.pid;
  const stoppedAt = Date.now();
  await host.must(['kill', '-STOP', String(oldPid)]);
  const again = await untilServingAgain(host, oldPid, stoppedAt);
  t.log(`SIGSTOP → session open again: ${(again.ms / 1000).toFixed(1)}s`);
  t.true(again.ms < 60_000, `serving again within 60s (${again.ms}ms)`);

  await host.must(['sh', '-c', 'rm -r /etc/systemd/system/fleet-node-agent.service.d && systemctl daemon-reload']);
  const done = await untilState(host, id, TERMINAL);
  t.is(done.state, 'SUCCEEDED');
  t.is(done.attempts.length, 1, 'completed once');
  t.is(done.attempts[0]!.containerId, running.attempts[0]!.containerId, 'on the same container');
});

test.serial('systemctl stop leaves the containers running; the next start adopts them and the task completes once', async (t) => {
  const { host } = t.context;
  await host.must(['systemctl', 'restart', AGENT]);
  const id = await submit(host, 'echo start; sleep 10; echo end');
  const running = await untilState(host, id, ['RUNNING']);
  await host.must(['systemctl', 'stop', AGENT]);
  t.is((await host.show(AGENT, 'ActiveState')).ActiveState, 'inactive');
  t.deepEqual(containerStates(id), ['running'], 'the container kept running while the agent was stopped');
  await host.must(['systemctl', 'start', AGENT]);
  const done = await untilState(host, id, TERMINAL);
  t.is(done.state, 'SUCCEEDED');
  t.is(done.attempts.length, 1);
  t.is(done.attempts[0]!.containerId, running.attempts[0]!.containerId);
});

test.serial('an upgrade by running the installer again with a new build keeps the containers and the identity', async (t) => {
  const { host, nodeId } = t.context;
  // The "new build": this checkout with another agent version, as a release would be.
  await host.must(['sh', '-c', "rm -rf /root/next && cp -a /src /root/next && sed -i \"s/^export const FLEET_VERSION = '.*'/export const FLEET_VERSION = '0.1.0-next'/\" /root/next/dist/common/version.js && grep -q \"'0.1.0-next'\" /root/next/dist/common/version.js"], { timeoutMs: 180_000 });
  const id = await submit(host, 'echo start; sleep 10; echo end');
  const running = await untilState(host, id, ['RUNNING']);
  await host.must(['/root/next/installers/install-node-agent.sh', '--control-plane', '127.0.0.1:7700'], { timeoutMs: 180_000 });
  const node = await eventually('the node to report the new version', async () => {
    const list = await host.fleetctlJson<NodeJson[]>(['node', 'list']);
    return list.find((n) => n.agentVersion === '0.1.0-next' && n.status === 'READY');
  }, 60_000);
  t.is(node.id, nodeId, 'the same identity');
  const done = await untilState(host, id, TERMINAL);
  t.is(done.state, 'SUCCEEDED');
  t.is(done.attempts.length, 1);
  t.is(done.attempts[0]!.containerId, running.attempts[0]!.containerId, 'the container outlived the upgrade');
});

test.serial('fleetctl node restart: the agent restarts itself, the container is adopted, the request is recorded as done', async (t) => {
  const { host, nodeId } = t.context;
  const id = await submit(host, 'echo start; sleep 10; echo end');
  const running = await untilState(host, id, ['RUNNING']);
  const oldPid = await host.mainPid(AGENT);
  const asked = Date.now();
  const restart = await host.fleetctl(['node', 'restart', 'sd-node', '--wait']);
  t.is(restart.code, 0, restart.stderr);
  // The agent's answer (RESTARTING) may not outrun its own restart: the hello of the new process is what completes the request.
  t.regex(restart.stderr, /REQUESTED[\s\S]*DONE/, 'progress shows the request through to the new process');
  const back = await untilServingAgain(host, oldPid, asked);
  t.log(`fleetctl node restart → session open again: ${(back.ms / 1000).toFixed(1)}s`);
  const [node] = await host.fleetctlJson<Array<NodeJson & { restartRequest: { state: string; drain: boolean; requestedBy: string }; restarts: Array<{ result: string; requested: boolean }> }>>(['node', 'list']);
  t.is(node!.id, nodeId);
  t.is(node!.restartRequest.state, 'DONE');
  t.false(node!.restartRequest.drain);
  t.truthy(node!.restartRequest.requestedBy, 'who asked is recorded');
  t.like(node!.restarts.at(-1), { result: 'success', requested: true });
  const done = await untilState(host, id, TERMINAL);
  t.is(done.state, 'SUCCEEDED');
  t.is(done.attempts.length, 1);
  t.is(done.attempts[0]!.containerId, running.attempts[0]!.containerId, 'the container outlived the restart');
});

test.serial('fleetctl node restart --drain: running work finishes first, then the agent restarts', async (t) => {
  const { host } = t.context;
  const id = await submit(host, 'echo start; sleep 4; echo end');
  await untilState(host, id, ['RUNNING']);
  const restart = await host.fleetctl(['node', 'restart', 'sd-node', '--drain', '--wait']);
  t.is(restart.code, 0, restart.stderr);
  t.regex(restart.stderr, /RESTARTING: draining, then restarting[\s\S]*DONE/, 'the agent took the request and drained before restarting');
  const done = await task(host, id);
  t.is(done.state, 'SUCCEEDED', 'the attempt finished during the drain, before the restart');
  t.is(done.attempts.length, 1);
  const lines = await host.journal(AGENT);
  t.true(lines.some((l) => l.includes('restart requested: draining first')));
  // Back to work after the restart.
  const after = await submit(host, 'echo after the restart');
  t.is((await untilState(host, after, TERMINAL)).state, 'SUCCEEDED');
});

test.serial('upgrade-node-agent.sh --drain: the task finishes first, the tree is swapped, the agent is back and the node back to work; --rollback adopts a running container', async (t) => {
  const { host, nodeId } = t.context;
  const [before] = await host.fleetctlJson<NodeJson[]>(['node', 'list']);
  // The "new build": this checkout with another agent version, as a release would be.
  await host.must(['sh', '-c', "rm -rf /root/upgraded && cp -a /src /root/upgraded && sed -i \"s/^export const FLEET_VERSION = '.*'/export const FLEET_VERSION = '0.1.0-upgraded'/\" /root/upgraded/dist/common/version.js && grep -q \"'0.1.0-upgraded'\" /root/upgraded/dist/common/version.js"], { timeoutMs: 180_000 });
  const id = await submit(host, 'echo start; sleep 6; echo end');
  await untilState(host, id, ['RUNNING']);
  const started = Date.now();
  // The operator's token by its file; the control plane from the agent's settings; the fleet CA from the node's identity.
  const up = await host.exec(['/root/upgraded/installers/upgrade-node-agent.sh', '--drain', '--drain-deadline', '2m', '--token-file', '/var/lib/fleet/control-plane/admin.token'], { timeoutMs: 300_000 });
  t.is(up.code, 0, up.stderr);
  t.regex(up.stderr, new RegExp(`draining node ${nodeId}`));
  t.regex(up.stderr, /DRAINED/, 'fleetctl showed the drain through');
  t.regex(up.stderr, /node agent \S+ \(node protocol \d+\) -> 0\.1\.0-upgraded \(node protocol \d+\)/);
  const back = /the agent is back after (\d+)s/.exec(up.stderr);
  t.truthy(back, up.stderr);
  t.regex(up.stderr, new RegExp(`node ${nodeId} is back to work`));
  t.log(`upgrade-node-agent.sh --drain: ${((Date.now() - started) / 1000).toFixed(1)}s in all (the drain waits for a 6 s task); the agent was ready ${back?.[1]}s after its restart`);
  const done = await task(host, id);
  t.is(done.state, 'SUCCEEDED', 'the running task finished during the drain');
  t.is(done.attempts.length, 1);
  const [node] = await host.fleetctlJson<Array<NodeJson & { cordoned: boolean; drain: unknown }>>(['node', 'list']);
  t.is(node!.id, nodeId, 'the same identity');
  t.is(node!.agentVersion, '0.1.0-upgraded');
  t.is(node!.status, 'READY');
  t.false(node!.cordoned, 'uncordoned');
  t.is(node!.drain, null);
  t.is((await host.exec(['test', '-d', '/opt/cline-fleet.previous'])).code, 0, 'the previous tree is kept');
  const after = await submit(host, 'echo after the upgrade');
  t.is((await untilState(host, after, TERMINAL)).state, 'SUCCEEDED', 'work goes on the node again');

  // Rolled back without a drain while a task runs: the container keeps running and the old build adopts it.
  const long = await submit(host, 'echo start; sleep 8; echo end');
  const running = await untilState(host, long, ['RUNNING']);
  const rollback = await host.exec(['/root/upgraded/installers/upgrade-node-agent.sh', '--rollback'], { timeoutMs: 300_000 });
  t.is(rollback.code, 0, rollback.stderr);
  t.regex(rollback.stderr, /the agent is back after \d+s/);
  const [rolled] = await host.fleetctlJson<NodeJson[]>(['node', 'list']);
  t.is(rolled!.agentVersion, before!.agentVersion, 'the previous version runs again');
  const finished = await untilState(host, long, TERMINAL);
  t.is(finished.state, 'SUCCEEDED');
  t.is(finished.attempts.length, 1);
  t.is(finished.attempts[0]!.containerId, running.attempts[0]!.containerId, 'the container outlived the rollback');
});

test.serial('kill -9 of the control plane: systemd starts it again and it says READY once JetStream answers', async (t) => {
  const { host } = t.context;
  const oldPid = await host.mainPid(CONTROL_PLANE);
  await host.must(['kill', '-9', String(oldPid)]);
  await eventually('the control plane to be back', async () => {
    const { MainPID, ActiveState } = await host.show(CONTROL_PLANE, 'MainPID', 'ActiveState');
    return ActiveState === 'active' && Number(MainPID) !== oldPid && Number(MainPID) !== 0;
  }, 60_000, 250);
  const id = await submit(host, 'echo after the control plane came back');
  t.is((await untilState(host, id, TERMINAL)).state, 'SUCCEEDED');
});

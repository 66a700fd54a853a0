/**
 * A rolling upgrade of the control plane, as clients see it: a replica is
 * stopped (SIGTERM, as systemd stops it) or killed (SIGKILL) while real
 * fleetctl processes wait on long-lived streams. `task submit --wait`,
 * `task logs -f`, `node drain --wait` and `audit --follow` resume on the
 * other replica, or on the same one when it is back, from where they were
 * (and unary calls made meanwhile fail over without an error):
 * each exits with the task's (or the drain's) real outcome, every log line
 * is printed exactly once, and no audit entry is repeated.
 *
 * Figures (t.log): how long each client was reconnecting.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import anyTest, { type TestFn } from 'ava';
import { TestFleet, untilState } from './harness/fleet.js';
import { BIN, TEST_IMAGE } from './harness/requirements.js';

const test = anyTest as TestFn<{ fleet: TestFleet }>;

test.before(async (t) => {
  // Two replicas on one nats-server; agents stop their containers only after
  // 20s without contact, longer than any outage below.
  t.context.fleet = await TestFleet.start({
    replicas: 2,
    agents: [{ name: 'roll-one', slots: 4 }],
    controlPlaneArgs: ['--down-after', '30s', '--stop-margin', '10s'],
  });
});

test.after.always(async (t) => {
  await t.context.fleet?.stop();
});

/** A fleetctl process left running: its output as it comes, and how it exits. */
interface Running {
  stdout: string;
  stderr: string;
  code: number | null | undefined;
  exited: Promise<number | null>;
  kill: () => void;
}

function start(fleet: TestFleet, servers: string, args: string[]): Running {
  const child = spawn(process.execPath, [BIN.fleetctl, '--server', servers, ...args], {
    env: { ...process.env, FLEET_TOKEN: fleet.adminToken, FLEET_SERVER: '', FLEET_CA_FILE: fleet.caFile, FLEET_CONFIG: join(fleet.dir, 'fleetctl.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const running: Running = {
    stdout: '',
    stderr: '',
    code: undefined,
    exited: new Promise((resolve) =>
      child.on('close', (code) => {
        running.code = code;
        resolve(code);
      }),
    ),
    kill: () => child.kill('SIGKILL'),
  };
  child.stdout.on('data', (d: Buffer) => (running.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (running.stderr += d.toString()));
  return running;
}

async function until(what: string, running: Running, test: (r: Running) => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test(running)) {
    const problem = running.code !== undefined ? `fleetctl exited (${running.code})` : Date.now() > deadline ? `timed out after ${timeoutMs}ms` : null;
    if (problem) throw new Error(`${problem} waiting for ${what}\nstdout: ${running.stdout.slice(-2000)}\nstderr: ${running.stderr.slice(-2000)}`);
    await sleep(100);
  }
}

/** How long a client said it was reconnecting ("reconnected … after 2.3s"), in seconds; each outage once. */
function reconnections(t: { is: (a: unknown, b: unknown, m?: string) => void }, who: string, stderr: string): number[] {
  const lost = stderr.split('\n').filter((l) => l.startsWith('lost the control plane at '));
  const back = [...stderr.matchAll(/^reconnected to the control plane at \S+ after ([\d.]+)s$/gm)].map((m) => Number(m[1]));
  t.is(lost.length, 1, `${who} says once that it lost the control plane: ${stderr}`);
  t.is(back.length, 1, `${who} says once that it reconnected: ${stderr}`);
  return back;
}

const SCRIPT = (count: number, exitCode: number) => `i=1; while [ $i -le ${count} ]; do echo line-$i; i=$((i+1)); sleep 0.2; done; exit ${exitCode}`;
const EXPECTED = (count: number) => Array.from({ length: count }, (_, i) => `line-${i + 1}`).join('\n') + '\n';

/**
 * Runs a task of numbered lines under `task submit --wait` and `task logs -f`
 * given `servers`, and `disrupt`s replica 0 (which both streams start on:
 * fleetctl takes the first server first) once the log is under way.
 */
async function acrossDisruption(
  t: import('ava').ExecutionContext<{ fleet: TestFleet }>,
  servers: string,
  exitCode: number,
  disrupt: () => Promise<void>,
): Promise<{ id: string; submit: Running; logs: Running; submitCode: number | null; logsCode: number | null }> {
  const { fleet } = t.context;
  const lines = 60;
  const submit = start(fleet, servers, ['task', 'submit', '--image', TEST_IMAGE, '--wait', '--', 'sh', '-c', SCRIPT(lines, exitCode)]);
  await until('the submission to be acknowledged', submit, (r) => /submitted (task_\S+);/.test(r.stderr));
  const id = /submitted (task_\S+);/.exec(submit.stderr)![1]!;
  const logs = start(fleet, servers, ['task', 'logs', '-f', id]);
  await until('the log to be under way', logs, (r) => r.stdout.includes('line-10\n'));
  await disrupt();
  const [submitCode, logsCode] = await Promise.all([submit.exited, logs.exited]);
  return { id, submit, logs, submitCode, logsCode };
}

test.serial('SIGTERM of the replica serving the streams: submit --wait and logs -f resume on the other, every line once, the real exit code', async (t) => {
  const { fleet } = t.context;
  const audit = start(fleet, fleet.server, ['audit', '--follow', '--since', '1h', '-o', 'json']);
  await until('the audit stream to show the fleet so far', audit, (r) => r.stdout.includes('CreateJoinToken'));
  // Unary calls made throughout, as fleetctl makes them (the first server first): none may fail.
  let calling = true;
  const calls = { made: 0, failed: [] as string[] };
  const caller = (async () => {
    while (calling) {
      calls.made++;
      await fleet.json(['node', 'list']).catch((err: Error) => calls.failed.push(err.message));
      await sleep(50);
    }
  })();
  const { id, submit, logs, submitCode, logsCode } = await acrossDisruption(t, fleet.server, 0, async () => {
    const stopped = await fleet.controlPlanes[0]!.stop('SIGTERM');
    t.is(stopped, 0, 'the replica stopped cleanly');
    await sleep(1_000);
    calling = false;
    await caller;
  });
  t.deepEqual(calls.failed, [], `no unary call failed while the replica stopped (${calls.made} made)`);
  t.log(`${calls.made} unary calls (node list) made from before the replica stopped to after: ${calls.failed.length} failed`);
  const cp = fleet.controlPlanes[0]!;
  const ended = cp.logLines().find((l) => l.msg === 'streams ended for clients to resume elsewhere');
  t.truthy(ended, 'the stopping replica ended its streams');
  t.true(Number(ended?.streams) >= 3, `the watch, the log and the audit stream were ended (${ended?.streams})`);

  t.is(submitCode, 0, `submit --wait exits with the task's outcome: ${submit.stderr}`);
  t.regex(submit.stdout, new RegExp(`^${id} SUCCEEDED`, 'm'));
  t.is(logsCode, 0, `logs -f: ${logs.stderr}`);
  t.is(logs.stdout, EXPECTED(60), 'every line exactly once, in order');
  t.true(submit.stderr.includes('is stopping: resume on another replica'), 'the client heard why');
  const back = [...reconnections(t, 'submit --wait', submit.stderr), ...reconnections(t, 'logs -f', logs.stderr)];
  t.log(`SIGTERM, two replicas: clients reconnected to the other after ${back.map((s) => `${s}s`).join(' and ')}`);
  const task = await untilState(fleet, id, ['SUCCEEDED']);
  t.is(task.attempts.length, 1, 'the task ran once');

  // The replica comes back; the audit stream, resumed on the other, shows calls made after it once each.
  await fleet.startControlPlane(0);
  await fleet.run(['node', 'cordon', 'roll-one', '--reason', 'audit after the restart']);
  await fleet.run(['node', 'uncordon', 'roll-one']);
  await until('the audit stream to show the uncordon\'s result', audit, (r) => /"action":"UncordonNode".*"phase":"result"/.test(r.stdout));
  audit.kill();
  const entries = audit.stdout.trim().split('\n').map((l) => JSON.parse(l) as { callId: string; phase: string; action: string });
  const keys = entries.map((e) => `${e.callId}/${e.phase}`);
  t.is(new Set(keys).size, keys.length, 'no audit entry repeated');
  t.is(entries.filter((e) => e.action === 'CordonNode').length, 2, 'the cordon: request and result, once each');
  t.is(entries.filter((e) => e.action === 'UncordonNode').length, 2, 'the uncordon: request and result, once each');
  reconnections(t, 'audit --follow', audit.stderr);
});

test.serial('SIGKILL of the only replica a client knows: it resumes on the same one when it is back, every line once, the real exit code', async (t) => {
  const { fleet } = t.context;
  const only = `127.0.0.1:${fleet.ports[0]}`;
  let downMs = 0;
  const { id, submit, logs, submitCode, logsCode } = await acrossDisruption(t, only, 3, async () => {
    await fleet.controlPlanes[0]!.stop('SIGKILL');
    const killedAt = Date.now();
    // Long enough for both clients to find it gone and try again.
    await sleep(3_000);
    await fleet.startControlPlane(0);
    downMs = Date.now() - killedAt;
  });
  // The task failed for real (exit 3): submit --wait says so and exits 1; the log is whole.
  t.is(submitCode, 1, `submit --wait: ${submit.stderr}`);
  t.regex(submit.stdout, new RegExp(`^${id} FAILED`, 'm'), 'the outcome is the task\'s, not a lost call');
  t.is(logsCode, 0, `logs -f: ${logs.stderr}`);
  t.is(logs.stdout, EXPECTED(60), 'every line exactly once, in order');
  const back = [...reconnections(t, 'submit --wait', submit.stderr), ...reconnections(t, 'logs -f', logs.stderr)];
  t.log(`SIGKILL, one replica known, down ${(downMs / 1000).toFixed(1)}s: clients reconnected to it after ${back.map((s) => `${s}s`).join(' and ')}`);
  const task = await untilState(fleet, id, ['FAILED']);
  t.is(task.attempts.length, 1, 'ran once');
  t.is(task.attempts[0]!.exitCode, 3);
});

test.serial('SIGTERM then SIGKILL of the replicas in turn while node drain --wait waits: it resumes and exits once the drain is complete', async (t) => {
  const { fleet } = t.context;
  const id = (await fleet.run(['task', 'submit', '--image', TEST_IMAGE, '--', 'sh', '-c', 'sleep 20; echo done'])).trim();
  await untilState(fleet, id, ['RUNNING']);
  const drain = start(fleet, fleet.server, ['node', 'drain', 'roll-one', '--deadline', '5m', '--wait']);
  await until('the drain to be under way', drain, (r) => r.stderr.includes('draining roll-one'));
  await fleet.controlPlanes[0]!.stop('SIGTERM');
  await until('the drain to resume', drain, (r) => r.stderr.includes('reconnected to the control plane'));
  await fleet.startControlPlane(0);
  // The stream is now on replica 1: kill it too.
  await fleet.controlPlanes[1]!.stop('SIGKILL');
  const code = await drain.exited;
  t.is(code, 0, `drain --wait: ${drain.stderr}`);
  t.regex(drain.stdout, /^roll-one \(\S+\) .*DRAINED/m, 'it ends on the drain\'s completion');
  const lost = drain.stderr.split('\n').filter((l) => l.startsWith('lost the control plane at '));
  t.is(lost.length, 2, `two outages, each said once: ${drain.stderr}`);
  const task = await untilState(fleet, id, ['SUCCEEDED']);
  t.is(task.attempts.length, 1, 'the running task finished where it was: the drain let it');
  await fleet.startControlPlane(1);
  await fleet.run(['node', 'uncordon', 'roll-one']);
});

/**
 * The embedded default: a control plane started with no --nats runs its own
 * nats-server, runs a task end to end, and leaves no nats-server behind
 * after SIGTERM.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { connect } from '@nats-io/transport-node';
import { eventually, TestFleet, type TaskJson } from './harness/fleet.js';
import { TEST_IMAGE } from './harness/requirements.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('the control plane with no --nats runs a task and stops its nats-server on SIGTERM', async (t) => {
  const fleet = await TestFleet.start({ embedded: true, agents: [{ name: 'solo', slots: 2 }] });
  try {
    const ready = fleet.controlPlane!.logLines().find((l) => l.msg === 'control plane ready')!;
    t.true(ready.embeddedNats as boolean);
    t.regex(String(ready.nats), /^nats:\/\/127\.0\.0\.1:\d+$/);
    const pidFile = join(fleet.dir, 'control-plane', 'nats', 'nats-server.pid');
    const natsPid = Number(readFileSync(pidFile, 'utf8'));
    t.true(alive(natsPid));

    // Not open to every local user: without the control plane's nkey, NATS refuses the connection.
    const stranger = await connect({ servers: String(ready.nats), timeout: 5_000, reconnect: false }).then(
      async (nc) => {
        await nc.close();
        return 'connected';
      },
      (err: Error) => err.message,
    );
    t.regex(stranger, /Authorization Violation/i);
    const seed = join(fleet.dir, 'control-plane', 'nats', 'control-plane.nk');
    t.is(statSync(seed).mode & 0o777, 0o600);
    t.false(readFileSync(join(fleet.dir, 'control-plane', 'nats', 'nats-server.conf'), 'utf8').includes(readFileSync(seed, 'utf8').trim()), 'the server config holds the public key only');

    const result = await fleet.fleetctl(['task', 'submit', '--image', TEST_IMAGE, '--wait', '-o', 'json', '--', 'echo', 'embedded']);
    t.is(result.code, 0, result.stderr);
    const task = JSON.parse(result.stdout) as TaskJson;
    t.is(task.state, 'SUCCEEDED');
    const logs = await fleet.fleetctl(['task', 'logs', task.id]);
    t.is(logs.stdout, 'embedded\n');

    await Promise.all(fleet.agents.map((a) => a.process.stop()));
    t.is(await fleet.controlPlane!.stop('SIGTERM'), 0);
    await eventually('the embedded nats-server to exit', async () => !alive(natsPid), 10_000, 100);
    t.false(existsSync(pidFile), 'its pid file is removed');
  } finally {
    await fleet.stop();
  }
});

test('a control plane killed with SIGKILL leaves its nats-server to the next start, which stops it', async (t) => {
  const fleet = await TestFleet.start({ embedded: true, agents: [] });
  try {
    const pidFile = join(fleet.dir, 'control-plane', 'nats', 'nats-server.pid');
    const orphan = Number(readFileSync(pidFile, 'utf8'));
    await fleet.controlPlane!.stop('SIGKILL');
    t.true(alive(orphan), 'SIGKILL gives no chance to clean up');
    await fleet.startControlPlane();
    await eventually('the orphan to be stopped', async () => !alive(orphan), 10_000, 100);
    const fresh = Number(readFileSync(pidFile, 'utf8'));
    t.not(fresh, orphan);
    t.true(alive(fresh));
    t.true(fleet.controlPlane!.logLines().some((l) => l.msg === 'stopping a nats-server left behind by an earlier run'));
    await fleet.controlPlane!.stop();
    await eventually('the new nats-server to exit', async () => !alive(fresh), 10_000, 100);
  } finally {
    await fleet.stop();
  }
});

test('with no nats-server installed the control plane says how to install it', async (t) => {
  const { TestProcess } = await import('./harness/process.js');
  const { BIN } = await import('./harness/requirements.js');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'fleet-nonats-'));
  const cp = new TestProcess('control-plane', process.execPath, [BIN.controlPlane, '--data-dir', dir, '--listen', '127.0.0.1:0'], join(dir, 'cp.log'), { PATH: '/nonexistent' });
  t.is(await cp.exited, 1);
  t.regex(cp.text, /fleet-control-plane: nats-server is not installed .*apt-get install -y nats-server/);
});

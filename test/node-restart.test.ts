/**
 * Restarts as the control plane sees them, without systemd (test/systemd.test.ts
 * runs them under a real one): an agent that nothing would start again
 * refuses `fleetctl node restart`, and a node whose agent keeps being killed
 * by its watchdog is cordoned by the breaker with the reason. The files an
 * agent under systemd finds at start (`last-exit` from the unit's
 * ExecStopPost, `self-check-failing` from the agent itself) are written here
 * as they would be.
 */
import anyTest, { type TestFn } from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, TestFleet } from './harness/fleet.js';

const test = anyTest as TestFn<{ fleet: TestFleet }>;

interface NodeJson {
  id: string;
  status: string;
  cordoned: boolean;
  cordonedBy: string;
  cordonReason: string;
  restartRequest: { state: string; reason: string } | null;
  restarts: Array<{ result: string; exitStatus: string; selfCheckProblems: string; requested: boolean }>;
}

test.before(async (t) => {
  t.context.fleet = await TestFleet.start({ agents: [{ name: 'plain', slots: 1 }, { name: 'looping', slots: 1 }] });
});

test.after.always(async (t) => {
  await t.context.fleet?.stop();
});

async function node(fleet: TestFleet, name: string): Promise<NodeJson> {
  const nodes = await fleet.json<Array<NodeJson & { name: string }>>(['node', 'list']);
  return nodes.find((n) => n.name === name)!;
}

test.serial('an agent not under systemd refuses a restart, and says why', async (t) => {
  const { fleet } = t.context;
  const result = await fleet.fleetctl(['node', 'restart', 'plain', '--wait']);
  t.is(result.code, 1);
  t.regex(result.stderr, /refused to restart: the agent does not run under systemd/);
  const plain = await node(fleet, 'plain');
  t.is(plain.restartRequest?.state, 'REFUSED');
  t.is(plain.status, 'READY', 'and it goes on working');
  const stillRunning = await Promise.race([fleet.agent('plain').process.exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 1_000))]);
  t.true(stillRunning, 'the agent did not stop');
});

test.serial('a restart cannot be asked of an unknown node, nor of one that is not connected', async (t) => {
  const { fleet } = t.context;
  const unknown = await fleet.fleetctl(['node', 'restart', 'no-such-node']);
  t.is(unknown.code, 1);
  t.regex(unknown.stderr, /node "no-such-node" not found/);
  const agent = fleet.agent('plain');
  await agent.process.stop('SIGKILL');
  await eventually('the node to be disconnected', async () => (await node(fleet, 'plain')).status !== 'READY', 30_000);
  const away = await fleet.fleetctl(['node', 'restart', 'plain']);
  t.is(away.code, 1);
  t.regex(away.stderr, /is (DISCONNECTED|DOWN): its agent cannot hear the request; on the machine run: systemctl restart fleet-node-agent/);
  await fleet.restartAgent(agent);
  await eventually('the node to be back', async () => (await node(fleet, 'plain')).status === 'READY', 30_000);
});

test.serial('an agent killed by its watchdog again and again: the breaker cordons its node, with the reason', async (t) => {
  const { fleet } = t.context;
  const agent = fleet.agent('looping');
  for (let i = 1; i <= 3; i++) {
    await agent.process.stop('SIGKILL');
    // What systemd's ExecStopPost and the failing self-check leave behind.
    writeFileSync(join(agent.dataDir, 'last-exit'), 'watchdog killed ABRT\n', { mode: 0o600 });
    writeFileSync(join(agent.dataDir, 'self-check-failing'), 'journal: the journal cannot commit: database is locked', { mode: 0o600 });
    await fleet.restartAgent(agent);
    await eventually(`restart ${i} to be recorded`, async () => (await node(fleet, 'looping')).restarts.length === i, 30_000);
  }
  const looping = await node(fleet, 'looping');
  t.deepEqual(looping.restarts.map((r) => r.result), ['watchdog', 'watchdog', 'watchdog']);
  t.is(looping.restarts[0]!.exitStatus, 'ABRT');
  t.is(looping.restarts[0]!.selfCheckProblems, 'journal: the journal cannot commit: database is locked');
  t.true(looping.cordoned);
  t.is(looping.cordonedBy, 'AUTO');
  t.regex(looping.cordonReason, /^restart loop: the agent restarted 3 times in 15 min after failing \(last: killed by the watchdog; its self-check: journal: the journal cannot commit/);
  const plain = await node(fleet, 'plain');
  t.false(plain.cordoned, 'the other node is not touched');
  // A start after a clean stop is a restart, not a failure.
  await agent.process.stop('SIGKILL');
  writeFileSync(join(agent.dataDir, 'last-exit'), 'success exited 0\n', { mode: 0o600 });
  await fleet.restartAgent(agent);
  await eventually('the clean restart to be recorded', async () => (await node(fleet, 'looping')).restarts.length === 4, 30_000);
  t.like((await node(fleet, 'looping')).restarts.at(-1), { result: 'success', selfCheckProblems: '', requested: false });
});

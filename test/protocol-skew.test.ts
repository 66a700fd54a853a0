/**
 * The version-skew rule between node agents and control planes
 * (common/protocol.ts), with real processes of two builds: this checkout
 * (node protocol 4) and copies of it built with another protocol
 * (`buildWithProtocol`). A control plane accepts agents of its protocol and
 * the one before; an agent older than that is told to upgrade itself, one
 * newer is told to wait for the control plane's upgrade, and backs off
 * (it does not spin) until then, when it is accepted without a restart.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import anyTest, { type TestFn } from 'ava';
import { AGENT_PROTOCOL } from '../common/protocol.js';
import { buildWithProtocol, type Build } from './harness/builds.js';
import { submitTask, TestFleet, untilState } from './harness/fleet.js';
import { TestProcess } from './harness/process.js';

const test = anyTest as TestFn<{ fleet: TestFleet; older: Build; newer: Build }>;

test.before(async (t) => {
  t.is(AGENT_PROTOCOL, 4, 'this test names protocols 3, 4 and 5 around this build\'s');
  const fleet = (t.context.fleet = await TestFleet.start({ agents: [] }));
  t.context.older = buildWithProtocol(fleet.dir, AGENT_PROTOCOL - 1);
  t.context.newer = buildWithProtocol(fleet.dir, AGENT_PROTOCOL + 1);
});

test.after.always(async (t) => {
  await t.context.fleet?.stop();
});

interface TokenJson {
  tokenId: string;
  uses: number;
}

const refusedLines = (p: TestProcess) => p.logLines().filter((l) => l.msg === 'the control plane refuses this agent until one side is upgraded; trying again now and then' || l.msg === 'still refused by the control plane');

test.serial('skew between agents and the control plane: one protocol older works, newer is refused until the control plane is upgraded, too old is told to upgrade', async (t) => {
  const { fleet, older, newer } = t.context;

  // An agent of the protocol before this control plane's: accepted, and it runs a task end to end.
  const agent = await fleet.addAgent({ name: 'skew-old', slots: 2 }, { bin: older.nodeAgent });
  const open = agent.process.logLines().find((l) => l.msg === 'control plane session open');
  t.is(open?.agentProtocol, AGENT_PROTOCOL - 1);
  t.is(open?.controlPlaneProtocol, AGENT_PROTOCOL);
  const first = await submitTask(fleet, [], ['echo', 'from an older agent']);
  t.is((await untilState(fleet, first, ['SUCCEEDED', 'FAILED'])).state, 'SUCCEEDED');
  t.is((await fleet.fleetctl(['task', 'logs', first])).stdout, 'from an older agent\n');

  // A newer agent cannot enroll: refused before its join token is spent, saying to upgrade the control plane first.
  const tokenText = (await fleet.run(['token', 'create'])).trim();
  const tokenId = tokenText.split('.')[0]!;
  const newcomer = new TestProcess(
    'agent skew-new',
    process.execPath,
    [newer.nodeAgent, '--control-plane', fleet.server, '--data-dir', join(fleet.dir, 'agent-skew-new'), '--name', 'skew-new', '--slots', '1', '--image-pull', 'never', '--join-token', tokenText],
    join(fleet.dir, 'agent-skew-new.log'),
  );
  try {
    const refused = await newcomer.waitForLog('enrollment refused by the control plane until one side is upgraded; trying again later', 30_000);
    t.is(
      refused.reason,
      'this node agent speaks node protocol 5, newer than the control plane (node protocol 4, accepting agents of 3 to 4): upgrade the control plane first (its replicas one at a time), then the agents',
    );
    t.true(Number(refused.retryInMs) >= 1_500, `it backs off (${refused.retryInMs}ms)`);
  } finally {
    await newcomer.stop('SIGKILL');
  }
  const tokens = await fleet.json<TokenJson[]>(['token', 'list']);
  t.is(tokens.find((x) => x.tokenId === tokenId)?.uses, 0, 'the join token was not spent');

  // The enrolled agent upgraded before its control plane: its hello is refused, it says why plainly, and it backs off.
  await agent.process.stop('SIGTERM');
  agent.options.bin = newer.nodeAgent;
  await fleet.restartAgent(agent, {}, false);
  const refusedAt = Date.now();
  await agent.process.waitForLog('the control plane refuses this agent until one side is upgraded; trying again now and then', 30_000);
  await agent.process.waitForText(
    'fleet-node-agent: the control plane at 127.0.0.1:' + fleet.port + ' refuses this agent: this node agent speaks node protocol 5, newer than the control plane (node protocol 4, accepting agents of 3 to 4): upgrade the control plane first',
  );
  const cp = fleet.controlPlane!;
  const seen = cp.logLines().find((l) => l.msg === 'node agent refused: its node protocol is not accepted here');
  t.is(seen?.agentProtocol, 5, 'the control plane logs the refusal, with the agent\'s protocol');
  t.is(seen?.acceptedProtocols, '3 to 4');
  await sleep(8_000);
  const tries = refusedLines(agent.process);
  t.log(`a refused agent tried ${tries.length} time(s) in ${((Date.now() - refusedAt) / 1000).toFixed(1)}s (retry delays ${tries.map((l) => `${(Number(l.retryInMs) / 1000).toFixed(1)}s`).join(', ')})`);
  t.true(tries.length <= 4, `it does not spin (${tries.length} tries in ~8s)`);
  for (const l of tries) t.true(Number(l.retryInMs) >= 1_500, `each retry waits (${l.retryInMs}ms)`);
  t.is(tries.filter((l) => l.msg === 'the control plane refuses this agent until one side is upgraded; trying again now and then').length, 1, 'the reason is logged once');

  // The control plane is upgraded (protocol 5, accepting 4 and 5): the waiting agent is accepted on its next try, without a restart.
  await cp.stop('SIGTERM');
  fleet.controlPlaneBin = newer.controlPlane;
  await fleet.startControlPlane(0);
  const accepted = await agent.process.waitForLog('the control plane accepts this agent now', 150_000);
  t.regex(String(accepted.was), /upgrade the control plane first/);
  const second = await submitTask(fleet, [], ['echo', 'after the upgrade']);
  const done = await untilState(fleet, second, ['SUCCEEDED', 'FAILED']);
  t.is(done.state, 'SUCCEEDED');
  t.is(done.attempts[0]!.nodeId, agent.nodeId, 'on the agent that was refused');

  // An agent two protocols behind this control plane (3 against 5) is told to upgrade itself.
  await agent.process.stop('SIGTERM');
  agent.options.bin = older.nodeAgent;
  await fleet.restartAgent(agent, {}, false);
  const old = await agent.process.waitForLog('the control plane refuses this agent until one side is upgraded; trying again now and then', 30_000);
  t.is(old.reason, 'this node agent speaks node protocol 3, too old for the control plane (node protocol 5, accepting agents of 4 to 5): upgrade the node agent (installers/upgrade-node-agent.sh on the node)');
  await agent.process.waitForText('refuses this agent: this node agent speaks node protocol 3, too old for the control plane', 5_000);
});

/**
 * Canary rollouts of the Cline image, end to end: two control-plane
 * replicas, a real node agent and Docker, the real Cline image and two
 * images made from it (a good one under another name, and a broken one
 * whose entry point fails at once), fleetctl as a binary, and the fake
 * provider. A broken canary is rolled back by itself after a few attempts,
 * and no task is lost to it (each failed canary attempt is retried on the
 * baseline); a good one is promoted step by step, across a SIGKILL of the
 * leader in the middle, and becomes the fleet's image.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { makeRepo } from './harness/git.js';
import { FakeLlm, submitAndExit, transcript } from './harness/fake-llm.js';
import { eventually, TestFleet, untilState } from './harness/fleet.js';
import { CLINE_IMAGE, requireClineImage } from './harness/requirements.js';

const GOOD = 'localhost/cline-fleet/agent:rollout-good';
const BROKEN = 'localhost/cline-fleet/agent:rollout-broken';

interface RolloutJson {
  id: string;
  state: string;
  reason: string;
  image: string;
  currentPercent: number;
  nodesReady: number;
  stepIndex: number;
  endedAtMs: number;
  canary: { attempts: number; failed: number; failedByReason: Record<string, number> };
  baseline: { attempts: number };
  history: Array<{ atMs: number; what: string }>;
  fleetImage: string;
}

interface TaskJson {
  id: string;
  state: string;
  image: string;
  attempts: Array<{ id: string; state: string; reason: string; image: string; rolloutArm?: string; assignedAt: string | null; startedAt: string | null }>;
}

const test = anyTest as TestFn<{ fleet: TestFleet; repo: string; fake: FakeLlm }>;

test.before(async (t) => {
  const fleet = await TestFleet.start({ replicas: 2, agents: [{ name: 'roll-a', slots: 4 }] });
  t.context.fleet = fleet;
  await requireClineImage(fleet.docker);
  execFileSync('docker', ['tag', CLINE_IMAGE, GOOD]);
  // The broken image: the agent image whose run script (what the agent starts) fails before Cline does.
  const script = join(fleet.dir, 'fleet-cline-run');
  writeFileSync(script, '#!/bin/sh\necho this image is broken >&2\nexit 3\n', { mode: 0o755 });
  const made = execFileSync('docker', ['create', CLINE_IMAGE], { encoding: 'utf8' }).trim();
  execFileSync('docker', ['cp', script, `${made}:/usr/local/bin/fleet-cline-run`]);
  execFileSync('docker', ['commit', made, BROKEN]);
  execFileSync('docker', ['rm', made]);
  t.context.repo = join(fleet.dir, 'origin');
  makeRepo(t.context.repo, { 'README.md': '# rollout\n' });
  const key = `sk-test-${randomBytes(12).toString('hex')}`;
  t.context.fake = await new FakeLlm(key, transcript([{ tools: [submitAndExit('nothing to change')], usage: { prompt: 100, completion: 20 } }])).start();
  const keyFile = join(fleet.dir, 'fake.key');
  writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
  const set = await fleet.fleetctl(['provider', 'set', 'default', '--base-url', t.context.fake.url, '--model', 'fake-model', '--api-key-file', keyFile]);
  if (set.code !== 0) throw new Error(`provider set failed: ${set.stderr}`);
});

test.after.always(async (t) => {
  await t.context.fleet?.stop();
  await t.context.fake?.stop();
  for (const image of [GOOD, BROKEN]) {
    try {
      execFileSync('docker', ['rmi', '--force', image], { stdio: 'ignore' });
    } catch {
      // Not made: the setup failed before.
    }
  }
});

const status = (t: ExecutionContext<{ fleet: TestFleet }>) => t.context.fleet.json<RolloutJson>(['rollout', 'status']);

async function submit(t: ExecutionContext<{ fleet: TestFleet; repo: string }>, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await t.context.fleet.fleetctl(['task', 'submit', '--agent', 'cline', '--repo', `file://${t.context.repo}`, '--prompt', `task ${i}`, '--retries', '1', '--timeout', '3m']);
    if (r.code !== 0) throw new Error(`submit failed: ${r.stderr}`);
    ids.push(r.stdout.trim());
  }
  return ids;
}

async function untilNodesHold(t: ExecutionContext<{ fleet: TestFleet }>): Promise<void> {
  await eventually('the node to hold the canary', async () => ((await status(t)).nodesReady === 1 ? true : undefined), 30_000);
}

test.serial('bad input is refused with the flag named, and nothing starts', async (t) => {
  const { fleet } = t.context;
  const cases: Array<[string[], RegExp]> = [
    [['--cline-image', GOOD, '--steps', '10,50'], /steps: must end at 100/],
    [['--cline-image', GOOD, '--steps', '50,10,100'], /steps: must rise/],
    [['--cline-image', GOOD, '--steps', 'ten'], /--steps: "ten" is not a whole percentage/],
    [['--cline-image', GOOD, '--max-failure-increase', '2'], /--max-failure-increase: "2" must be a number from 0 to 1/],
    [['--cline-image', CLINE_IMAGE], /is already the fleet's Cline image/],
    [['--cline-image', 'UPPER CASE'], /image/],
  ];
  for (const [args, message] of cases) {
    const r = await fleet.fleetctl(['rollout', 'start', ...args]);
    t.not(r.code, 0, args.join(' '));
    t.regex(r.stderr, message);
  }
  const none = await fleet.fleetctl(['rollout', 'status']);
  t.regex(none.stderr, /no rollout has been started/);
  const pause = await fleet.fleetctl(['rollout', 'pause']);
  t.regex(pause.stderr, /no rollout has been started/);
});

test.serial('a broken image is rolled back by itself after a few attempts; its tasks are retried on the baseline and none is lost', async (t) => {
  const { fleet } = t.context;
  // Every new task on the canary: the share is the unit tests' (rollout-loop.test.ts); here, the rollback.
  const started = await fleet.fleetctl(['rollout', 'start', '--cline-image', BROKEN, '--steps', '100', '--step-interval', '1h', '--min-tasks', '3']);
  t.is(started.code, 0, started.stderr);
  await untilNodesHold(t);
  const ids = await submit(t, 4);
  const rolledBack = await eventually('the rollout to be rolled back', async () => {
    const r = await status(t);
    return r.state === 'ROLLED_BACK' ? r : undefined;
  }, 180_000);
  t.regex(rolledBack.reason, /rolled back: the canary failed 100% of \d+ attempts .* mostly agent_error/);
  t.is(rolledBack.currentPercent, 0);
  t.true(rolledBack.canary.attempts >= 3, `${rolledBack.canary.attempts} canary attempts before the rollback`);
  t.is(rolledBack.fleetImage, CLINE_IMAGE, 'the fleet keeps its image');
  // A task submitted from now on runs the fleet's image.
  const [fresh] = await submit(t, 1);

  const tasks: TaskJson[] = [];
  for (const id of ids) {
    await untilState(fleet, id, ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'], 240_000);
    tasks.push(await fleet.json<TaskJson>(['task', 'get', id]));
  }
  const lost = tasks.filter((task) => task.state !== 'SUCCEEDED');
  t.deepEqual(lost.map((task) => `${task.id} ${task.state}`), [], 'every task succeeded, on the baseline if its canary attempt failed');
  const canaryAttempts = tasks.flatMap((task) => task.attempts.filter((a) => a.rolloutArm === 'canary'));
  t.true(canaryAttempts.length >= 3, `${canaryAttempts.length} canary attempts in all`);
  t.true(canaryAttempts.every((a) => a.image === BROKEN && a.state === 'FAILED' && a.reason === 'agent_error'));
  for (const task of tasks) t.true(task.attempts.filter((a) => a.rolloutArm === 'canary').length <= 1, `${task.id}: one canary attempt at most`);
  // After the rollback, nothing more went to the canary: judged by when each was placed (a loaded node may start one placed before the rollback seconds later).
  const late = canaryAttempts.filter((a) => a.assignedAt && Date.parse(a.assignedAt) > rolledBack.endedAtMs + 5_000);
  t.deepEqual(late, []);
  const done = await untilState(fleet, fresh!, ['SUCCEEDED'], 120_000);
  t.is((await fleet.json<TaskJson>(['task', 'get', done.id])).attempts[0]!.image, CLINE_IMAGE);
  const history = await fleet.run(['rollout', 'history']);
  t.regex(history, /ROLLED_BACK/);
  // The leader counted it: the rollback is in its metrics.
  const leader = fleet.controlPlanes[fleet.leaderIndex()]!;
  const metrics = await (await fetch(`http://${String((await leader.waitForLog('metrics and health endpoints listening')).listen)}/metrics`)).text();
  t.regex(metrics, /fleet_rollouts_ended_total\{state="ROLLED_BACK"\} 1/);
});

test.serial('a good image is promoted once healthy through its step, across a SIGKILL of the leader, and becomes the fleet\'s image', async (t) => {
  const { fleet } = t.context;
  const started = await fleet.fleetctl(['rollout', 'start', '--cline-image', GOOD, '--steps', '75,100', '--step-interval', '5s', '--min-tasks', '2']);
  t.is(started.code, 0, started.stderr);
  // Paused until the leader is gone: a healthy canary would otherwise be promoted the moment its second
  // outcome is stored, and a poll could miss the stretch in which it is under way (CI stop 25).
  const paused = await fleet.fleetctl(['rollout', 'pause']);
  t.is(paused.code, 0, paused.stderr);
  await untilNodesHold(t);
  // Rounds of four tasks at 75% until a canary outcome is stored (none of four on the canary: 1 in 256).
  const first: string[] = [];
  let midway: RolloutJson | undefined;
  for (let round = 0; round < 3 && !midway; round++) {
    const ids = await submit(t, 4);
    for (const id of ids) await untilState(fleet, id, ['SUCCEEDED'], 240_000);
    first.push(...ids);
    const placed = await Promise.all(ids.map((id) => fleet.json<TaskJson>(['task', 'get', id])));
    if (!placed.some((task) => task.attempts.some((a) => a.rolloutArm === 'canary'))) continue;
    midway = await eventually('the canary outcome to be counted', async () => {
      const r = await status(t);
      return r.canary.attempts >= 1 ? r : undefined;
    }, 60_000);
  }
  if (!midway) throw new Error(`no canary attempt among ${first.length} tasks at 75%`);
  t.is(midway.state, 'PAUSED', 'a paused rollout does not step forward, however healthy');
  t.is(midway.currentPercent, 75);
  // The leader dies with the rollout under way: the other replica goes on from the stored state.
  const leader = fleet.leaderIndex();
  t.true(leader >= 0);
  await fleet.controlPlanes[leader]!.stop('SIGKILL');
  const resumed = await fleet.fleetctl(['rollout', 'resume']);
  t.is(resumed.code, 0, resumed.stderr);
  // Rounds of three until it is promoted: it needs two canary outcomes, and the first round may place none.
  const more: string[] = [];
  let promoted: RolloutJson | undefined;
  for (let round = 0; round < 4 && !promoted; round++) {
    const ids = await submit(t, 3);
    for (const id of ids) await untilState(fleet, id, ['SUCCEEDED'], 240_000);
    more.push(...ids);
    promoted = await eventually('the rollout to be promoted', async () => {
      const r = await status(t);
      return r.state === 'PROMOTED' ? r : undefined;
    }, 30_000).catch(() => undefined);
  }
  if (!promoted) throw new Error(`not promoted after ${more.length} tasks: ${JSON.stringify(await status(t))}`);
  t.true(promoted.canary.attempts >= Math.max(2, midway.canary.attempts), `${promoted.canary.attempts} canary attempts, ${midway.canary.attempts} before the failover`);
  t.is(promoted.canary.failed, 0);
  t.is(promoted.fleetImage, GOOD);
  t.regex(promoted.reason, /promoted: healthy after \d+ canary attempts/);
  t.true(promoted.history.some((e) => /started by/.test(e.what)));
  // From now on a Cline task submitted without --image gets the promoted one.
  const [after] = await submit(t, 1);
  const task = await fleet.json<TaskJson>(['task', 'get', after!]);
  t.is(task.image, GOOD);
  await untilState(fleet, after!, ['SUCCEEDED'], 120_000);
  await fleet.startControlPlane(leader);
});

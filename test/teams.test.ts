/**
 * Teams end to end: a real control plane, two node agents with Docker,
 * fleetctl as a binary, the real Cline image and a stand-in provider.
 * Tokens scoped to a team see and act on its tasks only; two saturating
 * teams weighted 2:1 get slot time 2:1; a team at its running limit waits
 * with the reason; a team's daily budget holds across both nodes (their
 * gateways' spend summed by the control plane), a team over it gets no new
 * Cline attempt and says why, and a running attempt's next model call is
 * refused once the budget is gone.
 */
import anyTest, { type TestFn } from 'ava';
import { join } from 'node:path';
import { addProvider, getClineTask, submitCline } from './harness/cline-tasks.js';
import { runCommands, submitAndExit, transcript, type FakeLlm } from './harness/fake-llm.js';
import { eventually, TestFleet, untilState } from './harness/fleet.js';
import { makeRepo } from './harness/git.js';
import { requireClineImage } from './harness/requirements.js';

const test = anyTest as TestFn<{ fleet: TestFleet; repo: string; fakes: FakeLlm[] }>;

const BUSYBOX = 'fleet-test/busybox:1';
const ENDED = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'];

interface TaskJson {
  id: string;
  state: string;
  message: string;
  team: string;
  attempts: Array<{ id: string; nodeId: string; state: string; reason: string; error: string; assignedAt: string | null; startedAt: string | null; finishedAt: string | null; progress?: { inputTokens: number; outputTokens: number } }>;
}

interface TeamJson {
  name: string;
  weight: number;
  maxRunning: number;
  dailyTokens: number;
  running: number;
  pending: number;
  tokensToday: number;
  blocked: string;
}

test.before(async (t) => {
  const fleet = await TestFleet.start({ agents: [{ name: 'team-a', slots: 3 }, { name: 'team-b', slots: 3 }] });
  const repo = join(fleet.dir, 'origin');
  makeRepo(repo, { 'README.md': '# teams\n' });
  t.context = { fleet, repo, fakes: [] };
});

test.after.always(async (t) => {
  await Promise.all((t.context.fakes ?? []).map((f) => f.stop()));
  await t.context.fleet?.stop();
});

async function ok(fleet: TestFleet, args: string[], token?: string): Promise<string> {
  const r = await fleet.fleetctl(args, token ? { token } : {});
  if (r.code !== 0) throw new Error(`fleetctl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout.trim();
}

const submitPlain = (fleet: TestFleet, team: string, seconds: number, token?: string, extra: string[] = []) =>
  ok(fleet, ['task', 'submit', ...(team ? ['--team', team] : []), '--image', BUSYBOX, ...extra, '--', 'sleep', String(seconds)], token);

test.serial('a token scoped to a team sees, submits and cancels that team\'s tasks only', async (t) => {
  const { fleet } = t.context;
  await ok(fleet, ['team', 'set', 'alpha']);
  await ok(fleet, ['team', 'set', 'beta']);
  const alphaBot = await ok(fleet, ['access-token', 'create', 'alpha-bot', '--role', 'submitter', '--team', 'alpha']);
  const betaView = await ok(fleet, ['access-token', 'create', 'beta-view', '--role', 'viewer', '--team', 'beta']);
  t.regex(await ok(fleet, ['whoami'], alphaBot), /^alpha-bot \(submitter of team alpha\)/);

  // Scoped to a team: viewer or submitter only, of a team that exists.
  const operator = await fleet.fleetctl(['access-token', 'create', 'alpha-op', '--role', 'operator', '--team', 'alpha']);
  t.is(operator.code, 2);
  t.regex(operator.stderr, /role: a token scoped to a team is a viewer or a submitter of its tasks, not operator/);
  const ghost = await fleet.fleetctl(['access-token', 'create', 'ghost-bot', '--role', 'viewer', '--team', 'ghost']);
  t.regex(ghost.stderr, /team "ghost" does not exist: an admin makes it with fleetctl team set ghost/);
  t.false((await fleet.json<Array<{ name: string }>>(['access-token', 'list'])).some((x) => x.name === 'ghost-bot' || x.name === 'alpha-op'), 'nothing was made');

  // The scoped token submits for its team, whatever it says.
  const mine = await submitPlain(fleet, '', 60, alphaBot);
  t.is((await fleet.json<TaskJson>(['task', 'get', mine])).team, 'alpha');
  const other = await fleet.fleetctl(['task', 'submit', '--team', 'beta', '--image', BUSYBOX, '--', 'true'], { token: alphaBot });
  t.is(other.code, 1);
  t.regex(other.stderr, /access token "alpha-bot" is scoped to team "alpha": it cannot submit tasks for team "beta"/);
  const typo = await fleet.fleetctl(['task', 'submit', '--team', 'alhpa', '--image', BUSYBOX, '--', 'true']);
  t.regex(typo.stderr, /team "alhpa" does not exist/);

  // Beta's task, with an idempotency key alpha will use too.
  const theirs = await submitPlain(fleet, 'beta', 60, undefined, ['--idempotency-key', 'nightly-1']);
  const again = await submitPlain(fleet, '', 1, alphaBot, ['--idempotency-key', 'nightly-1']);
  t.not(again, theirs, 'the same key in another team makes its own task, and says nothing of the first');

  for (const args of [['task', 'get', theirs], ['task', 'cancel', theirs], ['task', 'logs', theirs], ['task', 'result', theirs], ['task', 'deliver', theirs]]) {
    const r = await fleet.fleetctl(args, { token: alphaBot });
    t.is(r.code, 1, args.join(' '));
    t.regex(r.stderr, new RegExp(`task ${theirs} not found`), args.join(' '));
  }
  t.not((await fleet.json<TaskJson>(['task', 'get', theirs])).state, 'CANCELLED', 'alpha could not cancel it');
  t.true((await fleet.json<TaskJson[]>(['task', 'list'])).some((x) => x.id === theirs), 'an unscoped admin sees every team');
  const listed = JSON.parse(await ok(fleet, ['task', 'list', '-o', 'json'], alphaBot)) as TaskJson[];
  t.deepEqual([...new Set(listed.map((x) => x.team))], ['alpha']);
  t.true(listed.some((x) => x.id === mine));
  const asked = await fleet.fleetctl(['task', 'list', '--team', 'beta'], { token: alphaBot });
  t.regex(asked.stderr, /scoped to team "alpha": it cannot list team "beta"'s tasks/);
  // The viewer of beta reads beta's, and cannot cancel (its role) nor see alpha's.
  t.is((JSON.parse(await ok(fleet, ['task', 'get', theirs, '-o', 'json'], betaView)) as TaskJson).id, theirs);
  t.regex((await fleet.fleetctl(['task', 'cancel', theirs], { token: betaView })).stderr, /has the role viewer, which cannot cancel tasks/);
  t.regex((await fleet.fleetctl(['task', 'get', mine], { token: betaView })).stderr, /not found/);
  // Teams: each sees its own.
  const teams = JSON.parse(await ok(fleet, ['team', 'list', '-o', 'json'], alphaBot)) as TeamJson[];
  t.deepEqual(teams.map((x) => x.name), ['alpha']);
  t.regex((await fleet.fleetctl(['team', 'get', 'beta'], { token: alphaBot })).stderr, /team "beta" not found/);
  t.regex((await fleet.fleetctl(['team', 'set', 'alpha', '--weight', '9'], { token: alphaBot })).stderr, /has the role submitter, which cannot set teams/);
  // Bad settings are refused naming the flag, and change nothing.
  t.regex((await fleet.fleetctl(['team', 'set', 'alpha', '--weight', '0'])).stderr, /weight: must be a number from 0\.01 to 1000, got 0/);
  t.regex((await fleet.fleetctl(['team', 'set', 'alpha', '--max-running', '-1'])).stderr, /--max-running/);
  t.regex((await fleet.fleetctl(['team', 'set', 'Bad/Name'])).stderr, /is not a team name/);
  t.is((await fleet.json<TeamJson>(['team', 'get', 'alpha'])).weight, 1);

  for (const id of [mine, theirs]) await ok(fleet, ['task', 'cancel', id]);
});

test.serial('two saturating teams weighted 2:1 get slot time within 10% of 2:1; a team at its --max-running waits, saying why', async (t) => {
  t.timeout(6 * 60_000);
  const { fleet } = t.context;
  await ok(fleet, ['team', 'set', 'big', '--weight', '2']);
  await ok(fleet, ['team', 'set', 'small', '--weight', '1']);
  await ok(fleet, ['team', 'set', 'capped', '--max-running', '1']);
  const TASKS = 30;
  const SECONDS = 4;
  // Both nodes cordoned while the work is submitted: it all waits, and the run starts saturated.
  for (const node of ['team-a', 'team-b']) await ok(fleet, ['node', 'cordon', node]);
  // Interleaved, so that neither is ahead in the queue: the share, not the order, decides.
  const ids: Record<string, string[]> = { big: [], small: [] };
  for (let i = 0; i < TASKS; i++) for (const team of ['big', 'small']) ids[team]!.push(await submitPlain(fleet, team, SECONDS));
  const capped = [await submitPlain(fleet, 'capped', 2), await submitPlain(fleet, 'capped', 2), await submitPlain(fleet, 'capped', 2)];
  for (const node of ['team-a', 'team-b']) await ok(fleet, ['node', 'uncordon', node]);
  const capReason = await eventually('a capped task to wait for its team', async () => {
    for (const id of capped) {
      const task = await fleet.json<TaskJson>(['task', 'get', id]);
      if (task.state === 'PENDING' && /team "capped" is running 1 task\(s\), its --max-running: waiting for one to end/.test(task.message)) return task.message;
    }
    return undefined;
  }, 60_000, 500);
  t.truthy(capReason);
  const usage = await fleet.json<TeamJson>(['team', 'get', 'big']);
  t.true(usage.running > 0 && usage.pending > 0, `team get shows what big runs and waits for: ${JSON.stringify(usage)}`);
  const all = [...ids.big!, ...ids.small!, ...capped];
  for (const id of all) await untilState(fleet, id, ['SUCCEEDED'], 240_000);
  const tasks = await Promise.all(all.map((id) => fleet.json<TaskJson>(['task', 'get', id])));
  // A slot is held from the assignment (what the scheduler shares) until the attempt ends.
  const span = (x: TaskJson) => {
    const a = x.attempts.at(-1)!;
    return { team: x.team, start: Date.parse(a.assignedAt!), end: Date.parse(a.finishedAt!) };
  };
  const spans = tasks.map(span);
  // Saturated while both had work waiting: until the first of the two teams was given its last slot.
  const lastStart = (team: string) => Math.max(...spans.filter((s) => s.team === team).map((s) => s.start));
  const from = Math.min(...spans.filter((s) => s.team === 'big' || s.team === 'small').map((s) => s.start));
  const until = Math.min(lastStart('big'), lastStart('small'));
  const held = (team: string) => spans.filter((s) => s.team === team).reduce((sum, s) => sum + Math.max(0, Math.min(s.end, until) - Math.max(s.start, from)), 0);
  const ratio = held('big') / held('small');
  t.log(`slot time while both waited (${((until - from) / 1000).toFixed(1)}s): big ${(held('big') / 1000).toFixed(1)}s, small ${(held('small') / 1000).toFixed(1)}s, ratio ${ratio.toFixed(2)}`);
  t.true(until - from > 15_000, 'both teams waited for a good while');
  t.true(ratio >= 1.8 && ratio <= 2.2, `big:small = ${ratio.toFixed(3)}`);
  // The capped team never ran two at once.
  const cappedSpans = spans.filter((s) => s.team === 'capped').sort((a, b) => a.start - b.start);
  for (let i = 1; i < cappedSpans.length; i++) t.true(cappedSpans[i]!.start >= cappedSpans[i - 1]!.end, 'one capped task at a time');
});

test.serial('a daily token budget holds across both nodes: spent, the team\'s Cline tasks wait and say why, a running attempt\'s next call is refused; raised, they run', async (t) => {
  t.timeout(10 * 60_000);
  const { fleet, repo } = t.context;
  await requireClineImage(fleet.docker);
  // Each Cline run: one call of 120 tokens that ends the task.
  const fake = await addProvider(fleet, 'default', [{ tools: [submitAndExit('Nothing to change.')], usage: { prompt: 100, completion: 20 } }]);
  t.context.fakes.push(fake);
  // Reached by the sixth call (720), not before: the six all run whenever their calls come.
  await ok(fleet, ['team', 'set', 'spender', '--daily-tokens', '700']);
  const cline = (args: string[] = []) => submitCline(fleet, ['--team', 'spender', '--repo', `file://${repo}`, '--prompt', 'Check the README', ...args]);
  // Six at once, three slots per node: they run on both nodes.
  const first = await Promise.all(Array.from({ length: 6 }, () => cline()));
  for (const id of first) await untilState(fleet, id, ENDED, 240_000);
  const ran = await Promise.all(first.map((id) => getClineTask(fleet, id)));
  const nodes = new Set((await Promise.all(first.map((id) => fleet.json<TaskJson>(['task', 'get', id])))).map((x) => x.attempts.at(-1)!.nodeId));
  t.is(nodes.size, 2, 'the team ran on both nodes');
  const used = ran.reduce((sum, x) => sum + (x.result?.usage.inputTokens ?? 0) + (x.result?.usage.outputTokens ?? 0), 0);
  t.is(used, 6 * 120);
  // The control plane's count is both nodes' gateways' spend, summed.
  const spent = await eventually('both nodes\' spend to be counted', async () => {
    const team = await fleet.json<TeamJson>(['team', 'get', 'spender']);
    return team.tokensToday >= used ? team : undefined;
  }, 30_000, 500);
  t.is(spent.tokensToday, used, 'the fleet counted what the tasks used, once');
  t.regex(spent.blocked, /team "spender" has spent its daily token budget \(720 of 700 tokens on \d{4}-\d{2}-\d{2} UTC\)/);

  // Over budget: a new task gets no attempt and says why; another team's task runs meanwhile.
  const waiting = await cline();
  const held = await eventually('the task to wait for the budget', async () => {
    const task = await fleet.json<TaskJson>(['task', 'get', waiting]);
    return task.state === 'PENDING' && /daily token budget/.test(task.message) ? task : undefined;
  }, 30_000, 500);
  t.regex(held.message, /team "spender" has spent its daily token budget .* its Cline tasks wait for the next day, or an admin raises it \(fleetctl team set spender --daily-tokens N\)/);
  await ok(fleet, ['team', 'set', 'free']);
  const free = await submitCline(fleet, ['--team', 'free', '--repo', `file://${repo}`, '--prompt', 'Check the README']);
  t.is((await untilState(fleet, free, ENDED, 240_000)).state, 'SUCCEEDED');
  await new Promise((r) => setTimeout(r, 3_000));
  const still = await fleet.json<TaskJson>(['task', 'get', waiting]);
  t.is(still.state, 'PENDING');
  t.is(still.attempts.length, 0, 'no attempt was started for it');
  t.regex((await fleet.fleetctl(['team', 'list'])).stdout, /^spender +1 +0 +1 +none +720 \/ 700 +\$0\.0000 +yes$/m);

  // Raised: it runs.
  await ok(fleet, ['team', 'set', 'spender', '--daily-tokens', '1000']);
  t.is((await untilState(fleet, waiting, ENDED, 240_000)).state, 'SUCCEEDED');

  // A running attempt: its first call spends the rest of the budget (840 + 120 + ... ≥ 900), and while Cline runs
  // its command the nodes hear the budget is gone; its next call is refused at the gateway and the attempt ends.
  await eventually('the last task\'s spend to be counted', async () => ((await fleet.json<TeamJson>(['team', 'get', 'spender'])).tokensToday >= 840 ? true : undefined), 30_000, 500);
  await ok(fleet, ['team', 'set', 'spender', '--daily-tokens', '900']);
  fake.script = transcript([{ tools: [runCommands('sleep 8')], usage: { prompt: 100, completion: 20 } }, { tools: [runCommands('ls')] }, { tools: [submitAndExit('done')] }]);
  const requestsBefore = fake.requests.length;
  const cut = await cline(['--retries', '0']);
  const ended = await untilState(fleet, cut, ENDED, 240_000);
  const attempt = (await fleet.json<TaskJson>(['task', 'get', cut])).attempts.at(-1)!;
  t.is(ended.state, 'FAILED', ended.message);
  t.is(attempt.reason, 'budget_exceeded');
  t.regex(attempt.error, /team "spender" has spent its daily token budget \(960 of 900 tokens/);
  t.is(fake.requests.length - requestsBefore, 1, 'the call after the budget was spent never reached the provider');
});

/**
 * A provider's fleet-wide --max-rpm with real Cline runs: the real Cline CLI
 * in the offline-built agent image on two nodes, a real control plane, and a
 * stand-in provider that answers 429 past its own limit, as providers do.
 */
import anyTest, { type TestFn } from 'ava';
import { addProvider, getClineTask, submitCline, type ClineTaskJson } from './harness/cline-tasks.js';
import { submitAndExit, transcript, type FakeLlm } from './harness/fake-llm.js';
import { eventually, TestFleet } from './harness/fleet.js';
import { makeRepo } from './harness/git.js';
import { requireClineImage } from './harness/requirements.js';
import { join } from 'node:path';

const test = anyTest as TestFn<{ fleet: TestFleet; repo: string; fakes: FakeLlm[] }>;

test.before(async (t) => {
  // Room for eight Cline runs at once: the rate, not the slots, is what holds them.
  const fleet = await TestFleet.start({ agents: [{ name: 'node-a', slots: 2 }, { name: 'node-r', slots: 6 }] });
  const repo = join(fleet.dir, 'origin');
  makeRepo(repo, { 'README.md': '# demo\n' });
  t.context = { fleet, repo, fakes: [] };
  await requireClineImage(fleet.docker);
});

test.after.always(async (t) => {
  await Promise.all((t.context.fakes ?? []).map((f) => f.stop()));
  await t.context.fleet?.stop();
});

test('twenty Cline tasks share a provider\'s --max-rpm: the provider never sees more, tasks wait (saying why) instead of failing, and all complete', async (t) => {
  // Twenty Cline runs on two cores take minutes, and CI runs another test file beside this one.
  t.timeout(15 * 60_000);
  const { fleet, repo } = t.context;
  // Under what eight Cline containers starting at once on two cores ask of a provider (about ten a minute here), so that it binds.
  const MAX_RPM = 6;
  const TASKS = 20;
  // The provider: 429 for any request past MAX_RPM in the last minute, as providers do.
  const arrivals: number[] = [];
  let refused429 = 0;
  const answer = transcript([{ tools: [submitAndExit('Nothing to change.')], usage: { prompt: 100, completion: 10 } }]);
  const fake = await addProvider(
    fleet,
    'rated',
    (n, body) => {
      const now = Date.now();
      arrivals.push(now);
      if (arrivals.filter((at) => at > now - 60_000).length > MAX_RPM) {
        refused429++;
        return { status: 429, body: JSON.stringify({ error: { message: 'rate limit reached', type: 'rate_limit_error' } }), headers: { 'retry-after': '20' } };
      }
      return answer(n, body);
    },
    ['--max-rpm', String(MAX_RPM)],
  );
  t.context.fakes.push(fake);
  t.regex((await fleet.fleetctl(['provider', 'list'])).stdout, /^rated .* 0\/6 +- +\S+$/m, 'the list shows the limit and nothing used');
  const ids = await Promise.all(Array.from({ length: TASKS }, () => submitCline(fleet, ['--repo', `file://${repo}`, '--prompt', 'Check the README', '--provider', 'rated', '--timeout', '12m'])));
  const reasons = new Set<string>();
  await eventually(
    'every task to end',
    async () => {
      const tasks = await fleet.json<ClineTaskJson[]>(['task', 'list', '--state', 'PENDING']);
      for (const task of tasks) if (ids.includes(task.id)) reasons.add(task.message);
      const open = (await Promise.all(ids.map((id) => getClineTask(fleet, id)))).filter((x) => !['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'].includes(x.state));
      return open.length === 0;
    },
    13 * 60_000,
    2_000,
  );
  for (const id of ids) {
    const task = await getClineTask(fleet, id);
    t.is(task.state, 'SUCCEEDED', `${id}: ${task.message}`);
    t.is(task.attempts.length, 1, `${id}: one attempt`);
  }
  // The rate the provider saw: in no minute more than the limit.
  const sorted = [...arrivals].sort((a, b) => a - b);
  let busiest = 0;
  for (let end = 0, start = 0; end < sorted.length; end++) {
    while (sorted[start]! <= sorted[end]! - 60_000) start++;
    busiest = Math.max(busiest, end - start + 1);
  }
  t.log(`${fake.requests.length} requests over ${((sorted.at(-1)! - sorted[0]!) / 1000).toFixed(0)}s; the busiest minute held ${busiest}; 429s: ${refused429}; waiting reasons seen: ${[...reasons].join(' | ')}`);
  t.true(busiest <= MAX_RPM, `the busiest minute held ${busiest} requests, over --max-rpm ${MAX_RPM}`);
  t.is(refused429, 0, 'no request met the provider\'s limit');
  t.true(sorted.at(-1)! - sorted[0]! >= 3 * 60_000, 'twenty requests at six a minute took more than three minutes');
  t.true([...reasons].some((r) => /^provider "rated" was sent 6 requests in the last minute, its --max-rpm 6: waiting for headroom$/.test(r)), 'a task waiting in PENDING said why');
  t.regex((await fleet.fleetctl(['provider', 'list'])).stdout, /^rated .* \d+\/6 +- +\S+$/m);
});

/**
 * Cline results delivered as pull requests, end to end: real Cline in the
 * agent image, real Docker, a real control plane and node agents, fleetctl,
 * and a local forge (`harness/forge.ts`): `git http-backend` for the
 * repository (push with the forge's token only) and a stand-in for the
 * forge's documented pull-request API.
 *
 * What it shows: a task submitted with --deliver pr ends SUCCEEDED with one
 * pull request whose branch holds exactly the task's patch on its base
 * commit; a refused token fails the delivery at once with the reason and the
 * patch kept, and `task deliver` finishes it without running Cline again; a
 * forge that is down is tried again until it answers; and a zombie attempt
 * (its agent frozen mid-run, judged lost, its task run elsewhere, then
 * thawed) never pushes: one push, one pull request, the live attempt's commit.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { addProvider, submitCline } from './harness/cline-tasks.js';
import { runCommands, submitAndExit, type FakeLlm, type Turn } from './harness/fake-llm.js';
import { eventually, TestFleet, untilState } from './harness/fleet.js';
import { startForge, type ForgeStandIn } from './harness/forge.js';
import { requireClineImage } from './harness/requirements.js';

interface Context {
  fleet: TestFleet;
  forge: ForgeStandIn;
  token: string;
  providers: FakeLlm[];
}

const test = anyTest as TestFn<Context>;
const REPO = 'acme/app';

interface DeliveredJson {
  id: string;
  state: string;
  message: string;
  attempts: Array<{ id: string; state: string; nodeId: string }>;
  result?: { attemptId: string; baseCommit: string; patchBytes: number };
  delivery?: { branch: string; commit: string; baseBranch: string; prNumber: number; prUrl: string; prExisted: boolean; tries: number; error: string };
}

const EDIT: Turn[] = [
  { tools: [runCommands(`echo 'hello from cline' >> README.md && printf 'notes\\n' > NOTES.md && rm app.txt`)] },
  { tools: [submitAndExit('Greeted in the README, added NOTES.md, removed app.txt.')] },
];

function bareGit(forge: ForgeStandIn, root: string, ...args: string[]): string {
  return execFileSync('git', ['--git-dir', join(root, `${REPO}.git`), ...args], { encoding: 'utf8' }).trim();
}

test.before(async (t) => {
  const fleet = await TestFleet.start({ agents: [{ name: 'node-a', slots: 1 }, { name: 'node-b', slots: 1 }] });
  await requireClineImage(fleet.docker);
  const token = `ghp_test${Date.now().toString(36)}secret`;
  const forge = await startForge({ type: 'github', token, root: join(fleet.dir, 'forge') });
  forge.createRepo(REPO, { 'README.md': '# app\n', 'app.txt': 'version 1\n' });
  t.context = { fleet, forge, token, providers: [] };
  const tokenFile = join(fleet.dir, 'forge.token');
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  const set = await fleet.fleetctl(['forge', 'set', 'gh', '--type', 'github', '--base-url', forge.apiUrl, '--forge-token-file', tokenFile]);
  if (set.code !== 0) throw new Error(`forge set: ${set.stderr}`);
  t.context.providers.push(await addProvider(fleet, 'edit', EDIT));
});

test.after.always(async (t) => {
  await Promise.all((t.context.providers ?? []).map((p) => p.stop()));
  await t.context.forge?.close();
  await t.context.fleet?.stop();
});

const taskJson = (fleet: TestFleet, id: string) => fleet.json<DeliveredJson>(['task', 'get', id]);

/** The file tree of `commit` in the forge's repository, and its parent. */
function committed(t: { context: Context }, commit: string): { parent: string; files: Record<string, string> } {
  const root = join(t.context.fleet.dir, 'forge');
  const parent = bareGit(t.context.forge, root, 'rev-parse', `${commit}^`);
  const names = bareGit(t.context.forge, root, 'ls-tree', '--name-only', commit).split('\n').filter(Boolean);
  return { parent, files: Object.fromEntries(names.map((n) => [n, bareGit(t.context.forge, root, 'show', `${commit}:${n}`)])) };
}

test.serial('--deliver pr: the task ends SUCCEEDED with one pull request whose branch holds the patch on its base; the token is nowhere to be seen', async (t) => {
  const { fleet, forge, token } = t.context;
  const base = bareGit(forge, join(fleet.dir, 'forge'), 'rev-parse', 'main');
  const submit = await fleet.fleetctl(['task', 'submit', '--agent', 'cline', '--timeout', '3m', '--repo', forge.gitUrl(REPO), '--prompt', 'Greet the reader', '--provider', 'edit', '--deliver', 'pr', '--forge', 'gh', '--pr-title', 'Greet the reader', '--wait']);
  t.is(submit.code, 0, submit.stderr);
  t.regex(submit.stderr, /DELIVERING: completed; delivering as a pull request to forge "gh"/);
  const id = /^(task_\S+) SUCCEEDED: delivered: pull request #1 /.exec(submit.stdout)?.[1];
  t.truthy(id, submit.stdout);
  const task = await taskJson(fleet, id!);
  t.is(task.state, 'SUCCEEDED');
  t.like(task.delivery, { branch: `fleet/${id}`, baseBranch: 'main', prNumber: 1, prExisted: false, tries: 1, error: '' });
  t.deepEqual(forge.pulls.map((p) => ({ repo: p.repo, head: p.head, base: p.base, title: p.title })), [{ repo: REPO, head: `fleet/${id}`, base: 'main', title: 'Greet the reader' }]);
  t.regex(forge.pulls[0]!.body, /Greeted in the README/);
  t.is(task.delivery!.prUrl, `${new URL(forge.apiUrl).origin}/${REPO}/pull/1`);

  // The branch: one commit on the base, holding exactly what Cline did (and what the patch says).
  t.is(bareGit(forge, join(fleet.dir, 'forge'), 'rev-parse', `refs/heads/fleet/${id}`), task.delivery!.commit);
  const tree = committed(t, task.delivery!.commit);
  t.is(tree.parent, base);
  t.deepEqual(tree.files, { 'NOTES.md': 'notes', 'README.md': '# app\nhello from cline' });
  const patchFile = join(fleet.dir, `${id}.patch`);
  t.is((await fleet.fleetctl(['task', 'result', id!, '--patch', patchFile])).code, 0);
  t.is(bareGit(forge, join(fleet.dir, 'forge'), 'diff', '--binary', '--full-index', base, task.delivery!.commit), execFileSync('cat', [patchFile], { encoding: 'utf8' }).trim());
  t.regex(bareGit(forge, join(fleet.dir, 'forge'), 'log', '-1', '--format=%an <%ae>%n%B', task.delivery!.commit), new RegExp(`^Cline \\(fleet\\) <cline@fleet.invalid>\\nGreet the reader\\n\\nGreeted in the README[^]*Fleet-Task: ${id}\\nFleet-Attempt: ${task.result!.attemptId}$`));

  // The token went to the forge only: not in the control plane's or the agents' logs, not in any API answer.
  t.true(forge.requests.some((r) => r.authorized), 'the forge saw the token');
  const said = [fleet.controlPlane!.text, fleet.agent('node-a').process.text, fleet.agent('node-b').process.text, JSON.stringify(task), (await fleet.fleetctl(['forge', 'list', '-o', 'json'])).stdout];
  t.false(said.some((text) => text.includes(token)), 'the forge token appears in no log or answer');
});

test.serial('a refused token fails the delivery at once with the reason, the patch kept; task deliver finishes it without running Cline again', async (t) => {
  const { fleet, forge, token } = t.context;
  const wrong = join(fleet.dir, 'wrong.token');
  writeFileSync(wrong, 'ghp_wrong_token\n', { mode: 0o600 });
  t.is((await fleet.fleetctl(['forge', 'set', 'gh-2', '--type', 'github', '--base-url', forge.apiUrl, '--forge-token-file', wrong])).code, 0);
  const calls = t.context.providers[0]!.requests.length;
  const id = await submitCline(fleet, ['--repo', forge.gitUrl(REPO), '--prompt', 'Greet again', '--provider', 'edit', '--deliver', 'pr', '--forge', 'gh-2', '--branch', 'greet-again']);
  const failed = await untilState(fleet, id, ['FAILED', 'SUCCEEDED'], 180_000);
  t.is(failed.state, 'FAILED');
  t.regex(failed.message, /^delivery failed: the forge refused the token pushing to .*acme\/app\.git .*check the forge's token .*The result and its patch are kept: fix the cause, then fleetctl task deliver task_/);
  t.is((await fleet.fleetctl(['task', 'result', id, '--patch', join(fleet.dir, 'kept.patch')])).code, 0, 'the patch is kept');
  t.false(failed.message.includes('ghp_wrong_token'));
  t.is(forge.pulls.length, 1, 'no pull request was opened');

  const fixed = join(fleet.dir, 'fixed.token');
  writeFileSync(fixed, `${token}\n`, { mode: 0o600 });
  t.is((await fleet.fleetctl(['forge', 'set', 'gh-2', '--type', 'github', '--base-url', forge.apiUrl, '--forge-token-file', fixed])).code, 0);
  const again = await fleet.fleetctl(['task', 'deliver', id, '--wait']);
  t.is(again.code, 0, again.stderr);
  t.regex(again.stdout, new RegExp(`^${id} SUCCEEDED: delivered: pull request #2 `));
  const task = await taskJson(fleet, id);
  t.is(task.attempts.length, 1, 'Cline ran once');
  t.is(t.context.providers[0]!.requests.length, calls + EDIT.length, 'the model was not asked again');
  t.like(task.delivery, { branch: 'greet-again', prNumber: 2, tries: 1 });
  const refusedAgain = await fleet.fleetctl(['task', 'deliver', id]);
  t.is(refusedAgain.code, 1);
  t.regex(refusedAgain.stderr, /has nothing to deliver again: it was delivered already: delivered: pull request #2/);
});

test.serial('a forge that is down is tried again after a backoff, and the delivery completes when it answers', async (t) => {
  const { fleet, forge } = t.context;
  const id = await submitCline(fleet, ['--repo', forge.gitUrl(REPO), '--prompt', 'Greet while the forge is down', '--provider', 'edit', '--deliver', 'branch', '--forge', 'gh', '--branch', 'while-down']);
  // Down once the node has cloned (its container runs): only the delivery meets it.
  await untilState(fleet, id, ['RUNNING', 'DELIVERING', 'SUCCEEDED', 'FAILED'], 120_000);
  forge.down = true;
  try {
    const retrying = await eventually('a failed try to be retried', async () => {
      const task = await taskJson(fleet, id);
      return task.state === 'DELIVERING' && (task.delivery?.tries ?? 0) >= 1 && /trying again in \d+s/.test(task.message) ? task : undefined;
    }, 120_000);
    t.regex(retrying.message, /^delivery try 1 of 5 failed: the forge did not answer/);
  } finally {
    forge.down = false;
  }
  const done = await untilState(fleet, id, ['SUCCEEDED', 'FAILED'], 120_000);
  t.is(done.state, 'SUCCEEDED', done.message);
  const task = await taskJson(fleet, id);
  t.true(task.delivery!.tries >= 2);
  t.is(task.delivery!.prNumber, 0, '--deliver branch opens no pull request');
  t.regex(task.message, /^delivered: branch while-down at [0-9a-f]{12}$/);
  t.is(bareGit(forge, join(fleet.dir, 'forge'), 'rev-parse', 'refs/heads/while-down'), task.delivery!.commit);
});

test.serial('a zombie attempt never pushes: frozen mid-run, judged lost, its task run elsewhere and delivered, then thawed: one push, one pull request, the live attempt\'s commit', async (t) => {
  const { fleet, forge } = t.context;
  // Each container writes its own host name: the two attempts make different patches.
  const fake = await addProvider(fleet, 'zombie', [{ tools: [runCommands('hostname > WHO.txt')] }, { hold: true, then: { tools: [submitAndExit('Wrote WHO.txt.')] } }]);
  t.context.providers.push(fake);
  const pushesBefore = forge.pushes;
  const pullsBefore = forge.pulls.length;
  const id = await submitCline(fleet, ['--repo', forge.gitUrl(REPO), '--prompt', 'Say who you are', '--provider', 'zombie', '--deliver', 'pr', '--forge', 'gh', '--branch', 'who']);
  await eventually('the first attempt to wait on its second model call', async () => fake.requests.length >= 2, 120_000);
  const first = (await taskJson(fleet, id)).attempts[0]!;
  const zombie = fleet.agents.find((a) => a.nodeId === first.nodeId) ?? fleet.agent(first.nodeId);
  zombie.process.child.kill('SIGSTOP');
  try {
    // The model answers now: the live attempt runs through; the frozen one's answer waits in its socket.
    fake.release();
    const done = await untilState(fleet, id, ['SUCCEEDED', 'FAILED'], 180_000);
    t.is(done.state, 'SUCCEEDED', done.message);
  } finally {
    zombie.process.child.kill('SIGCONT');
  }
  const task = await taskJson(fleet, id);
  t.is(task.attempts[0]!.state, 'LOST');
  t.not(task.attempts[1]!.nodeId, first.nodeId);
  t.is(task.result!.attemptId, task.attempts[1]!.id, 'the result is the live attempt\'s');
  // The thawed agent finishes its container and reports; the report is refused, and nothing else happens.
  await eventually('the zombie\'s container to be gone', async () => (await fleet.containers()).every((c) => c.Labels['io.cline-fleet.attempt'] !== first.id), 120_000);
  await new Promise((r) => setTimeout(r, 3_000));
  t.is(forge.pushes, pushesBefore + 1, 'one push');
  t.is(forge.pulls.length, pullsBefore + 1, 'one pull request');
  t.is(bareGit(forge, join(fleet.dir, 'forge'), 'rev-parse', 'refs/heads/who'), task.delivery!.commit, 'the branch holds the live attempt\'s commit');
  const after = await taskJson(fleet, id);
  t.is(after.state, 'SUCCEEDED');
  t.is(after.result!.attemptId, task.attempts[1]!.id, 'the zombie\'s result changed nothing');
});

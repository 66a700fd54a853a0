/**
 * One delivery try against a real git server (`git http-backend`) and each
 * forge's pull-request API (the stand-ins in test/harness/forge.ts): the
 * commit is the same every time, a branch is created and never moved, one
 * pull request however many tries run, and every refusal is told apart from
 * a forge that is only down.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import type { Task } from '../../../common/model.js';
import { compileTaskSpec } from '../../../common/task-spec.js';
import { startForge, type ForgeStandIn } from '../../../test/harness/forge.js';
import type { ForgeAccess } from '../forges.js';
import { assignTask, attemptFinished, attemptStarted, newTask } from '../task-state.js';
import { deliverResult, repoPathOnForge } from './deliver.js';
import { FORGE_TYPES, type ForgeType } from './forge-api.js';
import { DeliveryError } from './git-push.js';

const test = anyTest as TestFn<{ dir: string; forges: Map<ForgeType, ForgeStandIn> }>;
const TOKEN = 'forge-token-0123456789abcdef';

test.before(async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-deliver-'));
  const forges = new Map<ForgeType, ForgeStandIn>();
  for (const type of FORGE_TYPES) forges.set(type, await startForge({ type, token: TOKEN, root: join(dir, type) }));
  t.context = { dir, forges };
});

test.after.always(async (t) => {
  await Promise.all([...(t.context.forges?.values() ?? [])].map((f) => f.close()));
  if (t.context.dir) rmSync(t.context.dir, { recursive: true, force: true });
});

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' }).trim();
}

/** A repository on the forge, and a Cline result against its main: a changed, a new and a deleted file, one of them binary. */
function resultFor(t: { context: { dir: string } }, forge: ForgeStandIn, repo: string, options: { deliver?: 'pr' | 'branch'; branch?: string } = {}): { task: Task; patch: Buffer; base: string } {
  const base = forge.createRepo(repo, { 'README.md': '# app\n', 'old.txt': 'old\n', 'keep.txt': 'kept\n' });
  const work = mkdtempSync(join(t.context.dir, 'work-'));
  // From the bare repository's directory: a git command that waited on this process's own HTTP server would never end.
  git(work, 'clone', '--quiet', join(t.context.dir, forge.type, `${repo}.git`), '.');
  writeFileSync(join(work, 'README.md'), '# app\nchanged\n');
  writeFileSync(join(work, 'logo.bin'), Buffer.from([0, 1, 2, 255, 0, 7]));
  rmSync(join(work, 'old.txt'));
  git(work, 'add', '--all');
  const patch = execFileSync('git', ['diff', '--cached', '--binary', '--full-index', base], { cwd: work });
  const spec = compileTaskSpec({ cline: { repoUrl: forge.gitUrl(repo), prompt: 'Change the README\nand more', deliver: options.deliver ?? 'pr', forge: 'f', ...(options.branch ? { branch: options.branch } : {}) } });
  const run = attemptStarted(assignTask(newTask(`task_${repo.replace(/\W/g, '')}`, spec, 0), 'att_1', 'node_a', 1), 'att_1', 'c', 2)!;
  const usage = { iterations: 1, inputTokens: 1, outputTokens: 1, costUsd: 0, lastTool: '', updatedAtMs: 3 };
  const result = { attemptId: 'att_1', summary: 'Changed the README, added a logo, removed old.txt.', verified: true, baseCommit: base, patchBytes: patch.length, filesChanged: 3, finishReason: 'completed', usage };
  const task = attemptFinished(run, 'att_1', { state: 'SUCCEEDED', error: '', result }, 1_700_000_000_000)!;
  return { task, patch, base };
}

const access = (forge: ForgeStandIn, token = TOKEN): ForgeAccess => ({ name: 'f', type: forge.type, apiUrl: forge.apiUrl, gitUrl: `${new URL(forge.apiUrl).origin}/`, token });

function bare(t: { context: { dir: string } }, type: ForgeType, repo: string, ...args: string[]): string {
  return execFileSync('git', ['--git-dir', join(t.context.dir, type, `${repo}.git`), ...args], { encoding: 'utf8' }).trim();
}

for (const type of FORGE_TYPES) {
  test.serial(`${type}: one branch holding the patch on its base, one pull request; a repeat finds both`, async (t) => {
    const forge = t.context.forges.get(type)!;
    const own = resultFor(t, forge, `acme/own-${type}`);
    const first = await deliverResult(own.task, own.patch, access(forge));
    t.like(first, { branch: `fleet/${own.task.id}`, baseBranch: 'main', prNumber: 1, prExisted: false });
    t.is(bare(t, type, `acme/own-${type}`, 'rev-parse', `refs/heads/fleet/${own.task.id}`), first.commit);
    t.is(bare(t, type, `acme/own-${type}`, 'rev-parse', `${first.commit}^`), own.base);
    t.is(bare(t, type, `acme/own-${type}`, 'diff', '--binary', '--full-index', own.base, first.commit), own.patch.toString('utf8').trim());
    t.is(bare(t, type, `acme/own-${type}`, 'log', '-1', '--format=%an|%ae|%at|%ct|%s', first.commit), 'Cline (fleet)|cline@fleet.invalid|1700000000|1700000000|Cline: Change the README');
    const again = await deliverResult(own.task, own.patch, access(forge));
    t.deepEqual(again, { ...first, prExisted: true }, 'a repeat makes the same commit and finds the same request');
    t.is(forge.pulls.filter((p) => p.repo === `acme/own-${type}`).length, 1);
  });
}

test.serial('two tries at once (a leader and its successor): one commit, one pull request', async (t) => {
  const forge = t.context.forges.get('github')!;
  const { task, patch } = resultFor(t, forge, 'acme/race');
  const [a, b] = await Promise.all([deliverResult(task, patch, access(forge)), deliverResult(task, patch, access(forge))]);
  t.is(a.commit, b.commit);
  t.is(a.prNumber, b.prNumber);
  t.is(forge.pulls.filter((p) => p.repo === 'acme/race').length, 1);
  t.not(a.prExisted, b.prExisted, 'one opened it, the other found it');
});

test.serial('refusals end the delivery, naming the cause; a forge that is down is worth another try; the token is in no message', async (t) => {
  const forge = t.context.forges.get('github')!;
  const refused = async (promise: Promise<unknown>): Promise<DeliveryError> => {
    const err = await t.throwsAsync(promise, { instanceOf: DeliveryError });
    t.false(err!.message.includes(TOKEN), 'no token in the message');
    return err!;
  };

  const wrong = resultFor(t, forge, 'acme/wrong');
  const badToken = await refused(deliverResult(wrong.task, wrong.patch, access(forge, 'not-the-token')));
  t.false(badToken.retryable);
  t.regex(badToken.message, /^the forge refused the token pushing to http:\/\/127\.0\.0\.1:\d+\/acme\/wrong\.git .*check the forge's token/);

  const taken = resultFor(t, forge, 'acme/taken', { branch: 'taken' });
  execFileSync('git', ['--git-dir', join(t.context.dir, 'github', 'acme/taken.git'), 'branch', 'taken', 'main']);
  const occupied = await refused(deliverResult(taken.task, taken.patch, access(forge)));
  t.false(occupied.retryable);
  t.regex(occupied.message, /^branch "taken" exists already at [0-9a-f]{12}, which is not this result's commit [0-9a-f]{12}: it is never overwritten/);
  t.is(bare(t, 'github', 'acme/taken', 'rev-parse', 'refs/heads/taken'), taken.base, 'the branch was not moved');

  const guarded = resultFor(t, forge, 'acme/guarded', { branch: 'release/next' });
  forge.protect('acme/guarded', 'release/');
  const protectedBranch = await refused(deliverResult(guarded.task, guarded.patch, access(forge)));
  t.false(protectedBranch.retryable, protectedBranch.message);
  t.regex(protectedBranch.message, /^the forge refused the push to branch "release\/next" .*protected/);

  const later = resultFor(t, forge, 'acme/later');
  forge.down = true;
  try {
    const down = await refused(deliverResult(later.task, later.patch, access(forge)));
    t.true(down.retryable);
    t.regex(down.message, /^the forge did not answer /);
  } finally {
    forge.down = false;
  }
  t.like(await deliverResult(later.task, later.patch, access(forge)), { prExisted: false }, 'and it works once the forge is back');

  const branchOnly = resultFor(t, forge, 'acme/branch-only', { deliver: 'branch' });
  const pulls = forge.pulls.length;
  t.like(await deliverResult(branchOnly.task, branchOnly.patch, access(forge)), { prNumber: 0, prUrl: '' });
  t.is(forge.pulls.length, pulls, '--deliver branch opens no pull request');
});

test.serial('a branch name used before: an old merged request on it is not taken for this result\'s; a new one is opened', async (t) => {
  const forge = t.context.forges.get('github')!;
  const first = resultFor(t, forge, 'acme/reuse', { branch: 'fix' });
  const old = await deliverResult(first.task, first.patch, access(forge));
  // The first request is merged and its branch deleted, as forges do.
  forge.pulls.find((p) => p.repo === 'acme/reuse' && p.number === old.prNumber)!.state = 'merged';
  execFileSync('git', ['--git-dir', join(t.context.dir, 'github', 'acme/reuse.git'), 'update-ref', '-d', 'refs/heads/fix']);
  // Another task's result, on the same branch name: README changed differently.
  const work = mkdtempSync(join(t.context.dir, 'work-'));
  git(work, 'clone', '--quiet', join(t.context.dir, 'github', 'acme/reuse.git'), '.');
  writeFileSync(join(work, 'README.md'), '# app\nsecond\n');
  git(work, 'add', '--all');
  const patch = execFileSync('git', ['diff', '--cached', '--binary', '--full-index', first.base], { cwd: work });
  const second = { ...first.task, id: 'task_second', result: { ...first.task.result!, patchBytes: patch.length } };
  const made = await deliverResult(second, patch, access(forge));
  t.not(made.commit, old.commit);
  t.is(made.prNumber, old.prNumber + 1, 'a new request, not the merged one');
  t.false(made.prExisted);
});

test.serial('a try whose task moved on (cancelled, taken over) pushes nothing and opens nothing', async (t) => {
  const forge = t.context.forges.get('gitea')!;
  const { task, patch } = resultFor(t, forge, 'acme/cancelled');
  const pushes = forge.pushes;
  const err = await t.throwsAsync(deliverResult(task, patch, access(forge), { stillWanted: () => false }), { instanceOf: DeliveryError });
  t.regex(err!.message, /no longer delivering .*nothing was pushed/);
  t.is(forge.pushes, pushes);
  t.throws(() => bare(t, 'gitea', 'acme/cancelled', 'rev-parse', '--verify', `refs/heads/fleet/${task.id}`));
  t.is(forge.pulls.filter((p) => p.repo === 'acme/cancelled').length, 0);
});

test('the repository\'s path on the forge: owner/name (or group/…/name) under its prefix; anything not plain is refused, never with its credentials', (t) => {
  const github = { gitUrl: 'https://github.com/' };
  t.is(repoPathOnForge(github, 'https://github.com/acme/widgets.git'), 'acme/widgets');
  t.is(repoPathOnForge(github, 'https://github.com/acme/widgets'), 'acme/widgets');
  t.is(repoPathOnForge(github, 'https://github.com/acme/widgets/'), 'acme/widgets');
  t.is(repoPathOnForge(github, 'https://github.com/acme/widgets.git/'), 'acme/widgets');
  t.is(repoPathOnForge({ gitUrl: 'http://gitlab.example:8080/' }, 'http://gitlab.example:8080/group/sub/name.git'), 'group/sub/name');
  t.is(repoPathOnForge({ gitUrl: 'https://corp.example/gitlab/' }, 'https://corp.example/gitlab/group/name.git'), 'group/name', 'a forge under a sub-path');
  for (const bad of [
    'https://x-access-token:secret@github.com/acme/widgets.git',
    'https://github.com/',
    'https://github.com',
    'https://github.com/widgets',
    'https://github.com/acme/../etc/passwd',
    'https://github.com/acme/%2e%2e/x',
    'https://github.com/acme/w.git?ref=1',
    'https://github.com/acme/w.git#main',
    'git@github.com:acme/widgets.git',
    'ssh://git@github.com/acme/widgets.git',
    'file:///srv/acme/widgets.git',
    'https://gitlab.example/acme/widgets.git',
  ]) {
    const err = t.throws(() => repoPathOnForge(github, bad), { instanceOf: DeliveryError, message: /^cannot tell the repository's owner and name from .*: expected a plain https:\/\/github\.com\/OWNER\/NAME\.git$/ }, bad);
    t.false(err?.retryable);
    t.false(err?.message.includes('secret'), 'credentials in a URL stay out of the message');
  }
});

import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { ValidationError } from '../../common/errors.js';
import { git, makeRepo } from '../../test/harness/git.js';
import { attemptDir, gatewaySocketPath } from './cline-attempt.js';
import { computePatch, prepareWorkspace, WorkspaceError, writePrompt } from './workspace.js';

const test = anyTest as TestFn<{ dir: string; repo: string; first: string; second: string }>;

test.before((t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-ws-'));
  const repo = join(dir, 'origin');
  const first = makeRepo(repo, { 'a.txt': 'one\n', '.gitignore': 'build/\n' });
  git(repo, 'tag', 'v1');
  writeFileSync(join(repo, 'a.txt'), 'two\n');
  git(repo, 'commit', '--quiet', '-am', 'second');
  const second = git(repo, 'rev-parse', 'HEAD');
  git(repo, 'branch', 'old', first);
  t.context = { dir, repo, first, second };
});

test.after.always((t) => rmSync(t.context.dir, { recursive: true, force: true }));

test('checks out the default branch, a branch, a tag or a commit, with no remote left in the workspace', async (t) => {
  const { dir, repo, first, second } = t.context;
  const cases: Array<[string, string]> = [['', second], ['main', second], ['old', first], ['v1', first], [first, first], [first.slice(0, 10), first]];
  for (const [i, [ref, commit]] of cases.entries()) {
    const ws = await prepareWorkspace(join(dir, `refs-${i}`), `file://${repo}`, ref, { uid: process.getuid!(), gid: process.getgid!() });
    t.is(ws.baseCommit, commit, `ref "${ref}"`);
    t.is(git(ws.paths.workspace, 'rev-parse', 'HEAD'), commit);
    t.is(git(ws.paths.workspace, 'remote'), '', 'no remote, so no URL or credentials inside');
  }
});

test('the workspace belongs to the container user', async (t) => {
  const ws = await prepareWorkspace(join(t.context.dir, 'owner'), `file://${t.context.repo}`, 'main', { uid: 1000, gid: 1000 });
  t.is(statSync(join(ws.paths.workspace, 'a.txt')).uid, 1000);
  t.is(statSync(join(ws.paths.workspace, '.git', 'HEAD')).uid, 1000);
  t.is(statSync(ws.paths.baseGit).uid, process.getuid!(), "the agent's own clone stays the agent's");
  const prompt = await writePrompt(ws.paths, 'do it');
  t.is(readFileSync(prompt, 'utf8'), 'do it');
});

test('the patch has new, changed and binary files, commits made inside included, ignored files left out', async (t) => {
  const { dir, repo, second } = t.context;
  const ws = await prepareWorkspace(join(dir, 'patch'), `file://${repo}`, 'main', { uid: process.getuid!(), gid: process.getgid!() });
  const w = ws.paths.workspace;
  appendFileSync(join(w, 'a.txt'), 'three\n');
  writeFileSync(join(w, 'new.txt'), 'new\n');
  writeFileSync(join(w, 'blob.bin'), Buffer.from([0, 1, 2, 255, 0]));
  mkdirSync(join(w, 'build'));
  writeFileSync(join(w, 'build', 'out.o'), 'ignored');
  git(w, 'add', 'new.txt');
  git(w, 'commit', '--quiet', '-m', 'made inside the container');
  const { patch, filesChanged } = await computePatch(ws.paths, second);
  const text = patch.toString();
  t.is(filesChanged, 3);
  t.regex(text, /\+three/);
  t.regex(text, /\+\+\+ b\/new.txt\n@@ -0,0 \+1 @@\n\+new/);
  t.regex(text, /GIT binary patch/);
  t.false(text.includes('out.o'));
  const check = join(dir, 'check');
  execFileSync('git', ['clone', '--quiet', repo, check]);
  writeFileSync(join(dir, 'p.patch'), patch);
  git(check, 'apply', '--index', join(dir, 'p.patch'));
  t.deepEqual(readFileSync(join(check, 'blob.bin')), Buffer.from([0, 1, 2, 255, 0]));
  t.is(readFileSync(join(check, 'a.txt'), 'utf8'), 'two\nthree\n');
});

test("nothing the container writes into the workspace's .git runs when the agent computes the patch", async (t) => {
  const { dir, repo, second } = t.context;
  const ws = await prepareWorkspace(join(dir, 'hostile'), `file://${repo}`, 'main', { uid: process.getuid!(), gid: process.getgid!() });
  const marker = join(dir, 'pwned');
  appendFileSync(join(ws.paths.workspace, '.git', 'config'), `[core]\n\tfsmonitor = touch ${marker}\n\thooksPath = hooks\n[diff]\n\texternal = touch ${marker}\n`);
  mkdirSync(join(ws.paths.workspace, '.git', 'hooks'), { recursive: true });
  writeFileSync(join(ws.paths.workspace, '.git', 'hooks', 'post-index-change'), `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
  writeFileSync(join(ws.paths.workspace, 'changed.txt'), 'x\n');
  const { filesChanged } = await computePatch(ws.paths, second);
  t.is(filesChanged, 1);
  t.false(existsSync(marker));
});

test('a missing repository, a missing ref and an empty repository fail with a WorkspaceError saying which', async (t) => {
  const { dir, repo } = t.context;
  const missing = await t.throwsAsync(prepareWorkspace(join(dir, 'e1'), `file://${dir}/nope`, '', { uid: process.getuid!(), gid: process.getgid!() }), { instanceOf: WorkspaceError });
  t.regex(missing!.message, /^cannot clone file:\/\/.*\/nope: fatal: .*/);
  await t.throwsAsync(prepareWorkspace(join(dir, 'e2'), `file://${repo}`, 'nope', { uid: process.getuid!(), gid: process.getgid!() }), { message: `ref "nope" is not a branch, tag or commit of file://${repo}` });
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  git(empty, 'init', '--quiet');
  await t.throwsAsync(prepareWorkspace(join(dir, 'e3'), `file://${empty}`, '', { uid: process.getuid!(), gid: process.getgid!() }), { message: `file://${empty} has no default branch to check out (is it empty?)` });
});

test('an attempt id that is not one is refused before it becomes a path, naming the field', (t) => {
  const attemptsDir = mkdtempSync(join(t.context.dir, 'ids-'));
  for (const bad of ['../../etc', 'att_0000000000000000001/..', '.', '', 'att_1']) {
    const err = t.throws(() => attemptDir(attemptsDir, bad), { instanceOf: ValidationError });
    t.is(err?.field, 'attempt_id');
    t.regex(err!.message, /^attempt_id: ".*" is not an attempt id \(att_ and 19 lowercase letters or digits\)$/);
    t.throws(() => gatewaySocketPath(attemptsDir, bad), { instanceOf: ValidationError });
  }
  t.deepEqual(readdirSync(attemptsDir), [], 'nothing was made');
  t.is(attemptDir(attemptsDir, 'att_0000000000000000001'), join(attemptsDir, 'att_0000000000000000001'));
});

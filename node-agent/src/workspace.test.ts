import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { pino } from 'pino';
import { ValidationError } from '../../common/errors.js';
import { git, makeRepo } from '../../test/harness/git.js';
import { attemptDir, gatewaySocketPath } from './cline-attempt.js';
import { LlmGateway, newGatewayToken } from './llm-gateway.js';
import { claimRunDir, computePatch, prepareWorkspace, WorkspaceError, writePrompt } from './workspace.js';
import { withoutCredentials } from '../../common/repo-key.js';

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

/** A file of the host's outside any workspace (a stand-in for /etc/shadow): owner 4242, mode 0640, known content. */
function hostFile(dir: string, name: string): string {
  const path = join(dir, name);
  writeFileSync(path, 'host secret\n');
  chownSync(path, 4242, 4242);
  chmodSync(path, 0o640);
  return path;
}

function assertUntouched(t: import('ava').ExecutionContext, path: string): void {
  const st = statSync(path);
  t.deepEqual([st.uid, st.gid, st.mode & 0o7777], [4242, 4242, 0o640], `${path} keeps its owner and mode`);
  t.is(readFileSync(path, 'utf8'), 'host secret\n', `${path} keeps its content`);
}

const asRoot = process.getuid?.() === 0 ? test : test.skip;

asRoot("a repository's symlinks to host files are handed to the container's user as links, never their targets", async (t) => {
  const dir = mkdtempSync(join(t.context.dir, 'links-'));
  const shadow = hostFile(dir, 'shadow');
  const hostDir = join(dir, 'host-dir');
  mkdirSync(hostDir, { mode: 0o700 });
  const inner = hostFile(hostDir, 'inner');
  chownSync(hostDir, 4242, 4242);
  const repo = join(dir, 'hostile');
  makeRepo(repo, { 'a.txt': 'a\n' });
  mkdirSync(join(repo, 'sub'));
  writeFileSync(join(repo, 'sub', 'b.txt'), 'b\n');
  symlinkSync(shadow, join(repo, 'x'));
  symlinkSync('../../shadow', join(repo, 'sub', 'up'));
  symlinkSync(hostDir, join(repo, 'linked-dir'));
  symlinkSync('/nonexistent/nowhere', join(repo, 'dangling'));
  git(repo, 'add', '.');
  git(repo, 'commit', '--quiet', '-m', 'links to the host');

  // A strict umask (a hardened unit's) must not shut the container out of run/.
  const umask = process.umask(0o077);
  const ws = await prepareWorkspace(join(dir, 'attempt'), `file://${repo}`, 'main', { uid: 1000, gid: 1000 }).finally(() => process.umask(umask));
  const w = ws.paths.workspace;
  t.true(lstatSync(join(w, 'x')).isSymbolicLink(), 'git checked the link out as a link');
  assertUntouched(t, shadow);
  assertUntouched(t, inner);
  t.deepEqual([statSync(hostDir).uid, statSync(hostDir).mode & 0o777], [4242, 0o700], 'a symlinked directory is not entered');
  for (const link of ['x', 'sub/up', 'linked-dir', 'dangling']) t.is(lstatSync(join(w, link)).uid, 1000, `the link ${link} itself is handed over`);
  for (const file of ['a.txt', 'sub/b.txt', 'sub', '.git/HEAD', '.']) t.is(lstatSync(join(w, file)).uid, 1000, `${file} is handed over`);
  const run = lstatSync(ws.paths.run);
  t.is(run.uid, 0, 'run/ stays the agent\'s');
  t.is(run.mode & 0o777, 0o755, "no one else may write it; the container's user may enter it, whatever the agent's umask");
});

asRoot('the prompt is a new file of the agent\'s: a link planted at its name is replaced, not written through or chmodded', async (t) => {
  const dir = mkdtempSync(join(t.context.dir, 'prompt-'));
  const target = hostFile(dir, 'target');
  const ws = await prepareWorkspace(join(dir, 'attempt'), `file://${t.context.repo}`, 'main', { uid: 1000, gid: 1000 });
  const prompt = join(ws.paths.run, 'prompt');
  symlinkSync(target, prompt);
  t.is(await writePrompt(ws.paths, 'do it'), prompt);
  assertUntouched(t, target);
  const written = lstatSync(prompt);
  t.true(written.isFile());
  t.deepEqual([written.uid, written.mode & 0o777], [0, 0o644], "the agent's, readable by the container's user");
  t.is(readFileSync(prompt, 'utf8'), 'do it');
  await writePrompt(ws.paths, 'again');
  t.is(readFileSync(prompt, 'utf8'), 'again', 'written again over its own file');
});

asRoot("an adopted attempt's run/ is taken back, and the gateway opens its own socket, never a link planted in its place", async (t) => {
  const dir = mkdtempSync(join(t.context.dir, 'socket-'));
  const target = hostFile(dir, 'target');
  const attemptsDir = join(dir, 'attempts');
  const attemptId = 'att_0000000000000000007';
  const ws = await prepareWorkspace(attemptDir(attemptsDir, attemptId), `file://${t.context.repo}`, 'main', { uid: 1000, gid: 1000 });
  // As an older agent left it: run/ handed to the container's user, which planted a link where the socket goes.
  chownSync(ws.paths.run, 1000, 1000);
  chmodSync(ws.paths.run, 0o777);
  const socketPath = gatewaySocketPath(attemptsDir, attemptId);
  symlinkSync(target, socketPath);
  await claimRunDir(ws.paths);
  const run = lstatSync(ws.paths.run);
  t.deepEqual([run.uid, run.gid, run.mode & 0o777], [0, 0, 0o755]);
  const gateway = new LlmGateway(pino({ level: 'silent' }));
  t.teardown(() => gateway.closeAll());
  await gateway.open({
    attemptId,
    socketPath,
    token: newGatewayToken(),
    provider: { name: 'p', baseUrl: 'http://127.0.0.1:9/v1', model: 'm', apiKey: 'k' },
    budget: { maxTokens: 0, maxCostUsd: 0 },
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    onUsage: () => {},
    onStop: () => {},
  });
  assertUntouched(t, target);
  const socket = lstatSync(socketPath);
  t.true(socket.isSocket());
  t.is(socket.mode & 0o777, 0o666, "the socket, and only it, is opened to the container's user");
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

test('a workspace error never carries the credentials of a URL, whoever wrote them into it', async (t) => {
  t.is(withoutCredentials("cannot clone https://bot:ghp_secret@git.example.com/a.git: fatal: repository 'https://bot:ghp_secret@git.example.com/a.git/' not found"), "cannot clone https://***@git.example.com/a.git: fatal: repository 'https://***@git.example.com/a.git/' not found");
  t.is(withoutCredentials('ssh://git@host/x and file:///tmp/r and user@host:path'), 'ssh://***@host/x and file:///tmp/r and user@host:path');
  const dir = mkdtempSync(join(tmpdir(), 'fleet-ws-cred-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const err = await t.throwsAsync(prepareWorkspace(join(dir, 'e1'), 'http://bot:tok3n-secret@127.0.0.1:9/nope.git', '', { uid: process.getuid!(), gid: process.getgid!() }), { instanceOf: WorkspaceError });
  t.false(err!.message.includes('tok3n-secret'), err!.message);
  t.regex(err!.message, /^cannot clone http:\/\/\*\*\*@127\.0\.0\.1:9\/nope\.git/);
});

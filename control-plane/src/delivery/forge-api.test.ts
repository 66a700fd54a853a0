import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { startForge, type ForgeStandIn } from '../../../test/harness/forge.js';
import { ensurePullRequest, FORGE_TYPES, ForgeError, gitCredentials, type ForgeAccess, type ForgeType, type PullRequestAsk } from './forge-api.js';

const test = anyTest as TestFn<{ dir: string }>;

const TOKEN = 'tok-right-4f1c2a9e7b3d';
const WRONG = 'tok-wrong-8e2b6c0d1a5f';
/** GitLab repositories live in groups and subgroups; the others under an owner. */
const REPO: Record<ForgeType, string> = { github: 'acme/widgets', gitlab: 'acme/tools/widgets', gitea: 'acme/widgets' };

test.before((t) => {
  t.context = { dir: mkdtempSync(join(tmpdir(), 'fleet-test-forge-')) };
});

test.after.always((t) => {
  rmSync(t.context.dir, { recursive: true, force: true });
});

/** Where each stand-in keeps its bare repositories. */
const roots = new WeakMap<ForgeStandIn, string>();

/** A stand-in forge of `type` with REPO[type] created, closed when the test ends. */
async function forgeFor(t: { context: { dir: string }; teardown(fn: () => Promise<void>): void }, type: ForgeType): Promise<ForgeStandIn> {
  const root = mkdtempSync(join(t.context.dir, `${type}-`));
  const forge = await startForge({ type, token: TOKEN, root });
  t.teardown(() => forge.close());
  roots.set(forge, root);
  forge.createRepo(REPO[type], { 'README.md': '# widgets\n' });
  return forge;
}

function access(forge: ForgeStandIn, token = TOKEN): ForgeAccess {
  return { type: forge.type, apiUrl: forge.apiUrl, token };
}

function ask(forge: ForgeStandIn, head: string, repo = REPO[forge.type]): PullRequestAsk {
  return { repo, head, base: 'main', title: `Task result on ${head}`, body: 'Made by a Cline task.' };
}

/** Runs git in `cwd`; its exit status and stderr. Never sync: the stand-in answers from this process. */
function runGit(cwd: string, env: NodeJS.ProcessEnv, args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

/** Each stand-in's clone of its repository (made on the first push: reads need no credentials). */
const clones = new WeakMap<ForgeStandIn, string>();

/**
 * Commits on a new `branch` in a clone of the repository and pushes it with
 * `credentials` in an http.extraHeader passed through the environment: never
 * in the URL or argv. Returns git's exit status and stderr.
 */
async function pushBranch(dir: string, forge: ForgeStandIn, repo: string, branch: string, credentials?: { username: string; password: string }) {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'credential.helper', GIT_CONFIG_VALUE_0: '' };
  delete env.GIT_ASKPASS;
  delete env.SSH_ASKPASS;
  if (credentials) {
    const basic = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
    Object.assign(env, { GIT_CONFIG_COUNT: '2', GIT_CONFIG_KEY_1: 'http.extraHeader', GIT_CONFIG_VALUE_1: `Authorization: Basic ${basic}` });
  }
  let work = clones.get(forge);
  if (!work) {
    work = mkdtempSync(join(dir, 'work-'));
    const clone = await runGit(work, env, ['clone', '--quiet', forge.gitUrl(repo), '.']);
    if (clone.status !== 0) throw new Error(`clone failed: ${clone.stderr}`);
    clones.set(forge, work);
  }
  await runGit(work, env, ['checkout', '--quiet', '-b', branch]);
  writeFileSync(join(work, 'change.txt'), `${branch}\n`);
  await runGit(work, env, ['add', '.']);
  await runGit(work, env, ['commit', '--quiet', '-m', `work on ${branch}`]);
  return runGit(work, env, ['push', '--quiet', 'origin', branch]);
}

/** The branches of a bare repository on the stand-in. */
function branchesOf(forge: ForgeStandIn, repo: string): string[] {
  const out = spawnSync('git', ['--git-dir', join(roots.get(forge) ?? '', `${repo}.git`), 'for-each-ref', '--format=%(refname:short)', 'refs/heads'], { encoding: 'utf8' });
  return out.stdout.split('\n').filter(Boolean);
}

for (const type of FORGE_TYPES) {
  test.serial(`${type}: a pushed branch gets one pull request; asked again, or twice at once, it is found and not opened again`, async (t) => {
    const forge = await forgeFor(t, type);
    const repo = REPO[type];
    const creds = gitCredentials(access(forge));
    t.is((await pushBranch(t.context.dir, forge, repo, 'fleet/task-1', creds)).status, 0);

    const first = await ensurePullRequest(access(forge), ask(forge, 'fleet/task-1'));
    t.true(first.created);
    t.like(first.pr, { number: 1, state: 'open', head: 'fleet/task-1', base: 'main' });
    t.true(first.pr.url.startsWith('http://127.0.0.1:') && first.pr.url.includes(repo), first.pr.url);
    t.like(forge.pulls[0], { repo, number: 1, head: 'fleet/task-1', base: 'main', title: 'Task result on fleet/task-1', body: 'Made by a Cline task.' });

    const again = await ensurePullRequest(access(forge), ask(forge, 'fleet/task-1'));
    t.deepEqual(again, { pr: first.pr, created: false });

    // Two deliveries racing on one branch: one opens it, the other finds it (or is told it exists).
    t.is((await pushBranch(t.context.dir, forge, repo, 'fleet/task-2', creds)).status, 0);
    const racing = await Promise.all([ensurePullRequest(access(forge), ask(forge, 'fleet/task-2')), ensurePullRequest(access(forge), ask(forge, 'fleet/task-2'))]);
    t.is(forge.pulls.filter((p) => p.head === 'fleet/task-2').length, 1);
    t.is(racing.filter((r) => r.created).length, 1);
    t.is(racing[0].pr.number, racing[1].pr.number);
    t.is(forge.pulls.length, 2);

    // Merged or closed, it is still the branch's request: none is opened beside it.
    forge.pulls[0]!.state = 'merged';
    const merged = await ensurePullRequest(access(forge), ask(forge, 'fleet/task-1'));
    t.like(merged, { created: false, pr: { number: 1, state: 'merged' } });
    forge.pulls[1]!.state = 'closed';
    t.like(await ensurePullRequest(access(forge), ask(forge, 'fleet/task-2')), { created: false, pr: { number: 2, state: 'closed' } });
    // Several on one branch: the open one wins over a newer closed one.
    forge.pulls.push({ repo, number: 3, head: 'fleet/task-2', base: 'main', title: 'x', body: '', state: 'open' });
    forge.pulls.push({ repo, number: 4, head: 'fleet/task-2', base: 'main', title: 'x', body: '', state: 'closed' });
    t.like(await ensurePullRequest(access(forge), ask(forge, 'fleet/task-2')), { created: false, pr: { number: 3, state: 'open' } });
    // Behind many others (Gitea's list has no branch filter: past its first pages), it is still found.
    for (let n = 5; n <= 124; n += 1) forge.pulls.push({ repo, number: n, head: `other/${n}`, base: 'main', title: 'x', body: '', state: 'closed' });
    t.like(await ensurePullRequest(access(forge), ask(forge, 'fleet/task-1')), { created: false, pr: { number: 1, state: 'merged' } });
    t.is(forge.pulls.length, 124);
    const apiCalls = forge.requests.filter((r) => r.path.startsWith(new URL(forge.apiUrl).pathname));
    t.true(apiCalls.length >= 10 && apiCalls.every((r) => r.authorized));
    if (type === 'gitea') t.true(apiCalls.some((r) => r.path.includes('page=3')), 'the list was walked to its third page');
  });

  test.serial(`${type}: a wrong token is refused, and no message holds a token`, async (t) => {
    const forge = await forgeFor(t, type);
    const err = await t.throwsAsync(ensurePullRequest(access(forge, WRONG), ask(forge, 'fleet/task-1')), { instanceOf: ForgeError });
    t.is(err?.kind, 'refused');
    t.is(err?.status, 401);
    t.regex(err?.message ?? '', new RegExp(`^${{ github: 'GitHub', gitlab: 'GitLab', gitea: 'Gitea' }[type]} refused the token \\(401.*check the forge's token .*${REPO[type]}`));
    t.false(err?.message.includes(TOKEN));
    t.false(err?.message.includes(WRONG));
    t.false(String(err?.stack).includes(WRONG));
    t.is(forge.pulls.length, 0);
    t.true(forge.requests.length > 0 && forge.requests.every((r) => !r.authorized));
  });

  test.serial(`${type}: a forge that is down is 'unavailable', an unknown repository 'not_found', an unpushed branch 'conflict'`, async (t) => {
    const forge = await forgeFor(t, type);
    forge.down = true;
    const down = await t.throwsAsync(ensurePullRequest(access(forge), ask(forge, 'fleet/task-1')), { instanceOf: ForgeError });
    t.like(down, { kind: 'unavailable', status: 503 });
    t.regex(down?.message ?? '', /retry later/);
    forge.down = false;

    const unknownRepo = type === 'gitlab' ? 'acme/tools/nothing' : 'acme/nothing';
    const missing = await t.throwsAsync(ensurePullRequest(access(forge), ask(forge, 'fleet/task-1', unknownRepo)), { instanceOf: ForgeError });
    t.like(missing, { kind: 'not_found', status: 404 });
    t.true(missing?.message.includes(unknownRepo));

    const unpushed = await t.throwsAsync(ensurePullRequest(access(forge), ask(forge, 'fleet/never-pushed')), { instanceOf: ForgeError });
    t.is(unpushed?.kind, 'conflict');
    t.regex(unpushed?.message ?? '', /fleet\/never-pushed/);
    t.is(forge.pulls.length, 0);

    // Nothing listens: unavailable too, with no status.
    await forge.close();
    const gone = await t.throwsAsync(ensurePullRequest(access(forge), ask(forge, 'fleet/task-1')), { instanceOf: ForgeError });
    t.like(gone, { kind: 'unavailable', status: 0 });
  });

  test.serial(`${type}: pushes need the forge's credentials, and a protected prefix is refused`, async (t) => {
    const forge = await forgeFor(t, type);
    const repo = REPO[type];

    const none = await pushBranch(t.context.dir, forge, repo, 'fleet/anonymous');
    t.not(none.status, 0);
    const wrong = await pushBranch(t.context.dir, forge, repo, 'fleet/wrong', gitCredentials(access(forge, WRONG)));
    t.not(wrong.status, 0);
    t.false(wrong.stderr.includes(WRONG));
    t.is(forge.pushes, 0);
    t.true(forge.requests.some((r) => r.path.endsWith('/info/refs?service=git-receive-pack') && !r.authorized));
    t.false(forge.requests.some((r) => r.path.endsWith('/git-receive-pack') && r.method === 'POST'), 'no pack was sent');
    t.deepEqual(branchesOf(forge, repo), ['main']);

    t.is((await pushBranch(t.context.dir, forge, repo, 'fleet/right', gitCredentials(access(forge)))).status, 0);
    t.is(forge.pushes, 1);
    t.deepEqual(branchesOf(forge, repo).sort(), ['fleet/right', 'main']);

    forge.protect(repo, 'release/');
    const protectedPush = await pushBranch(t.context.dir, forge, repo, 'release/1.0', gitCredentials(access(forge)));
    t.not(protectedPush.status, 0);
    t.regex(protectedPush.stderr, /protected branch/);
    t.false(branchesOf(forge, repo).includes('release/1.0'));
    t.is((await pushBranch(t.context.dir, forge, repo, 'fleet/after', gitCredentials(access(forge)))).status, 0, 'other branches still push');
  });
}

test('gitCredentials are what each forge takes for a push with a token', (t) => {
  t.deepEqual(gitCredentials({ type: 'github', apiUrl: 'https://api.github.com', token: 'T' }), { username: 'x-access-token', password: 'T' });
  t.deepEqual(gitCredentials({ type: 'gitlab', apiUrl: 'https://gitlab.example/api/v4', token: 'T' }), { username: 'oauth2', password: 'T' });
  t.deepEqual(gitCredentials({ type: 'gitea', apiUrl: 'https://gitea.example/api/v1', token: 'T' }), { username: 'T', password: 'x-oauth-basic' });
});

/** A one-route server answering every request with `handler`; its API URL. */
async function oddForge(t: { teardown(fn: () => Promise<void>): void }, handler: RequestListener): Promise<string> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3`;
}

const githubAsk: PullRequestAsk = { repo: 'acme/widgets', head: 'fleet/task-1', base: 'main', title: 't', body: '' };

test('a forge that echoes the token, answers garbage, too much, a redirect, or nothing: typed errors, never the token', async (t) => {
  const echo = await oddForge(t, (req, res) => {
    res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `Bad credentials: ${req.headers.authorization}` }));
  });
  const echoed = await t.throwsAsync(ensurePullRequest({ type: 'github', apiUrl: echo, token: TOKEN }, githubAsk), { instanceOf: ForgeError });
  t.is(echoed?.kind, 'refused');
  t.false(echoed?.message.includes(TOKEN));
  t.regex(echoed?.message ?? '', /Bearer \*\*\*/);

  const nested = await oddForge(t, (_req, res) => {
    res.writeHead(400, { 'content-type': 'application/json' }).end(`{"message":{"source_branch":["is invalid"]},"deep":${'['.repeat(5000)}${']'.repeat(5000)}}`);
  });
  const odd = await t.throwsAsync(ensurePullRequest({ type: 'gitlab', apiUrl: nested, token: TOKEN }, githubAsk), { instanceOf: ForgeError });
  t.like(odd, { kind: 'invalid', status: 400 });
  t.regex(odd?.message ?? '', /source_branch is invalid/);

  const garbage = await oddForge(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('[{"number": "one", "state": 7}]');
  });
  t.like(await t.throwsAsync(ensurePullRequest({ type: 'github', apiUrl: garbage, token: TOKEN }, githubAsk)), { kind: 'invalid' });
  const html = await oddForge(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>');
  });
  t.like(await t.throwsAsync(ensurePullRequest({ type: 'gitea', apiUrl: html, token: TOKEN }, githubAsk)), { kind: 'invalid' });
  const huge = await oddForge(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`[${'"x",'.repeat(400_000)}"x"]`);
  });
  t.like(await t.throwsAsync(ensurePullRequest({ type: 'github', apiUrl: huge, token: TOKEN }, githubAsk)), { kind: 'invalid' });
  const moved = await oddForge(t, (_req, res) => {
    res.writeHead(301, { location: 'http://elsewhere.invalid/' }).end();
  });
  t.like(await t.throwsAsync(ensurePullRequest({ type: 'gitlab', apiUrl: moved, token: TOKEN }, { ...githubAsk, repo: 'acme/widgets' })), { kind: 'invalid', status: 301 });
  const limited = await oddForge(t, (_req, res) => {
    res.writeHead(403, { 'content-type': 'application/json', 'x-ratelimit-remaining': '0' }).end(JSON.stringify({ message: 'API rate limit exceeded' }));
  });
  t.like(await t.throwsAsync(ensurePullRequest({ type: 'github', apiUrl: limited, token: TOKEN }, githubAsk)), { kind: 'unavailable', status: 403 });
  const busy = await oddForge(t, (_req, res) => {
    res.writeHead(429).end();
  });
  t.like(await t.throwsAsync(ensurePullRequest({ type: 'gitea', apiUrl: busy, token: TOKEN }, githubAsk)), { kind: 'unavailable', status: 429 });
  const silent = await oddForge(t, () => undefined);
  const started = Date.now();
  const slow = await t.throwsAsync(ensurePullRequest({ type: 'github', apiUrl: silent, token: TOKEN }, githubAsk, { timeoutMs: 200 }), { instanceOf: ForgeError });
  t.like(slow, { kind: 'unavailable', status: 0 });
  t.regex(slow?.message ?? '', /did not answer within 200 ms/);
  t.true(Date.now() - started < 5_000);
});

test('asks the forge cannot take are refused before anything is sent', async (t) => {
  const api = 'http://127.0.0.1:9/api/v3';
  t.like(await t.throwsAsync(ensurePullRequest({ type: 'github', apiUrl: api, token: TOKEN }, { ...githubAsk, repo: 'a/b/c' })), { kind: 'invalid', status: 0 });
  t.like(await t.throwsAsync(ensurePullRequest({ type: 'github', apiUrl: api, token: TOKEN }, { ...githubAsk, repo: 'a/..' })), { kind: 'invalid' });
  t.like(await t.throwsAsync(ensurePullRequest({ type: 'gitea', apiUrl: 'not a url', token: TOKEN }, githubAsk)), { kind: 'invalid' });
  t.like(await t.throwsAsync(ensurePullRequest({ type: 'github', apiUrl: api, token: TOKEN }, { ...githubAsk, head: '' })), { kind: 'invalid' });
  const badToken = await t.throwsAsync(ensurePullRequest({ type: 'gitlab', apiUrl: api, token: `${TOKEN}\r\nX-Evil: 1` }, githubAsk), { instanceOf: ForgeError });
  t.like(badToken, { kind: 'refused', status: 0 });
  t.false(badToken?.message.includes(TOKEN));
  t.like(await t.throwsAsync(ensurePullRequest({ type: 'gitea', apiUrl: api, token: '' }, githubAsk)), { kind: 'refused' });
});

test('an "already exists" answer to the open is followed by a second look, and never by a second open', async (t) => {
  /** Each forge's documented "already exists" answer, and how it lists the request once the other caller made it. */
  const exists: Record<ForgeType, { status: number; body: unknown; listed: unknown }> = {
    github: {
      status: 422,
      body: { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: 'A pull request already exists for acme:fleet/task-1.' }] },
      listed: { number: 7, html_url: 'https://forge/acme/widgets/pull/7', state: 'open', merged_at: null, head: { ref: 'fleet/task-1' }, base: { ref: 'main' } },
    },
    gitlab: {
      status: 409,
      body: { message: ['Another open merge request already exists for this source branch: !7'] },
      listed: { iid: 7, web_url: 'https://forge/acme/widgets/-/merge_requests/7', state: 'opened', source_branch: 'fleet/task-1', target_branch: 'main' },
    },
    gitea: {
      status: 409,
      body: { message: 'pull request already exists for these targets [id: 7]' },
      listed: { number: 7, html_url: 'https://forge/acme/widgets/pulls/7', state: 'open', merged: false, head: { ref: 'fleet/task-1' }, base: { ref: 'main' } },
    },
  };
  for (const type of FORGE_TYPES) {
    for (const listsIt of [true, false]) {
      let lists = 0;
      let posts = 0;
      const apiUrl = await oddForge(t, (req, res) => {
        req.resume();
        if (req.method === 'POST') {
          posts += 1;
          res.writeHead(exists[type].status, { 'content-type': 'application/json' }).end(JSON.stringify(exists[type].body));
          return;
        }
        // The first look finds nothing; by the second, the other caller's request is listed (or, oddly, still not).
        lists += 1;
        const items = lists > 1 && listsIt ? [exists[type].listed] : [];
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(items));
      });
      const asked = ensurePullRequest({ type, apiUrl, token: TOKEN }, githubAsk);
      if (listsIt) t.like(await asked, { created: false, pr: { number: 7, state: 'open', head: 'fleet/task-1', base: 'main' } }, type);
      else t.like(await t.throwsAsync(asked, { instanceOf: ForgeError }), { kind: 'conflict' }, type);
      t.is(posts, 1, type);
    }
  }
});

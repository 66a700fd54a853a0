import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { pino } from 'pino';
import { repoKey } from '../../common/repo-key.js';
import { git, makeRepo } from '../../test/harness/git.js';
import { startGitHttp, type GitHttpServer } from '../../test/harness/git-http.js';
import { chooseEvictions, isMirrorFault, RepoCache } from './repo-cache.js';
import { prepareWorkspace, WorkspaceError } from './workspace.js';

const test = anyTest.serial as TestFn<{ dir: string; http: GitHttpServer }>;
const log = pino({ level: 'silent' });
const me = () => ({ uid: process.getuid!(), gid: process.getgid!() });

/** A bare repository under the served root, with `bytes` of incompressible data in one commit. */
function servedRepo(root: string, name: string, bytes: number): string {
  const work = join(root, `${name}-work`);
  makeRepo(work, { 'README.md': `# ${name}\n` });
  writeFileSync(join(work, 'blob.bin'), randomBytes(bytes));
  git(work, 'add', '.');
  git(work, 'commit', '--quiet', '-m', 'data');
  git(root, 'clone', '--quiet', '--bare', work, join(root, `${name}.git`));
  return work;
}

test.before(async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-test-repocache-'));
  mkdirSync(join(dir, 'served'));
  const http = await startGitHttp(join(dir, 'served'));
  t.context = { dir, http };
});

test.after.always(async (t) => {
  await t.context.http.close();
  rmSync(t.context.dir, { recursive: true, force: true });
});

test('a second workspace on a repository fetches into the mirror and downloads nothing again', async (t) => {
  const { dir, http } = t.context;
  const served = join(dir, 'served');
  const work = servedRepo(served, 'big', 1_000_000);
  const url = `${http.baseUrl}big.git`;
  const counters = { hit: 0, miss: 0, evicted: 0 };
  const cache = await RepoCache.open({ dir: join(dir, 'cache1'), maxBytes: 1e9, log, observer: { hit: () => counters.hit++, miss: () => counters.miss++, evicted: () => counters.evicted++ } });

  const before = http.counts.packBytes;
  const first = await prepareWorkspace(join(dir, 'att1'), url, '', me(), cache);
  const firstBytes = http.counts.packBytes - before;
  t.true(firstBytes > 1_000_000, `the first workspace downloaded the repository (${firstBytes} bytes)`);
  t.is(git(first.paths.workspace, 'rev-parse', 'HEAD'), git(work, 'rev-parse', 'HEAD'));
  t.true(existsSync(join(first.paths.workspace, 'blob.bin')));

  const mid = http.counts.packBytes;
  const second = await prepareWorkspace(join(dir, 'att2'), url, 'main', me(), cache);
  const secondBytes = http.counts.packBytes - mid;
  t.true(secondBytes < 20_000, `the second workspace downloaded ${secondBytes} bytes`);
  t.is(second.baseCommit, first.baseCommit);
  t.deepEqual(counters, { hit: 1, miss: 1, evicted: 0 });
  t.deepEqual(cache.keys(), [repoKey(url)]);
  t.true(cache.bytes() > 1_000_000);

  // A new commit at the origin is fetched (only it) and checked out.
  writeFileSync(join(work, 'more.txt'), 'more\n');
  git(work, 'add', '.');
  git(work, 'commit', '--quiet', '-m', 'more');
  git(work, 'push', '--quiet', join(served, 'big.git'), 'main');
  const third = await prepareWorkspace(join(dir, 'att3'), url, '', me(), cache);
  t.is(third.baseCommit, git(work, 'rev-parse', 'HEAD'));
  t.true(existsSync(join(third.paths.workspace, 'more.txt')));

  // The mirror stores no URL, and the workspace no remote.
  const mirror = cache.mirrorPath(repoKey(url));
  t.false(readFileSync(join(mirror, 'config'), 'utf8').includes('127.0.0.1'));
  t.is(git(third.paths.workspace, 'remote'), '');
  t.is(statSync(join(dir, 'cache1')).mode & 0o777, 0o700);
  // Nothing in the container's checkout shares an inode with the mirror.
  const mirrorInodes = new Set<number>();
  const walk = (d: string, into: Set<number> | null, out: number[]) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, into, out);
      else if (e.isFile()) (into ? into.add(statSync(p).ino) : out.push(statSync(p).ino));
    }
  };
  walk(mirror, mirrorInodes, []);
  const wsInodes: number[] = [];
  walk(third.paths.workspace, null, wsInodes);
  t.false(wsInodes.some((i) => mirrorInodes.has(i)));
});

test('a token in the URL is used for the fetch and persisted nowhere in the cache', async (t) => {
  const { dir, http } = t.context;
  servedRepo(join(dir, 'served'), 'tok', 1000);
  const url = `${http.baseUrl.replace('http://', 'http://user:s3cr3t-token@')}tok.git`;
  const cache = await RepoCache.open({ dir: join(dir, 'cache-tok'), maxBytes: 1e9, log });
  await prepareWorkspace(join(dir, 'att-tok'), url, '', me(), cache);
  t.is(cache.keys()[0], repoKey(`${http.baseUrl}tok.git`), 'the key ignores the credentials');
  const found = execGrep(join(dir, 'cache-tok'), 's3cr3t-token');
  t.is(found, '', 'no file in the cache holds the token');
});

function execGrep(dir: string, needle: string): string {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && readFileSync(p).includes(needle)) hits.push(p);
    }
  };
  walk(dir);
  return hits.join('\n');
}

test('concurrent attempts on one repository clone it once', async (t) => {
  const { dir, http } = t.context;
  servedRepo(join(dir, 'served'), 'conc', 300_000);
  const url = `${http.baseUrl}conc.git`;
  const counters = { hit: 0, miss: 0 };
  const cache = await RepoCache.open({ dir: join(dir, 'cache-conc'), maxBytes: 1e9, log, observer: { hit: () => counters.hit++, miss: () => counters.miss++, evicted: () => {} } });
  const before = http.counts.packBytes;
  const all = await Promise.all([0, 1, 2, 3].map((i) => prepareWorkspace(join(dir, `conc-${i}`), url, '', me(), cache)));
  t.is(new Set(all.map((w) => w.baseCommit)).size, 1);
  t.deepEqual(counters, { hit: 3, miss: 1 });
  t.true(http.counts.packBytes - before < 2 * 300_000, 'the repository crossed the wire once');
});

test('the least recently used idle mirror is evicted to fit the budget, and the state survives a restart', async (t) => {
  const { dir, http } = t.context;
  for (const name of ['e1', 'e2', 'e3']) servedRepo(join(dir, 'served'), name, 400_000);
  let evictions = 0;
  const opts = { dir: join(dir, 'cache-evict'), maxBytes: 1_000_000, log, observer: { hit: () => {}, miss: () => {}, evicted: () => evictions++ } };
  let now = 1_000_000;
  const cache = await RepoCache.open({ ...opts, now: () => (now += 1000) });
  for (const name of ['e1', 'e2']) await prepareWorkspace(join(dir, `ev-${name}`), `${http.baseUrl}${name}.git`, '', me(), cache);
  // e1 used again: e2 is now the least recently used.
  await prepareWorkspace(join(dir, 'ev-e1b'), `${http.baseUrl}e1.git`, '', me(), cache);
  await prepareWorkspace(join(dir, 'ev-e3'), `${http.baseUrl}e3.git`, '', me(), cache);
  t.is(evictions, 1);
  t.deepEqual(cache.keys(), [repoKey(`${http.baseUrl}e1.git`), repoKey(`${http.baseUrl}e3.git`)].sort());
  t.true(cache.bytes() <= 1_000_000);
  // A half-made mirror from a crash is cleared; the mirrors on disk are learnt again.
  mkdirSync(join(opts.dir, `${repoKey('x')}.git.tmp-abc`));
  const reopened = await RepoCache.open(opts);
  t.deepEqual(reopened.keys(), cache.keys());
  t.false(readdirSync(opts.dir).some((n) => n.includes('.tmp-')));
});

test('a mirror in use is never evicted; one over the whole budget goes when its clone is done', (t) => {
  const entries = new Map([
    ['a', { bytes: 600, lastUsedMs: 1, present: true, users: 1 }],
    ['b', { bytes: 600, lastUsedMs: 2, present: true, users: 0 }],
    ['c', { bytes: 100, lastUsedMs: 3, present: true, users: 0 }],
  ]);
  t.deepEqual(chooseEvictions(entries, 1000), ['b']);
  t.deepEqual(chooseEvictions(entries, 2000), []);
  entries.get('a')!.users = 0;
  t.deepEqual(chooseEvictions(entries, 100), ['a', 'b']);
  t.deepEqual(chooseEvictions(new Map([['big', { bytes: 5000, lastUsedMs: 9, present: true, users: 0 }]]), 1000), ['big']);
});

test('a damaged mirror is removed and cloned again; an unreachable origin leaves it alone', async (t) => {
  const { dir, http } = t.context;
  servedRepo(join(dir, 'served'), 'dmg', 1000);
  const url = `${http.baseUrl}dmg.git`;
  const cache = await RepoCache.open({ dir: join(dir, 'cache-dmg'), maxBytes: 1e9, log });
  await prepareWorkspace(join(dir, 'dmg-1'), url, '', me(), cache);
  const mirror = cache.mirrorPath(repoKey(url));
  rmSync(join(mirror, 'objects'), { recursive: true });
  rmSync(join(mirror, 'HEAD'));
  const again = await prepareWorkspace(join(dir, 'dmg-2'), url, '', me(), cache);
  t.true(existsSync(join(again.paths.workspace, 'blob.bin')));

  const gone = `${http.baseUrl}no-such.git`;
  await t.throwsAsync(prepareWorkspace(join(dir, 'dmg-3'), gone, '', me(), cache), { instanceOf: WorkspaceError, message: /cannot clone/ });
  await t.throwsAsync(prepareWorkspace(join(dir, 'dmg-4'), url, 'no-such-branch', me(), cache), { instanceOf: WorkspaceError, message: /ref "no-such-branch" is not a branch/ });
  t.deepEqual(cache.keys(), [repoKey(url)]);
});

test('which fetch failures blame the mirror', (t) => {
  t.true(isMirrorFault('fatal: not a git repository: /x'));
  t.true(isMirrorFault('error: object file objects/ab/cd is empty\nfatal: loose object abcd is corrupt'));
  t.true(isMirrorFault('fatal: bad object refs/heads/main'));
  t.false(isMirrorFault("fatal: unable to access 'https://x/': Could not resolve host: x"));
  t.false(isMirrorFault('fatal: Authentication failed'));
  t.false(isMirrorFault('remote: Repository not found.\nfatal: repository not found'));
  t.false(isMirrorFault('fatal: write error: No space left on device; bad object'));
});

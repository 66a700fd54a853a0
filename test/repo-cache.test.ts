/**
 * Warm repository caches on real processes: a control plane, node agents
 * and the offline-built Cline image, with the repository served over
 * loopback HTTP by `git http-backend` behind a server that counts what it
 * sends. Shows that a second Cline task on a repository does not download
 * it again, that the node reports the repository (as a key), and that
 * placement sends the repository's next task to the node holding it, even
 * when the spread alone would pick another node.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { repoKey } from '../common/repo-key.js';
import { git, makeRepo } from './harness/git.js';
import { startGitHttp, type GitHttpServer } from './harness/git-http.js';
import { FakeLlm, submitAndExit, transcript } from './harness/fake-llm.js';
import { eventually, TestFleet, untilState } from './harness/fleet.js';
import { requireClineImage } from './harness/requirements.js';

interface Context {
  fleet: TestFleet;
  http: GitHttpServer;
  url: string;
  providers: FakeLlm[];
}

interface TaskJson {
  id: string;
  state: string;
  attempts: Array<{ id: string; nodeId: string; state: string; error: string }>;
}

const test = anyTest.serial as TestFn<Context>;
/** Incompressible, so the pack is at least this big. */
const REPO_BYTES = 3_000_000;

test.before(async (t) => {
  const fleet = await TestFleet.start({ agents: [{ name: 'node-a', slots: 2 }] });
  const providers: FakeLlm[] = [];
  t.context = { fleet, providers } as unknown as Context;
  await requireClineImage(fleet.docker);
  const served = join(fleet.dir, 'served');
  mkdirSync(served);
  const work = join(fleet.dir, 'app-work');
  makeRepo(work, { 'README.md': '# app\n' });
  writeFileSync(join(work, 'data.bin'), randomBytes(REPO_BYTES));
  git(work, 'add', '.');
  git(work, 'commit', '--quiet', '-m', 'data');
  git(fleet.dir, 'clone', '--quiet', '--bare', work, join(served, 'app.git'));
  const http = await startGitHttp(served);
  t.context = { fleet, http, url: `${http.baseUrl}app.git`, providers };
});

test.after.always(async (t) => {
  await Promise.all((t.context.providers ?? []).map((p) => p.stop()));
  await t.context.http?.close();
  await t.context.fleet?.stop();
});

async function addProvider(t: ExecutionContext<Context>, name: string, hold = false): Promise<FakeLlm> {
  const { fleet, providers } = t.context;
  const key = `sk-test-${name}-${randomBytes(12).toString('hex')}`;
  const done = { tools: [submitAndExit('Nothing to change.')], usage: { prompt: 10, completion: 5 } };
  const fake = await new FakeLlm(key, transcript([hold ? { hold: true, then: done } : done])).start();
  providers.push(fake);
  const keyFile = join(fleet.dir, `${name}.key`);
  writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
  const set = await fleet.fleetctl(['provider', 'set', name, '--base-url', fake.url, '--model', 'fake-model', '--api-key-file', keyFile]);
  if (set.code !== 0) throw new Error(`provider set failed: ${set.stderr}`);
  return fake;
}

async function submit(t: ExecutionContext<Context>, provider: string): Promise<string> {
  const result = await t.context.fleet.fleetctl(['task', 'submit', '--agent', 'cline', '--timeout', '2m', '--repo', t.context.url, '--prompt', 'Look around', '--provider', provider]);
  if (result.code !== 0) throw new Error(`submit failed (${result.code}): ${result.stderr}`);
  return result.stdout.trim();
}

async function done(t: ExecutionContext<Context>, id: string): Promise<TaskJson> {
  await untilState(t.context.fleet, id, ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'], 60_000);
  return t.context.fleet.json<TaskJson>(['task', 'get', id]);
}

async function nodeKeys(t: ExecutionContext<Context>, name: string): Promise<string[]> {
  const nodes = await t.context.fleet.json<Array<{ name: string; repoKeys: string[] }>>(['node', 'list']);
  return nodes.find((n) => n.name === name)?.repoKeys ?? [];
}

test('a second task on a repository does not download it again; the node reports it; its next task goes to that node', async (t) => {
  const { fleet, http, url } = t.context;
  const key = repoKey(url);
  await addProvider(t, 'quick');

  // Cold: the whole repository crosses the wire.
  let before = http.counts.packBytes;
  const first = await done(t, await submit(t, 'quick'));
  t.is(first.state, 'SUCCEEDED', first.attempts[0]?.error);
  const cold = http.counts.packBytes - before;
  t.true(cold > REPO_BYTES, `the first task downloaded the repository (${cold} bytes)`);

  // The node says it holds it, as a key (never the URL).
  await eventually('node-a to report the repository', async () => (await nodeKeys(t, 'node-a')).includes(key), 20_000);
  const shown = await fleet.fleetctl(['node', 'get', 'node-a', '--repo', url]);
  t.regex(shown.stdout, /warm repositories: 1/);
  t.regex(shown.stdout, /warm on this node/);
  t.false(shown.stdout.includes('127.0.0.1'), 'no URL in what the node reports');

  // A second node, idle: the spread alone could pick it.
  await fleet.addAgent({ name: 'node-b', slots: 2 });
  await eventually('node-b to be ready', async () => (await fleet.json<Array<{ name: string; status: string }>>(['node', 'list'])).some((n) => n.name === 'node-b' && n.status === 'READY'));

  // Warm: a task that holds its container running. It goes to node-a, and its clone is a fetch of nothing new.
  const holder = await addProvider(t, 'hold', true);
  before = http.counts.packBytes;
  const heldId = await submit(t, 'hold');
  await eventually('the held task to ask the model', async () => holder.requests.length >= 1, 60_000);
  const warm = http.counts.packBytes - before;
  t.true(warm < 50_000, `the second task downloaded ${warm} bytes, not the repository again`);
  const held = await fleet.json<TaskJson>(['task', 'get', heldId]);
  t.is(held.attempts[0]?.nodeId, fleet.agent('node-a').nodeId, 'the warm node took the task');

  // node-a now has 1 of 2 slots free and node-b 2 of 2: the spread would pick node-b, the warm cache picks node-a.
  const third = await done(t, await submit(t, 'quick'));
  t.is(third.state, 'SUCCEEDED', third.attempts[0]?.error);
  t.is(third.attempts[0]?.nodeId, fleet.agent('node-a').nodeId, 'the third task went to the node holding the repository');

  holder.release();
  t.is((await done(t, heldId)).state, 'SUCCEEDED');
  t.deepEqual(await nodeKeys(t, 'node-b'), [], 'node-b never fetched it');
});

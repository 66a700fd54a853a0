/**
 * Cline tasks end to end: the real Cline CLI in the offline-built agent
 * image, real Docker, a real control plane and node agent, fleetctl as a
 * real binary, and a fake OpenAI-compatible provider playing scripted
 * transcripts over SSE (the one stand-in: the model).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { git, makeRepo } from './harness/git.js';
import { addProvider as addFleetProvider, getClineTask, submitCline as submitClineTask, type ClineTaskJson } from './harness/cline-tasks.js';
import { FakeLlm, runCommands, submitAndExit, type Turn } from './harness/fake-llm.js';
import { eventually, TestFleet, untilState } from './harness/fleet.js';
import { CLINE_IMAGE, requireClineImage, ROOT } from './harness/requirements.js';


interface Context {
  fleet: TestFleet;
  repo: string;
  baseCommit: string;
  providers: Map<string, FakeLlm>;
}

const test = anyTest as TestFn<Context>;
const GREETING = 'hello from cline';

/** A local repository with a README on main and a branch `feature`. */
function demoRepo(dir: string): { repo: string; baseCommit: string } {
  const repo = join(dir, 'origin');
  const baseCommit = makeRepo(repo, { 'README.md': '# demo\n', 'app.txt': 'version 1\n' });
  git(repo, 'branch', 'feature');
  return { repo, baseCommit };
}

async function addProvider(t: ExecutionContext<Context>, name: string, turns: Turn[] | FakeLlm['script'], extraArgs: string[] = []): Promise<FakeLlm> {
  const fake = await addFleetProvider(t.context.fleet, name, turns, extraArgs);
  t.context.providers.set(name, fake);
  return fake;
}

const submitCline = (t: ExecutionContext<Context>, args: string[]) => submitClineTask(t.context.fleet, args);
const getTask = (t: ExecutionContext<Context>, id: string) => getClineTask(t.context.fleet, id);

async function untilDone(t: ExecutionContext<Context>, id: string, timeoutMs = 120_000): Promise<ClineTaskJson> {
  await untilState(t.context.fleet, id, ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'], timeoutMs);
  return getTask(t, id);
}

/** The agent removes the container (and the workspace) once the control plane has stored the outcome. */
async function assertNothingLeft(t: ExecutionContext<Context>, id: string): Promise<void> {
  await eventually(`the containers of ${id} to be removed`, async () => (await t.context.fleet.containers()).every((c) => c.Labels['io.cline-fleet.task'] !== id));
  const attemptsDir = join(t.context.fleet.agent('node-a').dataDir, 'attempts');
  const task = await getTask(t, id);
  await eventually(`the workspaces of ${id} to be removed`, async () => task.attempts.every((a) => !existsSync(join(attemptsDir, a.id))));
  t.pass();
}

test.before(async (t) => {
  const fleet = await TestFleet.start({ agents: [{ name: 'node-a', slots: 2 }] });
  t.context = { fleet, ...demoRepo(fleet.dir), providers: new Map() };
  await requireClineImage(fleet.docker);
});

test.after.always(async (t) => {
  await Promise.all([...(t.context.providers?.values() ?? [])].map((p) => p.stop()));
  await t.context.fleet?.stop();
});

test.serial('the offline-built agent image keeps the Dockerfile\'s contract: user, entry point, Cline version and tools', async (t) => {
  const { fleet } = t.context;
  const info = await fleet.docker.getImage(CLINE_IMAGE).inspect();
  const dockerfile = readFileSync(join(ROOT, 'installers/cline-agent/Dockerfile'), 'utf8');
  t.deepEqual(info.Config.Entrypoint, JSON.parse(/^ENTRYPOINT (.*)$/m.exec(dockerfile)![1]!));
  t.is(info.Config.User, /^USER (\S+)$/m.exec(dockerfile)![1]!);
  t.is(info.Config.WorkingDir, /^WORKDIR (\/workspace)$/m.exec(dockerfile)![1]!);
  t.is(info.Config.Labels['io.cline-fleet.cline-version'], JSON.parse(readFileSync(join(ROOT, 'installers/cline-agent/package.json'), 'utf8')).dependencies['@cline/cli-linux-x64']);
  const probe = execFileSync('docker', ['run', '--rm', '--network', 'none', '--entrypoint', 'sh', CLINE_IMAGE, '-c', 'id -u; cline --version; for c in git socat tini gcc make python3; do command -v $c >/dev/null || echo missing $c; done'], { encoding: 'utf8' });
  t.is(probe, '1000\n3.0.65\n');
});

const EDIT_TRANSCRIPT: Turn[] = [
  { tools: [runCommands(`echo '${GREETING}' >> README.md && printf 'new file\\n' > NOTES.md && rm app.txt && cat README.md`)], usage: { prompt: 100, completion: 20 } },
  { tools: [submitAndExit('Appended a greeting to README.md, added NOTES.md and removed app.txt.')], usage: { prompt: 150, completion: 30 } },
];

test.serial('a Cline task edits the repository, succeeds, and returns a patch that applies to the base commit', async (t) => {
  const { fleet, repo, baseCommit } = t.context;
  // The last turn waits, so the container can be inspected while it runs.
  const fake = await addProvider(t, 'edit', [EDIT_TRANSCRIPT[0]!, { hold: true, then: EDIT_TRANSCRIPT[1]! }]);
  const id = await submitCline(t, ['--repo', `file://${repo}#main`, '--prompt', 'Add a greeting to the README', '--provider', 'edit']);

  await eventually('the model to be asked a second time', async () => fake.requests.length >= 2, 90_000);
  // Progress so far, while the attempt runs: the first call's tokens and iteration.
  const midway = await eventually('progress to be reported', async () => {
    const task = await getTask(t, id);
    return (task.attempts[0]?.progress?.inputTokens ?? 0) >= 100 ? task : undefined;
  });
  t.is(midway.state, 'RUNNING');
  t.true((midway.attempts[0]?.progress?.iterations ?? 0) >= 1);
  t.regex((await fleet.fleetctl(['task', 'get', id])).stdout, /RUNNING +- +- +\d+ iter, 100\/20 tok/);
  const [container] = (await fleet.containers()).filter((c) => c.Labels['io.cline-fleet.task'] === id);
  t.truthy(container, 'the attempt has a container');
  const inspect = JSON.stringify(await fleet.docker.getContainer(container!.Id).inspect());
  const env = execFileSync('docker', ['exec', container!.Id, 'env'], { encoding: 'utf8' });
  t.false(inspect.includes(fake.apiKey), 'the key is not in docker inspect');
  t.false(env.includes(fake.apiKey), 'the key is not in the container environment');
  const token = /FLEET_LLM_TOKEN=(\S+)/.exec(env)?.[1];
  t.truthy(token, 'the container has an attempt token instead');
  t.is(JSON.parse(inspect).HostConfig.NetworkMode, 'none');
  t.is(JSON.parse(inspect).Config.User, '1000:1000');

  // The attempt's token is worth nothing at the provider itself.
  const refusedBefore = fake.refused;
  const direct = await fetch(`${fake.url}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
  t.is(direct.status, 401);
  t.is(fake.refused, refusedBefore + 1);
  t.true(fake.requests.every((r) => r.authorization === `Bearer ${fake.apiKey}`), 'the gateway sent the real key upstream');
  t.true(fake.requests.every((r) => (r.body.stream_options as { include_usage?: boolean })?.include_usage === true));
  fake.release();

  const task = await untilDone(t, id);
  t.is(task.state, 'SUCCEEDED', task.message);
  t.is(task.result?.baseCommit, baseCommit);
  t.deepEqual(task.result?.usage && { in: task.result.usage.inputTokens, out: task.result.usage.outputTokens }, { in: 250, out: 50 });
  t.regex(task.result?.summary ?? '', /Appended a greeting/);

  const patchFile = join(fleet.dir, 'edit.patch');
  const result = await fleet.fleetctl(['task', 'result', id, '--patch', patchFile]);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /Summary: +Appended a greeting/);
  t.regex(result.stdout, /Patch: +\d+ bytes, 3 files/);
  const patch = readFileSync(patchFile, 'utf8');
  t.true(patch.includes(`+${GREETING}`));
  const check = join(fleet.dir, 'check');
  execFileSync('git', ['clone', '--quiet', repo, check]);
  git(check, 'checkout', '--quiet', baseCommit);
  git(check, 'apply', '--index', patchFile);
  t.is(readFileSync(join(check, 'README.md'), 'utf8'), `# demo\n${GREETING}\n`);
  t.is(readFileSync(join(check, 'NOTES.md'), 'utf8'), 'new file\n');
  t.false(existsSync(join(check, 'app.txt')));

  // Readable progress and raw events.
  const logs = await fleet.fleetctl(['task', 'logs', id]);
  t.regex(logs.stdout, /── iteration 1 ──/);
  t.regex(logs.stdout, /→ run_commands \{"commands":\["echo 'hello from cline' >> README.md/);
  t.regex(logs.stdout, /│ hello from cline/, 'command output is shown');
  t.regex(logs.stdout, /tokens so far: 100 in \/ 20 out/);
  t.regex(logs.stdout, /■ run completed: 2 iterations/);
  const raw = await fleet.fleetctl(['task', 'logs', id, '-o', 'json']);
  const events = raw.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string });
  t.true(events.some((e) => e.type === 'run_result'));

  // The key is nowhere: not in the task record, its logs, or any process log.
  const record = await fleet.fleetctl(['task', 'get', id, '-o', 'json']);
  for (const text of [record.stdout, logs.stdout, logs.stderr, raw.stdout]) t.false(text.includes(fake.apiKey));
  for (const file of readdirSync(fleet.dir).filter((f) => f.endsWith('.log'))) {
    t.false(readFileSync(join(fleet.dir, file), 'utf8').includes(fake.apiKey), `${file} holds no key`);
  }
  const providers = await fleet.fleetctl(['provider', 'list', '-o', 'json']);
  t.false(providers.stdout.includes(fake.apiKey));
  t.true((JSON.parse(providers.stdout) as Array<{ name: string; hasApiKey: boolean }>).some((p) => p.name === 'edit' && p.hasApiKey));
  await assertNothingLeft(t, id);
});

test.serial('a model that repeats the same tool call is stopped as stalled, and its container is gone', async (t) => {
  await addProvider(t, 'loop', () => ({ tools: [runCommands('ls')] }));
  const id = await submitCline(t, ['--repo', `file://${t.context.repo}`, '--prompt', 'Look around', '--provider', 'loop', '--max-repeated-tool-calls', '3']);
  const task = await untilDone(t, id);
  t.is(task.state, 'FAILED');
  t.is(task.attempts[0]?.reason, 'stalled');
  t.regex(task.attempts[0]?.error ?? '', /the same tool call 3 times in a row: run_commands \{"commands":\["ls"\]\}/);
  t.regex(task.message, /^stalled: /);
  await assertNothingLeft(t, id);
});

test.serial('a model that only talks and never calls a tool is stopped as stalled', async (t) => {
  await addProvider(t, 'chatty', () => ({ text: 'I am still thinking about it.' }));
  const id = await submitCline(t, ['--repo', `file://${t.context.repo}`, '--prompt', 'Think', '--provider', 'chatty', '--max-repeated-tool-calls', '5']);
  const task = await untilDone(t, id);
  t.is(task.state, 'FAILED');
  t.is(task.attempts[0]?.reason, 'stalled');
  t.is(task.attempts[0]?.error, '5 iterations in a row without a tool call');
  const logs = await t.context.fleet.fleetctl(['task', 'logs', id]);
  t.regex(logs.stdout, /^ {3}I am still thinking about it\.$/m, "the model's words are shown");
  await assertNothingLeft(t, id);
});

test.serial('a model that stops answering is stopped as stalled after the stall timeout; --wait shows the progress and exits 1', async (t) => {
  await addProvider(t, 'silent', [{ hold: true, then: { tools: [submitAndExit('never reached in this test')] } }]);
  const started = Date.now();
  // The stall clock runs from the container's start, so the timeout must cover Cline's own start-up (two runs of
  // its binary: `cline auth`, then the task) for its first event to reach --wait as progress. That takes about 6 s
  // on an idle machine; under a full CI run it once took more than 12 s, and once more than 25 s (stop 26).
  const waited = await t.context.fleet.fleetctl(['task', 'submit', '--agent', 'cline', '--repo', `file://${t.context.repo}`, '--prompt', 'Wait', '--provider', 'silent', '--stall-timeout', '45s', '--wait']);
  t.is(waited.code, 1, 'a task that did not succeed');
  t.regex(waited.stderr, /RUNNING: .*\(iteration 1, 0 in \/ 0 out tokens\)/);
  const id = /submitted (task_\S+);/.exec(waited.stderr)![1]!;
  t.regex(waited.stdout, new RegExp(`^${id} FAILED: stalled: no Cline event`));
  const task = await untilDone(t, id);
  t.is(task.state, 'FAILED');
  t.is(task.attempts[0]?.reason, 'stalled');
  t.regex(task.attempts[0]?.error ?? '', /no Cline event for \d+s \(stall timeout 45s\)/);
  t.true(Date.now() - started < 90_000);
  await assertNothingLeft(t, id);
});

test.serial('a running Cline task can be cancelled: Cline ignores SIGTERM, so it is killed after the grace; its gateway socket is closed', async (t) => {
  const fake = await addProvider(t, 'cancel', [{ hold: true, then: { tools: [submitAndExit('never reached in this test')] } }]);
  const id = await submitCline(t, ['--repo', `file://${t.context.repo}`, '--prompt', 'Wait', '--provider', 'cancel']);
  await eventually('the model to be asked', async () => fake.requests.length >= 1, 90_000);
  const attemptId = (await getTask(t, id)).attempts[0]!.id;
  const socket = join(t.context.fleet.agent('node-a').dataDir, 'attempts', attemptId, 'run', 'llm.sock');
  t.true(existsSync(socket));
  const cancel = await t.context.fleet.fleetctl(['task', 'cancel', id, '--reason', 'changed my mind']);
  t.is(cancel.code, 0, cancel.stderr);
  const task = await untilDone(t, id);
  t.is(task.state, 'CANCELLED');
  await eventually('the attempt to end', async () => (await getTask(t, id)).attempts[0]!.state === 'CANCELLED');
  await assertNothingLeft(t, id);
  t.false(existsSync(socket));
});

test.serial('a Cline task over its --timeout is TIMED_OUT and killed at once', async (t) => {
  await addProvider(t, 'slow', [{ hold: true, then: { tools: [submitAndExit('never reached in this test')] } }]);
  const started = Date.now();
  const result = await t.context.fleet.fleetctl(['task', 'submit', '--agent', 'cline', '--repo', `file://${t.context.repo}`, '--prompt', 'Wait', '--provider', 'slow', '--timeout', '4s']);
  const id = result.stdout.trim();
  const task = await untilDone(t, id);
  t.is(task.state, 'TIMED_OUT');
  t.true(Date.now() - started < 30_000, 'not held up by a SIGTERM grace Cline would ignore');
  await assertNothingLeft(t, id);
});

test.serial('a token budget smaller than the transcript ends the task as budget_exceeded', async (t) => {
  // The gateway reserves a prompt from the request's size (Cline's are thousands
  // of tokens), so the provider here reports a prompt that large, and the first
  // call crosses the budget.
  const fake = await addProvider(t, 'budget', (n) => ({ tools: [runCommands(`echo step ${n}`)], usage: { prompt: 100_000, completion: 20 } }));
  const id = await submitCline(t, ['--repo', `file://${t.context.repo}`, '--prompt', 'Count', '--provider', 'budget', '--max-tokens', '100000']);
  const task = await untilDone(t, id);
  t.is(task.state, 'FAILED');
  t.is(task.attempts[0]?.reason, 'budget_exceeded');
  t.regex(task.attempts[0]?.error ?? '', /token budget of 100000 spent \(100020 used\)/);
  t.is(fake.requests.length, 1, 'no call went to the provider once the budget was spent');
  t.is(typeof fake.requests[0]?.body.max_tokens, 'number', 'the call went with an output limit');
  t.is(task.attempts[0]?.progress?.inputTokens, 100_000);
  await assertNothingLeft(t, id);
});

test.serial('a provider answering 500s ends the task FAILED with a provider error naming it', async (t) => {
  await addProvider(t, 'broken', () => ({ status: 500, body: 'upstream exploded' }));
  const id = await submitCline(t, ['--repo', `file://${t.context.repo}`, '--prompt', 'Anything', '--provider', 'broken']);
  const task = await untilDone(t, id);
  t.is(task.state, 'FAILED');
  t.is(task.attempts[0]?.reason, 'provider_error');
  t.regex(task.attempts[0]?.error ?? '', /provider "broken" answered HTTP 500: .*upstream exploded.*\(3 times in a row\)/);
  await assertNothingLeft(t, id);
});

test.serial('a provider that goes down mid-run hands the calls to its fallback (its own key); the task completes and says who served it', async (t) => {
  const { fleet } = t.context;
  const backup = await addProvider(t, 'backup', EDIT_TRANSCRIPT);
  // Serves the first turn, then is down for good.
  const primary = await addProvider(t, 'flaky', (n) => (n === 0 ? EDIT_TRANSCRIPT[0]! : { status: 503, body: 'down for maintenance' }), ['--fallback', 'backup']);
  const listed = await fleet.fleetctl(['provider', 'list']);
  t.regex(listed.stdout, /^flaky .* backup +- +- +- +\S+$/m, 'the list shows the fallback (no limits)');
  const id = await submitCline(t, ['--repo', `file://${t.context.repo}#main`, '--prompt', 'Add a greeting to the README', '--provider', 'flaky']);
  const task = await untilDone(t, id);
  t.is(task.state, 'SUCCEEDED', task.message);
  t.is(task.attempts.length, 1, 'no attempt was lost to the outage');
  t.true(primary.requests.length >= 4, `the first call, then three tries of the second (${primary.requests.length})`);
  t.true(backup.requests.length >= 1);
  t.is(primary.refused + backup.refused, 0, 'each provider got only its own key');
  const human = await fleet.fleetctl(['task', 'get', id]);
  t.regex(human.stdout, new RegExp(`^Served by:\\n  ${task.attempts[0]!.id}: flaky/fake-model 1 call, backup/fake-model \\d+ calls?$`, 'm'));
  await assertNothingLeft(t, id);
});

test.serial('a provider at its --max-concurrent keeps its next task PENDING, saying why, and runs it once a slot of its own frees', async (t) => {
  const { fleet } = t.context;
  const fake = await addProvider(t, 'capped', [{ hold: true, then: EDIT_TRANSCRIPT[0]! }, EDIT_TRANSCRIPT[1]!], ['--max-concurrent', '1']);
  t.regex((await fleet.fleetctl(['provider', 'list'])).stdout, /^capped .* - +1 +- +- +\S+$/m, 'the list shows the limit (and no rate limits)');
  const first = await submitCline(t, ['--repo', `file://${t.context.repo}#main`, '--prompt', 'Add a greeting to the README', '--provider', 'capped']);
  await untilState(fleet, first, ['RUNNING'], 60_000);
  const second = await submitCline(t, ['--repo', `file://${t.context.repo}#main`, '--prompt', 'Add a greeting to the README', '--provider', 'capped']);
  // node-a has a free slot: only the provider's limit holds the second task.
  const waiting = await eventually('the second task to say why it waits', async () => {
    const task = await getTask(t, second);
    return /max-concurrent/.test(task.message) ? task : undefined;
  });
  t.is(waiting.state, 'PENDING');
  t.is(waiting.message, 'provider "capped" is running 1 attempt(s), its --max-concurrent: waiting for one to end');
  await eventually('the first attempt to ask the model', async () => fake.requests.length >= 1, 60_000);
  t.is(fake.requests.length, 1, 'one attempt at the provider');
  t.is((await getTask(t, second)).state, 'PENDING');
  fake.release();
  for (const id of [first, second]) {
    const done = await untilDone(t, id);
    t.is(done.state, 'SUCCEEDED', done.message);
    t.is(done.attempts.length, 1);
  }
});

test.serial('a one-word prompt and a 100 KB prompt both run; a missing repository or ref fails clearly without a container', async (t) => {
  const fake = await addProvider(t, 'words', [{ tools: [submitAndExit('Nothing to change for this prompt.')] }]);
  const oneWord = await submitCline(t, ['--repo', `file://${t.context.repo}`, '--prompt', 'auth', '--provider', 'words']);
  const big = 'Please read carefully. '.repeat(Math.ceil(100_000 / 23)).slice(0, 100_000);
  const promptFile = join(t.context.fleet.dir, 'big-prompt.txt');
  writeFileSync(promptFile, big);
  const bigId = await submitCline(t, ['--repo', `file://${t.context.repo}#feature`, '--prompt-file', promptFile, '--provider', 'words']);
  const noRepo = await submitCline(t, ['--repo', `file://${t.context.fleet.dir}/no-such-repo`, '--prompt', 'x y', '--provider', 'words']);
  const noRef = await submitCline(t, ['--repo', `file://${t.context.repo}#no-such-branch`, '--prompt', 'x y', '--provider', 'words']);

  for (const id of [oneWord, bigId]) {
    const task = await untilDone(t, id);
    t.is(task.state, 'SUCCEEDED', task.message);
    t.is(task.result?.patchBytes, 0);
  }
  const prompts = fake.requests.map((r) => JSON.stringify(r.body.messages));
  t.true(prompts.some((p) => p.includes('"auth"')), 'the one-word prompt reached the model as a prompt');
  t.true(prompts.some((p) => p.includes(big.slice(0, 2000)) && p.length > 100_000), 'the whole 100 KB prompt reached the model');

  const missingRepo = await untilDone(t, noRepo);
  t.is(missingRepo.state, 'FAILED');
  t.is(missingRepo.attempts[0]?.reason, 'workspace_error');
  t.regex(missingRepo.attempts[0]?.error ?? '', /^cannot clone file:\/\/.*no-such-repo: /);
  const missingRef = await untilDone(t, noRef);
  t.is(missingRef.attempts[0]?.reason, 'workspace_error');
  t.regex(missingRef.attempts[0]?.error ?? '', /ref "no-such-branch" is not a branch, tag or commit of file:\/\//);
  for (const id of [noRepo, noRef]) t.deepEqual(await t.context.fleet.containerLifetimes(id), [], 'no container was made');
  for (const id of [oneWord, bigId, noRepo, noRef]) await assertNothingLeft(t, id);
});

test.serial('SIGKILL of the agent mid-run: the restarted agent adopts the container, reopens its gateway, and the result arrives once', async (t) => {
  const { fleet, repo } = t.context;
  const agent = fleet.agent('node-a');
  const fake = await addProvider(t, 'restart', [EDIT_TRANSCRIPT[0]!, { hold: true, then: EDIT_TRANSCRIPT[1]! }]);
  const id = await submitCline(t, ['--repo', `file://${repo}`, '--prompt', 'Add a greeting', '--provider', 'restart', '--max-tokens', '100000']);
  await eventually('the model to be asked a second time', async () => fake.requests.length >= 2, 90_000);
  const running = await getTask(t, id);
  await agent.process.stop('SIGKILL');
  // A workspace no journal knows (as after a replaced data dir) is reaped at start.
  const stale = join(agent.dataDir, 'attempts', 'att_stale0000000000000');
  mkdirSync(join(stale, 'workspace'), { recursive: true });
  // The call in flight died with the gateway; Cline retries it against the restarted one.
  fake.release();
  await fleet.restartAgent(agent);
  t.truthy(await agent.process.waitForLog('attempt adopted'));
  t.false(existsSync(stale), 'the stale workspace is removed');
  const task = await untilDone(t, id);
  t.is(task.state, 'SUCCEEDED', task.message);
  t.is(task.attempts.length, 1, 'one attempt, adopted');
  t.is(task.attempts[0]!.id, running.attempts[0]!.id);
  t.true((task.result?.usage.inputTokens ?? 0) >= 250, 'tokens counted before the restart are kept');
  const patch = await fleet.fleetctl(['task', 'result', id, '--patch', '-']);
  t.true(patch.stdout.includes(`+${GREETING}`));
  t.regex(patch.stderr, /Summary: +Appended a greeting/);
  await assertNothingLeft(t, id);
});

test.serial('bad Cline submissions are refused with the flag named, and nothing is stored', async (t) => {
  const { fleet, repo } = t.context;
  const before = (await fleet.json<unknown[]>(['task', 'list'])).length;
  const cases: Array<[string[], RegExp]> = [
    [['--prompt', 'x'], /--repo: is required with --agent cline/],
    [['--repo', `file://${repo}`, '--prompt', '   '], /--prompt: is required/],
    [['--repo', '--upload-pack=evil', '--prompt', 'x'], /--repo: .* is not a repository URL/],
    [['--repo', 'ext::sh -c evil', '--prompt', 'x'], /--repo: .* is not a repository URL/],
    [['--repo', `file://${repo}#-bad`, '--prompt', 'x'], /--repo \(after #\): "-bad" is not a branch, tag or commit name/],
    [['--repo', `file://${repo}`, '--prompt', 'x', '--network', 'host'], /--network.*Allowed choices are none, bridge/],
    [['--repo', `file://${repo}`, '--prompt', 'x', '--provider', 'nope'], /provider "nope" is not configured: run fleetctl provider set nope/],
    [['--repo', `file://${repo}`, '--prompt', 'x', '--', 'echo', 'hi'], /command: must be empty for a Cline task/],
    [['--repo', `file://${repo}`, '--prompt', 'x'.repeat(130_000)], /--prompt: is 130000 bytes; the limit is 122880/],
  ];
  for (const [args, message] of cases) {
    const result = await fleet.fleetctl(['task', 'submit', '--agent', 'cline', ...args]);
    t.not(result.code, 0, args.join(' '));
    t.regex(result.stderr, message, args.join(' '));
  }
  const badProvider = await fleet.fleetctl(['provider', 'set', 'x', '--base-url', 'ftp://example', '--model', 'm', '--api-key-file', join(fleet.dir, 'edit.key')]);
  t.regex(badProvider.stderr, /base_url: must be an http:\/\/ or https:\/\/ URL/);
  const noKey = await fleet.fleetctl(['provider', 'set', 'x', '--base-url', 'http://127.0.0.1:1/v1', '--model', 'm', '--api-key-file', join(fleet.dir, 'missing.key')]);
  t.regex(noKey.stderr, /--api-key-file: cannot read/);
  t.is((await fleet.json<unknown[]>(['task', 'list'])).length, before);
  t.false((await fleet.json<Array<{ name: string }>>(['provider', 'list'])).some((p) => p.name === 'x'));
});


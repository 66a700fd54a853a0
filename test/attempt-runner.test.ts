/**
 * The attempt runner on a real Docker engine, without a fleet around it:
 * what it finds in its way when it makes the attempt's container, and how it
 * judges a container that ended while its engine was away (on a private
 * live-restore engine, so that the machine's engine stays up).
 */
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import type Docker from 'dockerode';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../common/clock.js';
import { createLogger } from '../common/logger.js';
import { compileTaskSpec } from '../common/task-spec.js';
import { AttemptRunner } from '../node-agent/src/attempt-runner.js';
import { DockerRuntime } from '../node-agent/src/container-runtime.js';
import { Journal, type JournalAttempt } from '../node-agent/src/journal.js';
import type { LlmGateway } from '../node-agent/src/llm-gateway.js';
import { TestDockerd } from './harness/dockerd.js';
import { requireDocker, TEST_IMAGE } from './harness/requirements.js';

interface Context {
  machine: Docker;
  restoring: TestDockerd;
}
const test = anyTest as TestFn<Context>;

test.before(async (t) => {
  const machine = await requireDocker();
  const restoring = await TestDockerd.start({ liveRestore: true });
  t.context = { machine, restoring };
  await restoring.loadFrom(machine, TEST_IMAGE);
});

test.after.always(async (t) => {
  await t.context.restoring?.destroy();
});

let seq = 0;

/** A runner for one plain attempt on the engine at `dockerHost`, with a journal of its own. */
function runnerFor(t: { teardown(fn: () => unknown): void }, command: string[], dockerHost?: string, cutOff?: () => boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-runner-'));
  const journal = new Journal(join(dir, 'journal.db'));
  const unique = `${Date.now().toString(36)}${seq++}`;
  const attemptId = `att_runner${unique}`;
  const nodeId = `node_runner${unique}`;
  const runtime = new DockerRuntime(dockerHost, 'never');
  t.teardown(async () => {
    for (const c of await runtime.list(nodeId)) await runtime.remove(c.id);
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const spec = compileTaskSpec({ image: TEST_IMAGE, command });
  journal.accept(attemptId, 'task_runner', JSON.stringify(spec), Date.now());
  const runner = new AttemptRunner(journal.get(attemptId)!, spec, {
    runtime,
    engine: {
      whenAvailable: async () => {
        while (!(await runtime.ping().then(() => true, () => false))) await new Promise((r) => setTimeout(r, 100));
      },
      liveRestore: () => true,
    },
    journal,
    nodeId,
    clock: systemClock,
    log: createLogger('test', 'silent'),
    // A plain attempt never calls the gateway.
    gateway: undefined as unknown as LlmGateway,
    attemptsDir: dir,
    ...(cutOff ? { cutOff } : {}),
  });
  const attempt = (): JournalAttempt => journal.get(attemptId)!;
  const output = (): string => journal.pending(0, 10_000).flatMap((e) => (e.kind === 'output' && e.attemptId === attemptId ? [e.data.toString()] : [])).join('');
  return { runner, attempt, output, attemptId, nodeId };
}

test.serial('a container of the attempt\'s name, made by a create whose answer was lost, is removed and the attempt runs once', async (t) => {
  const { machine } = t.context;
  const { runner, attempt, attemptId, nodeId } = runnerFor(t, ['echo', 'fresh']);
  const inTheWay = await machine.createContainer({ name: `fleet-${attemptId}`, Image: TEST_IMAGE, Cmd: ['echo', 'stale'], Labels: { 'io.cline-fleet.node': nodeId } });
  await runner.run();
  t.is(attempt().outcome?.state, 'SUCCEEDED', attempt().outcome?.error);
  t.not(attempt().containerId, inTheWay.id, 'on a container of its own');
  await t.throwsAsync(inTheWay.inspect(), { message: /no such container/i }, 'the one in the way is gone');
  const logs = (await machine.getContainer(attempt().containerId!).logs({ stdout: true })).toString();
  t.regex(logs, /fresh/);
});

test.serial('a node cut off from the control plane by the time its container is made does not start it (its task may run elsewhere by then)', async (t) => {
  const { machine } = t.context;
  const { runner, attempt } = runnerFor(t, ['echo', 'should not run'], undefined, () => true);
  await runner.run();
  t.like(attempt().outcome, { state: 'LOST', failureKind: 'INFRASTRUCTURE' });
  t.regex(attempt().outcome!.error, /cut off from the control plane before the container started/);
  const made = await machine.getContainer(attempt().containerId!).inspect();
  t.is(made.State.StartedAt, '0001-01-01T00:00:00Z', 'made, never started');
});

/**
 * Runs `command` on the live-restore engine and stops the engine once the
 * command's first line is journaled; brings it back after the command ended.
 */
async function endWhileEngineAway(t: ExecutionContext<Context>, command: string[]) {
  const { restoring } = t.context;
  const run = runnerFor(t, command, restoring.host);
  const done = run.runner.run();
  while (!run.output()) await new Promise((r) => setTimeout(r, 50));
  await restoring.down();
  // The container ends while the engine is away.
  await new Promise((r) => setTimeout(r, 4_000));
  await restoring.up();
  await done;
  return run;
}

test.serial('a container that ends while its live-restore engine is away is judged by its own exit code', async (t) => {
  const { attempt, output } = await endWhileEngineAway(t, ['sh', '-c', 'echo before; sleep 2; exit 3']);
  t.like(attempt().outcome, { state: 'FAILED', exitCode: 3, failureKind: 'TASK' });
  t.is(output(), 'before\n');
});

test.serial('a container that dies of SIGTERM or SIGKILL while its engine is away is the node\'s failure (the kill events went with the old engine)', async (t) => {
  // A shell that is PID 1 cannot be signalled from inside its container: the code stands for the signal.
  const { attempt } = await endWhileEngineAway(t, ['sh', '-c', 'echo before; sleep 2; exit 143']);
  t.like(attempt().outcome, { state: 'FAILED', exitCode: 143, failureKind: 'INFRASTRUCTURE', reason: 'stopped_outside' });
  t.regex(attempt().outcome!.error, /stopped by a signal \(exit code 143\) while its engine restarted/);
});

test.serial('a container that ends while its engine is away with the code Docker gives a lost exit (255) is the node\'s failure, not the task\'s', async (t) => {
  const { attempt, output } = await endWhileEngineAway(t, ['sh', '-c', 'echo before; sleep 2; exit 255']);
  t.like(attempt().outcome, { state: 'FAILED', exitCode: 255, failureKind: 'INFRASTRUCTURE', reason: 'exit_lost' });
  t.regex(attempt().outcome!.error, /engine lost its exit status/);
  t.is(output(), 'before\n');
});

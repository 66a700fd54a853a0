/**
 * Retention against a real nats-server: the leader's sweep removes tasks
 * that ended before the retention period, with their patches and idempotency
 * keys, and nothing else; and through the whole fleet with --task-retention.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { pino } from 'pino';
import type { Clock } from '../common/clock.js';
import type { Task } from '../common/model.js';
import { compileTaskSpec } from '../common/task-spec.js';
import { RetentionLoop } from '../control-plane/src/retention.js';
import { openStore, type FleetStore } from '../control-plane/src/store/jetstream.js';
import { KvRecords } from '../control-plane/src/store/kv-records.js';
import { ResultStore } from '../control-plane/src/store/result-store.js';
import { assignTask, attemptFinished, attemptStarted, newTask } from '../control-plane/src/task-state.js';
import { eventually, submitTask, TestFleet } from './harness/fleet.js';
import { startNats, type TestNats } from './harness/nats.js';

interface Context {
  dir: string;
  nats: TestNats;
  state: FleetStore;
  tasks: KvRecords<Task>;
  idempotency: KvRecords<{ taskId: string }>;
  results: ResultStore;
}

const test = anyTest as TestFn<Context>;
const log = pino({ level: 'silent' });
const DAY = 86_400_000;
const hash = (key: string) => createHash('sha256').update(key).digest('hex');

test.before(async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-retention-'));
  const nats = await startNats(dir);
  const state = await openStore({ servers: [nats.url], replicas: 1, storage: 'file', logsMaxBytes: 1024 ** 2, name: 'test', leaseTtlMs: 3_000 }, log);
  t.context = {
    dir,
    nats,
    state,
    tasks: state.tasks,
    idempotency: state.idempotency,
    results: state.results,
  };
});

test.after.always(async (t) => {
  await t.context.state?.close();
  await t.context.nats?.stop();
  rmSync(t.context.dir, { recursive: true, force: true });
});

/** A task that succeeded at `endedAt`, stored with a patch and an idempotency key. */
async function storeEnded(t: { context: Context }, id: string, endedAt: number): Promise<void> {
  const spec = compileTaskSpec({ image: 'busybox', command: ['true'], idempotencyKey: `key-${id}` });
  const run = attemptStarted(assignTask(newTask(id, spec, 0), `att_${id}`, 'node_a', 1), `att_${id}`, 'c', 2)!;
  const done = attemptFinished(run, `att_${id}`, { state: 'SUCCEEDED', exitCode: 0, error: '' }, endedAt)!;
  await t.context.idempotency.create(hash(`key-${id}`), { taskId: id });
  await t.context.results.putPatch(id, `att_${id}`, Buffer.from(`patch of ${id}`));
  await t.context.tasks.create(id, done);
}

function loop(t: { context: Context }, now: number, leading = true): RetentionLoop {
  const clock: Clock = { now: () => now };
  return new RetentionLoop(30 * DAY, { ...t.context, events: t.context.state.events, clock, log, leadingEpoch: () => (leading ? 1 : null) });
}

test.serial('a sweep removes tasks ended before the period, with their patches and idempotency keys, and keeps the rest', async (t) => {
  const now = 100 * DAY;
  await storeEnded(t, 'task_0old00000000000000', 10 * DAY);
  await storeEnded(t, 'task_0new00000000000000', 99 * DAY);
  await t.context.tasks.create('task_0pending000000000', newTask('task_0pending000000000', compileTaskSpec({ image: 'busybox', command: ['true'] }), 0));

  t.is(await loop(t, now, false).sweep(), 0, 'a replica that does not lead removes nothing');
  t.truthy(await t.context.tasks.get('task_0old00000000000000'));

  t.is(await loop(t, now).sweep(), 1);
  t.is(await t.context.tasks.get('task_0old00000000000000'), null);
  t.is(await t.context.results.getPatch('task_0old00000000000000', 'att_task_0old00000000000000'), null);
  t.is(await t.context.idempotency.get(hash('key-task_0old00000000000000')), null);
  t.truthy(await t.context.tasks.get('task_0new00000000000000'));
  t.deepEqual(await t.context.results.getPatch('task_0new00000000000000', 'att_task_0new00000000000000'), Buffer.from('patch of task_0new00000000000000'));
  t.truthy(await t.context.idempotency.get(hash('key-task_0new00000000000000')));
  t.truthy(await t.context.tasks.get('task_0pending000000000'));
  t.is(await loop(t, now).sweep(), 0, 'a second pass finds nothing more');
});

test.serial('through the fleet: with --task-retention 2s an ended task is gone soon after, a running one stays', async (t) => {
  const fleet = await TestFleet.start({ agents: [{ name: 'keeper', slots: 2 }], controlPlaneArgs: ['--task-retention', '2s'] });
  t.teardown(() => fleet.stop());
  const quick = await submitTask(fleet, ['--idempotency-key', 'retention-quick'], ['true']);
  const slow = await submitTask(fleet, [], ['sleep', '8']);
  // Seen SUCCEEDED, or already gone: with a 2 s retention a loaded machine's poll can miss the ended task (CI run 15).
  await eventually('the quick task to succeed', async () => {
    const got = await fleet.fleetctl(['task', 'get', quick, '-o', 'json']);
    if (got.code !== 0) return /not found/.test(got.stderr);
    const state = (JSON.parse(got.stdout) as { state: string }).state;
    if (state !== 'SUCCEEDED' && ['FAILED', 'CANCELLED', 'TIMED_OUT'].includes(state)) throw new Error(`the quick task ended ${state}`);
    return state === 'SUCCEEDED';
  }, 60_000, 200);
  await eventually('the ended task to be removed', async () => {
    const got = await fleet.fleetctl(['task', 'get', quick]);
    return got.code !== 0 && /not found/.test(got.stderr);
  }, 20_000, 500);
  t.is((await fleet.fleetctl(['task', 'get', slow])).code, 0, 'the running task is kept');
  const again = await submitTask(fleet, ['--idempotency-key', 'retention-quick'], ['true']);
  t.not(again, quick, 'its idempotency key went with it: the same key makes a new task');
});

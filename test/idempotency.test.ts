/**
 * Submissions with an idempotency key, against a real nats-server: a retry
 * after a failure between reserving the key and creating the task finishes
 * the job under the reserved id; repeats and races make exactly one task.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { pino } from 'pino';
import { systemClock } from '../common/clock.js';
import type { Task } from '../common/model.js';
import { compileTaskSpec } from '../common/task-spec.js';
import { openStore, type FleetStore } from '../control-plane/src/store/jetstream.js';
import type { KvRecords } from '../control-plane/src/store/kv-records.js';
import { Tasks } from '../control-plane/src/tasks.js';
import { startNats, type TestNats } from './harness/nats.js';

const test = anyTest as TestFn<{ dir: string; nats: TestNats; state: FleetStore; tasks: Tasks; idempotency: KvRecords<{ taskId: string }>; records: KvRecords<Task> }>;
const log = pino({ level: 'silent' });

test.before(async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-idem-'));
  const nats = await startNats(dir);
  const state = await openStore({ servers: [nats.url], replicas: 1, storage: 'file', logsMaxBytes: 1024 ** 2, name: 'test', leaseTtlMs: 3_000 }, log);
  t.context = { dir, nats, state, records: state.tasks, idempotency: state.idempotency, tasks: new Tasks(state.tasks, state.idempotency, state.events, systemClock, log, state.results) };
});

test.after.always(async (t) => {
  await t.context.state?.close();
  await t.context.nats?.stop();
  rmSync(t.context.dir, { recursive: true, force: true });
});

const spec = (key: string) => compileTaskSpec({ image: 'busybox', command: ['true'], idempotencyKey: key });
const hash = (key: string) => createHash('sha256').update(key).digest('hex');

test('a retry after the key was reserved but the task not created finishes the job under the reserved id', async (t) => {
  const { tasks, idempotency, records } = t.context;
  // What a first try leaves when its replica dies between the two writes.
  await idempotency.create(hash('half-done'), { taskId: 'task_0000000000000000042' });
  t.is(await records.get('task_0000000000000000042'), null);
  const task = await tasks.submit(spec('half-done'));
  t.is(task.id, 'task_0000000000000000042');
  t.is((await records.get(task.id))?.value.state, 'PENDING');
});

test('the same key again returns the same task', async (t) => {
  const first = await t.context.tasks.submit(spec('again'));
  const second = await t.context.tasks.submit(spec('again'));
  t.is(second.id, first.id);
});

test('concurrent submissions with one key make exactly one task', async (t) => {
  const results = await Promise.all(Array.from({ length: 8 }, () => t.context.tasks.submit(spec('race'))));
  t.is(new Set(results.map((r) => r.id)).size, 1);
  const all = await t.context.records.list((task) => task.spec.idempotencyKey === 'race');
  t.is(all.length, 1);
});

test('without a key every submission is a new task', async (t) => {
  const a = await t.context.tasks.submit(compileTaskSpec({ image: 'busybox', command: ['true'] }));
  const b = await t.context.tasks.submit(compileTaskSpec({ image: 'busybox', command: ['true'] }));
  t.not(a.id, b.id);
});

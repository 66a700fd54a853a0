/**
 * A replica's views (active tasks, nodes) live on KV watches. If a watch's
 * consumer disappears under it (a JetStream leader change, an operator
 * cleaning up), the view must recover by itself, or the replica would stop
 * scheduling and delivering without a word.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { pino } from 'pino';
import { compileTaskSpec } from '../common/task-spec.js';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { openStore, type FleetStore } from '../control-plane/src/store/jetstream.js';
import { TaskIndex } from '../control-plane/src/task-index.js';
import { newTask } from '../control-plane/src/task-state.js';
import { eventually } from './harness/fleet.js';
import { startNats, type TestNats } from './harness/nats.js';

const test = anyTest as TestFn<{ dir: string; nats: TestNats; state: FleetStore }>;
const log = pino({ level: 'silent' });

test.before(async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-watch-'));
  const nats = await startNats(dir);
  const state = await openStore({ servers: [nats.url], replicas: 1, storage: 'file', logsMaxBytes: 1024 ** 2, name: 'test', leaseTtlMs: 3_000 }, log);
  t.context = { dir, nats, state };
});

test.after.always(async (t) => {
  await t.context.state?.close();
  await t.context.nats?.stop();
  rmSync(t.context.dir, { recursive: true, force: true });
});

test('the task index keeps up after its watch consumer is deleted', async (t) => {
  const { state } = t.context;
  const records = state.tasks;
  const index = new TaskIndex(records, log);
  await index.start();
  const spec = compileTaskSpec({ image: 'busybox', command: ['true'] });
  await records.create('task_0000000000000000001', newTask('task_0000000000000000001', spec, 1));
  await eventually('the first task in the index', async () => index.get('task_0000000000000000001') !== undefined, 5_000, 50);

  // An operator (or a leader change) removes the consumer: from outside, as they would.
  const nc = await connect({ servers: t.context.nats.url });
  const jsm = await jetstreamManager(nc);
  const consumers = await jsm.consumers.list('KV_fleet_tasks').next();
  t.true(consumers.length > 0, 'the watch has a consumer');
  for (const c of consumers) await jsm.consumers.delete('KV_fleet_tasks', c.name);
  await nc.close();

  await records.create('task_0000000000000000002', newTask('task_0000000000000000002', spec, 2));
  // Two checks 5s apart notice it (at most about 10s), plus time for a loaded machine.
  await eventually('the second task in the index', async () => index.get('task_0000000000000000002') !== undefined, 30_000, 100);
  index.stop();
});

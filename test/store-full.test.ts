/**
 * The control plane's store out of space: JetStream on a small tmpfs of its
 * own. A write it cannot take fails with a clear error that says what to do,
 * changes nothing, and every read goes on working.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { TestFleet, type TaskJson } from './harness/fleet.js';
import { TEST_IMAGE } from './harness/requirements.js';

const test = anyTest as TestFn<{ fleet: TestFleet; store: string }>;

test.before(async (t) => {
  if (process.getuid?.() !== 0) throw new Error('this test mounts a small tmpfs for the JetStream store: run it as root (CI does)');
  const store = mkdtempSync(join(tmpdir(), 'fleet-js-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', store]);
  t.context = { store } as { fleet: TestFleet; store: string };
  // The logs stream reserves its cap up front: a small one, so that the tasks fill the store.
  t.context.fleet = await TestFleet.start({ agents: [], natsStoreDir: store, controlPlaneArgs: ['--logs-max-bytes', '1m'] });
});

test.after.always(async (t) => {
  await t.context.fleet?.stop();
  spawnSync('umount', ['-l', t.context.store]);
  rmSync(t.context.store, { recursive: true, force: true });
});

test('a full store refuses submissions with a clear error, stores nothing half-made, and reads go on', async (t) => {
  const { fleet } = t.context;
  // 256 KiB of environment a task: the store fills after a few dozen.
  const env = Array.from({ length: 8 }, (_, i) => ['--env', `BIG${i}=${'x'.repeat(32 * 1024 - 8)}`]).flat();
  const stored: string[] = [];
  let refusal = '';
  for (let i = 0; i < 200 && refusal === ''; i++) {
    try {
      stored.push((await fleet.run(['task', 'submit', '--image', TEST_IMAGE, '--label-selector', 'zone=nowhere', ...env, '--', 'true'])).trim());
    } catch (err) {
      refusal = (err as Error).message;
    }
  }
  t.true(stored.length > 5, `${stored.length} tasks were stored before the store filled (then: ${refusal})`);
  t.regex(refusal, /the state store \(NATS JetStream\) is out of space .*: free disk space where nats-server keeps its store, or raise its max_file_store/);

  const again = await fleet.fleetctl(['task', 'submit', '--image', TEST_IMAGE, '--label-selector', 'zone=nowhere', ...env, '--', 'true']);
  t.is(again.code, 1);
  t.regex(again.stderr, /^fleetctl: .*out of space/m);

  const listed = await fleet.json<TaskJson[]>(['task', 'list', '--limit', '1000']);
  t.is(listed.length, stored.length, 'every stored task is listed, and only those');
  t.is((await fleet.json<TaskJson>(['task', 'get', stored[0]!])).state, 'PENDING');
  const status = await fleet.fleetctl(['cluster', 'status']);
  t.is(status.code, 0, status.stderr);
});

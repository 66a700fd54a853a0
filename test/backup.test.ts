/**
 * Backup and point-in-time restore, end to end with the real binaries: a
 * followed backup (`fleetctl backup create --follow`) while tasks run, a
 * moment T observed record by record straight from JetStream, more work
 * after T, then the JetStream store destroyed (nats-server killed, its store
 * deleted) and the fleet restored to T into a new, empty one. The restored
 * buckets and results must equal what was observed at T byte for byte; the
 * node must reconnect and reconcile (a task running at T and finished after
 * it runs again, never two attempts at once); the fleet must keep working.
 * A corrupt or cut-off file, and a restore into a fleet that is not empty,
 * are refused and change nothing.
 */
import anyTest, { type TestFn } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { assertNoOverlap, eventually, getTask, TestFleet, untilState } from './harness/fleet.js';
import { startNats } from './harness/nats.js';
import { BIN } from './harness/requirements.js';

const test = anyTest as TestFn<{ fleet: TestFleet }>;

const BUCKETS = ['fleet_tasks', 'fleet_nodes', 'fleet_join_tokens', 'fleet_providers', 'fleet_access_tokens', 'fleet_autoscale', 'fleet_forges', 'fleet_teams', 'fleet_team_spend', 'fleet_idempotency', 'fleet_rollouts'];

test.before(async (t) => {
  t.context.fleet = await TestFleet.start({ agents: [{ name: 'keeper', slots: 3 }] });
});

test.after.always(async (t) => {
  await t.context.fleet?.stop();
});

/** Every key of every backed-up bucket with its value's digest, and every result object's: read from JetStream itself. */
async function snapshot(natsUrl: string): Promise<Record<string, Record<string, string>>> {
  const nc = await connect({ servers: natsUrl });
  try {
    const js = jetstream(nc);
    const kvm = new Kvm(js);
    const out: Record<string, Record<string, string>> = {};
    for (const bucket of BUCKETS) {
      const kv = await kvm.open(bucket);
      const entries: Record<string, string> = {};
      for await (const key of await kv.keys()) {
        const e = await kv.get(key);
        if (e && e.operation === 'PUT') entries[key] = createHash('sha256').update(e.value).digest('hex');
      }
      out[bucket] = entries;
    }
    const results = await new Objm(js).open('fleet_results');
    const objects: Record<string, string> = {};
    for (const info of await results.list()) {
      const data = await results.getBlob(info.name);
      objects[info.name] = createHash('sha256').update(data ?? new Uint8Array()).digest('hex');
    }
    out.fleet_results = objects;
    return out;
  } finally {
    await nc.close();
  }
}

function fleetctlChild(fleet: TestFleet, args: string[]): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN.fleetctl, '--server', fleet.server, ...args], {
    env: { ...process.env, FLEET_TOKEN: fleet.adminToken, FLEET_SERVER: '', FLEET_CA_FILE: fleet.caFile, FLEET_CONFIG: join(fleet.dir, 'fleetctl.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.on('data', () => {});
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

/** In this process (fleetctl's program, not its binary): starting Node per submission is most of the cost on two cores. */
async function submit(fleet: TestFleet, command: string[]): Promise<string> {
  return (await fleet.run(['task', 'submit', '--image', 'fleet-test/busybox:1', '--', ...command])).trim();
}

async function runTasks(fleet: TestFleet, n: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await submit(fleet, ['sh', '-c', `echo ${tag}-${i}-out; echo ${tag}-${i}-err >&2`]));
  for (const id of ids) await untilState(fleet, id, ['SUCCEEDED']);
  return ids;
}

test.serial('a followed backup restores the fleet exactly as it was at a chosen moment, into a new JetStream; nodes reconcile and work goes on', async (t) => {
  const { fleet } = t.context;
  const file = join(fleet.dir, 'fleet.backup');
  const before = await runTasks(fleet, 5, 'before');

  const follower = fleetctlChild(fleet, ['backup', 'create', '--out', file, '--follow']);
  await eventually('the base backup', async () => /base complete/.test(follower.stderr()), 30_000);
  t.regex(follower.stderr(), /restores .* onwards; following changes/);

  const between = await runTasks(fleet, 5, 'between');
  // A task still running at the chosen moment, which finishes after it.
  const longRunner = await submit(fleet, ['sh', '-c', 'sleep 6; echo long-done']);
  await untilState(fleet, longRunner, ['RUNNING']);
  await sleep(1_500);

  // The moment: nothing changes in JetStream around it (two reads agree), so it is well defined.
  const observed = await snapshot(fleet.nats!.url);
  const atMs = Date.now();
  await sleep(500);
  t.deepEqual(await snapshot(fleet.nats!.url), observed, 'the state was still at the chosen moment');
  t.is(Object.keys(observed.fleet_tasks!).length, 11);
  const logsAtT = await fleet.run(['task', 'logs', between[2]!]);

  // After the moment: the long task finishes, and more work is done.
  await untilState(fleet, longRunner, ['SUCCEEDED']);
  const after = await runTasks(fleet, 4, 'after');
  // A rolling restart of the replica: the follower is ended with UNAVAILABLE and resumes where it was.
  const restartFrom = Date.now();
  await fleet.controlPlane!.stop('SIGTERM');
  await fleet.startControlPlane(0);
  await eventually('the follower to resume', async () => /reconnected to the control plane at \S+ after [\d.]+s/.test(follower.stderr()), 30_000);
  const restartUntil = Date.now();
  t.regex(follower.stderr(), /lost the control plane .*reconnecting/);
  t.log(`follower: ${/reconnected to the control plane at \S+ after [\d.]+s/.exec(follower.stderr())?.[0]} across the replica's restart`);
  await eventually('a checkpoint after the last task', async () => {
    const inspect = await fleet.fleetctl(['backup', 'inspect', file, '--drop-incomplete-tail', '-o', 'json']);
    const s = JSON.parse(inspect.stdout || '{}') as { restorableUntil?: string };
    return s.restorableUntil !== undefined && Date.parse(s.restorableUntil) > Date.now() - 1_000;
  }, 30_000);
  follower.child.kill('SIGINT');
  t.is(await follower.exited, 0, follower.stderr());

  const inspect = JSON.parse((await fleet.fleetctl(['backup', 'inspect', file, '-o', 'json'])).stdout) as { restorableFrom: string; restorableUntil: string; records: Record<string, number>; gaps: Array<{ from: string; to: string }> };
  t.true(Date.parse(inspect.restorableFrom) < atMs && Date.parse(inspect.restorableUntil) > atMs, JSON.stringify(inspect));
  // Records written and replaced while the follower was away are gaps; there are none elsewhere.
  t.true(inspect.gaps.every((g) => Date.parse(g.from) >= restartFrom - 1_000 && Date.parse(g.to) <= restartUntil + 1_000), JSON.stringify(inspect.gaps));
  t.true(inspect.records.KV_fleet_tasks! >= 15, 'every write to the tasks is in the log');

  // The agent is stopped for the restore (its containers keep running), so that the restored
  // state can be compared before anything acts on it; it is started again below and reconnects.
  await fleet.agent('keeper').process.stop('SIGTERM');
  // Destroy JetStream: the server killed, its store deleted. The control plane's data dir
  // (its CA and keys, which the docs say to keep beside the backup) survives.
  await fleet.controlPlane!.stop('SIGKILL');
  await fleet.nats!.process.stop('SIGKILL');
  rmSync(join(fleet.dir, 'nats-store'), { recursive: true, force: true });
  fleet.nats = await startNats(join(fleet.dir, 'nats-new'));
  await fleet.startControlPlane(0);

  // A corrupt file and a cut-off one are refused, and change nothing.
  const good = readFileSync(file);
  const corrupt = Buffer.from(good);
  const mid = good.indexOf('"r":[', Math.floor(good.length / 2)) + 40;
  corrupt[mid] = corrupt[mid] === 0x41 ? 0x42 : 0x41;
  writeFileSync(join(fleet.dir, 'corrupt.backup'), corrupt);
  writeFileSync(join(fleet.dir, 'cut.backup'), good.subarray(0, Math.floor(good.length * 0.6)));
  const emptyState = await snapshot(fleet.nats.url);
  const refusedCorrupt = await fleet.fleetctl(['backup', 'restore', '--from', join(fleet.dir, 'corrupt.backup')]);
  t.is(refusedCorrupt.code, 1);
  t.regex(refusedCorrupt.stderr, /does not match its records \(SHA-256\)|is not valid: the file is corrupt|the file is corrupt/);
  const refusedCut = await fleet.fleetctl(['backup', 'restore', '--from', join(fleet.dir, 'cut.backup')]);
  t.is(refusedCut.code, 1);
  t.regex(refusedCut.stderr, /cut off/);
  const outside = await fleet.fleetctl(['backup', 'restore', '--from', file, '--at', new Date(Date.parse(inspect.restorableFrom) - 60_000).toISOString()]);
  t.is(outside.code, 1);
  t.regex(outside.stderr, /is outside/);
  t.deepEqual(await snapshot(fleet.nats.url), emptyState, 'refused restores changed nothing');

  // Restore to the moment.
  const started = Date.now();
  const restored = await fleet.fleetctl(['backup', 'restore', '--from', file, '--at', new Date(atMs).toISOString()]);
  t.is(restored.code, 0, restored.stderr);
  t.regex(restored.stdout, /restored the fleet as it was at/);
  t.log(`restore took ${Date.now() - started} ms: ${restored.stdout.trim().split('\n')[0]}`);
  t.deepEqual(await snapshot(fleet.nats.url), observed, 'the restored state is the observed one, record by record');
  t.is(await fleet.run(['task', 'logs', between[2]!]), logsAtT, 'logs restored');

  // A second restore into the now non-empty fleet is refused unless forced.
  const again = await fleet.fleetctl(['backup', 'restore', '--from', file, '--at', new Date(atMs).toISOString()]);
  t.is(again.code, 1);
  t.regex(again.stderr, /the fleet is not empty \(.*\): restore into a new, empty JetStream, or pass --force/);

  // Tasks submitted after the moment do not exist; the ones before do, as they were.
  for (const id of after) t.regex((await fleet.fleetctl(['task', 'get', id])).stderr, /not found/);
  for (const id of [...before, ...between]) t.is((await getTask(fleet, id)).state, 'SUCCEEDED');

  await fleet.restartAgent(fleet.agent('keeper'));
  // The node reconnects; the long task, RUNNING at the moment, is reconciled and succeeds, never twice at once.
  await eventually('the node back', async () => {
    const nodes = await fleet.json<Array<{ name: string; status: string }>>(['node', 'list']);
    return nodes.find((n) => n.name === 'keeper')?.status === 'READY';
  }, 60_000).catch((err) => {
    console.error(fleet.agent('keeper').process.text.slice(-6000));
    console.error(fleet.controlPlane!.text.split('\n').filter((l) => !/"level":20/.test(l)).slice(-40).join('\n'));
    throw err;
  });
  const long = await untilState(fleet, longRunner, ['SUCCEEDED'], 90_000).catch(async (err) => {
    console.error(JSON.stringify(await getTask(fleet, longRunner), null, 1));
    console.error(fleet.agent('keeper').process.text.split('\n').filter((l) => !/"level":20/.test(l)).slice(-30).join('\n'));
    console.error(fleet.controlPlane!.text.split('\n').filter((l) => !/"level":20/.test(l)).slice(-30).join('\n'));
    throw err;
  });
  t.true(long.attempts.length >= 2, 'the attempt that ended after the moment was handled as lost and run again');
  await assertNoOverlap(fleet, longRunner);

  // And the fleet keeps working.
  const fresh = await runTasks(fleet, 2, 'fresh');
  t.is(fresh.length, 2);
});

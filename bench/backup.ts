/**
 * Backup and point-in-time restore at scale (`npm run bench:backup`): a
 * fleet holding N finished tasks (default 100,000) with their events and
 * idempotency keys, written straight into JetStream as the control plane
 * stores them; then, with the real binaries:
 *   1. `fleetctl backup create --follow` while M more task updates are
 *      written in two batches with a pause between them; the moment T is in
 *      the pause;
 *   2. JetStream destroyed (nats-server killed, its store deleted), a new
 *      one and a new control plane started;
 *   3. `fleetctl backup restore --at T`, then every task record read back
 *      and compared with what the writes made it at T.
 * Prints JSON: the time of the base backup, the file's size, the time of the
 * restore, and how many records matched the state at T (all must).
 *
 *   node dist/bench/backup.js [--tasks 100000] [--updates 2000]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { newId } from '../common/ids.js';
import type { Task } from '../common/model.js';
import { freePort } from '../test/harness/nats.js';

const DIST = resolve(import.meta.dirname, '..');
const TOKEN = 'bench-backup-admin-token-0123456789abcdef';
const WINDOW = 512;

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name}: give a positive whole number`);
  return v;
}

const tasks = flag('--tasks', 100_000);
const updates = flag('--updates', 2_000);
const dir = mkdtempSync(join(tmpdir(), 'bench-backup-'));

interface Proc {
  child: ChildProcess;
  log: () => string;
}

/** Every child started, killed when the benchmark exits however it ends. */
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

function start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  let log = '';
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()).length > 1e6 && (log = log.slice(-1e5)));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()).length > 1e6 && (log = log.slice(-1e5)));
  child.on('exit', (code, signal) => code && console.error(`${name} exited ${code ?? signal}`));
  return { child, log: () => log };
}

async function until(what: string, probe: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function startFleet(natsStore: string, cpPort: number): Promise<{ nats: Proc; cp: Proc; natsUrl: string }> {
  const natsPort = await freePort();
  const nats = start('nats-server', 'nats-server', ['-a', '127.0.0.1', '-p', String(natsPort), '-js', '-sd', natsStore]);
  const natsUrl = `nats://127.0.0.1:${natsPort}`;
  await until('nats-server', () => /Server is ready/.test(nats.log()));
  const cp = start('control plane', process.execPath, [join(DIST, 'control-plane/src/main.js'), '--listen', `127.0.0.1:${cpPort}`, '--data-dir', join(dir, 'cp'), '--nats', natsUrl, '--metrics-listen', 'off'], {
    FLEET_ADMIN_TOKEN: TOKEN,
    FLEET_LOG_LEVEL: 'info',
  });
  await until('the control plane', () => /control plane ready/.test(cp.log()), 90_000);
  await sleep(1_000);
  return { nats, cp, natsUrl };
}


function fleetctl(cpPort: number, args: string[]): { code: number | null; stdout: string; stderr: string; ms: number } {
  const started = Date.now();
  const r = spawnSync(process.execPath, [join(DIST, 'cli/src/main.js'), '--server', `127.0.0.1:${cpPort}`, ...args], {
    env: { ...process.env, FLEET_TOKEN: TOKEN, FLEET_CA_FILE: join(dir, 'cp/tls/ca.crt'), FLEET_CONFIG: join(dir, 'fleetctl.json') },
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

function taskRecord(id: string, nowMs: number, generation: number): Task {
  return {
    id,
    spec: { image: 'fleet-test/busybox:1', command: ['sh', '-c', `echo task ${id}; make test`], env: { CI: 'true' }, workingDir: '', resources: { cpus: 1, memoryBytes: 536_870_912, pidsLimit: 512 }, timeoutMs: 3_600_000, retry: { maxAttempts: 3, initialBackoffMs: 1_000, maxBackoffMs: 60_000, backoffMultiplier: 2, nonRetryableExitCodes: [] }, nodeSelector: {}, priority: 0, idempotencyKey: `key-${id}`, network: 'bridge' },
    state: 'SUCCEEDED',
    attempts: [{ id: `att_${id.slice(5)}`, nodeId: 'node_0bench0000000000000', state: 'SUCCEEDED', exitCode: 0, error: '', assignedAtMs: nowMs - 5_000, startedAtMs: nowMs - 4_000, finishedAtMs: nowMs - 1_000, containerId: 'c0ffee0c0ffee', leaderEpoch: 1, queuedMs: 12 }],
    createdAtMs: nowMs - 6_000,
    updatedAtMs: nowMs + generation,
    notBeforeMs: 0,
    message: generation ? `updated ${generation}` : '',
    taskFailures: 0,
    infraFailures: 0,
  };
}

async function publishAll(js: JetStreamClient, items: Array<[string, Uint8Array]>): Promise<void> {
  for (let i = 0; i < items.length; i += WINDOW) await Promise.all(items.slice(i, i + WINDOW).map(([subject, data]) => js.publish(subject, data)));
}

const digest = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function readTasks(natsUrl: string): Promise<Map<string, string>> {
  const nc = await connect({ servers: natsUrl });
  const out = new Map<string, string>();
  const kv = await new Kvm(jetstream(nc)).open('fleet_tasks');
  const watch = await kv.watch({ include: 'last_value' as never, initializedFn: undefined } as never);
  for await (const e of watch) {
    if (e.operation === 'PUT') out.set(e.key, digest(e.value));
    if (e.delta === 0) break;
  }
  await nc.close();
  return out;
}

async function main(): Promise<void> {
  const cpPort = await freePort();
  const enc = new TextEncoder();
  let fleet = await startFleet(join(dir, 'nats-1'), cpPort);
  const nc = await connect({ servers: fleet.natsUrl });
  const js = jetstream(nc);
  const now = Date.now();
  const ids = Array.from({ length: tasks }, (_, i) => newId('task', now - tasks + i));
  const expected = new Map<string, string>();
  const fillStarted = Date.now();
  const base: Array<[string, Uint8Array]> = [];
  for (const id of ids) {
    const data = enc.encode(JSON.stringify(taskRecord(id, now, 0)));
    expected.set(id, digest(data));
    base.push([`$KV.fleet_tasks.${id}`, data]);
    base.push([`$KV.fleet_idempotency.${createHash('sha256').update(`key-${id}`).digest('hex').slice(0, 32)}`, enc.encode(JSON.stringify({ taskId: id, createdAtMs: now }))]);
    for (const type of ['task.submitted', 'task.assigned', 'task.started', 'task.succeeded']) base.push([`fleet.events.${type}`, enc.encode(JSON.stringify({ type, taskId: id, atMs: now }))]);
  }
  await publishAll(js, base);
  const fillMs = Date.now() - fillStarted;

  const file = join(dir, 'fleet.backup');
  let follower = '';
  const followerProc = spawn(process.execPath, [join(DIST, 'cli/src/main.js'), '--server', `127.0.0.1:${cpPort}`, 'backup', 'create', '--out', file, '--follow'], {
    env: { ...process.env, FLEET_TOKEN: TOKEN, FLEET_CA_FILE: join(dir, 'cp/tls/ca.crt'), FLEET_CONFIG: join(dir, 'fleetctl.json') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(followerProc);
  followerProc.stderr!.on('data', (d: Buffer) => (follower += d.toString()));
  const backupStarted = Date.now();
  await until('the base backup', () => /base complete/.test(follower), 600_000);
  const baseMs = Date.now() - backupStarted;
  const baseBytes = statSync(file).size;

  // Two batches of updates with a pause between them: T is in the pause.
  const half = Math.floor(updates / 2);
  const batch = (from: number, to: number, generation: number) =>
    ids.slice(from, to).map((id): [string, Uint8Array] => {
      const data = enc.encode(JSON.stringify(taskRecord(id, now, generation)));
      return [`$KV.fleet_tasks.${id}`, data];
    });
  const first = batch(0, half, 1);
  // Half of the second batch rewrites keys the first changed: the state at T must have the first value.
  const second = [...batch(0, Math.floor(half / 2), 2), ...batch(half, updates, 2)];
  await publishAll(js, first);
  for (const [subject, data] of first) expected.set(subject.slice('$KV.fleet_tasks.'.length), digest(data));
  await sleep(400);
  const atMs = Date.now();
  await sleep(400);
  await publishAll(js, second);
  await sleep(2_500);
  followerProc.kill('SIGINT');
  await new Promise((r) => followerProc.once('close', r));
  await nc.close();
  const inspect = JSON.parse(fleetctl(cpPort, ['backup', 'inspect', file, '-o', 'json']).stdout) as { records: Record<string, number>; restorableFrom: string; restorableUntil: string; gaps: unknown[] };

  // Destroy JetStream and start again.
  fleet.cp.child.kill('SIGKILL');
  fleet.nats.child.kill('SIGKILL');
  await sleep(500);
  rmSync(join(dir, 'nats-1'), { recursive: true, force: true });
  fleet = await startFleet(join(dir, 'nats-2'), cpPort);
  const restore = fleetctl(cpPort, ['backup', 'restore', '--from', file, '--at', new Date(atMs).toISOString()]);
  if (restore.code !== 0) throw new Error(`restore failed: ${restore.stderr}`);
  const cpRss = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${fleet.cp.child.pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

  const restored = await readTasks(fleet.natsUrl);
  let matched = 0;
  const mismatched: string[] = [];
  for (const [id, want] of expected) {
    if (restored.get(id) === want) matched++;
    else if (mismatched.length < 5) mismatched.push(id);
  }
  fleet.cp.child.kill('SIGTERM');
  fleet.nats.child.kill('SIGTERM');
  const result = {
    tasks,
    updatesAfterBase: updates,
    fillSeconds: fillMs / 1000,
    baseBackupSeconds: baseMs / 1000,
    baseBackupBytes: baseBytes,
    fileBytes: statSync(file).size,
    fileRecords: Object.values(inspect.records).reduce((a, b) => a + b, 0),
    restorable: { from: inspect.restorableFrom, until: inspect.restorableUntil, gaps: inspect.gaps.length },
    restoreAt: new Date(atMs).toISOString(),
    restoreSeconds: restore.ms / 1000,
    restoreOutput: restore.stdout.trim().split('\n')[0],
    controlPlanePeakRssBytes: cpRss,
    accuracy: { taskRecords: expected.size, restored: restored.size, matchingTheStateAtT: matched, mismatched },
  };
  console.log(JSON.stringify(result, null, 2));
  rmSync(dir, { recursive: true, force: true });
  if (matched !== expected.size || restored.size !== expected.size) process.exit(1);
}

main().catch((err: unknown) => {
  console.error(err);
  console.error(`scratch directory kept for inspection: ${dir}`);
  process.exit(1);
});

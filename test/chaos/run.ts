/**
 * The fault-injection suite: a three-node nats-server cluster, three
 * control-plane replicas and four node agents on this machine (one behind a
 * network namespace, one on a private Docker engine, one with its data dir on
 * a small file system of its own, when the machine allows); a steady stream
 * of tasks; faults at random from a seed (kill the leader or a follower, kill
 * a nats-server, pause a replica past its lease, kill an agent, cut an agent
 * off, restart a node's Docker engine with or without live-restore, fill a
 * node's disk). At the end the history is judged (see history.ts) and the
 * figures printed. Exits 1 on any violation.
 *
 *   npm run chaos -- --duration 2m --seed 7 --rate 2
 */
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import * as grpc from '@grpc/grpc-js';
import { parseDuration } from '../../common/duration.js';
import type { Task__Output } from '../../proto/gen/fleet/v1/Task.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TestDockerd } from '../harness/dockerd.js';
import { TestFleet } from '../harness/fleet.js';
import { bearer, clients } from '../harness/grpc.js';
import { TestNetns } from '../harness/netns.js';
import { TEST_IMAGE } from '../harness/requirements.js';
import { planFaults, seededRandom, type Fault } from './faults.js';
import { judge, percentile, type FaultRecord, type JournaledOutcome, type Submission } from './history.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '2m' },
    seed: { type: 'string' },
    rate: { type: 'string', default: '2' },
    'no-netns': { type: 'boolean', default: false },
  },
});
const DURATION_MS = parseDuration('--duration', values.duration);
const SEED = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const RATE = Number(values.rate);
if (!Number.isInteger(SEED) || !(RATE > 0 && RATE <= 20)) {
  process.stderr.write('usage: chaos [--duration 2m] [--seed N] [--rate 1..20] [--no-netns]\n');
  process.exit(2);
}
const LEASE_TTL_MS = 3_000;
const LIVENESS = ['--heartbeat-interval', '1s', '--disconnected-after', '3s', '--down-after', '8s', '--stop-margin', '4s', '--lease-ttl', `${LEASE_TTL_MS}ms`];
const SUBMIT_PATIENCE_MS = 20_000;
/**
 * After the faults, the fleet works off its backlog. A task that never ends
 * is one the fleet stopped working on, so the wait ends when every task has
 * ended, or when nothing has changed for QUIESCE_STALL_MS (stuck), or at the
 * cap: slow (a loaded 2-core machine re-running lost attempts) is not stuck.
 */
const QUIESCE_STALL_MS = 60_000;
const QUIESCE_CAP_MS = 600_000;
const TARGET_MS = 5_000;

const say = (text: string) => process.stderr.write(`[chaos +${((performance.now() - t0) / 1000).toFixed(1)}s] ${text}\n`);
const t0 = performance.now();

function makeNetns(): TestNetns | undefined {
  if (values['no-netns']) return undefined;
  try {
    return TestNetns.create();
  } catch (err) {
    say(`no network namespace (${(err as Error).message}); running without the cut-agent fault`);
    return undefined;
  }
}

/** Unary calls that fail over across the replicas, as fleetctl does. */
class Api {
  private readonly list: ReturnType<typeof clients>['fleet'][];
  private readonly md: grpc.Metadata;
  constructor(endpoints: string[], token: string) {
    this.list = endpoints.map((e) => clients(e, fleet.caPem).fleet);
    this.md = bearer(token);
  }
  async call<T>(method: string, request: unknown, timeoutMs = 5_000): Promise<T> {
    let last: unknown;
    for (const c of this.list) {
      try {
        return await new Promise<T>((resolve, reject) =>
          (c as unknown as Record<string, (r: unknown, m: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, v?: T) => void) => void>)[method]!.call(
            c, request, this.md, { deadline: Date.now() + timeoutMs }, (e, v) => (e ? reject(e) : resolve(v as T)),
          ),
        );
      } catch (err) {
        last = err;
        const code = (err as grpc.ServiceError).code;
        if (code !== grpc.status.UNAVAILABLE && code !== grpc.status.DEADLINE_EXCEEDED && code !== grpc.status.ABORTED) throw err;
      }
    }
    throw last;
  }
  close(): void {
    for (const c of this.list) c.close();
  }
}

/** A private engine for one agent, so that restarting it leaves the machine's engine (and the other agents) alone. */
async function makeEngine(): Promise<TestDockerd | undefined> {
  if (values['no-netns']) return undefined;
  try {
    return await TestDockerd.start({ liveRestore: true });
  } catch (err) {
    say(`no private Docker engine (${(err as Error).message}); running without the restart-engine fault`);
    return undefined;
  }
}

/** A small file system for one agent's data dir, so that filling it fills nobody else's. */
function makeSmallDisk(): string | undefined {
  if (values['no-netns']) return undefined;
  const dir = mkdtempSync('/tmp/fcd-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', dir]);
    return dir;
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    say(`no small file system (${(err as Error).message}); running without the fill-disk fault`);
    return undefined;
  }
}

const netns = makeNetns();
const engine = await makeEngine();
const smallDisk = makeSmallDisk();
const fleet = await TestFleet.start({
  natsCluster: 3,
  replicas: 3,
  agents: [{ name: 'node-1', slots: 4 }],
  controlPlaneArgs: LIVENESS,
  listenHost: netns ? '0.0.0.0' : '127.0.0.1',
});
let exitCode = 1;
try {
  if (engine) {
    fleet.extraEngines.push(engine.docker);
    await engine.loadFrom(fleet.docker, TEST_IMAGE);
  }
  await fleet.addAgent({ name: 'node-2', slots: 4 }, engine ? { extraArgs: ['--docker-host', engine.host] } : {});
  await fleet.addAgent({ name: 'node-3', slots: 4 }, smallDisk ? { dataDir: join(smallDisk, 'agent'), extraArgs: ['--min-free-disk', '8m'] } : {});
  if (netns) await fleet.addAgent({ name: 'islander', slots: 4 }, { netns: netns.name, server: fleet.ports.map((p) => `${netns.hostAddress}:${p}`).join(',') });
  const api = new Api(fleet.server.split(','), fleet.adminToken);
  const plan = planFaults({
    seed: SEED,
    durationMs: DURATION_MS,
    natsServers: 3,
    agents: fleet.agents.length,
    cuttableAgent: Boolean(netns),
    restartableEngine: Boolean(engine),
    fillableDisk: Boolean(smallDisk),
    leaseTtlMs: LEASE_TTL_MS,
  });
  say(`seed ${SEED}: ${plan.length} faults over ${DURATION_MS / 1000}s, ${RATE} tasks/s, ${fleet.agents.length} agents`);

  const startedAt = Date.now();
  const random = seededRandom(SEED ^ 0x5eed);
  const submissions: Submission[] = [];
  const inFlight = new Set<Promise<void>>();
  let refused = 0;
  const refusals = new Map<string, number>();
  const submitOne = async (n: number) => {
    const key = `chaos-${SEED}-${n}`;
    const sleepS = (0.2 + random() * 2.8).toFixed(1);
    const record: Submission = { key, taskId: null, ackedAtMs: null };
    submissions.push(record);
    const deadline = Date.now() + SUBMIT_PATIENCE_MS;
    while (Date.now() < deadline) {
      try {
        const task = await api.call<Task__Output>('SubmitTask', { spec: { image: TEST_IMAGE, command: ['sh', '-c', `sleep ${sleepS}; echo ${key}`], idempotencyKey: key } });
        record.taskId = task.id;
        record.ackedAtMs = Date.now();
        return;
      } catch (err) {
        refused++;
        const e = err as grpc.ServiceError;
        const reason = `${grpc.status[e.code] ?? 'ERROR'}: ${String(e.details ?? e.message).replace(/[0-9a-z]{19}/g, '…').slice(0, 90)}`;
        refusals.set(reason, (refusals.get(reason) ?? 0) + 1);
        await sleep(250);
      }
    }
  };
  const submitter = (async () => {
    for (let n = 0; Date.now() - startedAt < DURATION_MS; n++) {
      const p = submitOne(n).finally(() => inFlight.delete(p));
      inFlight.add(p);
      await sleep(1000 / RATE);
    }
  })();

  const faults: FaultRecord[] = [];
  const inject = async (f: Fault) => {
    const at = Date.now();
    const leader = fleet.leaderIndex();
    switch (f.kind) {
      case 'kill-leader':
      case 'kill-follower': {
        const followers = [0, 1, 2].filter((i) => i !== leader);
        const victim = f.kind === 'kill-leader' && leader >= 0 ? leader : followers[f.target % followers.length]!;
        faults.push({ kind: f.kind === 'kill-leader' && leader >= 0 ? 'kill-leader' : 'kill-follower', target: `replica-${victim + 1}`, atMs: at });
        say(`SIGKILL replica-${victim + 1}${victim === leader ? ' (the leader)' : ''}; restart in ${f.holdMs}ms`);
        await fleet.controlPlanes[victim]!.stop('SIGKILL');
        await sleep(f.holdMs);
        await fleet.startControlPlane(victim);
        return;
      }
      case 'kill-nats': {
        const name = `nats-${f.target + 1}`;
        faults.push({ kind: f.kind, target: name, atMs: at });
        say(`SIGKILL ${name}; restart in ${f.holdMs}ms`);
        await fleet.natsCluster!.kill(name);
        await sleep(f.holdMs);
        await fleet.natsCluster!.restart(name);
        return;
      }
      case 'pause-replica': {
        const victim = f.target % 3;
        faults.push({ kind: f.kind, target: `replica-${victim + 1}`, atMs: at });
        say(`SIGSTOP replica-${victim + 1}${victim === leader ? ' (the leader)' : ''} for ${f.holdMs}ms (longer than the lease)`);
        fleet.controlPlanes[victim]!.child.kill('SIGSTOP');
        await sleep(f.holdMs);
        fleet.controlPlanes[victim]!.child.kill('SIGCONT');
        return;
      }
      case 'kill-agent': {
        const agent = fleet.agents[f.target % fleet.agents.length]!;
        faults.push({ kind: f.kind, target: agent.spec.name, atMs: at });
        say(`SIGKILL agent ${agent.spec.name}; restart in ${f.holdMs}ms`);
        await agent.process.stop('SIGKILL');
        await sleep(f.holdMs);
        await fleet.restartAgent(agent);
        return;
      }
      case 'cut-agent': {
        faults.push({ kind: f.kind, target: 'islander', atMs: at });
        say(`cut islander off the network for ${f.holdMs}ms`);
        netns!.cut(true);
        await sleep(f.holdMs);
        netns!.cut(false);
        return;
      }
      case 'restart-engine': {
        // Both ways an engine restart goes: containers kept (live-restore) or stopped with it.
        const liveRestore = f.target % 2 === 0;
        faults.push({ kind: f.kind, target: `node-2 engine (live-restore ${liveRestore ? 'on' : 'off'})`, atMs: at });
        say(`restart node-2's Docker engine, down for ${f.holdMs}ms, live-restore ${liveRestore ? 'on' : 'off'}`);
        await engine!.down();
        await sleep(f.holdMs);
        await engine!.up(liveRestore);
        return;
      }
      case 'fill-disk': {
        faults.push({ kind: f.kind, target: 'node-3 data dir', atMs: at });
        say(`fill node-3's data dir for ${f.holdMs}ms`);
        const filler = join(smallDisk!, 'filler');
        spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=1M'], { stdio: 'ignore' });
        await sleep(f.holdMs);
        rmSync(filler, { force: true });
        return;
      }
    }
  };
  for (const f of plan) {
    const wait = startedAt + f.atMs - Date.now();
    if (wait > 0) await sleep(wait);
    await inject(f).catch((err: unknown) => say(`fault ${f.kind} could not be completed: ${(err as Error).message}`));
  }
  await submitter;
  await Promise.all(inFlight);
  say(`faults done; waiting for every acknowledged task to end`);

  const ackedIds = new Set(submissions.filter((s) => s.taskId).map((s) => s.taskId!));
  let tasks: Task__Output[] = [];
  const quiesceStarted = Date.now();
  let lastChangeMs = Date.now();
  let lastShape = '';
  while (Date.now() - quiesceStarted < QUIESCE_CAP_MS && Date.now() - lastChangeMs < QUIESCE_STALL_MS) {
    tasks = (await api.call<{ tasks: Task__Output[] }>('ListTasks', { limit: 10_000 }, 15_000).catch(() => ({ tasks }))).tasks;
    const open = tasks.filter((t) => ackedIds.has(t.id) && !['TASK_STATE_SUCCEEDED', 'TASK_STATE_FAILED', 'TASK_STATE_CANCELLED', 'TASK_STATE_TIMED_OUT'].includes(String(t.state)));
    if (open.length === 0 && tasks.length >= ackedIds.size) break;
    // Progress: any open task changed state or got another attempt.
    const shape = open.map((t) => `${t.id}:${String(t.state)}:${t.attempts?.length ?? 0}`).join(',');
    if (shape !== lastShape) {
      lastShape = shape;
      lastChangeMs = Date.now();
    }
    await sleep(1_000);
  }
  say(`backlog worked off in ${((Date.now() - quiesceStarted) / 1000).toFixed(0)}s`);
  const containerDeadline = Date.now() + 60_000;
  while ((await fleet.containers()).length > 0 && Date.now() < containerDeadline) await sleep(500);

  const journals: JournaledOutcome[] = [];
  for (const agent of fleet.agents) {
    const db = new Database(`${agent.dataDir}/journal.sqlite`, { readonly: true, fileMustExist: true });
    for (const row of db.prepare('SELECT attempt_id, outcome_json FROM attempts WHERE outcome_json IS NOT NULL').all() as Array<{ attempt_id: string; outcome_json: string }>) {
      const o = JSON.parse(row.outcome_json) as { state: string; exitCode?: number };
      journals.push({ attemptId: row.attempt_id, state: o.state, exitCode: o.exitCode ?? null });
    }
    db.close();
  }
  const lives = await fleet.allContainerLifetimes();
  const leftovers = await fleet.containers();
  const verdict = judge({
    submissions,
    tasks: tasks.map((t) => ({
      id: t.id,
      key: t.spec?.idempotencyKey ?? '',
      state: String(t.state).replace('TASK_STATE_', ''),
      attempts: t.attempts.map((a) => ({ id: a.id, nodeId: a.nodeId, state: String(a.state).replace('ATTEMPT_STATE_', ''), exitCode: a.exitCode ?? null, assignedAtMs: Number(a.assignedAtMs) })),
    })),
    journals,
    containers: [...lives.entries()].flatMap(([taskId, list]) => list.map((l) => ({ taskId, attemptId: l.attemptId, startNs: l.startNs, dieNs: l.dieNs }))),
    containersLeft: leftovers.length,
    faults,
  });
  api.close();

  const fmt = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(2)}s`);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`chaos run: seed ${SEED}, ${DURATION_MS / 1000}s, ${faults.length} faults (${[...new Set(faults.map((f) => f.kind))].join(', ')})`);
  out(`  submissions acknowledged: ${verdict.acknowledged} of ${submissions.length} (${refused} refused tries were retried with the same idempotency key)`);
  for (const [reason, n] of [...refusals.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5)) out(`    refused ${n}x: ${reason}`);
  out(`  terminal states: ${JSON.stringify(verdict.terminal)}; attempts ${verdict.attempts}, of which LOST ${verdict.lostAttempts}`);
  // A task that did not succeed is not a violation (its own exit code, a spent budget), but the reason is worth reading.
  for (const task of tasks.filter((x) => ackedIds.has(x.id) && String(x.state) !== 'TASK_STATE_SUCCEEDED').slice(0, 5)) {
    out(`    ${task.id} ${String(task.state).replace('TASK_STATE_', '')}: ${task.message}; attempts: ${task.attempts.map((a) => `${String(a.state).replace('ATTEMPT_STATE_', '')}(${a.error ?? ''})`).join(', ')}`);
  }
  out(`  acknowledged tasks lost: ${verdict.violations.filter((v) => v.includes('was lost')).length}; overlapping attempts: ${verdict.violations.filter((v) => v.includes('overlapped')).length}`);
  out(`  scheduling gap after leader SIGKILL: p99 ${fmt(percentile(verdict.leaderKillGapsMs, 0.99))}, max ${fmt(Math.max(...verdict.leaderKillGapsMs, -Infinity) > 0 ? Math.max(...verdict.leaderKillGapsMs) : undefined)} over ${verdict.leaderKillGapsMs.length} kill(s) (target ${TARGET_MS / 1000}s: ${verdict.leaderKillGapsMs.every((g) => g <= TARGET_MS) ? 'met' : 'MISSED'})`);
  out(`  first acknowledged submission after a nats-server SIGKILL: max ${fmt(verdict.natsKillGapsMs.length ? Math.max(...verdict.natsKillGapsMs) : undefined)} over ${verdict.natsKillGapsMs.length} kill(s) (target ${TARGET_MS / 1000}s: ${verdict.natsKillGapsMs.every((g) => g <= TARGET_MS) ? 'met' : 'MISSED'})`);
  if (verdict.violations.length > 0) {
    out(`VIOLATIONS (${verdict.violations.length}):`);
    // The rarer kinds first: a run that stalls can bury one overlap under a hundred unfinished tasks.
    const ordered = [...verdict.violations].sort((a, b) => Number(a.includes('never ended')) - Number(b.includes('never ended')));
    for (const v of ordered.slice(0, 50)) out(`  - ${v}`);
    // What Docker saw of each overlap, to tell a real one from a gap in the engines' event logs.
    for (const v of verdict.violations.filter((x) => x.includes('overlapped'))) {
      const taskId = /task (task_\w+)/.exec(v)?.[1] ?? '';
      for (const l of lives.get(taskId) ?? []) out(`    ${l.attemptId} on ${l.nodeId}: start ${new Date(Number(l.startNs / 1_000_000n)).toISOString()}, die ${l.dieNs === null ? 'never seen' : new Date(Number(l.dieNs / 1_000_000n)).toISOString()}`);
    }
    if (leftovers.length > 0) for (const f of faults) out(`    fault ${f.kind} on ${f.target} at ${new Date(f.atMs).toISOString()}`);
    // Each container left behind, beside what the task record says of its attempt, to tell who forgot it.
    for (const c of leftovers.slice(0, 20)) {
      const taskId = c.Labels['io.cline-fleet.task'] ?? '';
      const attemptId = c.Labels['io.cline-fleet.attempt'] ?? '';
      const task = tasks.find((x) => x.id === taskId);
      const attempt = task?.attempts.find((a) => a.id === attemptId);
      const life = (lives.get(taskId) ?? []).find((l) => l.attemptId === attemptId);
      out(
        `    left: ${c.Names.join(',')} on ${c.Labels['io.cline-fleet.node'] ?? '?'}: ${c.State} (${c.Status}), created ${new Date(c.Created * 1000).toISOString()}; ` +
          `task ${String(task?.state ?? 'unknown').replace('TASK_STATE_', '')}, attempt ${String(attempt?.state ?? 'unknown').replace('ATTEMPT_STATE_', '')} (${attempt?.error ?? ''}); ` +
          `started ${life ? new Date(Number(life.startNs / 1_000_000n)).toISOString() : 'never seen'}`,
      );
    }
    out(`replay with: npm run chaos -- --duration ${values.duration} --seed ${SEED} --rate ${RATE}`);
  } else {
    out('  invariants: all held');
    exitCode = 0;
  }
} finally {
  await fleet.stop();
  netns?.destroy();
  await engine?.destroy();
  if (smallDisk) {
    spawnSync('umount', ['-l', smallDisk]);
    rmSync(smallDisk, { recursive: true, force: true });
  }
}
process.exit(exitCode);

/**
 * Autoscaling on real processes: a control plane started with
 * --autoscale-hook (a shell script that records each call and can be told
 * to fail), agents in a pool by their join token's labels. A queue on the
 * pool asks the hook for more nodes within one scale-up cooldown, clamped
 * to max; when the queue empties, idle nodes are drained and only then
 * named to the hook, and min holds; a failing hook is retried with backoff
 * and shows in `autoscale status` and the metrics; the hook is never called
 * twice at once for a pool.
 */
import { copyFileSync, chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { eventually, submitTask, TestFleet } from './harness/fleet.js';

interface HookCall {
  pool: string;
  current: number;
  desired: number;
  minNodes: number;
  maxNodes: number;
  remove: Array<{ id: string; name: string }>;
  attempt: number;
  /** When the hook started (its own clock, so a busy test reading late does not skew the spacing). */
  seenAtMs: number;
}

interface PoolStatus {
  name: string;
  current: number;
  desired: number;
  why: string;
  draining: Array<{ id: string; name: string }>;
  released: Array<{ id: string; name: string }>;
  lastCall: { result: string; error: string; current: number; desired: number; remove: Array<{ id: string; name: string }> } | null;
  failures: number;
  nextRetryAt: string;
  hookConfigured: boolean;
}

interface NodeJson {
  id: string;
  name: string;
  drain: { state: string } | null;
  activeAttempts: number;
}

const test = anyTest as TestFn<{ fleet: TestFleet; hookDir: string; metricsUrl: string }>;

const SCALE_UP_COOLDOWN_MS = 5_000;

test.before(async (t) => {
  // The hook's directory is the test's, outside the fleet's: it must exist, unwritable by others, before the control plane starts.
  const hookDir = mkdtempSync(join(tmpdir(), 'fleet-autoscale-hook-'));
  chmodSync(hookDir, 0o755);
  const hook = join(hookDir, 'hook.sh');
  copyFileSync(new URL('./harness/autoscale-hook.sh', import.meta.url), hook);
  chmodSync(hook, 0o755);
  t.context.hookDir = hookDir;
  const fleet = await TestFleet.start({
    agents: [{ name: 'a1', labels: { pool: 'a' }, slots: 1 }],
    controlPlaneArgs: ['--autoscale-hook', hook, '--autoscale-interval', '300ms', '--autoscale-hook-timeout', '5s', '--metrics-listen', '127.0.0.1:0'],
  });
  t.context.fleet = fleet;
  const line = await fleet.controlPlane!.waitForLog('metrics and health endpoints listening');
  t.context.metricsUrl = `http://${String(line.listen)}/metrics`;
  const set = await fleet.fleetctl(['autoscale', 'set', 'a', '--selector', 'pool=a', '--min', '1', '--max', '3', '--scale-up-cooldown', `${SCALE_UP_COOLDOWN_MS / 1000}s`, '--scale-down-cooldown', '3s']);
  if (set.code !== 0) throw new Error(`autoscale set failed: ${set.stderr}`);
});

test.afterEach.always(async (t) => {
  if (!t.passed && t.context.fleet) await explain(t, t.context.fleet, t.context.hookDir);
});

test.after.always(async (t) => {
  await t.context.fleet?.stop();
  if (t.context.hookDir) rmSync(t.context.hookDir, { recursive: true, force: true });
});

/** The hook's calls so far, each with the time it started. */
function calls(hookDir: string): HookCall[] {
  const path = join(hookDir, 'calls.jsonl');
  const lines = existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
  return lines.map((line) => {
    const space = line.indexOf(' ');
    return { ...(JSON.parse(line.slice(space + 1)) as HookCall), seenAtMs: Number(line.slice(0, space)) };
  });
}

async function watchCalls(hookDir: string, until: (all: HookCall[]) => boolean, what: string, timeoutMs = 30_000): Promise<HookCall[]> {
  return eventually(what, async () => (until(calls(hookDir)) ? calls(hookDir) : undefined), timeoutMs, 50);
}

/** On a failure, what the pool and the hook said: a timeout alone tells nothing. */
async function explain(t: ExecutionContext, fleet: TestFleet, hookDir: string): Promise<void> {
  t.log('pool status:', JSON.stringify(await status(fleet).catch((e: unknown) => String(e))));
  t.log('hook calls:', JSON.stringify(calls(hookDir).slice(-6)));
  t.log('nodes:', JSON.stringify(await nodes(fleet).catch((e: unknown) => String(e))));
}

const status = (fleet: TestFleet) => fleet.json<PoolStatus>(['autoscale', 'status', 'a']);
const nodes = (fleet: TestFleet) => fleet.json<NodeJson[]>(['node', 'list']);

test.serial('a queue on the pool asks the hook for more nodes within one cooldown, at most max; the cooldown spaces the asks', async (t) => {
  const { fleet, hookDir } = t.context;
  const before = await eventually('the leader to decide for the pool', async () => {
    const st = await status(fleet);
    return st.why ? st : undefined;
  });
  t.deepEqual([before.current, before.desired, before.lastCall, before.hookConfigured], [1, 1, null, true], 'one node, min 1: nothing to ask');
  const ids = await Promise.all([1, 2, 3, 4, 5].map(() => submitTask(fleet, ['--label-selector', 'pool=a'], ['sleep', '60'])));
  // Cancelled however this test ends: the next one starts from an empty queue.
  t.teardown(async () => {
    for (const id of ids) await fleet.fleetctl(['task', 'cancel', id]);
  });
  const queuedAt = Date.now();
  const [first] = await watchCalls(hookDir, (all) => all.length >= 1, 'the hook to be asked for more nodes');
  t.true(first!.seenAtMs - queuedAt < SCALE_UP_COOLDOWN_MS, `asked ${first!.seenAtMs - queuedAt}ms after the queue was there`);
  // The first pass may see only part of the queue (the tasks are submitted one by one): two or three.
  t.deepEqual([first!.pool, first!.current, first!.remove, first!.minNodes, first!.maxNodes, first!.attempt], ['a', 1, [], 1, 3, 1]);
  t.true(first!.desired === 2 || first!.desired === 3, `desired ${first!.desired}`);
  const shown = await eventually('the whole queue and the cooldown to show in status', async () => {
    const s = await status(fleet);
    // The leader's view of the queue may trail the submissions on a loaded machine: wait for all four.
    return s.lastCall?.result === 'OK' && /^4 task\(s\) waiting.*scale-up cooldown until/.test(s.why) && s.desired === 3 ? s : undefined;
  });
  t.deepEqual([shown.current, shown.desired, shown.failures], [1, 3, 0]);
  t.regex(shown.why, /^4 task\(s\) waiting, 0 free slot\(s\): 4 more slot\(s\) needed at 1 per node \(max 3\); scale-up cooldown until /, `four waiting at one slot per node: clamped to max 3 (${shown.why})`);
  const human = await fleet.fleetctl(['autoscale', 'status']);
  t.regex(human.stdout, /^pool a \(pool=a, 1-3\): 1 node\(s\), desired 3$/m);
  t.regex(human.stdout, /^ {2}hook: {5}\S+ 1→[23]: OK$/m);

  // No machine came: the count is asked for again, but not before the cooldown is over.
  const [, second] = await watchCalls(hookDir, (all) => all.length >= 2, 'the hook to be asked again after the cooldown', 20_000);
  t.true(second!.seenAtMs - first!.seenAtMs >= SCALE_UP_COOLDOWN_MS - 300, `asked again after ${second!.seenAtMs - first!.seenAtMs}ms`);
  t.is(second!.desired, 3);
  t.true(calls(hookDir).every((c) => c.desired <= 3), 'max holds');

  // The "hook" brings two machines: they join the pool and take the work; the pool has what it wants.
  await fleet.addAgent({ name: 'a2', labels: { pool: 'a' }, slots: 1 });
  await fleet.addAgent({ name: 'a3', labels: { pool: 'a' }, slots: 1 });
  const settled = await eventually('the pool to have its three nodes', async () => {
    const s = await status(fleet);
    return s.current === 3 ? s : undefined;
  });
  t.is(settled.desired, 3);
  const count = calls(hookDir).length;
  await sleep(SCALE_UP_COOLDOWN_MS + 1_000);
  t.is(calls(hookDir).length, count, 'at max with work for all: no more calls');
});

test.serial('the queue empties: idle nodes are drained, and only once drained named to the hook; min holds', async (t) => {
  const { fleet, hookDir } = t.context;
  const from = calls(hookDir).length;
  const released = await watchCalls(hookDir, (all) => all.slice(from).flatMap((c) => c.remove).length >= 2, 'two drained nodes to be released to the hook', 45_000);
  const releases = released.slice(from).filter((c) => c.remove.length > 0);
  const names = releases.flatMap((c) => c.remove.map((n) => n.name)).sort();
  // Idle nodes go, newest first (decide.test.ts); here a node still stopping its cancelled task is busy, so which two depends on timing.
  t.is(names.length, 2, `two nodes released once each (${names.join(', ')})`);
  t.is(new Set(names).size, 2);
  const kept = ['a1', 'a2', 'a3'].find((n) => !names.includes(n))!;
  for (const c of releases) t.is(c.desired, c.current - c.remove.length);
  // Each was drained (no attempt, no container) before the hook heard of it.
  const log = fleet.controlPlane!.logLines();
  for (const c of releases) {
    const calledAt = log.findIndex((l) => l.msg === 'autoscale hook called' && Array.isArray(l.remove) && (l.remove as string[]).includes(c.remove[0]!.id));
    const drainedAt = log.findIndex((l) => l.msg === 'node drained' && l.nodeId === c.remove[0]!.id);
    t.true(drainedAt >= 0 && drainedAt < calledAt, `${c.remove[0]!.name}: drained (line ${drainedAt}) before it was named (line ${calledAt})`);
  }
  const listed = await nodes(fleet);
  for (const name of names) {
    const n = listed.find((x) => x.name === name)!;
    t.deepEqual([n.drain?.state, n.activeAttempts], ['DRAINED', 0], name);
  }
  const s = await eventually('the pool to count one node', async () => {
    const st = await status(fleet);
    return st.current === 1 && st.lastCall?.result === 'OK' ? st : undefined;
  });
  t.deepEqual([s.desired, s.released.map((n) => n.name).sort(), s.draining], [1, names, []]);
  const count = calls(hookDir).length;
  await sleep(5_000);
  t.is(calls(hookDir).length, count, `min 1: ${kept} is never drained or named`);
  t.is((await nodes(fleet)).find((n) => n.name === kept)!.drain, null);
  // The machines go away, as the hook would have them.
  for (const name of names) await fleet.agent(name).process.stop();
});

test.serial('a failing hook is retried with backoff and shows in status, the log and the metrics; it recovers', async (t) => {
  const { fleet, hookDir, metricsUrl } = t.context;
  writeFileSync(join(hookDir, 'fail'), '');
  const from = calls(hookDir).length;
  // The kept node's one slot and one more task waiting: the pool wants two nodes (the released ones do not count).
  const ids = [await submitTask(fleet, ['--label-selector', 'pool=a'], ['sleep', '60']), await submitTask(fleet, ['--label-selector', 'pool=a'], ['sleep', '60'])];
  const failed = (await watchCalls(hookDir, (all) => all.length - from >= 3, 'three tries of the failing hook', 45_000)).slice(from);
  t.deepEqual(failed.slice(0, 3).map((c) => c.attempt), [1, 2, 3], 'each try knows how many came before');
  t.deepEqual(failed.slice(0, 3).map((c) => [c.current, c.desired]), [[1, 2], [1, 2], [1, 2]]);
  for (let i = 1; i < 3; i++) t.true(failed[i]!.seenAtMs - failed[i - 1]!.seenAtMs >= 400, 'not at once: a backoff between tries');
  const s = await eventually('the failures to show in status', async () => {
    const st = await status(fleet);
    return st.failures >= 2 && st.nextRetryAt ? st : undefined;
  });
  t.is(s.lastCall?.result, 'FAILED');
  t.is(s.lastCall?.error, 'exit status 1; stderr: told to fail');
  const human = await fleet.fleetctl(['autoscale', 'status', 'a']);
  t.regex(human.stdout, /hook: {5}\S+ 1→2: FAILED: exit status 1; stderr: told to fail; \d+ failure\(s\) in a row(, next try in \S+)?$/m);
  t.true(fleet.controlPlane!.logLines().some((l) => l.msg === 'autoscale hook failed' && l.level === 40 && l.pool === 'a'), 'a warning in the log');
  const metrics = await (await fetch(metricsUrl)).text();
  t.regex(metrics, /^fleet_autoscale_hook_failures_total\{pool="a"\} ([2-9]|\d{2,})$/m);
  t.regex(metrics, /^fleet_autoscale_hook_consecutive_failures\{pool="a"\} [1-9]\d*$/m);
  t.regex(metrics, /^fleet_autoscale_desired_nodes\{pool="a"\} 2$/m);
  t.regex(metrics, /^fleet_autoscale_current_nodes\{pool="a"\} 1$/m);

  rmSync(join(hookDir, 'fail'));
  const ok = await eventually('the hook to succeed again', async () => {
    const st = await status(fleet);
    return st.lastCall?.result === 'OK' && st.failures === 0 ? st : undefined;
  }, 45_000);
  t.is(ok.nextRetryAt, '');
  for (const id of ids) await fleet.fleetctl(['task', 'cancel', id]);
});

test.serial('never two calls at once for the pool; bad pool settings are refused naming the field; delete', async (t) => {
  const { fleet, hookDir } = t.context;
  t.false(existsSync(join(hookDir, 'concurrent')), 'no call found another running');
  const bad = await fleet.fleetctl(['autoscale', 'set', 'b', '--selector', 'pool=b', '--min', '3', '--max', '2']);
  t.is(bad.code, 2);
  t.is(bad.stderr, 'fleetctl: invalid request: max_nodes: must be at least min_nodes (3), got 2\n');
  const short = await fleet.fleetctl(['autoscale', 'set', 'b', '--selector', 'pool=b', '--min', '0', '--max', '2', '--scale-up-cooldown', '10ms']);
  t.is(short.stderr, 'fleetctl: invalid request: scale_up_cooldown_ms: must be at least 1000ms (0: the default, 60000ms), got 10\n');
  const name = await fleet.fleetctl(['autoscale', 'set', 'B!', '--selector', 'pool=b', '--min', '0', '--max', '2']);
  t.is(name.stderr, 'fleetctl: invalid request: name: pool names are lower-case letters, digits, "-" and "_" (at most 63)\n');
  const listed = await fleet.fleetctl(['autoscale', 'list']);
  t.regex(listed.stdout, /^a +pool=a +1 +3 +5s +3s$/m);
  const deleted = await fleet.fleetctl(['autoscale', 'delete', 'a']);
  t.is(deleted.stdout, 'autoscale pool a deleted\n');
  const gone = await fleet.fleetctl(['autoscale', 'status', 'a']);
  t.is(gone.stderr, 'fleetctl: autoscale pool "a" not found (fleetctl autoscale list shows the pools)\n');
});

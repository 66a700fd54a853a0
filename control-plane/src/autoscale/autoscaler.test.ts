import test from 'ava';
import { pino } from 'pino';
import { compileTaskSpec } from '../../../common/task-spec.js';
import { FakeClock, MemoryFleet, nodeRecord } from '../testing/memory-fleet.js';
import { Autoscaler, waitingBySelector } from './autoscaler.js';
import { newTask } from '../task-state.js';
import type { AutoscaleHook, HookInput, HookOutcome } from './hook.js';
import { EMPTY_POOL_STATE, type PoolRecord } from './pool.js';
import type { PoolStore } from './pools.js';

const log = pino({ level: 'silent' });
const poolSpec = compileTaskSpec({ image: 'busybox', command: ['true'], nodeSelector: { pool: 'a' } });
const otherSpec = compileTaskSpec({ image: 'busybox', command: ['true'], nodeSelector: { pool: 'b' } });

class MemoryPools implements PoolStore {
  readonly pools = new Map<string, PoolRecord>();
  writes = 0;
  all(): PoolRecord[] {
    return [...this.pools.values()];
  }
  async update(name: string, decide: (p: PoolRecord) => PoolRecord | null): Promise<PoolRecord | null> {
    const current = this.pools.get(name);
    if (!current) return null;
    const next = decide(current);
    if (!next) return current;
    this.writes++;
    this.pools.set(name, next);
    return next;
  }
  get(name: string): PoolRecord {
    return this.pools.get(name)!;
  }
}

/** A hook whose calls wait until the test answers them. */
class FakeHook implements AutoscaleHook {
  readonly timeoutMs = 1_000;
  readonly inputs: HookInput[] = [];
  private answers: Array<(o: HookOutcome) => void> = [];
  concurrent = 0;
  maxConcurrent = 0;
  call(input: HookInput): Promise<HookOutcome> {
    this.inputs.push(input);
    this.maxConcurrent = Math.max(this.maxConcurrent, ++this.concurrent);
    return new Promise((resolve) =>
      this.answers.push((o) => {
        this.concurrent--;
        resolve(o);
      }),
    );
  }
  answer(result: HookOutcome['result'] = 'OK'): void {
    this.answers.shift()!({ result, error: result === 'OK' ? '' : 'exit status 1; stderr: no quota', stdout: '' });
  }
}

function world(leading: () => number | null = () => 1) {
  const clock = new FakeClock();
  const fleet = new MemoryFleet(clock);
  const pools = new MemoryPools();
  const hook = new FakeHook();
  const called: string[] = [];
  pools.pools.set('a', { name: 'a', selector: { pool: 'a' }, minNodes: 1, maxNodes: 3, scaleUpCooldownMs: 5_000, scaleDownCooldownMs: 10_000, createdAtMs: 0, updatedAtMs: 0, state: EMPTY_POOL_STATE });
  const scaler = new Autoscaler({ clock, log, leadingEpoch: leading, pools, nodes: fleet.nodesView, tasks: fleet.tasksView, hook, replicaId: 'r1', everyMs: 1_000, random: () => 0.5, hookCalled: (pool, result) => called.push(`${pool} ${result}`) });
  return { clock, fleet, pools, hook, scaler, called };
}

test('a queue on the pool asks the hook for more nodes, once at a time, and the cooldown holds the next ask', async (t) => {
  const { clock, fleet, pools, hook, scaler, called } = world();
  fleet.addNode(nodeRecord('node_a', { labels: { pool: 'a' }, slots: 1 }));
  for (const id of ['task_1', 'task_2', 'task_3']) fleet.addTask(id, poolSpec);
  fleet.addTask('task_other', otherSpec);
  await scaler.tick();
  t.deepEqual(hook.inputs.map((i) => [i.current, i.desired, i.remove.length, i.attempt]), [[1, 3, 0, 1]], 'three waiting at one slot per node would be four: max 3; the other pool\'s task does not count');
  t.is(pools.get('a').state.inFlight?.replicaId, 'r1', 'the call is on record before the hook runs');
  await scaler.tick();
  t.is(hook.inputs.length, 1, 'never two calls at once for a pool');
  hook.answer('OK');
  await scaler.settled();
  t.deepEqual(called, ['a OK']);
  const state = pools.get('a').state;
  t.deepEqual([state.inFlight, state.failures, state.lastCall?.result, state.lastScaleUpAtMs], [null, 0, 'OK', clock.now()]);
  clock.advance(4_000);
  await scaler.tick();
  t.is(hook.inputs.length, 1, 'within the scale-up cooldown');
  t.regex(pools.get('a').state.why, /scale-up cooldown until/);
  clock.advance(1_000);
  await scaler.tick();
  t.is(hook.inputs.length, 2, 'the machines have not come: asked again after the cooldown');
  t.is(hook.maxConcurrent, 1);
  hook.answer('OK');
  await scaler.settled();
});

test('a failing hook is retried after a growing backoff and its failures are on record', async (t) => {
  const { clock, pools, hook, scaler } = world();
  await scaler.tick();
  t.deepEqual(hook.inputs.map((i) => [i.current, i.desired]), [[0, 1]], 'min 1 with no node');
  hook.answer('FAILED');
  await scaler.settled();
  let state = pools.get('a').state;
  t.deepEqual([state.failures, state.lastCall?.result, state.lastCall?.error], [1, 'FAILED', 'exit status 1; stderr: no quota']);
  t.is(state.nextRetryAtMs, clock.now() + 1_000, 'half of the first ceiling (2 s), the jitter pinned at 0.5');
  await scaler.tick();
  t.is(hook.inputs.length, 1, 'not before the backoff ends');
  t.regex(pools.get('a').state.why, /the hook failed 1 time\(s\) in a row; next try at /);
  clock.advance(1_000);
  await scaler.tick();
  t.is(hook.inputs.length, 2);
  t.is(hook.inputs[1]!.attempt, 2);
  hook.answer('TIMED_OUT');
  await scaler.settled();
  state = pools.get('a').state;
  t.is(state.failures, 2);
  t.is(state.nextRetryAtMs, clock.now() + 2_000, 'the ceiling doubles');
  clock.advance(2_000);
  await scaler.tick();
  hook.answer('OK');
  await scaler.settled();
  t.deepEqual([pools.get('a').state.failures, pools.get('a').state.nextRetryAtMs], [0, 0]);
});

test('scale-in drains the idle node after the cooldown, releases it to the hook only once drained, and keeps min', async (t) => {
  const { clock, fleet, pools, hook, scaler } = world();
  fleet.addNode(nodeRecord('node_a', { labels: { pool: 'a' }, slots: 1, enrolledAtMs: 1 }));
  fleet.addNode(nodeRecord('node_b', { labels: { pool: 'a' }, slots: 1, enrolledAtMs: 2, lastHeartbeatMs: clock.now(), fleetContainers: 0 }));
  fleet.addNode(nodeRecord('node_c', { labels: { pool: 'b' }, slots: 1 }));
  fleet.addTask('task_1', poolSpec);
  await fleet.assign('task_1', 'node_a', 1);
  await scaler.tick();
  t.is(pools.get('a').state.desired, 1);
  t.deepEqual(fleet.writes.filter((w) => w.startsWith('drain')), [], 'the surplus must last a cooldown');
  clock.advance(10_000);
  await scaler.tick();
  t.deepEqual(fleet.writes.filter((w) => w.startsWith('drain')), ['drain node_b'], 'the idle node, not the busy one, not another pool\'s');
  t.is(hook.inputs.length, 0, 'not named before its drain is complete');
  fleet.setNode({ ...fleet.node('node_b'), lastHeartbeatMs: clock.now() });
  await fleet.drainComplete('node_b');
  await scaler.tick();
  t.deepEqual(hook.inputs.map((i) => [i.current, i.desired, i.remove]), [[2, 1, [{ id: 'node_b', name: 'b' }]]]);
  hook.answer('OK');
  await scaler.settled();
  const state = pools.get('a').state;
  t.deepEqual([state.current, state.draining, state.released], [2, [], [{ id: 'node_b', name: 'b' }]], 'moved from draining to released');
  await scaler.tick();
  t.deepEqual([pools.get('a').state.current, pools.get('a').state.released.map((r) => r.id)], [1, ['node_b']], 'released: counted no more');
  // The task ends: node_a is idle too, but min 1 keeps it.
  const attempt = fleet.task('task_1').attempts[0]!;
  await fleet.finished('node_a', 'task_1', attempt.id, { state: 'SUCCEEDED', exitCode: 0, error: '' });
  clock.advance(60_000);
  await scaler.tick();
  t.deepEqual(fleet.writes.filter((w) => w === 'drain node_a'), [], 'never below min');
  t.is(hook.inputs.length, 1);
});

test('without a hook the counts are kept and shown, and nothing is drained', async (t) => {
  const clock = new FakeClock();
  const fleet = new MemoryFleet(clock);
  const pools = new MemoryPools();
  pools.pools.set('a', { name: 'a', selector: { pool: 'a' }, minNodes: 0, maxNodes: 3, scaleUpCooldownMs: 5_000, scaleDownCooldownMs: 1_000, createdAtMs: 0, updatedAtMs: 0, state: EMPTY_POOL_STATE });
  fleet.addNode(nodeRecord('node_a', { labels: { pool: 'a' } }));
  const scaler = new Autoscaler({ clock, log, leadingEpoch: () => 1, pools, nodes: fleet.nodesView, tasks: fleet.tasksView, hook: null, replicaId: 'r1', everyMs: 1_000 });
  await scaler.tick();
  clock.advance(5_000);
  await scaler.tick();
  t.deepEqual([pools.get('a').state.current, pools.get('a').state.desired], [1, 0]);
  t.regex(pools.get('a').state.why, /signal only$/);
  t.deepEqual(fleet.writes, []);
});

test('the loop writes nothing once leadership is gone', async (t) => {
  let epoch: number | null = 1;
  const { pools, hook, scaler } = world(() => epoch);
  epoch = null;
  await scaler.tick();
  t.is(pools.writes, 0);
  t.is(hook.inputs.length, 0);
});

test('a new leader keeps the pool\'s record: it waits out a call the old one may still be making, and its cooldown', async (t) => {
  const { clock, fleet, pools, hook, scaler } = world();
  fleet.addNode(nodeRecord('node_a', { labels: { pool: 'a' }, slots: 1 }));
  for (const id of ['task_1', 'task_2']) fleet.addTask(id, poolSpec);
  await scaler.tick();
  t.is(hook.inputs.length, 1, 'the old leader calls, and its replica dies mid-call');
  scaler.stop();
  const other = new FakeHook();
  const next = new Autoscaler({ clock, log, leadingEpoch: () => 2, pools, nodes: fleet.nodesView, tasks: fleet.tasksView, hook: other, replicaId: 'r2', everyMs: 1_000, random: () => 0.5 });
  await next.tick();
  t.is(other.inputs.length, 0, 'the call on record may still run');
  t.regex(pools.get('a').state.why, /a hook call is under way/);
  clock.advance(1_000 + 15_000);
  await next.tick();
  t.is(other.inputs.length, 1, 'past its deadline (timeout and grace), the new leader calls');
  other.answer('OK');
  await next.settled();
  // The old call ends at last: its result is not its to store any more.
  hook.answer('FAILED');
  await scaler.settled();
  t.deepEqual([pools.get('a').state.failures, pools.get('a').state.lastCall?.result], [0, 'OK']);
  await next.tick();
  t.is(other.inputs.length, 1, 'the cooldown on record holds');
});

test('waiting tasks are counted once per pass by selector, whatever the order of its labels; a backoff is not waiting', (t) => {
  const spec = (nodeSelector: Record<string, string>) => compileTaskSpec({ image: 'busybox', command: ['true'], nodeSelector });
  const tasks = [
    newTask('task_1', spec({ pool: 'a', zone: 'z' }), 0),
    newTask('task_2', spec({ zone: 'z', pool: 'a' }), 0),
    newTask('task_3', spec({}), 0),
    { ...newTask('task_4', spec({}), 0), notBeforeMs: 5_000 },
  ];
  t.deepEqual(waitingBySelector(tasks, 1_000).map((w) => [w.selector, w.count]), [[{ pool: 'a', zone: 'z' }, 2], [{}, 1]]);
});

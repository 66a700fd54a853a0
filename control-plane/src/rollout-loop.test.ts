/**
 * The rollout loop and the scheduler's routing together, in memory: which
 * image each task gets, what the loop counts and decides, and what a new
 * leader goes on from. The store is a plain record with a revision (a
 * compare-and-set that can lose).
 */
import test from 'ava';
import { pino } from 'pino';
import { ConflictError } from '../../common/errors.js';
import { compileTaskSpec } from '../../common/task-spec.js';
import { isActive, type Rollout } from '../../common/rollout.js';
import { BASELINE_IMAGE, CANARY_IMAGE, rolloutFixture } from '../../common/testing/rollout-fixture.js';
import { RolloutLoop } from './rollout-loop.js';
import { ImageRouting } from './rollouts.js';
import { SchedulerLoop } from './scheduler-loop.js';
import type { RolloutRecord } from './store/records.js';
import { FakeClock, MemoryFleet, nodeRecord } from './testing/memory-fleet.js';

const log = pino({ level: 'silent' });
const BASE = BASELINE_IMAGE;
const CANARY = CANARY_IMAGE;
const clineSpec = compileTaskSpec({ image: BASE, command: [], cline: { repoUrl: 'https://example.com/r.git', prompt: 'p' } });

/** The rollouts bucket's `current` record, with a revision that a stale write loses against. */
class MemoryRollouts {
  record: RolloutRecord;
  revision = 1;
  writes = 0;
  private readonly listeners = new Set<(r: RolloutRecord) => void>();
  constructor(rollout: Rollout) {
    this.record = { fleetImage: '', fleetImageRolloutId: '', rollout };
  }
  active() {
    return isActive(this.record.rollout) ? this.record.rollout : null;
  }
  onChange(l: (r: RolloutRecord) => void) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  async modify(decide: (r: RolloutRecord) => RolloutRecord | null) {
    const next = decide(this.record);
    if (next === null) return { record: { key: 'current', value: this.record, revision: this.revision }, changed: false };
    this.set(next);
    return { record: { key: 'current', value: next, revision: this.revision }, changed: true };
  }
  set(next: RolloutRecord) {
    this.record = next;
    this.revision++;
    this.writes++;
    for (const l of this.listeners) l(next);
  }
}

const rollout = (extra: Partial<Rollout> = {}): Rollout => rolloutFixture({ steps: [50, 100], minTasks: 4, ...extra });

function world(r: Rollout, prefetched: string[] = [CANARY]) {
  const clock = new FakeClock();
  const fleet = new MemoryFleet(clock);
  const rollouts = new MemoryRollouts(r);
  const leader = { clock, log, leadingEpoch: () => 3 };
  const scheduler = new SchedulerLoop({ ...leader, tasks: fleet.tasksView, nodes: fleet.nodesView, taskWrites: fleet, imageGraceMs: 10_000, routing: new ImageRouting(rollouts) });
  rollouts.onChange(() => scheduler.kick());
  const transitions: string[] = [];
  const loop = new RolloutLoop({ ...leader, tasks: fleet.tasksView, rollouts, transitioned: (after) => transitions.push(after.state) });
  fleet.addNode(nodeRecord('node_a', { slots: 100, prefetched }));
  return { clock, fleet, rollouts, scheduler, loop, transitions };
}

async function settle(s: SchedulerLoop): Promise<void> {
  for (let i = 0; i < 3; i++) await s.settled();
}

test('the canary gets its share of Cline tasks on its image; plain tasks and other images are left alone', async (t) => {
  const { fleet, scheduler } = world(rollout());
  scheduler.start();
  for (let i = 0; i < 40; i++) fleet.addTask(`task_${String(i).padStart(19, '0')}`, clineSpec);
  fleet.addTask('task_plain_000000000000', compileTaskSpec({ image: BASE, command: ['true'] }));
  await settle(scheduler);
  const attempts = [...fleet.tasks.values()].map((task) => ({ task, a: task.attempts[0]! }));
  const canary = attempts.filter(({ a }) => a.rolloutArm === 'canary');
  t.true(canary.length > 8 && canary.length < 32, `${canary.length} of 40 on the canary at 50%`);
  t.true(canary.every(({ a }) => a.image === CANARY));
  t.true(attempts.filter(({ a }) => a.rolloutArm === 'baseline').every(({ a }) => a.image === BASE));
  t.is(fleet.task('task_plain_000000000000').attempts[0]!.rolloutId, undefined, 'a plain task is not the rollout\'s');
  scheduler.stop();
});

test('no canary task goes to a node that does not hold the canary: with none, every task runs the baseline', async (t) => {
  const { fleet, scheduler } = world(rollout({ steps: [100] }), []);
  scheduler.start();
  fleet.addTask('task_0000000000000000001', clineSpec);
  await settle(scheduler);
  t.is(fleet.task('task_0000000000000000001').attempts[0]!.image, BASE);
  // A node that holds it comes: the next tasks go to the canary there.
  fleet.setNode({ ...fleet.node('node_a'), prefetched: [CANARY] });
  fleet.addTask('task_0000000000000000002', clineSpec);
  await settle(scheduler);
  t.is(fleet.task('task_0000000000000000002').attempts[0]!.image, CANARY);
  scheduler.stop();
});

test('a failing canary is rolled back once it has min-tasks samples; then every new task, its retries too, runs the baseline', async (t) => {
  const { fleet, scheduler, loop, rollouts, transitions } = world(rollout({ steps: [100] }));
  scheduler.start();
  loop.start();
  const ids = Array.from({ length: 6 }, (_, i) => `task_${String(i).padStart(19, '0')}`);
  for (const id of ids) fleet.addTask(id, { ...clineSpec, retry: { ...clineSpec.retry, maxAttempts: 2, initialBackoffMs: 0 } });
  await settle(scheduler);
  for (const id of ids.slice(0, 4)) {
    const a = fleet.task(id).attempts[0]!;
    t.is(a.image, CANARY);
    await fleet.finished('node_a', id, a.id, { state: 'FAILED', exitCode: 7, error: 'boom', failureKind: 'TASK', reason: 'agent_error' });
  }
  await loop.tick();
  t.is(rollouts.record.rollout!.state, 'ROLLED_BACK');
  t.regex(rollouts.record.rollout!.reason, /rolled back: the canary failed 100% of 4 attempts .* mostly agent_error/);
  t.deepEqual(transitions, ['ROLLED_BACK']);
  t.is(rollouts.record.fleetImage, '', 'the fleet\'s image is unchanged');
  await settle(scheduler);
  for (const id of ids.slice(0, 4)) t.is(fleet.task(id).attempts[1]!.image ?? BASE, BASE, 'the retry runs the baseline');
  fleet.addTask('task_new_0000000000000', clineSpec);
  await settle(scheduler);
  t.is(fleet.task('task_new_0000000000000').attempts[0]!.rolloutId, undefined, 'no rollout decides any more');
  loop.stop();
  scheduler.stop();
});

test('outcomes are counted once each; a new leader goes on from the stored figures and promotes', async (t) => {
  const { fleet, scheduler, loop, rollouts, clock } = world(rollout({ steps: [100] }));
  scheduler.start();
  loop.start();
  const ids = Array.from({ length: 4 }, (_, i) => `task_${String(i).padStart(19, '0')}`);
  for (const id of ids) fleet.addTask(id, clineSpec);
  await settle(scheduler);
  for (const id of ids.slice(0, 3)) await fleet.finished('node_a', id, fleet.task(id).attempts[0]!.id, { state: 'SUCCEEDED', exitCode: 0, error: '' });
  await loop.tick();
  await loop.tick();
  t.is(rollouts.record.rollout!.canary.attempts, 3, 'three outcomes, written once');
  // The leader changes: the old loop stops, a new one starts from the store.
  loop.stop();
  const next = new RolloutLoop({ clock, log, leadingEpoch: () => 4, tasks: fleet.tasksView, rollouts });
  next.start();
  await fleet.finished('node_a', ids[3]!, fleet.task(ids[3]!).attempts[0]!.id, { state: 'SUCCEEDED', exitCode: 0, error: '' });
  clock.advance(60_000);
  await next.tick();
  t.is(rollouts.record.rollout!.canary.attempts, 4);
  t.is(rollouts.record.rollout!.state, 'PROMOTED');
  t.is(rollouts.record.fleetImage, CANARY, 'the promotion makes it the fleet\'s image in the same write');
  next.stop();
  scheduler.stop();
});

test('a write that loses keeps its outcomes for the next pass', async (t) => {
  const { fleet, scheduler, loop, rollouts } = world(rollout({ steps: [100] }));
  scheduler.start();
  loop.start();
  fleet.addTask('task_0000000000000000001', clineSpec);
  await settle(scheduler);
  await fleet.finished('node_a', 'task_0000000000000000001', fleet.task('task_0000000000000000001').attempts[0]!.id, { state: 'SUCCEEDED', exitCode: 0, error: '' });
  const modify = rollouts.modify.bind(rollouts);
  rollouts.modify = async () => {
    throw new ConflictError('lost');
  };
  await loop.tick();
  t.is(rollouts.record.rollout!.canary.attempts, 0);
  rollouts.modify = modify;
  await loop.tick();
  t.is(rollouts.record.rollout!.canary.attempts, 1);
  loop.stop();
  scheduler.stop();
});

test('a task whose nodes (by its selector) hold no canary, or only cordoned ones, runs the baseline rather than wait', async (t) => {
  const { fleet, scheduler } = world(rollout({ steps: [100] }), []);
  fleet.setNode({ ...fleet.node('node_a'), labels: { zone: 'a' }, prefetched: [CANARY] });
  fleet.addNode(nodeRecord('node_b', { slots: 100, labels: { zone: 'b' } }));
  scheduler.start();
  fleet.addTask('task_0000000000000000001', { ...clineSpec, nodeSelector: { zone: 'b' } });
  fleet.addTask('task_0000000000000000002', { ...clineSpec, nodeSelector: { zone: 'a' } });
  await settle(scheduler);
  t.is(fleet.task('task_0000000000000000001').attempts[0]!.image, BASE, 'zone b holds no canary');
  t.is(fleet.task('task_0000000000000000002').attempts[0]!.image, CANARY);
  fleet.setNode({ ...fleet.node('node_a'), cordon: { by: 'OPERATOR', reason: 'x', atMs: 0 } });
  fleet.setNode({ ...fleet.node('node_b'), labels: { zone: 'a' } });
  fleet.addTask('task_0000000000000000003', { ...clineSpec, nodeSelector: { zone: 'a' } });
  await settle(scheduler);
  t.is(fleet.task('task_0000000000000000003').attempts[0]!.image, BASE, 'the only holder is cordoned');
  t.is(fleet.task('task_0000000000000000003').attempts[0]!.nodeId, 'node_b');
  scheduler.stop();
});

test('a rollout waiting out its step is written once, not every pass, and steps forward when due', async (t) => {
  const healthy = { stats: { attempts: 4, succeeded: 4, failed: 0, failedByReason: {}, successDurationMs: 4_000, successTokens: 400 } };
  const { clock, loop, rollouts } = world(rollout({ canary: healthy.stats, baseline: healthy.stats, stepStartedAtMs: 1_000_000 }));
  loop.start();
  await loop.tick();
  t.is(rollouts.record.rollout!.reason, 'healthy; the next step is due at 1970-01-01T00:17:40.000Z');
  const writes = rollouts.writes;
  for (let s = 0; s < 30; s++) {
    clock.advance(1_000);
    await loop.tick();
  }
  t.is(rollouts.writes, writes, 'nothing to say while it waits');
  clock.advance(30_000);
  await loop.tick();
  t.is(rollouts.record.rollout!.state, 'PROMOTED');
  loop.stop();
});

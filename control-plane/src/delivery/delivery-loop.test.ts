/** The leader's delivery loop over tasks in memory, changed by the same transitions the store applies: who tries, when, and what is written. */
import test from 'ava';
import pino from 'pino';
import type { Task } from '../../../common/model.js';
import { compileTaskSpec } from '../../../common/task-spec.js';
import { FakeClock } from '../testing/memory-fleet.js';
import { assignTask, attemptFinished, attemptStarted, claimDelivery, deliveryDone, deliveryFailed, newTask, type DeliveryClaim, type DeliveryMade } from '../task-state.js';
import { DELIVERY_CONCURRENCY, DeliveryLoop, type DeliveryWrites } from './delivery-loop.js';
import { DeliveryError } from './git-push.js';
import { NotFoundError, UnavailableError } from '../../../common/errors.js';

const log = pino({ level: 'silent' });
const made = (id: string): DeliveryMade => ({ branch: `fleet/${id}`, commit: 'c'.repeat(40), baseBranch: 'main', prNumber: 1, prUrl: `https://forge/pr/${id}`, prExisted: false });

function delivering(id: string): Task {
  const spec = compileTaskSpec({ cline: { repoUrl: 'https://forge.example/o/r.git', prompt: 'p', deliver: 'pr', forge: 'gh' } });
  const run = attemptStarted(assignTask(newTask(id, spec, 0), `att_${id}`, 'node_a', 1), `att_${id}`, 'c', 2)!;
  const usage = { iterations: 1, inputTokens: 1, outputTokens: 1, costUsd: 0, lastTool: '', updatedAtMs: 3 };
  return attemptFinished(run, `att_${id}`, { state: 'SUCCEEDED', error: '', result: { attemptId: `att_${id}`, summary: 's', verified: false, baseCommit: 'a'.repeat(40), patchBytes: 5, filesChanged: 1, finishReason: 'completed', usage } }, 10)!;
}

/** Tasks in a map, each write a transition of task-state.ts, like the store's compare-and-set. */
class Store implements DeliveryWrites {
  readonly tasks = new Map<string, Task>();
  readonly listeners = new Set<(task: Task, previous: Task | undefined) => void>();
  constructor(private readonly clock: FakeClock) {}
  put(task: Task): void {
    const previous = this.tasks.get(task.id);
    this.tasks.set(task.id, task);
    for (const l of this.listeners) l(task, previous);
  }
  view = { all: () => [...this.tasks.values()], get: (id: string) => this.tasks.get(id), onChange: (l: (task: Task, previous: Task | undefined) => void) => (this.listeners.add(l), () => this.listeners.delete(l)) };
  async claimDelivery(taskId: string, claim: DeliveryClaim, holdMs: number): Promise<Task | null> {
    const next = claimDelivery(this.tasks.get(taskId)!, claim, this.clock.now(), holdMs);
    if (next) this.put(next);
    return next;
  }
  async deliveryDone(taskId: string, claim: DeliveryClaim, m: DeliveryMade): Promise<Task> {
    const next = deliveryDone(this.tasks.get(taskId)!, claim, m, this.clock.now());
    this.put(next);
    return next;
  }
  async deliveryFailed(taskId: string, claim: DeliveryClaim, failure: { error: string; retryable: boolean; made: Partial<DeliveryMade> }): Promise<Task> {
    const next = deliveryFailed(this.tasks.get(taskId)!, claim, failure, this.clock.now(), () => 0.5);
    this.put(next);
    return next;
  }
}

function setup(deliver: (task: Task) => Promise<DeliveryMade>, epoch: { value: number | null } = { value: 3 }, forgeError?: () => Error | null) {
  const clock = new FakeClock(1_000);
  const store = new Store(clock);
  const tried: string[] = [];
  const loop = new DeliveryLoop({
    clock,
    log,
    leadingEpoch: () => epoch.value,
    tasks: store.view,
    writes: store,
    replicaId: 'replica-a',
    patch: async () => Buffer.from('patch'),
    forge: async (name) => {
      const err = forgeError?.();
      if (err) throw err;
      return { name, type: 'github', apiUrl: 'https://api.example', gitUrl: 'https://forge.example/', token: 't' };
    },
    deliver: async (task) => deliver(task),
    tried: (outcome) => tried.push(outcome),
  });
  // Started (as on election) for its view of the delivering tasks; the tests tick it by hand.
  loop.start();
  started.push(loop);
  return { clock, store, loop, tried, epoch };
}

test.afterEach.always(() => {
  for (const loop of started.splice(0)) loop.stop();
});
const started: DeliveryLoop[] = [];

/** A pass now, and whatever the view's changes started: in memory they end within milliseconds. */
async function pass(loop: DeliveryLoop): Promise<void> {
  await new Promise((r) => setTimeout(r, 20));
  await loop.tick();
  await new Promise((r) => setTimeout(r, 20));
}

/** A pass, and every try it started run to its end. */
async function cycle(loop: DeliveryLoop): Promise<void> {
  await pass(loop);
  await loop.settled();
}

test('due tasks are tried, at most a few at once, each once; the outcome is written by the try that holds the claim', async (t) => {
  const gates: Array<() => void> = [];
  const { store, loop, tried } = setup((task) => new Promise((resolve) => gates.push(() => resolve(made(task.id)))));
  for (let i = 0; i < DELIVERY_CONCURRENCY + 2; i++) store.put(delivering(`task_${i}`));
  await pass(loop);
  t.is(gates.length, DELIVERY_CONCURRENCY, 'no more tries at once than the bound');
  await pass(loop);
  t.is(gates.length, DELIVERY_CONCURRENCY, 'a task being tried is not tried again');
  for (const open of gates.splice(0)) open();
  await loop.settled();
  t.deepEqual(tried, Array(DELIVERY_CONCURRENCY).fill('delivered'));
  await pass(loop);
  t.is(gates.length, 2, 'the rest, once there is room');
  for (const open of gates.splice(0)) open();
  await loop.settled();
  const states = [...store.tasks.values()].map((x) => [x.state, x.delivery?.tries, x.delivery?.claim]);
  t.deepEqual(states, Array(DELIVERY_CONCURRENCY + 2).fill(['SUCCEEDED', 1, undefined]));
});

test('a failure worth retrying waits its backoff; a refusal fails the task; a follower tries nothing', async (t) => {
  let answer: 'down' | 'refused' | 'ok' = 'down';
  const { clock, store, loop, tried, epoch } = setup(async (task) => {
    if (answer === 'down') throw new DeliveryError('the forge did not answer', true);
    if (answer === 'refused') throw new DeliveryError('the forge refused the token', false);
    return made(task.id);
  });
  store.put(delivering('task_a'));
  await cycle(loop);
  const waiting = store.tasks.get('task_a')!;
  t.is(waiting.state, 'DELIVERING');
  t.true(waiting.notBeforeMs > clock.now());
  await cycle(loop);
  t.deepEqual(tried, ['retry'], 'not tried again before the backoff ends');
  clock.ms = waiting.notBeforeMs;
  epoch.value = null;
  await cycle(loop);
  t.deepEqual(tried, ['retry'], 'a replica that does not lead tries nothing');
  epoch.value = 3;
  answer = 'refused';
  await cycle(loop);
  t.deepEqual(tried, ['retry', 'failed']);
  t.is(store.tasks.get('task_a')!.state, 'FAILED');
  t.regex(store.tasks.get('task_a')!.message, /^delivery failed: the forge refused the token/);
});

test('a later leader takes over a try under way; the earlier try\'s outcome is then not written', async (t) => {
  let release: () => void = () => {};
  const { store, loop, epoch } = setup((task) => new Promise((resolve) => (release = () => resolve(made(task.id)))));
  store.put(delivering('task_a'));
  await pass(loop);
  // Another replica, leader of a later epoch, claims it while this one's try runs.
  const theirs = await store.claimDelivery('task_a', { by: 'replica-b', epoch: 4 }, 60_000);
  t.is(theirs?.delivery?.claim?.by, 'replica-b');
  epoch.value = null;
  release();
  await loop.settled();
  const task = store.tasks.get('task_a')!;
  t.is(task.state, 'DELIVERING', 'the stale try wrote nothing');
  t.is(task.delivery?.claim?.by, 'replica-b');
});

test('a task that starts delivering is tried at once, without waiting for the next pass', async (t) => {
  const { store, loop } = setup(async (task) => made(task.id));
  store.put(delivering('task_a'));
  await new Promise((r) => setTimeout(r, 50));
  await loop.settled();
  t.is(store.tasks.get('task_a')!.state, 'SUCCEEDED');
});

test('a forge that cannot be read for now (the store) is tried again; one deleted since submission fails the task', async (t) => {
  let err: Error | null = new UnavailableError('JetStream did not answer');
  const { clock, store, loop } = setup(async (task) => made(task.id), { value: 3 }, () => err);
  store.put(delivering('task_a'));
  await cycle(loop);
  const waiting = store.tasks.get('task_a')!;
  t.is(waiting.state, 'DELIVERING');
  t.regex(waiting.message, /JetStream did not answer; trying again/);
  clock.ms = waiting.notBeforeMs;
  err = new NotFoundError('forge gh not found');
  await cycle(loop);
  t.is(store.tasks.get('task_a')!.state, 'FAILED');
  t.regex(store.tasks.get('task_a')!.message, /^delivery failed: forge gh not found/);
});

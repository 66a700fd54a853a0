import test from 'ava';
import { compileTaskSpec } from '../../common/task-spec.js';
import type { Task } from '../../common/model.js';
import { repoKey } from '../../common/repo-key.js';
import { providerFull, schedule, type NodeView } from './scheduler.js';
import { assignTask, newTask } from './task-state.js';

const spec = (extra: Record<string, unknown> = {}) => compileTaskSpec({ image: 'busybox', command: ['true'], ...extra });
const task = (id: string, createdAtMs: number, extra: Partial<Task> = {}, specExtra: Record<string, unknown> = {}): Task => ({ ...newTask(id, spec(specExtra), createdAtMs), ...extra });
const node = (id: string, extra: Partial<NodeView> = {}): NodeView => ({ id, name: id, labels: {}, slots: 2, status: 'READY', activeAttempts: 0, unavailable: null, images: null, prefetched: new Set(), ...extra });

test('assigns by priority, then submission order', (t) => {
  const tasks = [task('t1', 1), task('t2', 2, {}, { priority: 5 }), task('t3', 3)];
  const plan = schedule(tasks, [node('n1', { slots: 2 })], 10);
  t.deepEqual(plan.assignments.map((a) => a.taskId), ['t2', 't1']);
  // t3 waits for a slot: it still shows what it was submitted with, which says as much, so nothing is written.
  t.false(plan.unschedulable.has('t3'));
  // A task that showed another reason is told the new one.
  const told = schedule([task('t4', 4, { message: 'no ready node' })], [node('n1', { slots: 1, activeAttempts: 1 })], 10);
  t.is(told.unschedulable.get('t4'), 'every matching node is full');
});

test('never places more attempts on a node than its free slots', (t) => {
  const tasks = Array.from({ length: 10 }, (_, i) => task(`t${i}`, i));
  const plan = schedule(tasks, [node('a', { slots: 3, activeAttempts: 1 }), node('b', { slots: 2 })], 100);
  const perNode = plan.assignments.reduce<Record<string, number>>((acc, a) => ({ ...acc, [a.nodeId]: (acc[a.nodeId] ?? 0) + 1 }), {});
  t.deepEqual(perNode, { a: 2, b: 2 });
});

test('spreads work to the node with the largest share of free slots', (t) => {
  const plan = schedule([task('t1', 1)], [node('a', { slots: 4, activeAttempts: 3 }), node('b', { slots: 4, activeAttempts: 1 })], 10);
  t.deepEqual(plan.assignments, [{ taskId: 't1', nodeId: 'b' }]);
});

test('honours node selectors and explains what cannot run', (t) => {
  const gpu = task('t1', 1, {}, { nodeSelector: { gpu: 'yes' } });
  const plain = task('t2', 2);
  const plan = schedule([gpu, plain], [node('cpu-only', { labels: { zone: 'a' } })], 10);
  t.deepEqual(plan.assignments, [{ taskId: 't2', nodeId: 'cpu-only' }]);
  t.is(plan.unschedulable.get('t1'), 'no ready node matches the node selector');
  const later = schedule([gpu], [node('cpu-only'), node('gpu-box', { labels: { gpu: 'yes', zone: 'b' } })], 10);
  t.deepEqual(later.assignments, [{ taskId: 't1', nodeId: 'gpu-box' }]);
});

test('skips nodes that are not READY', (t) => {
  const plan = schedule([task('t1', 1), task('t2', 2, { message: 'every matching node is full' })], [node('gone', { status: 'DISCONNECTED' }), node('down', { status: 'DOWN' })], 10);
  t.deepEqual(plan.assignments, []);
  // t1 still shows "waiting for a node", which says it; t2 showed another reason and is told.
  t.false(plan.unschedulable.has('t1'));
  t.is(plan.unschedulable.get('t2'), 'no ready node');
});

test('waits out a retry backoff and says when to look again', (t) => {
  const waiting = task('t1', 1, { notBeforeMs: 500 });
  const early = schedule([waiting, task('t2', 2, { notBeforeMs: 300 })], [node('n')], 100);
  t.deepEqual(early.assignments, []);
  t.is(early.wakeAtMs, 300);
  const due = schedule([waiting], [node('n')], 500);
  t.deepEqual(due.assignments, [{ taskId: 't1', nodeId: 'n' }]);
});

test('a retry prefers a node other than the one that just failed it', (t) => {
  const failed = assignTask(task('t1', 1), 'att1', 'a', 2);
  const retry: Task = { ...failed, state: 'PENDING', attempts: [{ ...failed.attempts[0]!, state: 'FAILED', finishedAtMs: 3 }] };
  const plan = schedule([retry], [node('a', { slots: 8 }), node('b', { slots: 1 })], 10);
  t.deepEqual(plan.assignments, [{ taskId: 't1', nodeId: 'b' }]);
  const onlyA = schedule([retry], [node('a')], 10);
  t.deepEqual(onlyA.assignments, [{ taskId: 't1', nodeId: 'a' }], 'the same node is better than none');
});

test('ignores tasks that are not PENDING', (t) => {
  const plan = schedule([task('t1', 1, { state: 'RUNNING' }), task('t2', 2, { state: 'CANCELLED' })], [node('n')], 10);
  t.deepEqual(plan.assignments, []);
});

test('property: random fleets never over-commit a node and never assign a task twice', (t) => {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let round = 0; round < 200; round++) {
    const nodes = Array.from({ length: 1 + Math.floor(random() * 5) }, (_, i) =>
      node(`n${i}`, { slots: 1 + Math.floor(random() * 4), activeAttempts: Math.floor(random() * 3), labels: random() < 0.5 ? { zone: 'a' } : { zone: 'b' }, status: random() < 0.8 ? 'READY' : 'DISCONNECTED' }),
    );
    const tasks = Array.from({ length: Math.floor(random() * 20) }, (_, i) => task(`t${i}`, i, {}, random() < 0.3 ? { nodeSelector: { zone: 'a' } } : {}));
    const plan = schedule(tasks, nodes, 1000);
    const seen = new Set<string>();
    for (const a of plan.assignments) {
      t.false(seen.has(a.taskId));
      seen.add(a.taskId);
      const n = nodes.find((x) => x.id === a.nodeId)!;
      t.is(n.status, 'READY');
      const selector = tasks.find((x) => x.id === a.taskId)!.spec.nodeSelector;
      t.true(Object.entries(selector).every(([k, v]) => n.labels[k] === v));
    }
    for (const n of nodes) {
      const placed = plan.assignments.filter((a) => a.nodeId === n.id).length;
      t.true(placed <= Math.max(0, n.slots - n.activeAttempts), `node ${n.id} over-committed`);
    }
  }
});

test('a task waits, saying why, when no node takes work: engines down, disks full, or a mix', (t) => {
  const one = [task('t1', 1)];
  t.is(schedule(one, [node('a', { unavailable: 'engine' }), node('b', { unavailable: 'engine' })], 10).unschedulable.get('t1'), 'no node with a healthy Docker engine');
  t.is(schedule(one, [node('a', { unavailable: 'disk' })], 10).unschedulable.get('t1'), 'no node with free disk space');
  t.is(
    schedule(one, [node('a', { unavailable: 'engine' }), node('b', { unavailable: 'cordoned' }), node('c', { unavailable: 'cordoned' })], 10).unschedulable.get('t1'),
    'no matching node takes new work (cordoned, Docker engine not answering)',
  );
  t.deepEqual(schedule(one, [node('a', { unavailable: 'engine' }), node('b')], 10).assignments, [{ taskId: 't1', nodeId: 'b' }], 'a healthy node takes it');
});

test('a node not yet heard from since it enrolled is no reason to rewrite what waiting tasks show', (t) => {
  const one = [task('t1', 1)];
  // Its hello came, its first heartbeat (with its engine's state) not yet: as if there were no node.
  t.false(schedule(one, [node('a', { unavailable: 'unreported' })], 10).unschedulable.has('t1'), '"waiting for a node" says it already');
  t.is(schedule([task('t1', 1, { message: 'every matching node is full' })], [node('a', { unavailable: 'unreported' })], 10).unschedulable.get('t1'), 'no ready node');
  t.is(schedule(one, [node('a', { unavailable: 'unreported' }), node('b', { unavailable: 'engine' })], 10).unschedulable.get('t1'), 'no node with a healthy Docker engine', 'the node that reported says why');
});

test('a task goes only to a node that holds its image, or pulls; with none, it fails after the grace, naming the nodes', (t) => {
  const withImage = node('has', { images: new Set(['busybox:latest']) });
  const without = node('lacks', { images: new Set(['other:1']) });
  t.deepEqual(schedule([task('t1', 1)], [without, withImage], 10).assignments, [{ taskId: 't1', nodeId: 'has' }], '"busybox" is busybox:latest');
  t.deepEqual(schedule([task('t1', 1)], [without, node('pulls')], 10).assignments, [{ taskId: 't1', nodeId: 'pulls' }]);
  const fresh = schedule([task('t2', 1_000, {}, { image: 'nowhere:1' })], [without, node('lacks-too', { images: new Set() })], 5_000, { imageGraceMs: 10_000 });
  t.deepEqual(fresh.failures, new Map(), 'not before the grace: a node list may be a heartbeat old');
  t.regex(fresh.unschedulable.get('t2') ?? '', /^image nowhere:1 is on no node that could run it: load it \(docker load\) on lacks, lacks-too/);
  const later = schedule([task('t2', 1_000, {}, { image: 'nowhere:1' })], [without], 11_000, { imageGraceMs: 10_000 });
  t.is(later.failures.get('t2'), 'image nowhere:1 is on no node that could run it: load it (docker load) on lacks, or let a node pull images (--image-pull missing)');
  const cordonedHolder = schedule([task('t3', 1_000, {}, { image: 'busybox' })], [{ ...withImage, unavailable: 'cordoned' }], 60_000);
  t.deepEqual(cordonedHolder.failures, new Map(), 'a node that holds it but takes no work now: the task waits');
  t.is(cordonedHolder.unschedulable.get('t3'), 'no matching node takes new work (cordoned)');
});

test('a gated image (a rollout\'s canary) goes only to nodes that say they hold it, and waits rather than fails without one', (t) => {
  const canary = 'localhost/agent:2';
  const gated = { imageGraceMs: 0, gated: new Set([canary]) };
  const tasks = [task('t1', 1, {}, { image: canary })];
  // A node that pulls what it lacks is not trusted to have it.
  const waiting = schedule(tasks, [node('pulls')], 1_000, gated);
  t.deepEqual(waiting.assignments, []);
  t.deepEqual([...waiting.failures.keys()], []);
  t.regex(waiting.unschedulable.get('t1')!, /waiting for a node that holds localhost\/agent:2/);
  const placed = schedule(tasks, [node('pulls'), node('holds', { prefetched: new Set([canary]) })], 1_000, gated);
  t.deepEqual(placed.assignments, [{ taskId: 't1', nodeId: 'holds' }]);
});

test('a provider at its --max-concurrent holds its own Cline tasks only, counting this pass\'s placements; the others go on', (t) => {
  const cline = (provider: string) => ({ image: 'localhost/agent:1', command: [], cline: { repoUrl: 'https://example.com/r.git', prompt: 'p', provider } });
  const tasks = [task('a1', 1, {}, cline('capped')), task('a2', 2, {}, cline('capped')), task('a3', 3, {}, cline('capped')), task('b1', 4, {}, cline('open')), task('p1', 5)];
  const limits = { capped: { limit: 2, active: 1 }, open: { limit: Infinity, active: 7 } } as Record<string, { limit: number; active: number }>;
  const providerGate = (p: string, placed: number) => (limits[p]!.active + placed >= limits[p]!.limit ? { why: providerFull(p, limits[p]!.limit), wakeAtMs: null } : null);
  const plan = schedule(tasks, [node('n1', { slots: 10 })], 10, { imageGraceMs: 10_000, providerGate });
  t.deepEqual(plan.assignments.map((a) => a.taskId).sort(), ['a1', 'b1', 'p1'], 'one more of capped (1 running, limit 2), all of the rest');
  t.is(plan.unschedulable.get('a2'), 'provider "capped" is running 2 attempt(s), its --max-concurrent: waiting for one to end');
  t.is(plan.unschedulable.get('a3'), plan.unschedulable.get('a2'));
  // Once one ends, the next goes, in order.
  limits.capped = { limit: 2, active: 0 };
  const next = schedule([tasks[1]!, tasks[2]!], [node('n1', { slots: 10 })], 20, { imageGraceMs: 10_000, providerGate });
  t.deepEqual(next.assignments.map((a) => a.taskId), ['a2', 'a3']);
});

test('a provider with no rate headroom holds its Cline tasks with the window\'s reason, and the pass wakes when the window frees', (t) => {
  const cline = (provider: string) => ({ image: 'localhost/agent:1', command: [], cline: { repoUrl: 'https://example.com/r.git', prompt: 'p', provider } });
  const tasks = [task('r1', 1, {}, cline('rated')), task('o1', 2, {}, cline('open'))];
  const why = 'provider "rated" was sent 30 requests in the last minute, its --max-rpm 30: waiting for headroom';
  const plan = schedule(tasks, [node('n1', { slots: 10 })], 10, { imageGraceMs: 10_000, providerGate: (p) => (p === 'rated' ? { why, wakeAtMs: 45_000 } : null) });
  t.deepEqual(plan.assignments.map((a) => a.taskId), ['o1']);
  t.is(plan.unschedulable.get('r1'), why);
  t.is(plan.wakeAtMs, 45_000);
});

test('a Cline task goes to a node with room that holds its repository warm; the spread decides otherwise', (t) => {
  const url = 'https://git.example.com/team/app.git';
  const cline = (id: string, at: number, repoUrl = url) => task(id, at, {}, { command: [], cline: { repoUrl, prompt: 'p', provider: 'default' } });
  const key = repoKey(url);
  // b has the larger share of free slots, but a holds the repository.
  const nodes = [node('a', { slots: 4, activeAttempts: 3, repoKeys: new Set([key]) }), node('b', { slots: 4 })];
  t.deepEqual(schedule([cline('t1', 1)], nodes, 10).assignments, [{ taskId: 't1', nodeId: 'a' }]);
  // The credentials in a URL do not change its key.
  t.deepEqual(schedule([cline('t1', 1, 'https://tok@git.example.com/team/app')], nodes, 10).assignments, [{ taskId: 't1', nodeId: 'a' }]);
  // Once a is full, b takes the next one: room first.
  t.deepEqual(schedule([cline('t1', 1), cline('t2', 2)], nodes, 10).assignments, [{ taskId: 't1', nodeId: 'a' }, { taskId: 't2', nodeId: 'b' }]);
  // Another repository, or a plain task: the spread as before.
  t.deepEqual(schedule([cline('t3', 3, 'https://git.example.com/team/other')], nodes, 10).assignments, [{ taskId: 't3', nodeId: 'b' }]);
  t.deepEqual(schedule([task('t4', 4)], nodes, 10).assignments, [{ taskId: 't4', nodeId: 'b' }]);
  // Among several nodes holding it, the spread decides.
  const both = [node('a', { slots: 4, activeAttempts: 3, repoKeys: new Set([key]) }), node('b', { slots: 4 }), node('c', { slots: 4, activeAttempts: 1, repoKeys: new Set([key]) })];
  t.deepEqual(schedule([cline('t5', 5)], both, 10).assignments, [{ taskId: 't5', nodeId: 'c' }]);
});

test('a Cline retry still avoids the node its last attempt ran on, warm or not', (t) => {
  const url = 'https://git.example.com/team/app.git';
  const failed = assignTask(task('t1', 1, {}, { command: [], cline: { repoUrl: url, prompt: 'p', provider: 'default' } }), 'att1', 'a', 2);
  const requeued: Task = { ...failed, state: 'PENDING', attempts: [{ ...failed.attempts[0]!, state: 'FAILED', finishedAtMs: 3 }] };
  const nodes = [node('a', { repoKeys: new Set([repoKey(url)]) }), node('b')];
  t.deepEqual(schedule([requeued], nodes, 10).assignments, [{ taskId: 't1', nodeId: 'b' }]);
});

import test from 'ava';
import { planFaults } from './faults.js';
import { judge, percentile, type History } from './history.js';

const options = { seed: 42, durationMs: 120_000, natsServers: 3, agents: 3, cuttableAgent: true, restartableEngine: true, fillableDisk: true, leaseTtlMs: 3_000 };

test('a seed replays the same fault schedule; another seed does not', (t) => {
  t.deepEqual(planFaults(options), planFaults(options));
  t.notDeepEqual(planFaults(options), planFaults({ ...options, seed: 43 }));
});

test('every kind of fault comes up in a two-minute run, within the duration, one at a time', (t) => {
  const faults = planFaults(options);
  t.deepEqual(new Set(faults.map((f) => f.kind)), new Set(['kill-leader', 'kill-follower', 'kill-nats', 'pause-replica', 'kill-agent', 'cut-agent', 'restart-engine', 'fill-disk']));
  for (let i = 0; i < faults.length; i++) {
    const f = faults[i]!;
    t.true(f.atMs + f.holdMs <= options.durationMs);
    if (i > 0) t.true(f.atMs >= faults[i - 1]!.atMs + faults[i - 1]!.holdMs, 'faults do not overlap');
  }
  t.is(faults.find((f) => f.kind === 'pause-replica')!.holdMs, 6_000, 'a pause lasts longer than the lease');
});

const clean = (): History => ({
  submissions: [{ key: 'k1', taskId: 't1', ackedAtMs: 1_000 }, { key: 'k2', taskId: null, ackedAtMs: null }],
  tasks: [{ id: 't1', key: 'k1', state: 'SUCCEEDED', attempts: [{ id: 'a1', nodeId: 'n1', state: 'LOST', exitCode: null, assignedAtMs: 1_100 }, { id: 'a2', nodeId: 'n2', state: 'SUCCEEDED', exitCode: 0, assignedAtMs: 5_000 }] }],
  journals: [{ attemptId: 'a1', state: 'SUCCEEDED', exitCode: 0 }, { attemptId: 'a2', state: 'SUCCEEDED', exitCode: 0 }],
  containers: [{ taskId: 't1', attemptId: 'a1', startNs: 1n, dieNs: 2n }, { taskId: 't1', attemptId: 'a2', startNs: 3n, dieNs: 4n }],
  containersLeft: 0,
  faults: [{ kind: 'kill-leader', target: 'cp-1', atMs: 4_000 }],
});

test('a clean history has no violations and yields the figures', (t) => {
  const v = judge(clean());
  t.deepEqual(v.violations, []);
  t.is(v.acknowledged, 1);
  t.deepEqual(v.terminal, { SUCCEEDED: 1 });
  t.is(v.lostAttempts, 1);
  t.deepEqual(v.leaderKillGapsMs, [1_000]);
});

test('a start an engine forgot (it restarted since) counts from the assignment, not from 1970', (t) => {
  const forgot = clean();
  // a2's start was lost; it died long after a1 ended. Assigned at 5 s, after a1 died (2 ns).
  forgot.containers[1] = { taskId: 't1', attemptId: 'a2', startNs: 0n, dieNs: 9_000_000_000n };
  t.deepEqual(judge(forgot).violations, []);
  // But an attempt assigned while the previous container still lived is an overlap, start seen or not.
  forgot.containers[0]!.dieNs = 6_000_000_000n;
  t.deepEqual(judge(forgot).violations, ['invariant 2: task t1: attempts a1 and a2 overlapped']);
});

test('each kind of violation is caught', (t) => {
  const lost = clean();
  lost.tasks = [];
  t.deepEqual(judge(lost).violations, ['invariant 1: acknowledged submission k1 (t1) was lost']);

  const overlap = clean();
  overlap.containers[0]!.dieNs = 5n;
  t.deepEqual(judge(overlap).violations, ['invariant 2: task t1: attempts a1 and a2 overlapped']);

  const stale = clean();
  stale.tasks[0]!.attempts[0]!.state = 'SUCCEEDED';
  stale.tasks[0]!.attempts[0]!.exitCode = 0;
  t.deepEqual(judge(stale).violations, ['invariant 2: task t1: 2 attempts accepted as SUCCEEDED']);

  const forged = clean();
  forged.journals[1] = { attemptId: 'a2', state: 'FAILED', exitCode: 1 };
  t.deepEqual(judge(forged).violations, ['invariant 3: task t1: attempt a2 recorded SUCCEEDED/0 but its node journaled FAILED/1']);

  const stuck = clean();
  stuck.tasks[0]!.state = 'RUNNING';
  t.deepEqual(judge(stuck).violations, ['invariant 1: task t1 never ended (still RUNNING)']);

  const twice = clean();
  twice.tasks.push({ ...twice.tasks[0]!, id: 't9' });
  t.true(judge(twice).violations.includes('invariant 1: submission k1 made 2 tasks (t1, t9)'));

  // The same task listed twice is a listing fault, not a second task.
  const listedTwice = clean();
  listedTwice.tasks.push({ ...listedTwice.tasks[0]! });
  t.deepEqual(judge(listedTwice).violations, ['ListTasks named task t1 twice']);

  const litter = clean();
  litter.containersLeft = 2;
  t.deepEqual(judge(litter).violations, ['invariant 4: 2 fleet container(s) left on the nodes']);
});

test('percentiles', (t) => {
  t.is(percentile([], 0.99), undefined);
  t.is(percentile([5, 1, 3], 0.5), 3);
  t.is(percentile([1, 2, 3, 4, 100], 0.99), 100);
});

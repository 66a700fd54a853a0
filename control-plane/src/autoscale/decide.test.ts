import test from 'ava';
import { afterCall, decidePool, hookBlocked, HOOK_BACKOFF, runsOnPool, type PoolInput, type PoolNode } from './decide.js';
import { EMPTY_POOL_STATE, type HookCallRecord, type PoolConfig, type PoolState } from './pool.js';

const NOW = 1_000_000;
const pool: PoolConfig = { name: 'gpu', selector: { pool: 'gpu' }, minNodes: 1, maxNodes: 4, scaleUpCooldownMs: 60_000, scaleDownCooldownMs: 600_000 };
const ready = { configured: true, blocked: null };

function node(id: string, extra: Partial<PoolNode> = {}): PoolNode {
  return { id, name: id, status: 'READY', revoked: false, slots: 2, activeAttempts: 0, schedulable: true, drain: null, enrolledAtMs: 0, ...extra };
}

function input(extra: Partial<PoolInput>): PoolInput {
  return { pool, state: EMPTY_POOL_STATE, nodes: [], pending: 0, now: NOW, hook: ready, ...extra };
}

test('a task runs on a pool when the pool\'s labels satisfy its selector', (t) => {
  t.true(runsOnPool({}, { pool: 'gpu' }));
  t.true(runsOnPool({ pool: 'gpu' }, { pool: 'gpu', zone: 'a' }));
  t.false(runsOnPool({ pool: 'cpu' }, { pool: 'gpu' }));
  t.false(runsOnPool({ zone: 'a' }, { pool: 'gpu' }));
});

test('a queue beyond the free slots asks for more nodes at once, clamped to max, then waits a scale-up cooldown', (t) => {
  const nodes = [node('a', { activeAttempts: 2, schedulable: true })];
  const d = decidePool(input({ nodes, pending: 5 }));
  t.is(d.state.current, 1);
  t.is(d.state.desired, 4, 'five waiting at 2 per node would be 1 + 3 nodes: within max');
  t.deepEqual(d.actions, [{ kind: 'call', current: 1, desired: 4, remove: [], scaleUp: true }]);
  t.regex(d.state.why, /^5 task\(s\) waiting, 0 free slot\(s\): 5 more slot\(s\) needed at 2 per node$/);

  const many = decidePool(input({ nodes, pending: 50 }));
  t.is(many.state.desired, 4);
  t.regex(many.state.why, /\(max 4\)$/);

  const called = afterCall(d.state, call({ desired: 4 }), true);
  t.is(called.lastScaleUpAtMs, NOW + 100);
  const soon = decidePool(input({ nodes, pending: 5, state: called, now: NOW + 30_000 }));
  t.deepEqual(soon.actions, [], 'within the cooldown: no second call');
  t.regex(soon.state.why, /scale-up cooldown until /);
  const later = decidePool(input({ nodes, pending: 5, state: called, now: NOW + 60_100 }));
  t.deepEqual(later.actions.map((a) => a.kind), ['call'], 'the count is asked for again once the cooldown is over');
});

test('free slots absorb a queue; min holds with no work and no node', (t) => {
  const d = decidePool(input({ nodes: [node('a'), node('b', { activeAttempts: 1 })], pending: 3 }));
  t.is(d.state.desired, 2);
  t.deepEqual(d.actions, []);
  const empty = decidePool(input({ nodes: [], pending: 0 }));
  t.is(empty.state.desired, 1, 'min 1');
  t.deepEqual(empty.actions, [{ kind: 'call', current: 0, desired: 1, remove: [], scaleUp: true }]);
  t.regex(empty.state.why, /\(min 1\)$/);
  const none = decidePool(input({ nodes: [], pending: 6 }));
  t.is(none.state.desired, 2, 'with no node to measure, 4 slots per node');
});

test('no hook, a call under way or a backoff: the count is shown and nothing is called', (t) => {
  const signal = decidePool(input({ pending: 9, hook: { configured: false, blocked: null } }));
  t.deepEqual(signal.actions, []);
  t.regex(signal.state.why, /no --autoscale-hook: signal only$/);
  const state: PoolState = { ...EMPTY_POOL_STATE, failures: 2, nextRetryAtMs: NOW + 5_000 };
  t.regex(hookBlocked(state, NOW)!, /^the hook failed 2 time\(s\) in a row; next try at /);
  t.is(hookBlocked(state, NOW + 5_000), null);
  t.regex(hookBlocked({ ...EMPTY_POOL_STATE, inFlight: { startedAtMs: NOW, deadlineMs: NOW + 10, replicaId: 'r' } }, NOW)!, /under way/);
  const blocked = decidePool(input({ pending: 9, hook: { configured: true, blocked: 'busy' } }));
  t.deepEqual(blocked.actions, []);
  t.regex(blocked.state.why, /; busy$/);
});

test('scale-in waits out the cooldown, drains idle nodes newest first, never below min, never a busy one, and releases only drained nodes', (t) => {
  const nodes = [node('a', { enrolledAtMs: 1, activeAttempts: 1 }), node('b', { enrolledAtMs: 2 }), node('c', { enrolledAtMs: 3 })];
  const first = decidePool(input({ nodes }));
  t.is(first.state.desired, 1, 'one node of work');
  t.deepEqual(first.actions, []);
  t.is(first.state.surplusSinceMs, NOW);
  t.regex(first.state.why, /scale-down cooldown until /);

  const due = NOW + 600_000;
  const drain = decidePool(input({ nodes, state: first.state, now: due }));
  t.deepEqual(drain.actions, [{ kind: 'drain', node: { id: 'c', name: 'c' } }, { kind: 'drain', node: { id: 'b', name: 'b' } }]);
  t.deepEqual(drain.state.draining.map((n) => n.id), ['c', 'b']);

  // c has drained; b is still draining (a task raced the drain onto it).
  const draining = [nodes[0]!, node('b', { enrolledAtMs: 2, schedulable: false, drain: 'DRAINING', activeAttempts: 1 }), node('c', { enrolledAtMs: 3, schedulable: false, drain: 'DRAINED' })];
  const release = decidePool(input({ nodes: draining, state: drain.state, now: due + 1_000 }));
  t.deepEqual(release.actions, [{ kind: 'call', current: 3, desired: 2, remove: [{ id: 'c', name: 'c' }], scaleUp: false }], 'only the drained node is named');

  const released = afterCall(release.state, call({ remove: [{ id: 'c', name: 'c' }], current: 3, desired: 2 }), false);
  t.deepEqual(released.released, [{ id: 'c', name: 'c' }]);
  t.deepEqual(released.draining, [{ id: 'b', name: 'b' }]);
  const after = decidePool(input({ nodes: draining, state: released, now: due + 2_000 }));
  t.is(after.state.current, 2, 'a released node counts no more');
  t.deepEqual(after.actions, [], 'b is busy: it waits');
  const gone = decidePool(input({ nodes: [draining[0]!, draining[1]!, { ...draining[2]!, status: 'DOWN' }], state: after.state, now: due + 3_000 }));
  t.deepEqual(gone.state.released, [], 'a released node that is DOWN is forgotten');

  const minTwo = decidePool(input({ pool: { ...pool, minNodes: 3 }, nodes, state: first.state, now: due }));
  t.deepEqual(minTwo.actions, [], 'min 3 with 3 nodes: none drained');
});

test('demand that returns ends the scale-in drains instead of asking for machines', (t) => {
  const state: PoolState = { ...EMPTY_POOL_STATE, surplusSinceMs: NOW - 700_000, draining: [{ id: 'b', name: 'b' }] };
  const nodes = [node('a', { activeAttempts: 2 }), node('b', { schedulable: false, drain: 'DRAINING' })];
  const d = decidePool(input({ nodes, state, pending: 4 }));
  t.deepEqual(d.actions, [{ kind: 'end-drain', node: { id: 'b', name: 'b' } }]);
  t.deepEqual(d.state.draining, []);
  t.is(d.state.surplusSinceMs, 0);
  const operatorUndrained = decidePool(input({ nodes: [node('a', { activeAttempts: 2 }), node('b')], state, now: NOW }));
  t.deepEqual(operatorUndrained.state.draining, [], 'a drain an operator ended is no longer the pool\'s');
  t.deepEqual(operatorUndrained.actions, [], 'and the node is not drained again at once');
  t.is(operatorUndrained.state.surplusSinceMs, NOW, 'the scale-down cooldown starts again');
});

test('a failed call backs off with full jitter, growing; a success resets it', (t) => {
  const failed = (state: PoolState, at: number) => afterCall(state, { ...call({}), result: 'FAILED', error: 'exit 1', endedAtMs: at }, true, () => 0.999);
  const one = failed(EMPTY_POOL_STATE, NOW);
  t.is(one.failures, 1);
  t.is(one.nextRetryAtMs, NOW + Math.floor(0.999 * HOOK_BACKOFF.initialMs));
  const two = failed(one, NOW);
  t.is(two.nextRetryAtMs, NOW + Math.floor(0.999 * HOOK_BACKOFF.initialMs * 2));
  t.is(two.lastScaleUpAtMs, 0, 'a failure starts no cooldown');
  const low = afterCall(EMPTY_POOL_STATE, { ...call({}), result: 'TIMED_OUT', endedAtMs: NOW }, true, () => 0);
  t.is(low.nextRetryAtMs, NOW + 500, 'never at once');
  const ok = afterCall(two, call({}), true);
  t.deepEqual([ok.failures, ok.nextRetryAtMs, ok.inFlight], [0, 0, null]);
});

function call(extra: Partial<HookCallRecord>): HookCallRecord {
  return { startedAtMs: NOW, endedAtMs: NOW + 100, current: 1, desired: 2, remove: [], result: 'OK', error: '', ...extra };
}

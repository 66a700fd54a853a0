import test from 'ava';
import type { NodeRecord } from '../../common/model.js';
import type { ActiveAttemptRef } from './leader-roles.js';
import { nodeRecord } from './testing/memory-fleet.js';
import { checkLiveness, DEFAULT_LIVENESS, judgeNodes, stopAfterDisconnectMs, type NodeAction } from './node-health.js';

const settings = DEFAULT_LIVENESS;
const node = (extra: Partial<NodeRecord> = {}): NodeRecord => nodeRecord('node_a', { name: 'a', lastHeartbeatMs: 100_000, ...extra });
const attempt: ActiveAttemptRef = { taskId: 'task_1', attemptId: 'att_1', stopRequested: false };

function judge(n: NodeRecord, now: number, attempts: ActiveAttemptRef[] = [], judgingSinceMs = 0, replicaContact = (_id: string) => 0): NodeAction[] {
  return judgeNodes({ nodes: [n], attemptsOn: () => attempts, now, judgingSinceMs, settings, replicaContact });
}

test('the defaults are 5s heartbeats, DISCONNECTED after 15s, agents stop after 20s, DOWN after 30s', (t) => {
  t.is(settings.heartbeatIntervalMs, 5_000);
  t.is(settings.disconnectedAfterMs, 15_000);
  t.is(stopAfterDisconnectMs(settings), 20_000);
  t.is(settings.downAfterMs, 30_000);
  t.is(checkLiveness(settings), null);
});

test('inconsistent liveness settings are refused, naming the flag', (t) => {
  t.is(checkLiveness({ ...settings, downAfterMs: 10_000 }), '--down-after: must be longer than --disconnected-after');
  t.is(checkLiveness({ ...settings, stopMarginMs: 1_000 }), '--stop-margin: must be at least 3000ms');
  t.is(checkLiveness({ ...settings, disconnectedAfterMs: 8_000 }), '--disconnected-after: must be more than twice --heartbeat-interval');
  t.regex(checkLiveness({ ...settings, stopMarginMs: 25_000 }) ?? '', /^--stop-margin: leaves the agent too little time/);
});

test('a silent node goes DISCONNECTED, then DOWN with its attempts lost', (t) => {
  t.deepEqual(judge(node(), 110_000, [attempt]), []);
  t.deepEqual(judge(node(), 116_000, [attempt]), [{ kind: 'status', nodeId: 'node_a', status: 'DISCONNECTED' }]);
  const down = judge(node({ status: 'DISCONNECTED' }), 131_000, [attempt]);
  t.deepEqual(down, [
    { kind: 'status', nodeId: 'node_a', status: 'DOWN' },
    { kind: 'lose-attempts', nodeId: 'node_a', attempts: [attempt], reason: 'node a lost: no heartbeat for 31s' },
  ]);
  t.deepEqual(judge(node({ status: 'DOWN' }), 200_000, []), [], 'nothing more once it is down and empty');
});

test('a judge that was away itself gives every node a fresh grace period', (t) => {
  t.deepEqual(judge(node(), 500_000, [attempt], 490_000), []);
  t.deepEqual(judge(node(), 516_000, [attempt], 490_000)[0], { kind: 'status', nodeId: 'node_a', status: 'DISCONNECTED' });
});

test('the breaker cordons on Docker unreachable or a failure streak, and lifts after a healthy probe', (t) => {
  t.deepEqual(judge(node({ dockerHealthy: false, dockerError: 'connect ENOENT /var/run/docker.sock', dockerHealthySinceMs: 0 }), 100_500), [
    { kind: 'cordon', nodeId: 'node_a', reason: 'docker unreachable: connect ENOENT /var/run/docker.sock' },
  ]);
  t.deepEqual(judge(node({ infraFailureStreak: 3 }), 100_500), [{ kind: 'cordon', nodeId: 'node_a', reason: '3 infrastructure failures in a row' }]);
  t.deepEqual(judge(node({ infraFailureStreak: 2 }), 100_500), []);
  const cordoned = node({ cordon: { by: 'AUTO', reason: 'x', atMs: 90_000 }, dockerHealthySinceMs: 95_000 });
  t.deepEqual(judge(cordoned, 110_000), [], 'not healthy for long enough yet');
  t.deepEqual(judge({ ...cordoned, lastHeartbeatMs: 124_000 }, 124_500), [], 'healthy since 95s: the 30s probe ends at 125s');
  t.deepEqual(judge({ ...cordoned, lastHeartbeatMs: 125_000 }, 125_000), [{ kind: 'uncordon', nodeId: 'node_a' }]);
  t.deepEqual(judge({ ...cordoned, lastHeartbeatMs: 199_000, cordon: { by: 'OPERATOR', reason: 'x', atMs: 90_000 } }, 200_000), [], "an operator's cordon is never lifted automatically");
});

test('disk pressure cordons a node and the breaker lifts it only once the space is back for a probe period', (t) => {
  t.deepEqual(judge(node({ diskPressure: 'data dir /d has 5.0MiB free (at least 1.0GiB wanted)' }), 100_500), [
    { kind: 'cordon', nodeId: 'node_a', reason: 'disk pressure: data dir /d has 5.0MiB free (at least 1.0GiB wanted)' },
  ]);
  const cordoned = node({ cordon: { by: 'AUTO', reason: 'disk pressure: x', atMs: 90_000 }, diskPressure: 'x', dockerHealthySinceMs: 0, lastHeartbeatMs: 200_000 });
  t.deepEqual(judge(cordoned, 200_000), [], 'still short of space');
  t.deepEqual(judge({ ...cordoned, diskPressure: '', dockerHealthySinceMs: 195_000 }, 200_000), [], 'space back, but not for long enough');
  t.deepEqual(judge({ ...cordoned, diskPressure: '', dockerHealthySinceMs: 160_000 }, 200_000), [{ kind: 'uncordon', nodeId: 'node_a' }]);
});

test('a READY node is as alive as the replica holding its session: unwritten heartbeats do not make it silent', (t) => {
  const held = node({ replicaId: 'r1' });
  const heardFrom = (at: number) => (id: string) => (id === 'r1' ? at : 0);
  // Its record's heartbeat is 60s old, but its replica was heard from 2s ago: nothing to do.
  t.deepEqual(judge(held, 160_000, [attempt], 0, heardFrom(158_000)), []);
  // The replica has gone quiet: the node is judged from the replica's last word, as from a heartbeat.
  t.deepEqual(judge(held, 174_000, [attempt], 0, heardFrom(158_000)), [{ kind: 'status', nodeId: 'node_a', status: 'DISCONNECTED' }]);
  const lost = judge(held, 189_000, [attempt], 0, heardFrom(158_000));
  t.deepEqual(lost.map((a) => a.kind), ['status', 'lose-attempts']);
  // A node no longer READY is judged from its own last heartbeat, whatever its replica says.
  t.deepEqual(judge({ ...held, status: 'DISCONNECTED' }, 160_000, [attempt], 0, heardFrom(158_000)).map((a) => a.kind), ['status', 'lose-attempts']);
});

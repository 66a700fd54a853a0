import test from 'ava';
import type { HeartbeatReport } from '../../common/model.js';
import { capacityChanged } from './scheduler-loop.js';
import type { NodeRecord, PreviousExit } from '../../common/model.js';
import { DEFAULT_LIVENESS, judgeNodes } from './node-health.js';
import { agentRestarted, cordonNode, heartbeatNeedsWrite, inRestartLoop, nodeHeartbeat, MAX_RESTARTS_KEPT, nodeHello, RESTART_LOOP, RESTART_UNDER_WAY_MS, restartAnswered, restartRequested, restartUnderWay } from './node-state.js';
import { nodeRecord } from './testing/memory-fleet.js';

const node = (extra: Partial<NodeRecord> = {}): NodeRecord => nodeRecord('node_a', { name: 'a', lastHeartbeatMs: 100_000, ...extra });
const exit = (extra: Partial<PreviousExit> = {}): PreviousExit => ({ result: 'watchdog', exitCode: 'killed', exitStatus: 'ABRT', selfCheckProblems: '', atMs: 1, restartRequestId: '', ...extra });
const info = { name: 'a', labels: {}, slots: 2, hostname: 'h', agentVersion: '0.1.0' };

test('a hello without a previous exit records no restart', (t) => {
  const next = nodeHello(node(), info, 'session-1', 'replica-1', 200_000);
  t.is(next.restarts, undefined);
  t.is(next.status, 'READY');
});

test('a hello after a restart records how the previous process ended, at the time the control plane heard of it', (t) => {
  const next = nodeHello(node(), { ...info, previousExit: exit({ atMs: 5, selfCheckProblems: 'event loop: blocked for 30.0s (bound 5.0s)' }) }, 's', 'r', 200_000);
  t.deepEqual(next.restarts, [{ atMs: 200_000, result: 'watchdog', exitStatus: 'ABRT', selfCheckProblems: 'event loop: blocked for 30.0s (bound 5.0s)', requested: false }]);
  t.is(next.cordon, undefined, 'one failure is not a loop');
});

test('three failed restarts within the window cordon the node, with the reason; the breaker holds while they are in the window', (t) => {
  let n = node();
  for (let i = 0; i < RESTART_LOOP.count; i++) n = agentRestarted(n, exit({ result: i === 1 ? 'exit-code' : 'watchdog', exitStatus: i === 1 ? '1' : 'ABRT', selfCheckProblems: i === 2 ? 'journal: the journal cannot commit: disk I/O error' : '' }), 100_000 + i * 60_000);
  t.like(n.cordon, { by: 'AUTO', atMs: 220_000 });
  t.is(n.cordon?.reason, 'restart loop: the agent restarted 3 times in 15 min after failing (last: killed by the watchdog; its self-check: journal: the journal cannot commit: disk I/O error)');
  t.true(inRestartLoop(n, 221_000));

  // Healthy long past the probe period, still in the loop: not uncordoned.
  const healthy = { ...n, dockerHealthy: true, dockerHealthySinceMs: 100_000, lastHeartbeatMs: 500_000 };
  const judge = (now: number) => judgeNodes({ nodes: [{ ...healthy, lastHeartbeatMs: now }], attemptsOn: () => [], now, judgingSinceMs: 0, settings: DEFAULT_LIVENESS, replicaContact: () => now });
  t.deepEqual(judge(500_000), [], 'kept cordoned while the failures are within the window');
  // Once the first failure leaves the window, the breaker's probe lifts it as any other.
  t.false(inRestartLoop(n, 100_000 + RESTART_LOOP.windowMs + 1));
  t.deepEqual(judge(100_000 + RESTART_LOOP.windowMs + 1), [{ kind: 'uncordon', nodeId: 'node_a' }]);
});

test('failures spread wider than the window, kills and clean restarts are not a loop', (t) => {
  let spread = node();
  for (let i = 0; i < 5; i++) spread = agentRestarted(spread, exit(), i * (RESTART_LOOP.windowMs / 2 + 1));
  t.is(spread.cordon, undefined);
  let other = node();
  for (const result of ['signal', 'success', 'unknown', 'signal']) other = agentRestarted(other, exit({ result, exitStatus: '' }), 100_000);
  t.is(other.cordon, undefined, 'kill -9, a clean stop, or no word from systemd is not a failure');
});

test('an operator\'s cordon is kept, and the restarts kept are the newest ten', (t) => {
  let n = cordonNode(node(), 'OPERATOR', 'maintenance', 1)!;
  for (let i = 0; i < 12; i++) n = agentRestarted(n, exit({ exitStatus: String(i) }), 100_000 + i);
  t.like(n.cordon, { by: 'OPERATOR', reason: 'maintenance' });
  t.is(n.restarts!.length, MAX_RESTARTS_KEPT);
  t.is(n.restarts![0]!.exitStatus, '2');
  t.is(n.restarts!.at(-1)!.exitStatus, '11');
});

test('a restart request: asked, taken, then completed by the hello of the process that restarted for it', (t) => {
  const asked = restartRequested(node(), { id: 'rst_1', drain: true, requestedBy: 'ops' }, 1_000);
  t.like(asked.restartRequest, { id: 'rst_1', drain: true, requestedBy: 'ops', state: 'REQUESTED', requestedAtMs: 1_000 });
  t.truthy(restartUnderWay(asked, 2_000));
  t.is(restartAnswered(asked, { requestId: 'rst_other', accepted: true, reason: '' }, 2_000), null, 'an answer to another request changes nothing');
  const taken = restartAnswered(asked, { requestId: 'rst_1', accepted: true, reason: 'draining, then restarting' }, 2_000)!;
  t.like(taken.restartRequest, { state: 'RESTARTING', reason: 'draining, then restarting', completedAtMs: 0 });
  t.is(restartAnswered(taken, { requestId: 'rst_1', accepted: true, reason: '' }, 3_000), null, 'answered once');
  const done = agentRestarted(taken, exit({ result: 'success', exitCode: 'exited', exitStatus: '0', restartRequestId: 'rst_1' }), 9_000);
  t.like(done.restartRequest, { state: 'DONE', completedAtMs: 9_000, reason: '' });
  t.like(done.restarts!.at(-1), { result: 'success', requested: true });
  t.is(restartUnderWay(done, 9_001), null);
});

test('a refused request is over; a request never answered is taken as lost after a while', (t) => {
  const asked = restartRequested(node(), { id: 'rst_1', drain: false, requestedBy: 'ops' }, 1_000);
  const refused = restartAnswered(asked, { requestId: 'rst_1', accepted: false, reason: 'not under systemd' }, 1_500)!;
  t.like(refused.restartRequest, { state: 'REFUSED', reason: 'not under systemd', completedAtMs: 1_500 });
  t.is(restartUnderWay(refused, 1_600), null);
  t.truthy(restartUnderWay(asked, 1_000 + RESTART_UNDER_WAY_MS - 1));
  t.is(restartUnderWay(asked, 1_000 + RESTART_UNDER_WAY_MS), null);
});

test('a restart the operator asked for is not a failure, whatever systemd says of it', (t) => {
  let n = restartRequested(node(), { id: 'rst_1', drain: false, requestedBy: 'ops' }, 1_000);
  for (let i = 0; i < 3; i++) n = agentRestarted(n, exit({ restartRequestId: 'rst_1' }), 2_000 + i);
  t.is(n.cordon, undefined);
});

test('a change of warm repositories is written once, and alone wakes no scheduling pass', (t) => {
  const beat = (repoKeys: string[] | null): HeartbeatReport => ({
    resources: node().resources,
    freeSlots: 2,
    dockerHealthy: true,
    dockerError: '',
    fleetContainers: 0,
    draining: false,
    diskPressure: '',
    declined: [],
    imagesOnly: false,
    images: null,
    prefetched: [],
    repoKeys,
  });
  const ready = nodeHeartbeat(node({ status: 'READY', dockerHealthy: true }), beat([]), 100_000);
  const key = 'aaaaaaaaaaaaaaaaaaaaaaaa';
  t.true(heartbeatNeedsWrite(ready, beat([key]), 101_000, 60_000), 'a new key is written');
  const warm = nodeHeartbeat(ready, beat([key]), 101_000);
  t.deepEqual(warm.repoKeys, [key]);
  t.false(heartbeatNeedsWrite(warm, beat(null), 102_000, 60_000), 'a heartbeat without the list keeps the last one, and costs no write');
  t.deepEqual(nodeHeartbeat(warm, beat(null), 102_000).repoKeys, [key]);
  t.false(heartbeatNeedsWrite(warm, beat([key]), 102_000, 60_000), 'the same list again costs no write');
  t.false(capacityChanged(ready, warm), 'only the repositories changed: no pass');
});

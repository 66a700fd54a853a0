import test from 'ava';
import type { Attempt, Task } from '../../common/model.js';
import { newRegistry } from '../../common/metrics.js';
import { ControlPlaneMetrics, controlPlaneMetricNames, INERT_VIEWS } from './metrics.js';
import { nodeRecord } from './testing/memory-fleet.js';
import { EMPTY_POOL_STATE, type PoolRecord } from './autoscale/pool.js';

const attempt = (extra: Partial<Attempt> = {}): Attempt => ({ id: 'att_1', nodeId: 'node_a', state: 'ASSIGNED', error: '', assignedAtMs: 1_000, startedAtMs: 0, finishedAtMs: 0, containerId: '', ...extra });
const task = (extra: Partial<Task> = {}): Task => ({ id: 'task_1', spec: {} as Task['spec'], state: 'PENDING', attempts: [], createdAtMs: 0, updatedAtMs: 0, notBeforeMs: 0, message: '', infraFailures: 0, ...extra }) as Task;

test('a task through its life: assigned (with its wait), started, ended (with its run and end-to-end time)', async (t) => {
  const metrics = new ControlPlaneMetrics(newRegistry(), INERT_VIEWS);
  const pending = task();
  const assigned = task({ state: 'ASSIGNED', attempts: [attempt({ queuedMs: 1_500 })] });
  const running = task({ state: 'RUNNING', attempts: [attempt({ state: 'RUNNING', startedAtMs: 2_000, queuedMs: 1_500 })] });
  const succeeded = task({ state: 'SUCCEEDED', updatedAtMs: 9_000, attempts: [attempt({ state: 'SUCCEEDED', startedAtMs: 2_000, finishedAtMs: 7_000, queuedMs: 1_500 })] });
  metrics.taskChanged(pending, assigned);
  metrics.taskChanged(assigned, running);
  metrics.taskChanged(running, succeeded);
  const text = await metrics.registry.metrics();
  t.regex(text, /fleet_tasks_assigned_total 1\n/);
  t.regex(text, /fleet_task_wait_seconds_sum 1\.5\n/);
  t.regex(text, /fleet_attempt_run_seconds_sum 5\n/);
  t.regex(text, /fleet_tasks_ended_total\{state="SUCCEEDED"\} 1\n/);
  t.regex(text, /fleet_task_end_to_end_seconds_sum 9\n/);
  t.regex(text, /fleet_attempts_ended_total\{state="SUCCEEDED",reason="none"\} 1\n/);
});

test('an attempt lost with its node and retried: the attempt ends with its reason, the task does not', async (t) => {
  const metrics = new ControlPlaneMetrics(newRegistry(), INERT_VIEWS);
  const running = task({ state: 'RUNNING', attempts: [attempt({ state: 'RUNNING', startedAtMs: 2_000 })] });
  const retried = task({ state: 'PENDING', attempts: [attempt({ state: 'LOST', startedAtMs: 2_000, finishedAtMs: 3_000, reason: 'engine_unavailable' })] });
  metrics.taskChanged(running, retried);
  const text = await metrics.registry.metrics();
  t.regex(text, /fleet_attempts_ended_total\{state="LOST",reason="engine_unavailable"\} 1\n/);
  t.notRegex(text, /fleet_tasks_ended_total\{state="\w+"\} [1-9]/);
});

test('the fleet gauges come from the views at scrape time: the queue, its oldest eligible task, nodes, cordons and slots', async (t) => {
  const now = 100_000;
  const views = {
    ...INERT_VIEWS,
    activeTasks: () => [
      task({ id: 'task_a', state: 'PENDING', createdAtMs: 10_000 }),
      task({ id: 'task_b', state: 'PENDING', createdAtMs: 1_000, notBeforeMs: 200_000 }),
      task({ id: 'task_c', state: 'RUNNING' }),
    ],
    nodes: () => [nodeRecord('node_a', { slots: 4 }), nodeRecord('node_b', { status: 'DOWN' }), nodeRecord('node_c', { cordon: { by: 'AUTO', reason: 'disk', atMs: 1 } }), nodeRecord('node_d', { revokedAtMs: 5, status: 'DOWN' })],
    activeAttemptsOn: (id: string) => (id === 'node_a' ? 1 : 0),
    leading: () => true,
    leaderEpoch: () => 7,
  };
  const metrics = new ControlPlaneMetrics(newRegistry(), views, () => now);
  const text = await metrics.registry.metrics();
  t.regex(text, /fleet_tasks\{state="PENDING"\} 2\n/);
  t.regex(text, /fleet_tasks\{state="RUNNING"\} 1\n/);
  t.regex(text, /fleet_tasks\{state="ASSIGNED"\} 0\n/);
  t.regex(text, /fleet_pending_tasks 2\n/);
  t.regex(text, /fleet_pending_oldest_age_seconds 90\n/, 'a task in its backoff is not counted as waiting');
  t.regex(text, /fleet_nodes\{status="READY"\} 2\n/);
  t.regex(text, /fleet_nodes\{status="DOWN"\} 1\n/, 'a revoked node is not counted');
  t.regex(text, /fleet_nodes_cordoned\{by="AUTO"\} 1\n/);
  t.regex(text, /fleet_node_slots\{state="used"\} 1\n/);
  t.regex(text, /fleet_node_slots\{state="free"\} 3\n/, 'only READY, uncordoned nodes offer slots');
  t.regex(text, /fleet_leader 1\n/);
  t.regex(text, /fleet_leader_epoch 7\n/);
});

test('every metric name starts with fleet_; counters end in _total', (t) => {
  const names = controlPlaneMetricNames();
  t.true(names.length > 30);
  for (const name of names) t.regex(name, /^fleet_[a-z0-9_]+$/);
  t.true(names.includes('fleet_grpc_requests_total'));
  t.true(names.includes('fleet_process_cpu_seconds_total'));
});

test('known label sets start at 0, so that the first of each shows in increase()', async (t) => {
  const text = await new ControlPlaneMetrics(newRegistry(), INERT_VIEWS).registry.metrics();
  t.regex(text, /fleet_tasks_ended_total\{state="FAILED"\} 0\n/);
  t.regex(text, /fleet_attempts_ended_total\{state="FAILED",reason="budget_exceeded"\} 0\n/);
  t.regex(text, /fleet_jetstream_errors_total\{op="update",kind="out_of_space"\} 0\n/);
  t.regex(text, /fleet_lease_changes_total\{change="lost"\} 0\n/);
  t.notRegex(text, /state="RUNNING",reason=/, 'only end states');
});

test('autoscale gauges follow the pools, labelled by pool only; a deleted pool\'s series go; hook calls count by pool', async (t) => {
  const pool = (name: string, current: number, desired: number, failures: number): PoolRecord => ({
    name,
    selector: { pool: name },
    minNodes: 0,
    maxNodes: 5,
    scaleUpCooldownMs: 1_000,
    scaleDownCooldownMs: 1_000,
    createdAtMs: 0,
    updatedAtMs: 0,
    state: { ...EMPTY_POOL_STATE, current, desired, failures, draining: [{ id: 'node_x', name: 'x' }] },
  });
  let pools = [pool('gpu', 1, 3, 2), pool('cpu', 2, 2, 0)];
  const metrics = new ControlPlaneMetrics(newRegistry(), { ...INERT_VIEWS, autoscalePools: () => pools });
  metrics.autoscaleHookCalled('gpu', 'FAILED', 0.2);
  metrics.autoscaleHookCalled('gpu', 'OK', 0.1);
  let text = await metrics.registry.metrics();
  t.regex(text, /^fleet_autoscale_current_nodes\{pool="gpu"\} 1$/m);
  t.regex(text, /^fleet_autoscale_desired_nodes\{pool="gpu"\} 3$/m);
  t.regex(text, /^fleet_autoscale_max_nodes\{pool="cpu"\} 5$/m);
  t.regex(text, /^fleet_autoscale_draining_nodes\{pool="cpu"\} 1$/m);
  t.regex(text, /^fleet_autoscale_hook_consecutive_failures\{pool="gpu"\} 2$/m);
  t.regex(text, /^fleet_autoscale_hook_calls_total\{pool="gpu"\} 2$/m);
  t.regex(text, /^fleet_autoscale_hook_failures_total\{pool="gpu"\} 1$/m);
  pools = [pools[0]!];
  text = await metrics.registry.metrics();
  t.notRegex(text, /^fleet_autoscale_\w+\{pool="cpu"\}/m);
});

test('rate permits count what was granted and what was withheld, by provider', async (t) => {
  const metrics = new ControlPlaneMetrics(newRegistry(), INERT_VIEWS);
  metrics.permits('openai', 3, 3);
  metrics.permits('openai', 1, 4);
  metrics.permits('openai', 0, 2);
  const text = await metrics.registry.metrics();
  t.regex(text, /^fleet_provider_permits_granted_total\{provider="openai"\} 4$/m);
  t.regex(text, /^fleet_provider_permits_withheld_total\{provider="openai"\} 5$/m);
});

test('team gauges come from the teams view, one series per team, gone with the team', async (t) => {
  let teams = [
    { name: 'research', running: 3, tokensToday: 12_345, costUsdToday: 1.5, blocked: true },
    { name: 'ci', running: 0, tokensToday: 0, costUsdToday: 0, blocked: false },
  ];
  const metrics = new ControlPlaneMetrics(newRegistry(), { ...INERT_VIEWS, teams: () => teams });
  const text = await metrics.registry.metrics();
  t.regex(text, /fleet_team_running_tasks\{team="research"\} 3\n/);
  t.regex(text, /fleet_team_tokens_today\{team="research"\} 12345\n/);
  t.regex(text, /fleet_team_cost_today_dollars\{team="research"\} 1\.5\n/);
  t.regex(text, /fleet_team_budget_exhausted\{team="research"\} 1\n/);
  t.regex(text, /fleet_team_budget_exhausted\{team="ci"\} 0\n/);
  teams = teams.slice(1);
  t.notRegex(await metrics.registry.metrics(), /team="research"/);
});

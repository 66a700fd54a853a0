/**
 * The metrics and health endpoints of the real daemons: a fleet runs tasks,
 * and what its control plane serves on /metrics says so, in Prometheus'
 * text format as prom-client writes it; /healthz and /readyz answer.
 */
import anyTest, { type TestFn } from 'ava';
import { eventually, submitTask, TestFleet, untilState } from './harness/fleet.js';
import type { TestProcess } from './harness/process.js';

const test = anyTest as TestFn<{ fleet: TestFleet; cpUrl: string }>;

async function metricsUrl(process: TestProcess): Promise<string> {
  const line = await process.waitForLog('metrics and health endpoints listening');
  return `http://${String(line.listen)}`;
}

/** The value of one sample (`name{labels} value`), or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const got = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(match[3]);
  }
  return undefined;
}

test.before(async (t) => {
  t.context.fleet = await TestFleet.start({ agents: [{ name: 'metered', slots: 2 }] });
  t.context.cpUrl = await metricsUrl(t.context.fleet.controlPlane!);
});

test.after.always(async (t) => {
  await t.context.fleet?.stop();
});

test.serial('the control plane serves what the fleet did and is, in Prometheus text format', async (t) => {
  const { fleet, cpUrl } = t.context;
  const ok = await submitTask(fleet, [], ['true']);
  const failing = await submitTask(fleet, [], ['sh', '-c', 'exit 3']);
  await untilState(fleet, ok, ['SUCCEEDED']);
  await untilState(fleet, failing, ['FAILED']);

  const response = await fetch(`${cpUrl}/metrics`);
  t.is(response.status, 200);
  t.regex(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  t.is(sample(text, 'fleet_tasks_ended_total', { state: 'SUCCEEDED' }), 1);
  t.is(sample(text, 'fleet_tasks_ended_total', { state: 'FAILED' }), 1);
  t.is(sample(text, 'fleet_attempts_ended_total', { state: 'SUCCEEDED', reason: 'none' }), 1);
  t.is(sample(text, 'fleet_tasks_assigned_total'), 2);
  t.is(sample(text, 'fleet_task_end_to_end_seconds_count'), 2);
  t.is(sample(text, 'fleet_task_wait_seconds_count'), 2);
  t.is(sample(text, 'fleet_grpc_requests_total', { method: 'SubmitTask', code: 'OK' }), 2);
  t.is(sample(text, 'fleet_task_submit_duration_seconds_count'), 2);
  t.is(sample(text, 'fleet_leader'), 1);
  t.true((sample(text, 'fleet_leader_epoch') ?? 0) > 0);
  t.is(sample(text, 'fleet_lease_changes_total', { change: 'acquired' }), 1);
  t.is(sample(text, 'fleet_jetstream_up'), 1);
  t.is(sample(text, 'fleet_node_sessions'), 1);
  t.is(sample(text, 'fleet_nodes', { status: 'READY' }), 1);
  t.is(sample(text, 'fleet_node_slots', { state: 'free' }), 2);
  t.is(sample(text, 'fleet_tasks', { state: 'PENDING' }), 0);
  t.true((sample(text, 'fleet_scheduling_passes_total') ?? 0) >= 2);
  t.true((sample(text, 'fleet_jetstream_operation_duration_seconds_count', { op: 'update' }) ?? 0) >= 4, 'task writes are timed');
  t.true((sample(text, 'fleet_tls_certificate_expiry_timestamp_seconds', { certificate: 'server' }) ?? 0) > Date.now() / 1000);
  t.true((sample(text, 'fleet_process_resident_memory_bytes') ?? 0) > 0, "the process's own metrics");
  t.false(text.includes(ok), 'no task id is a label');
});

test.serial('a refused call is counted with its code; a task that waits shows in the queue gauges', async (t) => {
  const { fleet, cpUrl } = t.context;
  await fleet.fleetctl(['task', 'get', 'task_0000000000000000000']);
  const waiting = await submitTask(fleet, ['--label-selector', 'gpu=yes'], ['true']);
  const text = await eventually('the queue gauges to show the task', async () => {
    const body = await (await fetch(`${cpUrl}/metrics`)).text();
    return (sample(body, 'fleet_pending_oldest_age_seconds') ?? 0) > 0 ? body : undefined;
  }, 10_000);
  t.is(sample(text, 'fleet_grpc_requests_total', { method: 'GetTask', code: 'NOT_FOUND' }), 1);
  t.is(sample(text, 'fleet_pending_tasks'), 1);
  t.is(sample(text, 'fleet_tasks', { state: 'PENDING' }), 1);
  await fleet.fleetctl(['task', 'cancel', waiting]);
});

test.serial('the node agent serves its own: its session, the attempts it finished, the process', async (t) => {
  const { fleet } = t.context;
  const agentUrl = await metricsUrl(fleet.agent('metered').process);
  const text = await (await fetch(`${agentUrl}/metrics`)).text();
  t.is(sample(text, 'fleet_agent_session_connected'), 1);
  t.is(sample(text, 'fleet_agent_attempts_finished_total', { kind: 'plain', state: 'SUCCEEDED', reason: 'none' }), 1);
  t.is(sample(text, 'fleet_agent_attempts_finished_total', { kind: 'plain', state: 'FAILED', reason: 'none' }), 1);
  t.is(sample(text, 'fleet_agent_outbox_events'), 0);
  t.is(sample(text, 'fleet_agent_self_check_ok'), 1);
  t.true((sample(text, 'fleet_agent_docker_operations_total', { op: 'create', result: 'ok' }) ?? 0) >= 2);
  t.true((sample(text, 'fleet_agent_certificate_expiry_timestamp_seconds') ?? 0) > Date.now() / 1000);
  const ready = await fetch(`${agentUrl}/readyz`);
  t.is(ready.status, 200, await ready.clone().text());
  t.is((await fetch(`${agentUrl}/healthz`)).status, 200);
});

test.serial('/healthz and /readyz answer from the self-check and JetStream; anything else is 404', async (t) => {
  const { cpUrl } = t.context;
  const health = await fetch(`${cpUrl}/healthz`);
  t.is(health.status, 200);
  t.is(await health.text(), 'ok: self-check passes\n');
  const ready = await fetch(`${cpUrl}/readyz`);
  t.is(ready.status, 200);
  t.regex(await ready.text(), /^ok: serving on port \d+\n$/);
  t.is((await fetch(`${cpUrl}/nope`)).status, 404);
  t.is((await fetch(`${cpUrl}/metrics`, { method: 'POST' })).status, 405);
});

test.serial('the control plane refuses a metrics port that is taken, naming the flag', async (t) => {
  const { fleet, cpUrl } = t.context;
  const taken = new URL(cpUrl).host;
  const { TestProcess: Process } = await import('./harness/process.js');
  const { BIN } = await import('./harness/requirements.js');
  const { join } = await import('node:path');
  const cp = new Process('second control plane', process.execPath, [BIN.controlPlane, '--listen', '127.0.0.1:0', '--data-dir', join(fleet.dir, 'second-cp'), '--metrics-listen', taken], join(fleet.dir, 'second-cp.log'));
  t.is(await cp.exited, 1);
  t.regex(cp.text, /--metrics-listen: cannot listen on 127\.0\.0\.1:\d+: the port is in use/);
});

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { Registry } from 'prom-client';
import { FakeLlm, runCommands } from '../../test/harness/fake-llm.js';
import { systemClock } from '../../common/clock.js';
import { ValidationError } from '../../common/errors.js';
import { createLogger } from '../../common/logger.js';
import { MetricsServer, newRegistry, parseMetricsListen } from '../../common/metrics.js';
import { createCa, createNodeKeyAndCsr, loadSigningCa, signNodeCsr } from '../../common/pki.js';
import { Watchdog } from '../../common/self-check.js';
import { ServiceManager } from '../../common/systemd.js';
import { compileTaskSpec } from '../../common/task-spec.js';
import { NodeAgent } from './agent.js';
import { AttemptRunner } from './attempt-runner.js';
import { ClineAttempt } from './cline-attempt.js';
import { DockerRuntime } from './container-runtime.js';
import { Journal } from './journal.js';
import { LlmGateway, newGatewayToken } from './llm-gateway.js';
import { AgentMetrics, agentMetricNames, healthVerdict, INERT_SOURCES, readyVerdict, type AgentSources } from './metrics.js';
import { NodeCredentials } from './node-credentials.js';
import { Session } from './session.js';

const log = createLogger('test', 'silent');
const NODE = 'node_0000000000000000001';
const ATTEMPT = 'att_0000000000000000001';
const TASK = 'task_0000000000000000001';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition. */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the sample with exactly these labels (undefined: no such sample). */
async function scrape(registry: Registry): Promise<(name: string, labels?: Record<string, string>) => number | undefined> {
  const samples = parse(await registry.metrics());
  return (name, labels = {}) =>
    samples.find((s) => s.name === name && Object.keys(s.labels).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

function tempDir(t: { teardown: (fn: () => void) => void }, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function openJournal(t: { teardown: (fn: () => void) => void }): { dir: string; journal: Journal } {
  const dir = tempDir(t, 'fleet-metrics-');
  const journal = new Journal(join(dir, 'journal.sqlite'));
  t.teardown(() => journal.close());
  return { dir, journal };
}

function nodeAgent(journal: Journal, dir: string, metrics: AgentMetrics, runtime?: DockerRuntime): NodeAgent {
  const attemptsDir = join(dir, 'attempts');
  mkdirSync(attemptsDir, { recursive: true });
  return new NodeAgent(
    { nodeId: NODE, name: 'n1', labels: {}, slots: 2, hostname: 'h', agentVersion: '0.0.0' },
    runtime ?? (undefined as never),
    journal,
    systemClock,
    log,
    { gateway: undefined as unknown as LlmGateway, attemptsDir },
    { dataDir: dir, minFreeDiskBytes: 0 },
    metrics,
  );
}

async function enrolledCredentials(dir: string): Promise<NodeCredentials> {
  const ca = await createCa('test', 100 * 3_600_000);
  const signing = await loadSigningCa(ca.certPem, ca.keyPem);
  const { keyPem, csrPem } = await createNodeKeyAndCsr();
  const { certPem } = await signNodeCsr(signing, csrPem, NODE, 10 * 3_600_000);
  return new NodeCredentials(dir, { nodeId: NODE, enrolledAtMs: Date.now(), caPem: ca.certPem, certPem, keyPem });
}

test('the metric names are the ones alerts and dashboards are written against', (t) => {
  t.deepEqual(agentMetricNames().sort(), [
    'fleet_agent_attempts_finished_total',
    'fleet_agent_certificate_expiry_timestamp_seconds',
    'fleet_agent_cline_stalls_total',
    'fleet_agent_containers_running',
    'fleet_agent_docker_operation_duration_seconds',
    'fleet_agent_docker_operations_total',
    'fleet_agent_gateway_cost_usd_total',
    'fleet_agent_gateway_failovers_total',
    'fleet_agent_gateway_requests_total',
    'fleet_agent_gateway_tokens_total',
    'fleet_agent_gateway_upstream_errors_total',
    'fleet_agent_gateway_upstream_retries_total',
    'fleet_agent_gateway_upstream_tries_total',
    'fleet_agent_info',
    'fleet_agent_journal_degraded',
    'fleet_agent_outbox_events',
    'fleet_agent_outbox_oldest_event_age_seconds',
    'fleet_agent_repo_cache_bytes',
    'fleet_agent_repo_cache_evictions_total',
    'fleet_agent_repo_cache_hits_total',
    'fleet_agent_repo_cache_misses_total',
    'fleet_agent_repo_cache_repos',
    'fleet_agent_self_check_failures_total',
    'fleet_agent_self_check_ok',
    'fleet_agent_session_connected',
    'fleet_agent_session_reconnects_total',
  ]);
  const registry = new Registry();
  new AgentMetrics(registry, '0.0.0', INERT_SOURCES);
  for (const metric of registry.getMetricsAsArray()) t.true(metric.help.length > 20, `${metric.name} says what it counts`);
});

test('gauges read the journal, the agent and the certificate at scrape time', async (t) => {
  const { dir, journal } = openJournal(t);
  const credentials = await enrolledCredentials(dir);
  let nowMs = 1_000_000;
  const registry = new Registry();
  let agent: NodeAgent | undefined;
  const sources: AgentSources = {
    ...INERT_SOURCES,
    runningAttempts: () => agent?.runningAttempts ?? 0,
    outboxEvents: () => journal.outboxSize(),
    oldestOutboxAtMs: () => journal.oldestOutboxAtMs(),
    journalDegraded: () => journal.degraded,
    certificateExpiresAtMs: () => credentials.expiresAtMs,
  };
  const metrics = new AgentMetrics(registry, '1.2.3', sources, () => nowMs);
  agent = nodeAgent(journal, dir, metrics);

  let value = await scrape(registry);
  t.is(value('fleet_agent_info', { version: '1.2.3' }), 1);
  t.is(value('fleet_agent_containers_running'), 0);
  t.is(value('fleet_agent_outbox_events'), 0);
  t.is(value('fleet_agent_outbox_oldest_event_age_seconds'), 0, 'none waits');
  t.is(value('fleet_agent_journal_degraded'), 0);
  t.is(value('fleet_agent_certificate_expiry_timestamp_seconds'), credentials.expiresAtMs / 1000);

  journal.accept(ATTEMPT, TASK, '{}', 1);
  journal.started(ATTEMPT, TASK, 'c1', nowMs - 42_000);
  journal.output(ATTEMPT, TASK, 'stdout', Buffer.from('hi\n'), nowMs - 1_000, '');
  nowMs += 500;
  value = await scrape(registry);
  t.is(value('fleet_agent_outbox_events'), 2);
  t.is(value('fleet_agent_outbox_oldest_event_age_seconds'), 42.5, 'the oldest event, as of the scrape');
  journal.acknowledge(journal.pending(0, 10).at(-1)!.seq);
  value = await scrape(registry);
  t.is(value('fleet_agent_outbox_events'), 0);
  t.is(value('fleet_agent_outbox_oldest_event_age_seconds'), 0);
});

test('the certificate gauge has no sample before the node has a certificate, rather than a zero that reads as expired', async (t) => {
  const registry = new Registry();
  new AgentMetrics(registry, '0.0.0', INERT_SOURCES);
  const value = await scrape(registry);
  t.is(value('fleet_agent_certificate_expiry_timestamp_seconds'), undefined);
  t.regex(await registry.metrics(), /# HELP fleet_agent_certificate_expiry_timestamp_seconds /);
});

test('engine calls are counted by operation and result, and timed, except a wait', async (t) => {
  const dir = tempDir(t, 'fleet-metrics-docker-');
  const registry = new Registry();
  const metrics = new AgentMetrics(registry, '0.0.0', INERT_SOURCES);
  // Nobody listens there: every call fails as an engine that is not running does.
  const runtime = new DockerRuntime(`unix://${join(dir, 'docker.sock')}`, 'missing', metrics);

  let value = await scrape(registry);
  t.is(value('fleet_agent_docker_operations_total', { op: 'ping', result: 'ok' }), 0, 'every operation has its series from the start');
  t.is(value('fleet_agent_docker_operations_total', { op: 'ps', result: 'error' }), 0);

  await t.throwsAsync(runtime.ping(), { message: /^docker ping: .*ENOENT/ });
  await t.throwsAsync(runtime.list(NODE));
  await t.throwsAsync(runtime.list(NODE));
  await t.throwsAsync(runtime.wait('c1'));
  value = await scrape(registry);
  t.is(value('fleet_agent_docker_operations_total', { op: 'ping', result: 'error' }), 1);
  t.is(value('fleet_agent_docker_operations_total', { op: 'ps', result: 'error' }), 2);
  t.is(value('fleet_agent_docker_operations_total', { op: 'wait', result: 'error' }), 1);
  t.is(value('fleet_agent_docker_operation_duration_seconds_count', { op: 'ps' }), 2);
  t.is(value('fleet_agent_docker_operation_duration_seconds_bucket', { op: 'ps', le: '+Inf' }), 2);
  t.is(value('fleet_agent_docker_operation_duration_seconds_count', { op: 'wait' }), undefined, 'a wait is as long as its container: not timed');

  metrics.dockerCall('inspect', true, 0.003);
  value = await scrape(registry);
  t.is(value('fleet_agent_docker_operations_total', { op: 'inspect', result: 'ok' }), 1);
  t.is(value('fleet_agent_docker_operation_duration_seconds_bucket', { op: 'inspect', le: '0.005' }), 1);
});

test('an outcome is counted once, where the journal records it: by a runner, or given back by the agent', async (t) => {
  const { dir, journal } = openJournal(t);
  const registry = new Registry();
  const metrics = new AgentMetrics(registry, '0.0.0', INERT_SOURCES);
  const runtime = new DockerRuntime(`unix://${join(dir, 'docker.sock')}`, 'missing', metrics);
  const agent = nodeAgent(journal, dir, metrics, runtime);

  // A runner whose engine is not there: the attempt fails as the node's fault.
  const plain = compileTaskSpec({ image: 'busybox', command: ['true'] });
  journal.accept(ATTEMPT, TASK, JSON.stringify(plain), 1);
  const runner = new AttemptRunner(journal.get(ATTEMPT)!, plain, {
    runtime,
    engine: { whenAvailable: async () => {}, liveRestore: () => undefined },
    journal,
    nodeId: NODE,
    clock: systemClock,
    log,
    gateway: undefined as unknown as LlmGateway,
    attemptsDir: join(dir, 'attempts'),
    observer: metrics,
  });
  await runner.run();
  t.is(journal.get(ATTEMPT)?.outcome?.reason, 'engine_unavailable');

  // An Assign the node cannot read, twice (resent): given back once.
  const unreadable = { taskId: 'task_0000000000000000002', attemptId: 'att_0000000000000000002' };
  agent.refuse(unreadable, 'spec.image: is required');
  agent.refuse(unreadable, 'spec.image: is required');
  // A Cline attempt sent while the node drains: given back as LOST.
  await agent.drain(0, 0);
  const cline = compileTaskSpec({ image: 'busybox', cline: { repoUrl: 'https://git.example.com/app.git', prompt: 'Fix the build' } });
  agent.assign({ taskId: 'task_0000000000000000003', attemptId: 'att_0000000000000000003', spec: cline, provider: null });

  const value = await scrape(registry);
  t.is(value('fleet_agent_attempts_finished_total', { kind: 'plain', state: 'FAILED', reason: 'engine_unavailable' }), 1);
  t.is(value('fleet_agent_attempts_finished_total', { kind: 'plain', state: 'FAILED', reason: 'none' }), 1, 'a resent Assign records nothing new');
  t.is(value('fleet_agent_attempts_finished_total', { kind: 'cline', state: 'LOST', reason: 'none' }), 1);
  t.is(value('fleet_agent_docker_operations_total', { op: 'image inspect', result: 'error' }), 1, 'the image check was the call that failed');
});

test('a Cline stall is counted once, by the rule that found it', async (t) => {
  const { dir, journal } = openJournal(t);
  const registry = new Registry();
  const metrics = new AgentMetrics(registry, '0.0.0', INERT_SOURCES);
  const spec = compileTaskSpec({ image: 'busybox', cline: { repoUrl: 'https://git.example.com/app.git', prompt: 'Fix the build', maxRepeatedToolCalls: 3 } }).cline!;
  journal.accept(ATTEMPT, TASK, '{}', 1);
  const attempt = new ClineAttempt(journal.get(ATTEMPT)!, spec, { journal, gateway: { waitingForPermit: () => false } as unknown as LlmGateway, attemptsDir: join(dir, 'attempts'), clock: systemClock, log, observer: metrics });
  const stops: string[] = [];
  attempt.onStop = (stop) => stops.push(stop.reason);
  const call = JSON.stringify({ type: 'agent_event', event: { type: 'content_start', contentType: 'tool', toolName: 'run_commands', toolCallId: 't', input: { commands: ['ls'] } } }) + '\n';
  for (let i = 0; i < 5; i++) attempt.onStdout(Buffer.from(call));
  attempt.tick();

  const value = await scrape(registry);
  t.deepEqual(stops, ['stalled']);
  t.is(value('fleet_agent_cline_stalls_total', { rule: 'repeated_tool_call' }), 1);
  t.is(value('fleet_agent_cline_stalls_total', { rule: 'no_events' }), 0);
  t.is(value('fleet_agent_cline_stalls_total', { rule: 'no_tool_calls' }), 0);
});

/** A model call over the attempt's socket, as the relay in the container makes it. */
function modelCall(socketPath: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: '/v1/chat/completions', method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ model: 'whatever', stream: true, messages: [{ role: 'user', content: 'hi' }] }));
  });
}

test('model calls are counted by provider, model and the status the container got; usage, cost and upstream failures too', async (t) => {
  const dir = tempDir(t, 'fleet-metrics-gw-');
  const registry = new Registry();
  const metrics = new AgentMetrics(registry, '0.0.0', INERT_SOURCES);
  // The first call is served; the provider fails every one after it.
  const fake = await new FakeLlm('sk-real', (n) => (n === 0 ? { tools: [runCommands('ls')], usage: { prompt: 100, completion: 20, cost: 0.01 } } : { status: 503, body: 'overloaded' })).start();
  // Two tries per call, a few ms apart: each failed try counts, and the retry too.
  const gateway = new LlmGateway(log, { observer: metrics, retry: { tries: 2, backoff: { initialMs: 5, maxMs: 5, multiplier: 1 }, maxRetryAfterMs: 1_000 } });
  t.teardown(async () => {
    await gateway.closeAll();
    await fake.stop();
  });
  const open = (attemptId: string, provider: { name: string; baseUrl: string; model: string; apiKey: string }) =>
    gateway.open({
      attemptId,
      socketPath: join(dir, `${attemptId}.sock`),
      token: newGatewayToken(),
      provider,
      budget: { maxTokens: 0, maxCostUsd: 0 },
      usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
      onUsage: () => {},
      onStop: () => {},
    });
  const good = await open('att_a', { name: 'fake', baseUrl: fake.url, model: 'fake-model', apiKey: 'sk-real' });
  const gone = await open('att_b', { name: 'gone', baseUrl: 'http://127.0.0.1:9/v1', model: 'm', apiKey: 'k' });

  t.is(await modelCall(good.socketPath, good.token), 200);
  t.is(await modelCall(good.socketPath, good.token), 503);
  t.is(await modelCall(gone.socketPath, gone.token), 502);
  t.is(await modelCall(good.socketPath, 'fleet_llm_forged'), 401);

  const value = await scrape(registry);
  t.is(value('fleet_agent_gateway_requests_total', { provider: 'fake', model: 'fake-model', code: '200' }), 1);
  t.is(value('fleet_agent_gateway_requests_total', { provider: 'fake', model: 'fake-model', code: '503' }), 1);
  t.is(value('fleet_agent_gateway_requests_total', { provider: 'gone', model: 'm', code: '502' }), 1);
  t.is(value('fleet_agent_gateway_requests_total', { provider: '', model: '', code: '401' }), 1, 'a token that matches no attempt names no provider');
  t.is(value('fleet_agent_gateway_tokens_total', { provider: 'fake', model: 'fake-model', direction: 'input' }), 100);
  t.is(value('fleet_agent_gateway_tokens_total', { provider: 'fake', model: 'fake-model', direction: 'output' }), 20);
  t.is(value('fleet_agent_gateway_cost_usd_total', { provider: 'fake', model: 'fake-model' }), 0.01);
  t.is(value('fleet_agent_gateway_upstream_errors_total', { provider: 'fake', kind: 'status_5xx' }), 2);
  t.is(value('fleet_agent_gateway_upstream_errors_total', { provider: 'gone', kind: 'network' }), 2);
  t.is(value('fleet_agent_gateway_upstream_retries_total', { provider: 'fake' }), 1);
  t.is(value('fleet_agent_gateway_upstream_retries_total', { provider: 'gone' }), 1);
  t.is(value('fleet_agent_gateway_upstream_tries_total', { provider: 'fake' }), 3, 'one served, one failed twice');
  t.is(value('fleet_agent_gateway_upstream_tries_total', { provider: 'gone' }), 2);
});

test('a session that cannot open is counted as a reconnect; the session gauge reads its state', async (t) => {
  const { dir, journal } = openJournal(t);
  const credentials = await enrolledCredentials(dir);
  const registry = new Registry();
  let session: Session | undefined;
  const metrics = new AgentMetrics(registry, '0.0.0', { ...INERT_SOURCES, sessionConnected: () => session?.state === 'connected' });
  const agent = nodeAgent(journal, dir, metrics);
  // Nothing listens on port 1: each try fails at once.
  session = new Session(['127.0.0.1:1'], credentials, agent, journal, log, () => {}, { onReconnect: () => metrics.sessionReconnected() });
  t.teardown(() => session!.stop());
  session.start();
  const deadline = Date.now() + 20_000;
  let value = await scrape(registry);
  while ((value('fleet_agent_session_reconnects_total') ?? 0) < 1 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    value = await scrape(registry);
  }
  t.true((value('fleet_agent_session_reconnects_total') ?? 0) >= 1);
  t.is(value('fleet_agent_session_connected'), 0);
  t.not(session.state, 'connected');
});

async function get(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

test('over HTTP: /metrics serves the registry, /healthz the self-check, /readyz the session and Docker', async (t) => {
  const registry = newRegistry();
  let failing = '';
  const metrics = new AgentMetrics(registry, '0.0.0', { ...INERT_SOURCES, selfCheckOk: () => watchdog.last.ok });
  const watchdog = new Watchdog(
    new ServiceManager(undefined, log),
    [{ name: 'probe', problem: () => failing || null }],
    { intervalMs: 3_600_000, checkTimeoutMs: 1_000, status: () => 'test', onChange: (problems) => metrics.selfCheckChanged(problems) },
    log,
  );
  let sessionState: Session['state'] = 'connecting';
  let docker = { healthy: false, error: 'connect ENOENT /var/run/docker.sock' };
  const server = new MetricsServer({ registry, healthy: () => healthVerdict(watchdog.last), ready: () => readyVerdict(sessionState, docker) }, log);
  const port = await server.start('127.0.0.1:0');
  t.teardown(async () => {
    watchdog.stop();
    await server.stop();
  });
  watchdog.start();
  await watchdog.tick();

  const scraped = await get(port, '/metrics');
  t.is(scraped.status, 200);
  t.regex(scraped.type, /^text\/plain; version=0\.0\.4/);
  t.regex(scraped.body, /^fleet_agent_info\{version="0\.0\.0"\} 1$/m);
  t.regex(scraped.body, /^fleet_process_cpu_seconds_total /m, "the process's own metrics come with the registry");
  t.regex(scraped.body, /^fleet_agent_self_check_ok 1$/m);

  t.deepEqual(await get(port, '/healthz'), { status: 200, type: 'text/plain; charset=utf-8', body: 'ok: the self-check passes\n' });
  failing = 'journal: the journal cannot commit: disk I/O error';
  await watchdog.tick();
  failing = 'event loop: blocked for 6.0s (bound 5.0s)';
  await watchdog.tick();
  const sick = await get(port, '/healthz');
  t.is(sick.status, 503);
  t.is(sick.body, 'not ok: self-check failing: probe: event loop: blocked for 6.0s (bound 5.0s)\n', 'the problem is named after its check');
  t.regex((await get(port, '/metrics')).body, /^fleet_agent_self_check_ok 0$/m);
  failing = '';
  await watchdog.tick();
  t.is((await get(port, '/healthz')).status, 200);
  failing = 'probe: broken';
  await watchdog.tick();
  t.regex((await get(port, '/metrics')).body, /^fleet_agent_self_check_failures_total 2$/m, 'counted when it starts failing, not when its problems change');

  const notReady = await get(port, '/readyz');
  t.is(notReady.status, 503);
  t.is(notReady.body, 'not ok: no session with the control plane (connecting); Docker does not answer: connect ENOENT /var/run/docker.sock\n');
  sessionState = 'connected';
  t.is((await get(port, '/readyz')).body, 'not ok: Docker does not answer: connect ENOENT /var/run/docker.sock\n');
  docker = { healthy: true, error: '' };
  t.deepEqual(await get(port, '/readyz'), { status: 200, type: 'text/plain; charset=utf-8', body: 'ok: session open, Docker answering\n' });
  t.deepEqual(readyVerdict(undefined, undefined, 'enrolling with cp1:7700'), { ok: false, detail: 'enrolling with cp1:7700' }, 'before the session exists: what the agent is doing');
  t.deepEqual(
    readyVerdict('refused', { healthy: true, error: '' }, '', 'this node agent speaks node protocol 3, newer than the control plane (…): upgrade the control plane first'),
    { ok: false, detail: 'refused by the control plane: this node agent speaks node protocol 3, newer than the control plane (…): upgrade the control plane first' },
    'refused by the version-skew rule: what to upgrade',
  );
});

test('--metrics-listen takes HOST:PORT or off, and refuses anything else naming the flag', (t) => {
  t.is(parseMetricsListen('--metrics-listen', 'off'), null);
  t.is(parseMetricsListen('--metrics-listen', '127.0.0.1:7702'), '127.0.0.1:7702');
  t.is(parseMetricsListen('--metrics-listen', '[::1]:0'), '[::1]:0');
  for (const bad of ['7702', ':7702', 'localhost:', 'localhost:99999', 'http://localhost:7702', 'a b:1']) {
    t.throws(() => parseMetricsListen('--metrics-listen', bad), { instanceOf: ValidationError, message: `--metrics-listen: "${bad}" is not HOST:PORT (or "off")` });
  }
});

test('a port already taken stops the second listener with a message naming the flag', async (t) => {
  const first = new MetricsServer({ registry: new Registry(), healthy: () => ({ ok: true, detail: '' }), ready: () => ({ ok: true, detail: '' }) }, log);
  const port = await first.start('127.0.0.1:0');
  t.teardown(() => first.stop());
  const second = new MetricsServer({ registry: new Registry(), healthy: () => ({ ok: true, detail: '' }), ready: () => ({ ok: true, detail: '' }) }, log);
  await t.throwsAsync(second.start(`127.0.0.1:${port}`), {
    message: `--metrics-listen: cannot listen on 127.0.0.1:${port}: the port is in use (another daemon on this machine? give each its own port, or "off")`,
  });
  await second.stop();
  t.is((await get(port, '/healthz')).status, 200, 'the first one still serves');
});

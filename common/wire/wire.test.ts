/**
 * The wire layer against the real contract: every domain value, encoded,
 * serialized by protobuf as gRPC does, deserialized and decoded, comes back
 * equal (property tests over generated values); and every decoder refuses
 * bad input with a message naming the field.
 */
import test from 'ava';
import fc from 'fast-check';
import type { Arbitrary } from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import type { MethodDefinition } from '@grpc/proto-loader';
import { ValidationError } from '../errors.js';
import {
  ATTEMPT_REASONS,
  ATTEMPT_STATES,
  ATTEMPT_OUTCOME_STATES,
  CORDON_SOURCES,
  NODE_REASONS,
  NODE_STATUSES,
  RESTART_STATES,
  TASK_STATES,
  type AgentProgress,
  type Attempt,
  type AttemptEvent,
  type ControlMessage,
  type StoredLogChunk,
  type NodeMessage,
  type NodeRecord,
  type Task,
  type TaskResult,
  type TaskSpec,
  normalizeImageRef,
} from '../model.js';
import { protoDefinition } from '../proto.js';
import { compileTaskSpec } from '../task-spec.js';
import { decodeControlMessage, decodeLogChunk, decodeNode, decodeNodeMessage, decodeTask, decodeTaskState, encodeControlMessage, encodeLogChunk, encodeNode, encodeNodeMessage, encodeTask } from './index.js';

const RUNS = 300;

function method(service: string, name: string): MethodDefinition<object, object> {
  const services = protoDefinition() as unknown as Record<string, Record<string, MethodDefinition<object, object>>>;
  return services[`fleet.v1.${service}`]![name]!;
}
/** Through protobuf and back, as gRPC carries a message. */
function overTheWire<T>(m: MethodDefinition<object, object>, side: 'request' | 'response', message: object): T {
  return (side === 'request' ? m.requestDeserialize(m.requestSerialize(message)) : m.responseDeserialize(m.responseSerialize(message))) as T;
}

// ---------------------------------------------------------------------------
// Arbitraries: valid domain values, as the programs make them.

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
const id = (prefix: string) => fc.stringMatching(/^[0-9a-z]{19}$/).map((s) => `${prefix}_${s}`);
const text = (maxLength: number) => fc.string({ unit: 'grapheme', maxLength }).filter((s) => !s.includes('\0'));
const ms = fc.integer({ min: 0, max: 4_102_444_800_000 });
const optional = <T>(arb: Arbitrary<T>) => fc.option(arb, { nil: undefined });
const labels = fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9.-]{0,8}[a-z0-9]$/), fc.stringMatching(/^[A-Za-z0-9._-]{0,12}$/), { maxKeys: 4 });

const progress: Arbitrary<AgentProgress> = fc.record({
  iterations: fc.nat(10_000),
  inputTokens: fc.nat(),
  outputTokens: fc.nat(),
  costUsd: fc.double({ min: 0, max: 1000, noNaN: true }),
  lastTool: text(200),
  updatedAtMs: ms,
}).chain((p) =>
  fc.option(fc.array(fc.record({ provider: fc.constantFrom('default', 'eu'), model: text(30), calls: fc.nat(1_000) }), { minLength: 1, maxLength: 8 }), { nil: undefined }).map((servedBy) => (servedBy ? { ...p, servedBy } : p)),
);

const result = (attemptId: string): Arbitrary<TaskResult> =>
  fc.record({
    attemptId: fc.constant(attemptId),
    summary: text(300),
    verified: fc.boolean(),
    baseCommit: hex(40),
    patchBytes: fc.nat(8 * 1024 * 1024),
    filesChanged: fc.nat(1000),
    finishReason: text(64),
    usage: progress,
  });

const plainSpecInput = fc.record({
  image: fc.constantFrom('busybox', 'fleet-test/busybox:1', `registry.example.com:5000/team/app:1.2@sha256:${'a'.repeat(64)}`),
  command: fc.array(text(20), { minLength: 1, maxLength: 4 }).filter((c) => c[0] !== ''),
  env: fc.dictionary(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/), text(30), { maxKeys: 3 }),
  workingDir: fc.constantFrom('', '/w', '/srv/app'),
  resources: fc.record({ cpus: fc.constantFrom(0, 0.5, 2), memoryBytes: fc.constantFrom(0, 64 * 1024 * 1024), pidsLimit: fc.nat(4096) }),
  timeoutMs: fc.integer({ min: 0, max: 86_400_000 }),
  retry: fc.record({
    maxAttempts: fc.nat(100),
    initialBackoffMs: fc.integer({ min: 1, max: 60_000 }),
    maxBackoffMs: fc.constant(3_600_000),
    backoffMultiplier: fc.constantFrom(1, 1.5, 2),
    nonRetryableExitCodes: fc.uniqueArray(fc.nat(255), { maxLength: 3 }),
  }),
  nodeSelector: labels,
  priority: fc.integer({ min: -1000, max: 1000 }),
  idempotencyKey: fc.stringMatching(/^[A-Za-z0-9._:-]{0,40}$/),
});
const clineSpecInput = plainSpecInput.chain((plain) =>
  fc.record({
    repoUrl: fc.constantFrom('https://git.example.com/team/app.git', 'file:///srv/repos/app', 'git@example.com:team/app.git'),
    ref: fc.constantFrom('', 'main', 'v1.2.3', 'a'.repeat(40)),
    prompt: text(200).filter((p) => p.trim() !== ''),
    provider: fc.constantFrom('', 'default', 'openai-eu'),
    maxTokens: fc.nat(1_000_000),
    maxCostUsd: fc.constantFrom(0, 0.5, 20),
    stallTimeoutMs: fc.constantFrom(0, 1_000, 300_000),
    maxRepeatedToolCalls: fc.constantFrom(0, 2, 50),
    network: fc.constantFrom('', 'none', 'bridge'),
  }).map((cline) => ({ ...plain, command: [], workingDir: '', cline })),
);
/** Valid specs as the control plane stores them: compiled, defaults filled in. */
const spec: Arbitrary<TaskSpec> = fc.oneof(plainSpecInput, clineSpecInput).map((input) => compileTaskSpec(input));

const attempt: Arbitrary<Attempt> = fc
  .record({
    id: id('att'),
    nodeId: id('node'),
    state: fc.constantFrom(...ATTEMPT_STATES),
    exitCode: optional(fc.integer({ min: -1, max: 255 })),
    error: text(100),
    failureKind: optional(fc.constantFrom('TASK' as const, 'INFRASTRUCTURE' as const)),
    assignedAtMs: ms,
    startedAtMs: ms,
    finishedAtMs: ms,
    containerId: fc.oneof(fc.constant(''), hex(64)),
    stopRequested: optional(text(50).filter((s) => s !== '')),
    leaderEpoch: optional(fc.integer({ min: 1, max: 2 ** 40 })),
    progress: optional(progress),
    reason: optional(fc.constantFrom(...ATTEMPT_REASONS)),
    queuedMs: optional(fc.nat()),
    image: optional(fc.constantFrom('localhost/cline-fleet/agent:canary', 'busybox:latest')),
    rolloutId: optional(id('rol')),
    rolloutArm: optional(fc.constantFrom('canary' as const, 'baseline' as const)),
  })
  .map(dropUndefined);

const task: Arbitrary<Task> = fc
  .record({
    id: id('task'),
    spec,
    state: fc.constantFrom(...TASK_STATES),
    attempts: fc.array(attempt, { maxLength: 3 }),
    createdAtMs: ms,
    updatedAtMs: ms,
    notBeforeMs: ms,
    message: text(100),
    taskFailures: fc.nat(100),
    infraFailures: fc.nat(5),
  })
  .chain((t) => (t.attempts.length > 0 ? optional(result(t.attempts.at(-1)!.id)).map((r) => dropUndefined({ ...t, result: r })) : fc.constant(t)));

const node: Arbitrary<NodeRecord> = fc.record({
  id: id('node'),
  name: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/),
  labels,
  slots: fc.integer({ min: 1, max: 1024 }),
  maxSlots: fc.integer({ min: 1, max: 1024 }),
  status: fc.constantFrom(...NODE_STATUSES),
  enrolledAtMs: ms,
  lastHeartbeatMs: ms,
  resources: fc.record({ cpus: fc.nat(256), loadPercent: fc.double({ min: 0, max: 25_600, noNaN: true }), memoryTotalBytes: fc.nat(), memoryUsedBytes: fc.nat(), diskTotalBytes: fc.nat(), diskUsedBytes: fc.nat() }),
  agentVersion: fc.constantFrom('0.1.0', ''),
  hostname: fc.stringMatching(/^[a-z0-9.-]{0,30}$/),
  dockerHealthy: fc.boolean(),
  dockerError: text(100),
  joinTokenId: id('join'),
  revokedAtMs: ms,
  certificateExpiresAtMs: ms,
  sessionId: fc.uuid(),
  cordon: fc.option(fc.record({ by: fc.constantFrom(...CORDON_SOURCES), reason: text(50), atMs: ms })),
  drain: fc.option(fc.record({ state: fc.constantFrom('DRAINING' as const, 'DRAINED' as const), requestedAtMs: ms, deadlineMs: ms, completedAtMs: ms })),
  fleetContainers: fc.nat(100),
  infraFailureStreak: fc.nat(10),
  diskPressure: fc.oneof(fc.constant(''), text(80)),
  imagesOnly: fc.boolean(),
  images: fc.array(fc.constantFrom('busybox:latest', 'fleet-test/busybox:1', `app@sha256:${'b'.repeat(64)}`), { maxLength: 3 }),
  repoKeys: fc.uniqueArray(fc.stringMatching(/^[0-9a-f]{24}$/), { maxLength: 3 }).map((keys) => keys.sort()),
  restartRequest: fc.option(
    fc.record({ id: id('rst'), drain: fc.boolean(), requestedAtMs: ms, requestedBy: fc.constantFrom('admin', 'ops'), state: fc.constantFrom(...RESTART_STATES), reason: text(60), completedAtMs: ms }),
    { nil: null },
  ),
  restarts: fc.array(fc.record({ atMs: ms, result: fc.constantFrom('watchdog', 'success', 'signal', 'unknown'), exitStatus: fc.constantFrom('ABRT', '0', ''), selfCheckProblems: text(60), requested: fc.boolean() }), { maxLength: 3 }),
});

const attemptEvent: Arbitrary<AttemptEvent> = fc
  .record({ seq: fc.integer({ min: 1, max: 2 ** 40 }), taskId: id('task'), attemptId: id('att'), atMs: ms })
  .chain((base) =>
    fc.oneof(
      hex(64).map((containerId): AttemptEvent => ({ ...base, kind: 'started', containerId })),
      fc.record({ stream: fc.constantFrom('stdout' as const, 'stderr' as const), data: fc.uint8Array({ maxLength: 200 }) }).map((o): AttemptEvent => ({ ...base, kind: 'output', ...o })),
      progress.map((p): AttemptEvent => ({ ...base, kind: 'progress', progress: p })),
      fc
        .record({
          state: fc.constantFrom(...ATTEMPT_OUTCOME_STATES),
          exitCode: optional(fc.integer({ min: -1, max: 255 })),
          error: text(100),
          failureKind: optional(fc.constantFrom('TASK' as const, 'INFRASTRUCTURE' as const)),
          reason: optional(fc.constantFrom(...ATTEMPT_REASONS)),
          progress: optional(progress),
          patch: fc.uint8Array({ maxLength: 300 }),
        })
        .chain(({ patch, ...o }) =>
          (o.state === 'SUCCEEDED' ? optional(result(base.attemptId).map((r) => ({ ...r, patchBytes: patch.length }))) : fc.constant(undefined)).map(
            (r): AttemptEvent => ({ ...base, kind: 'finished', outcome: dropUndefined({ ...o, result: r, progress: o.progress ?? r?.usage }), patch }),
          ),
        ),
    ),
  );

/** PEM-shaped text: the wire carries it as a string; `common/pki.ts` parses it. */
const pem = (label: string) => fc.base64String({ minLength: 4, maxLength: 600 }).map((b) => `-----BEGIN ${label}-----\n${b}\n-----END ${label}-----\n`);

const nodeMessage: Arbitrary<NodeMessage> = fc.oneof(
  fc
    .record({
      name: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/),
      labels,
      slots: fc.integer({ min: 1, max: 1024 }),
      hostname: text(30),
      agentVersion: fc.constant('0.1.0'),
      activeAttemptIds: fc.array(id('att'), { maxLength: 5 }),
      previousExit: fc.option(
        fc.record({
          result: fc.constantFrom('watchdog', 'success', 'exit-code', 'core-dump', 'signal', 'unknown'),
          exitCode: fc.constantFrom('killed', 'exited', 'dumped', ''),
          exitStatus: fc.constantFrom('ABRT', 'KILL', '0', '1', ''),
          selfCheckProblems: text(100),
          atMs: ms,
          restartRequestId: fc.oneof(fc.constant(''), id('rst')),
        }),
        { nil: null },
      ),
      protocolVersion: fc.nat(1_000),
    })
    .map((hello): NodeMessage => ({ kind: 'hello', hello })),
  fc
    .record({
      resources: fc.record({ cpus: fc.nat(256), loadPercent: fc.double({ min: 0, max: 25_600, noNaN: true }), memoryTotalBytes: fc.nat(), memoryUsedBytes: fc.nat(), diskTotalBytes: fc.nat(), diskUsedBytes: fc.nat() }),
      freeSlots: fc.nat(1024),
      dockerHealthy: fc.boolean(),
      dockerError: text(100),
      fleetContainers: fc.nat(100),
      draining: fc.boolean(),
      diskPressure: fc.oneof(fc.constant(''), text(80)),
      declined: fc.array(fc.record({ taskId: id('task'), attemptId: id('att'), reason: fc.constantFrom(...NODE_REASONS), error: text(60) }), { maxLength: 2 }),
      imagesOnly: fc.boolean(),
      images: fc.option(fc.array(fc.constantFrom('busybox:latest', 'fleet-test/busybox:1'), { maxLength: 2 }), { nil: null }),
      prefetched: fc.array(fc.constantFrom('localhost/cline-fleet/agent:canary', 'busybox:latest'), { maxLength: 2 }),
      repoKeys: fc.option(fc.uniqueArray(fc.stringMatching(/^[0-9a-f]{24}$/), { maxLength: 3 }).map((keys) => keys.sort()), { nil: null }),
    })
    .map((heartbeat): NodeMessage => ({ kind: 'heartbeat', heartbeat })),
  attemptEvent.map((event): NodeMessage => ({ kind: 'event', event })),
  pem('CERTIFICATE REQUEST').map((csrPem): NodeMessage => ({ kind: 'renew', csrPem })),
  fc.record({ requestId: id('rst'), accepted: fc.boolean(), reason: text(100) }).map((answer): NodeMessage => ({ kind: 'restart-answer', answer })),
  fc.record({ provider: fc.constantFrom('default', 'eu'), want: fc.nat(1_000), tokens: fc.nat(), throttled: fc.nat(1_000), askId: fc.nat() }).map((ask): NodeMessage => ({ kind: 'permit-ask', ask })),
);

const controlMessage: Arbitrary<ControlMessage> = fc.oneof(
  fc.record({ nodeId: id('node'), heartbeatIntervalMs: fc.nat(60_000), stopAfterDisconnectMs: fc.nat(600_000), protocolVersion: fc.nat(1_000) }).map((welcome): ControlMessage => ({ kind: 'welcome', welcome })),
  fc
    .record({
      taskId: id('task'),
      attemptId: id('att'),
      spec,
      provider: fc
        .record({ name: fc.constantFrom('default', 'eu'), baseUrl: fc.constant('https://api.example.com/v1'), model: text(30), apiKey: fc.stringMatching(/^[A-Za-z0-9_-]{1,60}$/), rateLimited: fc.constantFrom(true, undefined) })
        .map(dropUndefined)
        .chain((g) =>
          fc
            .array(fc.record({ name: fc.constantFrom('backup', 'us'), baseUrl: fc.constant('https://backup.example.com/v1'), model: text(30), apiKey: fc.stringMatching(/^[A-Za-z0-9_-]{1,60}$/), rateLimited: fc.constantFrom(true, undefined) }).map(dropUndefined), { maxLength: 3 })
            .map((fallbacks) => (fallbacks.length > 0 ? { ...g, fallbacks } : g)),
        ),
    })
    // A grant travels only with a Cline spec.
    .map((a): ControlMessage => ({ kind: 'assign', assign: { ...a, provider: a.spec.cline ? a.provider : null } })),
  fc.record({ taskId: id('task'), attemptId: id('att'), reason: text(100), graceMs: fc.nat(600_000) }).map((cancel): ControlMessage => ({ kind: 'cancel', cancel })),
  fc.integer({ min: 0, max: 2 ** 40 }).map((seq): ControlMessage => ({ kind: 'ack', seq })),
  fc
    .record({ serverTimeMs: ms, prefetchImages: fc.array(fc.constantFrom('localhost/cline-fleet/agent:canary', 'busybox:latest'), { maxLength: 2 }) })
    .map(({ serverTimeMs, prefetchImages }): ControlMessage => ({ kind: 'heartbeat-ack', serverTimeMs, prefetchImages })),
  pem('CERTIFICATE').map((certificatePem): ControlMessage => ({ kind: 'certificate', certificatePem })),
  fc.record({ requestId: id('rst'), drain: fc.boolean() }).map((restart): ControlMessage => ({ kind: 'restart', restart })),
  fc
    .record({ provider: fc.constantFrom('default', 'eu'), granted: fc.nat(1_000), validForMs: fc.nat(86_400_000), retryAfterMs: fc.nat(86_400_000), why: text(100), askId: fc.nat(), uncounted: fc.boolean() })
    .map((grant): ControlMessage => ({ kind: 'permit-grant', grant })),
);

const logChunk: Arbitrary<StoredLogChunk> = fc.record({ taskId: id('task'), attemptId: id('att'), stream: fc.constantFrom('stdout' as const, 'stderr' as const), data: fc.uint8Array({ maxLength: 300 }), atMs: ms, seq: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }) });

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Equal as data: generated records may have a null prototype, and a Buffer
 * equals a Uint8Array with the same bytes. A key present with the value
 * undefined would differ from an absent one, so decoders must omit, not blank.
 */
function same(a: unknown, b: unknown): boolean {
  const plain = (value: unknown): unknown => {
    if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString('base64') };
    if (Array.isArray(value)) return value.map(plain);
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, v === undefined ? 'UNDEFINED' : plain(v)]));
    return value;
  };
  return isDeepStrictEqual(plain(a), plain(b));
}

// ---------------------------------------------------------------------------
// Round trips

/** fast-check shrinks a failing value to a small one and throws with it. */
function holds<T>(t: import('ava').ExecutionContext, arb: Arbitrary<T>, property: (value: T) => boolean): void {
  t.notThrows(() => fc.assert(fc.property(arb, property), { numRuns: RUNS }));
}

test('a task survives the trip to fleetctl unchanged', (t) => {
  const getTask = method('FleetService', 'GetTask');
  holds(t, task, (value) => same(decodeTask(overTheWire(getTask, 'response', encodeTask(value))), value));
});

test('a node record reaches fleetctl as its summary, without its session bookkeeping', (t) => {
  const listed = method('FleetService', 'CordonNode');
  holds(t, fc.tuple(node, fc.nat(64)), ([record, active]) => {
    const decoded = decodeNode(overTheWire(listed, 'response', encodeNode(record, active)));
    const { sessionId, joinTokenId: _token, images, ...shown } = record;
    return same(decoded, { ...shown, activeAttempts: active, imageCount: images?.length ?? 0, repoKeys: record.repoKeys ?? [], restartRequest: record.restartRequest ?? null, restarts: record.restarts ?? [] }) && !JSON.stringify(decoded).includes(sessionId!);
  });
});

test('what a node says reaches the control plane unchanged', (t) => {
  const connect = method('NodeService', 'Connect');
  holds(t, nodeMessage, (m) => same(decodeNodeMessage(overTheWire(connect, 'request', encodeNodeMessage(m))), m));
});

test('what the control plane says reaches the node unchanged', (t) => {
  const connect = method('NodeService', 'Connect');
  holds(t, controlMessage, (m) => same(decodeControlMessage(overTheWire(connect, 'response', encodeControlMessage(m))), m));
});

test('log chunks reach fleetctl unchanged', (t) => {
  const logs = method('FleetService', 'GetTaskLogs');
  holds(t, logChunk, (c) => same(decodeLogChunk(overTheWire(logs, 'response', encodeLogChunk(c))), c));
});

// ---------------------------------------------------------------------------
// Refusals: each names the field.

const finished = (f: object) => ({ msg: 'event', event: { seq: 7, taskId: 'task_1', attemptId: 'att_1', atMs: 1, kind: 'finished', finished: { state: 'ATTEMPT_STATE_FAILED', ...f } } });

function refused(t: import('ava').ExecutionContext, decode: () => unknown, message: string): void {
  const err = t.throws(decode, { instanceOf: ValidationError });
  t.is(err?.message, message);
}

test('an outcome that is not an outcome, an unknown reason or a short commit is refused, naming the field', (t) => {
  const connect = method('NodeService', 'Connect');
  const decode = (m: object) => () => decodeNodeMessage(overTheWire(connect, 'request', m));
  refused(t, decode(finished({ state: 'ATTEMPT_STATE_RUNNING' })), 'event.finished.state: "ATTEMPT_STATE_RUNNING" is not an outcome (one of SUCCEEDED, FAILED, CANCELLED, TIMED_OUT, LOST)');
  refused(t, decode(finished({ reason: 'bored' })), 'event.finished.reason: "bored" is not a known reason (budget_exceeded, stalled, provider_error, workspace_error, patch_too_large, agent_error, engine_unavailable, engine_error, stopped_outside, exit_lost, host_oom, image_missing, disk_full)');
  refused(t, decode(finished({ state: 'ATTEMPT_STATE_SUCCEEDED', result: { baseCommit: 'abc123' } })), 'event.finished.result.base_commit: must be a full commit id');
  refused(t, decode(finished({ patch: Buffer.alloc(8 * 1024 * 1024 + 1) })), 'event.finished.patch: is 8388609 bytes; the limit is 8388608');
  refused(t, decode({ msg: 'event', event: { seq: 1, taskId: 't', attemptId: 'a', output: { stream: 'LOG_STREAM_STDOUT', data: Buffer.alloc(1024 * 1024 + 1) } } }), 'event.output.data: is 1048577 bytes; the limit is 1048576');
  refused(t, decode({ msg: 'event', event: { seq: 1, taskId: 't', attemptId: 'a', output: { stream: 'LOG_STREAM_UNSPECIFIED' } } }), 'event.output.stream: "LOG_STREAM_UNSPECIFIED" is not a log stream (one of STDOUT, STDERR)');
  refused(t, decode({ msg: 'event', event: { seq: 1, taskId: 't', attemptId: 'a', progress: { costUsd: -1 } } }), 'event.progress.cost_usd: must be between 0 and 1000000000, got -1');
  refused(t, () => decodeNodeMessage({ msg: 'event', event: { seq: 1, taskId: 't', attemptId: 'a', atMs: 0 } } as never), 'event.kind: unknown event: expected started, output, progress or finished');
});

test('a hello or heartbeat that lies about the machine is refused, naming the field', (t) => {
  const connect = method('NodeService', 'Connect');
  const decode = (m: object) => () => decodeNodeMessage(overTheWire(connect, 'request', m));
  refused(t, decode({ hello: { name: 'a b', slots: 1 } }), 'name: "a b" is not a node name (letters, digits, ".", "-", "_"; at most 64)');
  refused(t, decode({ hello: { name: 'ok', slots: 5000 } }), 'slots: must be between 1 and 1024, got 5000');
  refused(t, decode({ heartbeat: { resources: { memoryUsedBytes: -5 } } }), `heartbeat.resources.memory_used_bytes: must be between 0 and ${Number.MAX_SAFE_INTEGER}, got -5`);
  refused(t, () => decodeNodeMessage({ msg: 'hello', hello: null } as never), 'hello: is required');
  refused(t, decode({ hello: { name: 'ok', slots: 1, previousExit: { result: 'watch dog; rm -rf' } } }), 'hello.previous_exit.result: "watch dog; rm -rf" is not a systemd result word');
  refused(t, decode({ hello: { name: 'ok', slots: 1, previousExit: { result: 'success', restartRequestId: '../x' } } }), 'hello.previous_exit.restart_request_id: "../x" is not a restart request id (rst_ and 19 lowercase letters or digits)');
  refused(t, decode({ restartAnswer: { requestId: 'task_0000000000000000000', accepted: true } }), 'restart_answer.request_id: "task_0000000000000000000" is not a restart request id (rst_ and 19 lowercase letters or digits)');
  refused(t, decode({ permitAsk: { provider: 'p', want: 1_001 } }), 'permit_ask.want: must be between 0 and 1000, got 1001');
  refused(t, decode({ permitAsk: { provider: 'p', want: 1, throttled: -1 } }), 'permit_ask.throttled: must be between 0 and 1000, got -1');
  refused(t, decode({ permitAsk: { provider: 'p'.repeat(64), want: 1 } }), 'permit_ask.provider: is 64 characters; the limit is 63');
  const spendOf = (i: number) => ({ taskId: `task_${String(i).padStart(19, '0')}`, attemptId: `att_${String(i).padStart(19, '0')}` });
  refused(t, decode({ teamSpend: { entries: [{ ...spendOf(1), taskId: '../a', tokens: 1 }] } }), 'team_spend.entries[0].task_id: "../a" is not a task id (task_ and 19 lowercase letters or digits)');
  refused(t, decode({ teamSpend: { entries: [{ ...spendOf(1), attemptId: 'task_0000000000000000001' }] } }), 'team_spend.entries[0].attempt_id: "task_0000000000000000001" is not an attempt id (att_ and 19 lowercase letters or digits)');
  refused(t, decode({ teamSpend: { entries: [{ ...spendOf(1), tokens: -5 }] } }), 'team_spend.entries[0].tokens: must be between 0 and 1000000000000, got -5');
  refused(t, decode({ teamSpend: { entries: [{ ...spendOf(1), costUsd: -0.5 }] } }), 'team_spend.entries[0].cost_usd: must be between 0 and 1000000000, got -0.5');
  refused(t, decode({ teamSpend: { entries: [{ ...spendOf(1), tokens: 1 }, { ...spendOf(1), tokens: 2 }] } }), 'team_spend.entries: names an attempt twice: one entry per attempt');
  refused(t, decode({ teamSpend: { entries: Array.from({ length: 257 }, (_, i) => ({ ...spendOf(i), tokens: 1 })) } }), 'team_spend.entries: has 257 items; the limit is 256');
});

test('team spend and team budgets cross the wire as they were sent', (t) => {
  const connect = method('NodeService', 'Connect');
  const report = { entries: [{ taskId: 'task_0000000000000000001', attemptId: 'att_0000000000000000001', tokens: 1234, costUsd: 0.25 }, { taskId: 'task_0000000000000000002', attemptId: 'att_0000000000000000002', tokens: 0, costUsd: 1.5 }], reportId: 7 };
  t.deepEqual(decodeNodeMessage(overTheWire(connect, 'request', encodeNodeMessage({ kind: 'team-spend', report }))), { kind: 'team-spend', report });
  const spent = { alpha: 'team "alpha" has spent its daily token budget' };
  t.deepEqual(decodeControlMessage(overTheWire(connect, 'response', encodeControlMessage({ kind: 'team-budgets', spent }))), { kind: 'team-budgets', spent });
  t.deepEqual(decodeControlMessage(overTheWire(connect, 'response', encodeControlMessage({ kind: 'team-spend-ack', reportId: 7, uncountedAttempts: ['att_0000000000000000002'] }))), { kind: 'team-spend-ack', reportId: 7, uncountedAttempts: ['att_0000000000000000002'] });
});

test('an assign with a bad spec, a grant too large or an unknown message is refused, naming the field', (t) => {
  const connect = method('NodeService', 'Connect');
  const decode = (m: object) => () => decodeControlMessage(overTheWire(connect, 'response', m));
  const ids = { taskId: 'task_0000000000000000001', attemptId: 'att_0000000000000000001' };
  refused(t, decode({ assign: { ...ids, spec: { command: ['true'] } } }), 'spec.image: is required (e.g. debian:12-slim)');
  const cline = { cline: { repoUrl: 'https://x.example/a.git', prompt: 'p' } };
  refused(t, decode({ assign: { ...ids, spec: cline, provider: { name: 'p', apiKey: 'k'.repeat(9000) } } }), 'assign.provider.api_key: is 9000 characters; the limit is 8192');
  const fallback = { name: 'b', baseUrl: 'https://b', model: 'm', apiKey: 'k' };
  refused(t, decode({ assign: { ...ids, spec: cline, provider: { name: 'p', apiKey: 'k', fallbacks: [fallback, { ...fallback, apiKey: 'k'.repeat(9000) }] } } }), 'assign.provider.fallbacks[1].api_key: is 9000 characters; the limit is 8192');
  refused(t, decode({ assign: { ...ids, spec: cline, provider: { name: 'p', apiKey: 'k', fallbacks: [fallback, fallback, fallback, fallback] } } }), 'assign.provider.fallbacks: at most 3, got 4');
  refused(t, () => decodeControlMessage({} as never), 'msg: unknown message: expected welcome, assign, cancel, ack, heartbeat_ack, certificate, restart, permit_grant, team_spend_ack or team_budgets');
  refused(t, decode({ teamBudgets: { spent: { 'Not A Team': 'spent' } } }), 'team_budgets.spent: "Not A Team" is not a team name: lower-case letters, digits, "-" and "_", at most 63, starting with a letter or digit');
  // A reason is words for a log: cut, not refused.
  const long = decode({ teamBudgets: { spent: { a: 'x'.repeat(5000) } } })() as { spent: Record<string, string> };
  t.true(long.spent.a!.length <= 4096);
});

test('an assign or cancel whose ids are not the control plane\'s ids is refused, naming the field, before its spec is read', (t) => {
  const connect = method('NodeService', 'Connect');
  const decode = (m: object) => () => decodeControlMessage(overTheWire(connect, 'response', m));
  const spec = { image: 'busybox', command: ['true'] };
  const good = { taskId: 'task_0000000000000000001', attemptId: 'att_0000000000000000001' };
  const att = '(att_ and 19 lowercase letters or digits)';
  refused(t, decode({ assign: { ...good, attemptId: '../../../etc', spec } }), `assign.attempt_id: "../../../etc" is not an attempt id ${att}`);
  refused(t, decode({ assign: { ...good, attemptId: 'att_0000000000000000001/..', spec } }), `assign.attempt_id: "att_0000000000000000001/.." is not an attempt id ${att}`);
  refused(t, decode({ assign: { ...good, attemptId: 'task_0000000000000000001', spec } }), `assign.attempt_id: "task_0000000000000000001" is not an attempt id ${att}`);
  refused(t, decode({ assign: { ...good, attemptId: '', spec } }), `assign.attempt_id: "" is not an attempt id ${att}`);
  refused(t, decode({ assign: { ...good, taskId: 'task_1', spec: {} } }), 'assign.task_id: "task_1" is not a task id (task_ and 19 lowercase letters or digits)');
  refused(t, decode({ cancel: { ...good, attemptId: 'ATT_0000000000000000001' } }), `cancel.attempt_id: "ATT_0000000000000000001" is not an attempt id ${att}`);
  refused(t, decode({ cancel: { ...good, taskId: '../x' } }), 'cancel.task_id: "../x" is not a task id (task_ and 19 lowercase letters or digits)');
  // A hello's attempt that is no longer current is stopped by its attempt id alone.
  t.like(decodeControlMessage(overTheWire(connect, 'response', { cancel: { ...good, taskId: '' } })), { kind: 'cancel', cancel: { taskId: '', attemptId: good.attemptId } });
  const assign = decodeControlMessage(overTheWire(connect, 'response', { assign: { ...good, spec } }));
  t.like(assign, { kind: 'assign', assign: good });
});

test('task states from a client are checked by name', (t) => {
  t.is(decodeTaskState('states[0]', 'TASK_STATE_RUNNING'), 'RUNNING');
  refused(t, () => decodeTaskState('states[0]', 42), 'states[0]: "42" is not a task state (one of PENDING, ASSIGNED, RUNNING, SUCCEEDED, FAILED, CANCELLED, TIMED_OUT, DELIVERING)');
  refused(t, () => decodeTaskState('states[1]', 'TASK_STATE_UNSPECIFIED'), 'states[1]: "TASK_STATE_UNSPECIFIED" is not a task state (one of PENDING, ASSIGNED, RUNNING, SUCCEEDED, FAILED, CANCELLED, TIMED_OUT, DELIVERING)');
});

test('image references compare as Docker names them locally', (t) => {
  t.is(normalizeImageRef('busybox'), 'busybox:latest');
  t.is(normalizeImageRef('docker.io/library/busybox:1.36'), 'busybox:1.36');
  t.is(normalizeImageRef('registry.example.com:5000/team/app'), 'registry.example.com:5000/team/app:latest');
  t.is(normalizeImageRef(`app:1.2@sha256:${'c'.repeat(64)}`), `app@sha256:${'c'.repeat(64)}`);
  t.is(normalizeImageRef('localhost/cline-fleet/agent:3.0.65'), 'localhost/cline-fleet/agent:3.0.65');
});

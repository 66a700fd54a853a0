/**
 * A node's reports of one attempt that arrive together are one write of the
 * task record: a short task's `started`, `progress` and `finished`, sent in
 * one turn as the agent's outbox sends them, move the record from ASSIGNED
 * to SUCCEEDED in a single compare-and-set, with everything each report
 * said. Against a real control plane and nats-server, from a node that
 * speaks the protocol over mutual TLS; the record's history is read from
 * JetStream itself.
 *
 * What must not change: a run from an attempt that is no longer current (a
 * retry superseded it) is refused report by report (each acknowledged, the
 * attempt told to stop, the record untouched); output between reports still
 * reaches the log store; acknowledgements stay cumulative and in order.
 */
import * as http2 from 'node:http2';
import * as tls from 'node:tls';
import type * as grpc from '@grpc/grpc-js';
import { jetstream } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import anyTest, { type TestFn } from 'ava';
import type { AttemptEvent, ControlMessage, NodeMessage } from '../common/model.js';
import { protoDefinition } from '../common/proto.js';
import { AGENT_PROTOCOL } from '../common/protocol.js';
import { SERVER_NAME, serverNameCheck } from '../common/tls-names.js';
import { decodeControlMessage, encodeNodeMessage } from '../common/wire/index.js';
import { BUCKETS } from '../control-plane/src/store/names.js';
import type { ControlMessage__Output } from '../proto/gen/fleet/v1/ControlMessage.js';
import { eventually, getTask, submitTask, TestFleet } from './harness/fleet.js';
import { clients, enrollNode } from './harness/grpc.js';

interface RawNode {
  /** Messages in one HTTP/2 DATA frame: they reach the control plane in one read, as an outbox flushed at once may. */
  send(messages: NodeMessage[]): void;
  /** Control messages received so far, decoded. */
  received: ControlMessage[];
  close(): void;
}

/**
 * A node's NodeService.Connect over HTTP/2 written by hand (gRPC's
 * length-prefixed messages), so that several messages can share one frame:
 * grpc-js writes each message on its own.
 */
function rawNode(server: string, caPem: string, cert: { certPem: string; keyPem: string }): RawNode {
  const method = (protoDefinition()['fleet.v1.NodeService'] as grpc.ServiceDefinition).Connect!;
  const session = http2.connect(`https://${server}`, {
    ca: caPem,
    cert: cert.certPem,
    key: cert.keyPem,
    servername: SERVER_NAME,
    checkServerIdentity: serverNameCheck(tls.checkServerIdentity),
  });
  session.on('error', () => {});
  const stream = session.request({ ':method': 'POST', ':path': method.path, 'content-type': 'application/grpc', te: 'trailers' }, { endStream: false });
  stream.on('error', () => {});
  const received: ControlMessage[] = [];
  let pending = Buffer.alloc(0);
  stream.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
      const length = pending.readUInt32BE(1);
      received.push(decodeControlMessage(method.responseDeserialize(pending.subarray(5, 5 + length)) as ControlMessage__Output));
      pending = pending.subarray(5 + length);
    }
  });
  const frame = (message: NodeMessage) => {
    const body = method.requestSerialize(encodeNodeMessage(message));
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(body.length, 1);
    return Buffer.concat([prefix, body]);
  };
  return {
    send: (messages) => void stream.write(Buffer.concat(messages.map(frame))),
    received,
    close: () => {
      stream.close();
      session.close();
    },
  };
}

const test = anyTest as TestFn<{ fleet: TestFleet; node: RawNode; kv: KV; stop: () => Promise<void> }>;

test.before(async (t) => {
  const fleet = await TestFleet.start({ agents: [] });
  const joinToken = (await fleet.fleetctl(['token', 'create', '--max-slots', '4'])).stdout.trim();
  const enrolled = await enrollNode(clients(fleet.server, fleet.caPem), joinToken, 'raw-node', 4);
  if (enrolled.err) throw enrolled.err;
  const node = rawNode(fleet.server, fleet.caPem, enrolled);
  node.send([{ kind: 'hello', hello: { name: 'raw-node', labels: {}, slots: 4, agentVersion: 'test', hostname: 'raw-node', activeAttemptIds: [], protocolVersion: AGENT_PROTOCOL } }]);
  await eventually('welcome', async () => node.received.some((m) => m.kind === 'welcome'));
  const resources = { cpus: 4, loadPercent: 0, memoryTotalBytes: 8e9, memoryUsedBytes: 1e9, diskTotalBytes: 1e11, diskUsedBytes: 1e10 };
  const heartbeat = () =>
    node.send([
      {
        kind: 'heartbeat',
        heartbeat: { resources, freeSlots: 4, dockerHealthy: true, prefetched: [], repoKeys: null, dockerError: '', fleetContainers: 0, draining: false, diskPressure: '', declined: [], imagesOnly: false, images: [] },
      },
    ]);
  heartbeat();
  const beating = setInterval(heartbeat, 1_000);
  await eventually('the first heartbeat acknowledged', async () => node.received.some((m) => m.kind === 'heartbeat-ack'));
  const nc = await connect({ servers: fleet.nats!.url });
  const kv = await new Kvm(jetstream(nc)).open(BUCKETS.tasks);
  t.context = {
    fleet,
    node,
    kv,
    stop: async () => {
      clearInterval(beating);
      node.close();
      await nc.close();
    },
  };
});

test.after.always(async (t) => {
  await t.context.stop?.();
  await t.context.fleet?.stop();
});

const events = (list: AttemptEvent[]): NodeMessage[] => list.map((event) => ({ kind: 'event', event }));

let seq = 0;

async function assigned(t: { context: { fleet: TestFleet; node: RawNode } }, flags: string[] = []): Promise<{ taskId: string; attemptId: string }> {
  const taskId = await submitTask(t.context.fleet, flags, ['true']);
  const assign = await eventually(`the assignment of ${taskId}`, async () => {
    for (const m of t.context.node.received) if (m.kind === 'assign' && m.assign.taskId === taskId) return m.assign;
    return undefined;
  });
  return { taskId, attemptId: assign.attemptId };
}

async function acked(node: RawNode, upTo: number): Promise<number[]> {
  await eventually(`the ack of event ${upTo}`, async () => node.received.some((m) => m.kind === 'ack' && m.seq >= upTo));
  return node.received.flatMap((m) => (m.kind === 'ack' ? [m.seq] : []));
}

/** Revisions of a task's record after `revision`, from JetStream's own history of the key. */
async function writesAfter(kv: KV, taskId: string, revision: number): Promise<number> {
  let count = 0;
  for await (const entry of await kv.history({ key: taskId })) if (entry.revision > revision) count++;
  return count;
}

test.serial("a short task's started, progress and finished, sent together, are one write of its record", async (t) => {
  const { node, kv } = t.context;
  const { taskId, attemptId } = await assigned(t);
  const before = (await kv.get(taskId))!;
  t.is(before.json<{ state: string }>().state, 'ASSIGNED');
  const at = Date.now();
  const progress = { iterations: 3, inputTokens: 1200, outputTokens: 340, costUsd: 0.02, lastTool: 'write_to_file', updatedAtMs: at };
  node.send(events([
    { seq: ++seq, taskId, attemptId, atMs: at, kind: 'started', containerId: `ctr-${attemptId}` },
    { seq: ++seq, taskId, attemptId, atMs: at, kind: 'progress', progress },
    { seq: ++seq, taskId, attemptId, atMs: at, kind: 'finished', outcome: { state: 'SUCCEEDED', exitCode: 0, error: '' }, patch: new Uint8Array(0) },
  ]));
  const acks = await acked(node, seq);
  t.deepEqual(acks, [...acks].sort((a, b) => a - b), 'acknowledgements never go back');
  t.is(await writesAfter(kv, taskId, before.revision), 1, 'ASSIGNED to SUCCEEDED in one compare-and-set');
  const task = await getTask(t.context.fleet, taskId);
  t.is(task.state, 'SUCCEEDED');
  const attempt = task.attempts[0]!;
  t.is(attempt.state, 'SUCCEEDED');
  t.is(attempt.containerId, `ctr-${attemptId}`, "the started report's container is kept");
  t.truthy(attempt.startedAt, 'the attempt has its start');
  const stored = (await kv.get(taskId))!.json<{ attempts: Array<{ progress?: { iterations: number; inputTokens: number } }> }>();
  t.is(stored.attempts[0]!.progress?.iterations, 3, "the progress report's figures are kept");
  t.is(stored.attempts[0]!.progress?.inputTokens, 1200);
});

test.serial('an attempt superseded by a retry, its reports resent together: refused report by report, told to stop, nothing written', async (t) => {
  const { node, kv, fleet } = t.context;
  const { taskId, attemptId: first } = await assigned(t, ['--retries', '1', '--backoff', '100ms']);
  const failed = [
    { seq: ++seq, taskId, attemptId: first, atMs: Date.now(), kind: 'started', containerId: `ctr-${first}` },
    { seq: ++seq, taskId, attemptId: first, atMs: Date.now(), kind: 'finished', outcome: { state: 'FAILED', exitCode: 1, error: 'exited with code 1' }, patch: new Uint8Array(0) },
  ] satisfies AttemptEvent[];
  node.send(events(failed));
  await acked(node, seq);
  // The retry: a second attempt on this node.
  const second = await eventually('the retry assigned', async () => {
    for (const m of node.received) if (m.kind === 'assign' && m.assign.taskId === taskId && m.assign.attemptId !== first) return m.assign.attemptId;
    return undefined;
  });
  const before = (await kv.get(taskId))!;
  const cancelsBefore = node.received.filter((m) => m.kind === 'cancel').length;
  // The first attempt's reports again, as an outbox resent after a reconnect would bring them.
  node.send(events(failed.map((e) => ({ ...e, seq: ++seq }))));
  await acked(node, seq);
  const cancels = await eventually('a cancel of the superseded attempt', async () => {
    const found = node.received.filter((m) => m.kind === 'cancel').slice(cancelsBefore);
    return found.length > 0 ? found : undefined;
  });
  t.true(cancels.every((m) => m.kind === 'cancel' && m.cancel.attemptId === first), 'the superseded attempt is told to stop');
  t.is(await writesAfter(kv, taskId, before.revision), 0, 'the record is untouched');
  const task = await getTask(fleet, taskId);
  t.is(task.state, 'ASSIGNED');
  t.deepEqual(
    task.attempts.map((a) => [a.id, a.state]),
    [
      [first, 'FAILED'],
      [second, 'ASSIGNED'],
    ],
  );
});

test.serial('output between reports goes to the log store, and the reports on either side of it are stored', async (t) => {
  const { node, kv, fleet } = t.context;
  const { taskId, attemptId } = await assigned(t);
  const before = (await kv.get(taskId))!;
  const at = Date.now();
  node.send(events([
    { seq: ++seq, taskId, attemptId, atMs: at, kind: 'started', containerId: `ctr-${attemptId}` },
    { seq: ++seq, taskId, attemptId, atMs: at, kind: 'output', stream: 'stdout', data: Buffer.from('between the reports\n') },
    { seq: ++seq, taskId, attemptId, atMs: at, kind: 'finished', outcome: { state: 'FAILED', exitCode: 3, error: 'exited with code 3' }, patch: new Uint8Array(0) },
  ]));
  await acked(node, seq);
  // started alone, then finished alone: the output between them ends the run.
  t.is(await writesAfter(kv, taskId, before.revision), 2);
  const task = await getTask(fleet, taskId);
  t.is(task.state, 'FAILED', 'one attempt allowed: the failure ends the task');
  t.is(task.attempts[0]!.exitCode, 3);
  t.is(task.attempts[0]!.containerId, `ctr-${attemptId}`);
  const logs = await fleet.fleetctl(['task', 'logs', taskId]);
  t.regex(logs.stdout, /between the reports/);
});

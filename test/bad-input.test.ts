/**
 * Invariant 5: bad input changes nothing. Each request is refused with the
 * fitting code and a message naming the field, and nothing is stored.
 */
import * as grpc from '@grpc/grpc-js';
import anyTest, { type TestFn } from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestFleet } from './harness/fleet.js';
import { bearer, call, clients, enrollNode } from './harness/grpc.js';
import { TEST_IMAGE } from './harness/requirements.js';
import { AGENT_PROTOCOL } from '../common/protocol.js';

const test = anyTest as TestFn<{ fleet: TestFleet; api: ReturnType<typeof clients> }>;

test.before(async (t) => {
  t.context.fleet = await TestFleet.start({ agents: [] });
  t.context.api = clients(t.context.fleet.server, t.context.fleet.caPem);
});

test.after.always(async (t) => {
  await t.context.fleet?.stop();
});

async function storedTasks(t: { context: { fleet: TestFleet } }): Promise<number> {
  return (await t.context.fleet.json<unknown[]>(['task', 'list'])).length;
}

async function refusedByServer(t: import('ava').ExecutionContext<{ fleet: TestFleet; api: ReturnType<typeof clients> }>, spec: object, message: string) {
  const { api, fleet } = t.context;
  const { err } = await call((cb) => api.fleet.SubmitTask({ spec }, bearer(fleet.adminToken), cb));
  t.is(err?.code, grpc.status.INVALID_ARGUMENT);
  t.is(err?.details, message);
}

test.serial('submissions with bad specs are refused by the server, naming the field, and nothing is stored', async (t) => {
  await refusedByServer(t, { command: ['true'] }, 'spec.image: is required (e.g. debian:12-slim)');
  await refusedByServer(t, { image: TEST_IMAGE, command: [] }, 'spec.command: must not be empty: give the program to run and its arguments');
  await refusedByServer(t, { image: TEST_IMAGE, command: ['true'], timeoutMs: -5000 }, 'spec.timeout_ms: must not be negative, got -5000');
  await refusedByServer(t, { image: TEST_IMAGE, command: ['true'], env: { BIG: 'x'.repeat(10 * 1024 * 1024) } }, 'spec.env["BIG"]: value is 10485760 bytes; the limit is 32768');
  const { err } = await call((cb) => t.context.api.fleet.SubmitTask({}, bearer(t.context.fleet.adminToken), cb));
  t.is(err?.details, 'spec: is required');
  t.is(await storedTasks(t), 0);
});

test.serial('fleetctl refuses bad flags before calling, naming the flag', async (t) => {
  const { fleet } = t.context;
  const noImage = await fleet.fleetctl(['task', 'submit', '--', 'true']);
  t.is(noImage.code, 2);
  t.regex(noImage.stderr, /--image: is required \(e.g. debian:12-slim\)/);

  const noCommand = await fleet.fleetctl(['task', 'submit', '--image', TEST_IMAGE]);
  t.is(noCommand.code, 2);
  t.is(noCommand.stderr, 'fleetctl: command: must not be empty: give the program to run and its arguments\n');

  const negative = await fleet.fleetctl(['task', 'submit', '--image', TEST_IMAGE, '--timeout', '-5s', '--', 'true']);
  t.is(negative.code, 2);
  t.is(negative.stderr, 'fleetctl: --timeout: must not be negative, got "-5s"\n');

  // A single argv string is capped by the kernel far below 10 MB; 100 KB shows the CLI's own check.
  const bigEnv = await fleet.fleetctl(['task', 'submit', '--image', TEST_IMAGE, '--env', `BIG=${'x'.repeat(100 * 1024)}`, '--', 'true']);
  t.is(bigEnv.code, 2);
  t.is(bigEnv.stderr, 'fleetctl: --env BIG: value is 102400 bytes; the limit is 32768\n');

  const badImage = await fleet.fleetctl(['task', 'submit', '--image', 'Not An Image', '--', 'true']);
  t.is(badImage.code, 2);
  t.is(badImage.stderr, 'fleetctl: --image: "Not An Image" is not a valid image reference\n');

  const badMemory = await fleet.fleetctl(['task', 'submit', '--image', TEST_IMAGE, '--memory', 'lots', '--', 'true']);
  t.is(badMemory.code, 2);
  t.regex(badMemory.stderr, /--memory: "lots" is not a size/);
  t.false(`${noImage.stderr}${negative.stderr}${bigEnv.stderr}`.includes('    at '), 'no stack traces');
  t.is(await storedTasks(t), 0);
});

test.serial('an unknown state filter is refused', async (t) => {
  const { fleet, api } = t.context;
  const cli = await fleet.fleetctl(['task', 'list', '--state', 'BOGUS']);
  t.is(cli.code, 2);
  t.regex(cli.stderr, /--state: "BOGUS" is not a task state \(one of PENDING, ASSIGNED, RUNNING, SUCCEEDED, FAILED, CANCELLED, TIMED_OUT, DELIVERING\)/);
  const { err } = await call((cb) => api.fleet.ListTasks({ states: [42 as never] }, bearer(fleet.adminToken), cb));
  t.is(err?.code, grpc.status.INVALID_ARGUMENT);
  t.regex(err?.details ?? '', /^states\[0\]: "42" is not a task state/);
  const unspecified = await call((cb) => api.fleet.ListTasks({ states: ['TASK_STATE_UNSPECIFIED'] }, bearer(fleet.adminToken), cb));
  t.is(unspecified.err?.code, grpc.status.INVALID_ARGUMENT);
  const limit = await call((cb) => api.fleet.ListTasks({ limit: -1 }, bearer(fleet.adminToken), cb));
  t.is(limit.err?.details, 'limit: must be between 0 and 10000, got -1');
});

test.serial('a bad access token is refused with UNAUTHENTICATED and changes nothing', async (t) => {
  const { fleet, api } = t.context;
  const cli = await fleet.fleetctl(['task', 'submit', '--image', TEST_IMAGE, '--', 'true'], { token: 'not-the-token' });
  t.is(cli.code, 1);
  t.is(cli.stderr, 'fleetctl: access token is not valid: check --token-file or FLEET_TOKEN (an admin makes tokens with fleetctl access-token create)\n');
  const none = await call((cb) => api.fleet.ListNodes({}, new grpc.Metadata(), cb));
  t.is(none.err?.code, grpc.status.UNAUTHENTICATED);
  t.is(none.err?.details, 'missing bearer token: pass --token or set FLEET_TOKEN');
  const token = await call((cb) => api.fleet.CreateJoinToken({}, bearer('wrong-token-wrong-token'), cb));
  t.is(token.err?.code, grpc.status.UNAUTHENTICATED);
  t.is(await storedTasks(t), 0);
});

test.serial('ids that are not task ids are refused before any lookup', async (t) => {
  const { fleet } = t.context;
  const get = await fleet.fleetctl(['task', 'get', '../../etc/passwd']);
  t.is(get.code, 2);
  t.is(get.stderr, 'fleetctl: invalid request: task_id: "../../etc/passwd" is not a task id\n');
  const missing = await fleet.fleetctl(['task', 'get', 'task_0000000000000000000']);
  t.is(missing.code, 1);
  t.is(missing.stderr, 'fleetctl: task task_0000000000000000000 not found\n');
});

/** The status a server stream ended with. */
function streamStatus(stream: grpc.ClientReadableStream<unknown>): Promise<grpc.StatusObject> {
  stream.on('data', () => {});
  stream.on('error', () => {});
  return new Promise((resolve) => stream.on('status', resolve));
}

test.serial('a resume cursor past the end of its stream is refused, naming the field', async (t) => {
  const { fleet, api } = t.context;
  const auth = bearer(fleet.adminToken);
  const past = await streamStatus(api.fleet.GetTaskLogs({ taskId: 'task_0000000000000000000', afterSeq: 9_000_000_000_000 }, auth));
  t.is(past.code, grpc.status.INVALID_ARGUMENT);
  t.regex(past.details, /^after_seq: 9000000000000 is past the end of the log stream \(its last chunk is \d+\)/);
  // A uint64 past what a JavaScript number holds exactly.
  const huge = await streamStatus(api.fleet.GetTaskLogs({ taskId: 'task_0000000000000000000', afterSeq: '18446744073709551615' as never }, auth));
  t.is(huge.code, grpc.status.INVALID_ARGUMENT);
  t.is(huge.details, 'after_seq: must be between 0 and 9007199254740991, got 18446744073709552000');
  const index = await streamStatus(api.fleet.ListAudit({ afterIndex: 3 }, auth));
  t.is(index.code, grpc.status.INVALID_ARGUMENT);
  t.is(index.details, 'after_index: is an entry\'s place in the message after_seq names: give after_seq too');
  const auditPast = await streamStatus(api.fleet.ListAudit({ afterSeq: 9_000_000_000_000 }, auth));
  t.is(auditPast.code, grpc.status.INVALID_ARGUMENT);
  t.regex(auditPast.details, /^after_seq: 9000000000000 is past the end of the audit trail/);
});

test.serial('an expired join token and a used-up join token are refused, and no node is stored', async (t) => {
  const { fleet, api } = t.context;
  const enroll = (joinToken: string, name: string) => enrollNode(api, joinToken, name);

  const shortLived = (await fleet.fleetctl(['token', 'create', '--ttl', '1s'])).stdout.trim();
  await sleep(1_500);
  const expired = await enroll(shortLived, 'late-node');
  t.is(expired.err?.code, grpc.status.UNAUTHENTICATED);
  t.is(expired.err?.details, 'join token has expired: ask an admin for a new one (fleetctl token create)');

  const once = (await fleet.fleetctl(['token', 'create', '--uses', '1'])).stdout.trim();
  const first = await enroll(once, 'first-node');
  t.is(first.err, null);
  t.regex(first.nodeId, /^node_/);
  const second = await enroll(once, 'second-node');
  t.is(second.err?.code, grpc.status.UNAUTHENTICATED);
  t.is(second.err?.details, 'join token has been used up: ask an admin for a new one (fleetctl token create)');

  const [tokenId, , pin] = once.split('.');
  const forged = await enroll(`${tokenId}.${'A'.repeat(43)}.${pin}`, 'forged');
  t.is(forged.err?.code, grpc.status.UNAUTHENTICATED);
  t.is(forged.err?.details, 'join token is not valid: ask an admin for a new one (fleetctl token create)');

  const otherFleet = await enroll(`${tokenId}.${'A'.repeat(43)}.${'0'.repeat(64)}`, 'elsewhere');
  t.is(otherFleet.err?.details, 'join token was made for another fleet CA: ask an admin of this fleet for one (fleetctl token create)');

  const fresh = (await fleet.fleetctl(['token', 'create'])).stdout.trim();
  const badName = await enroll(fresh, 'no spaces allowed');
  t.is(badName.err?.code, grpc.status.INVALID_ARGUMENT);
  t.regex(badName.err?.details ?? '', /^name: /);
  const badCsr = await call((cb) => api.node.Enroll({ joinToken: fresh, name: 'bad-csr', slots: 1, csrPem: 'not a csr', protocolVersion: AGENT_PROTOCOL }, cb));
  t.is(badCsr.err?.code, grpc.status.INVALID_ARGUMENT);
  t.is(badCsr.err?.details, 'csr_pem: is not a PEM certificate signing request');
  const afterBadCsr = await enroll(fresh, 'good-csr');
  t.is(afterBadCsr.err, null, 'a refused CSR spent none of the token');

  const nodes = await fleet.json<Array<{ name: string }>>(['node', 'list']);
  t.deepEqual(nodes.map((n) => n.name), ['first-node', 'good-csr']);
});

test.serial('the node agent stops with a clear message when its join token is refused', async (t) => {
  const { fleet } = t.context;
  const used = (await fleet.fleetctl(['token', 'create', '--uses', '1'])).stdout.trim();
  await enrollNode(t.context.api, used, 'taker');
  const { TestProcess } = await import('./harness/process.js');
  const { BIN } = await import('./harness/requirements.js');
  const { join } = await import('node:path');
  const agent = new TestProcess('agent', process.execPath, [BIN.nodeAgent, '--control-plane', fleet.server, '--join-token', used, '--data-dir', join(fleet.dir, 'refused-agent'), '--name', 'refused'], join(fleet.dir, 'refused-agent.log'));
  t.is(await agent.exited, 1);
  t.regex(agent.text, /fleet-node-agent: enrollment refused by 127\.0\.0\.1:\d+: join token has been used up/);
});

test.serial('the node agent refuses a data dir too long for its gateway sockets, before touching it', async (t) => {
  const { fleet } = t.context;
  const { TestProcess } = await import('./harness/process.js');
  const { BIN } = await import('./harness/requirements.js');
  const { join } = await import('node:path');
  const { existsSync } = await import('node:fs');
  const dataDir = join(fleet.dir, 'd'.repeat(90));
  const agent = new TestProcess('agent', process.execPath, [BIN.nodeAgent, '--control-plane', fleet.server, '--join-token', 'x', '--data-dir', dataDir], join(fleet.dir, 'long-dir-agent.log'));
  t.is(await agent.exited, 1);
  t.regex(agent.text, /fleet-node-agent: --data-dir: ".*" is too long: gateway sockets under it would be \d+ bytes, over the 107 unix sockets allow; choose a shorter path/);
  t.false(existsSync(dataDir));
});

test.serial('a node cannot report on attempts that are not its own', async (t) => {
  const { fleet, api } = t.context;
  const token = (await fleet.fleetctl(['token', 'create'])).stdout.trim();
  const enrolled = await enrollNode(api, token, 'intruder');
  const asNode = clients(fleet.server, fleet.caPem, enrolled);
  const submitted = await fleet.fleetctl(['task', 'submit', '--image', TEST_IMAGE, '--label-selector', 'zone=nowhere', '--', 'true']);
  const taskId = submitted.stdout.trim();
  const stream = asNode.node.Connect();
  const acks: number[] = [];
  stream.on('data', (m: { msg: string; ack?: { seq: number } }) => m.msg === 'ack' && acks.push(Number(m.ack!.seq)));
  stream.on('error', () => {});
  stream.write({ hello: { name: 'intruder', slots: 1, protocolVersion: AGENT_PROTOCOL } });
  stream.write({ event: { seq: 1, taskId, attemptId: 'att_0000000000000000000', finished: { state: 'ATTEMPT_STATE_SUCCEEDED', exitCode: 0 } } });
  const deadline = Date.now() + 5_000;
  while (acks.length === 0 && Date.now() < deadline) await sleep(50);
  stream.cancel();
  t.deepEqual(acks, [1], 'the refused report is acknowledged so the agent drops it');
  const task = await fleet.json<{ state: string; attempts: unknown[] }>(['task', 'get', taskId]);
  t.is(task.state, 'PENDING');
  t.deepEqual(task.attempts, []);
  const twice = asNode.node.Connect();
  const refusal = new Promise<grpc.ServiceError>((resolve) => {
    twice.on('error', resolve);
    twice.on('data', () => {});
  });
  twice.write({ hello: { name: 'intruder', slots: 1, protocolVersion: AGENT_PROTOCOL } });
  twice.write({ hello: { name: 'intruder', slots: 1, protocolVersion: AGENT_PROTOCOL } });
  const second = await refusal;
  t.is(second.code, grpc.status.INVALID_ARGUMENT);
  t.is(second.details, 'msg: hello was already sent on this session; reconnect to say it again');
  // Without a client certificate, a node token of old or anything else in the metadata is nothing.
  const noCert = api.node.Connect(bearer('node_0000000000000000000.' + 'x'.repeat(43)));
  const refused = await new Promise<grpc.ServiceError>((resolve) => {
    noCert.on('error', resolve);
    noCert.on('data', () => {});
  });
  t.is(refused.code, grpc.status.UNAUTHENTICATED);
  asNode.node.close();
  await fleet.fleetctl(['task', 'cancel', taskId]);
});

test('the health service answers SERVING', async (t) => {
  const { api } = t.context;
  const { res } = await call<{ status: string }>((cb) => api.health.Check({ service: '' }, cb));
  t.is(res?.status, 'SERVING');
  const unknown = await call((cb) => api.health.Check({ service: 'nope' }, cb));
  t.is(unknown.err?.code, grpc.status.NOT_FOUND);
});

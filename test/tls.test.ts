/**
 * Transport security against a real control plane: TLS on the one listener,
 * node identity from client certificates, and fleetctl that sends its token
 * only to a server whose certificate verifies. No agent runs here; the node's
 * side is played with raw gRPC clients holding real certificates.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import anyTest, { type TestFn } from 'ava';
import { createNodeKeyAndCsr, issueServerCert, loadSigningCa, signNodeCsr } from '../common/pki.js';
import { CHANNEL_OPTIONS, loadProtos } from '../common/proto.js';
import { TestFleet } from './harness/fleet.js';
import { bearer, call, clients, enrollNode } from './harness/grpc.js';
import { freePort } from './harness/nats.js';
import { TEST_IMAGE } from './harness/requirements.js';
import { AGENT_PROTOCOL } from '../common/protocol.js';

const test = anyTest as TestFn<{ fleet: TestFleet }>;

test.before(async (t) => {
  t.context.fleet = await TestFleet.start({ agents: [] });
});

test.after.always(async (t) => {
  await t.context.fleet?.stop();
});

/** Opens a node session with whatever credentials and says how it ended, or that it was welcomed. */
async function connect(api: ReturnType<typeof clients>, name = 'n'): Promise<{ code: number | null; details: string; welcomed: boolean; assigns: string[] }> {
  const stream = api.node.Connect();
  const assigns: string[] = [];
  return new Promise((resolve) => {
    let welcomed = false;
    const timer = setTimeout(() => {
      stream.cancel();
      resolve({ code: null, details: '', welcomed, assigns });
    }, 4_000);
    stream.on('data', (m: { msg: string; assign?: { taskId: string } }) => {
      if (m.msg === 'welcome') welcomed = true;
      if (m.msg === 'assign') assigns.push(m.assign!.taskId);
    });
    stream.on('error', (err: grpc.ServiceError) => {
      clearTimeout(timer);
      resolve({ code: err.code, details: err.details, welcomed, assigns });
    });
    stream.write({ hello: { name, slots: 4, protocolVersion: AGENT_PROTOCOL } });
  });
}

test.serial('a node session without a valid node certificate is refused: none, another CA, expired, or a server certificate', async (t) => {
  const { fleet } = t.context;
  const noCert = await connect(clients(fleet.server, fleet.caPem));
  t.is(noCert.code, grpc.status.UNAUTHENTICATED);
  t.regex(noCert.details, /^no valid node certificate: /);

  // A certificate for a real node id, signed by another CA.
  const token = (await fleet.fleetctl(['token', 'create'])).stdout.trim();
  const real = await enrollNode(clients(fleet.server, fleet.caPem), token, 'real');
  t.is(real.err, null);
  const otherPaths = await fleet.makeCa('other-ca');
  const other = await loadSigningCa(readFileSync(otherPaths.cert, 'utf8'), readFileSync(otherPaths.key, 'utf8'));
  const forgedKey = await createNodeKeyAndCsr();
  const forged = await signNodeCsr(other, forgedKey.csrPem, real.nodeId, 3_600_000);
  const foreign = await connect(clients(fleet.server, fleet.caPem, { certPem: forged.certPem, keyPem: forgedKey.keyPem }));
  t.is(foreign.code, grpc.status.UNAUTHENTICATED);
  t.false(foreign.welcomed);

  // Signed by the fleet CA itself, but expired an hour ago.
  const fleetCa = await loadSigningCa(fleet.caPem, readFileSync(join(fleet.dir, 'control-plane', 'tls', 'ca.key'), 'utf8'));
  const oldKey = await createNodeKeyAndCsr();
  const expired = await signNodeCsr(fleetCa, oldKey.csrPem, real.nodeId, 3_600_000, Date.now() - 2 * 3_600_000);
  const late = await connect(clients(fleet.server, fleet.caPem, { certPem: expired.certPem, keyPem: oldKey.keyPem }));
  t.is(late.code, grpc.status.UNAUTHENTICATED);
  t.false(late.welcomed);

  // A server certificate of the fleet CA is not a client certificate: TLS itself does not accept it.
  const server = await issueServerCert(fleetCa, ['127.0.0.1'], 3_600_000);
  const posing = await connect(clients(fleet.server, fleet.caPem, server));
  t.is(posing.code, grpc.status.UNAUTHENTICATED);
  t.regex(posing.details, /^no valid node certificate: /);

  // The real certificate is welcomed.
  const good = await connect(clients(fleet.server, fleet.caPem, real), 'real');
  t.true(good.welcomed);
});

test.serial('a client that does not speak TLS gets nothing', async (t) => {
  const { fleet } = t.context;
  const { fleet: proto } = loadProtos();
  const plain = new proto.fleet.v1.FleetService(fleet.server, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  const { err } = await call((cb) => plain.ListNodes({}, bearer(fleet.adminToken), { deadline: Date.now() + 5_000 }, cb));
  plain.close();
  t.true(err?.code === grpc.status.UNAVAILABLE || err?.code === grpc.status.DEADLINE_EXCEEDED, `refused at the transport: ${err?.code} ${err?.details}`);
});

test.serial("a certificate for node A cannot receive, report on or cancel node B's work", async (t) => {
  const { fleet } = t.context;
  const api = clients(fleet.server, fleet.caPem);
  const tokens = await Promise.all([fleet.fleetctl(['token', 'create']), fleet.fleetctl(['token', 'create'])]);
  const a = await enrollNode(api, tokens[0]!.stdout.trim(), 'node-a');
  const b = await enrollNode(api, tokens[1]!.stdout.trim(), 'node-b');
  // B holds a session and is given a task; A's session is open meanwhile.
  const asB = clients(fleet.server, fleet.caPem, b).node.Connect();
  const bAssigns: Array<{ taskId: string; attemptId: string }> = [];
  asB.on('data', (m: { msg: string; assign?: { taskId: string; attemptId: string } }) => m.msg === 'assign' && bAssigns.push(m.assign!));
  asB.on('error', () => {});
  asB.write({ hello: { name: 'node-b', slots: 4, protocolVersion: AGENT_PROTOCOL } });
  asB.write({ heartbeat: { resources: {}, freeSlots: 4, dockerHealthy: true } });
  await fleet.fleetctl(['node', 'cordon', a.nodeId]);
  const submitted = await fleet.fleetctl(['task', 'submit', '--image', TEST_IMAGE, '--', 'sleep', '60']);
  const taskId = submitted.stdout.trim();
  const deadline = Date.now() + 15_000;
  while (bAssigns.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  t.is(bAssigns[0]?.taskId, taskId, 'B was given the task');
  const attemptId = bAssigns[0]!.attemptId;

  // A says hello claiming to be B, then reports B's attempt as finished.
  const asA = clients(fleet.server, fleet.caPem, a).node.Connect();
  const toA: Array<{ msg: string; welcome?: { nodeId: string }; assign?: { taskId: string } }> = [];
  asA.on('data', (m: (typeof toA)[number]) => toA.push(m));
  asA.on('error', () => {});
  asA.write({ hello: { name: 'node-b', slots: 4, activeAttemptIds: [attemptId], protocolVersion: AGENT_PROTOCOL } });
  asA.write({ event: { seq: 1, taskId, attemptId, finished: { state: 'ATTEMPT_STATE_SUCCEEDED', exitCode: 0 } } });
  asA.write({ event: { seq: 2, taskId, attemptId, finished: { state: 'ATTEMPT_STATE_CANCELLED', exitCode: 143 } } });
  await new Promise((r) => setTimeout(r, 2_000));
  t.is(toA.find((m) => m.msg === 'welcome')?.welcome?.nodeId, a.nodeId, 'the session is A, whatever A says');
  t.false(toA.some((m) => m.msg === 'assign'), "A is never sent B's task");
  const task = await fleet.json<{ state: string; attempts: Array<{ id: string; state: string; nodeId: string }> }>(['task', 'get', taskId]);
  t.is(task.attempts.length, 1);
  t.is(task.attempts[0]!.nodeId, b.nodeId);
  t.not(task.attempts[0]!.state, 'SUCCEEDED', "A's report changed nothing");
  t.true(['ASSIGNED', 'RUNNING'].includes(task.state));
  asA.cancel();
  asB.cancel();
  await fleet.fleetctl(['task', 'cancel', taskId]);
});

/** A TLS server with a certificate of another CA that records every byte a client sends after the handshake. */
async function impostor(fleet: TestFleet): Promise<{ server: tls.Server; address: string; received: () => string }> {
  const paths = await fleet.makeCa('impostor-ca');
  const ca = await loadSigningCa(readFileSync(paths.cert, 'utf8'), readFileSync(paths.key, 'utf8'));
  const cert = await issueServerCert(ca, ['127.0.0.1'], 3_600_000);
  let received = '';
  const server = tls.createServer({ cert: cert.certPem + ca.certPem, key: cert.keyPem, ALPNProtocols: ['h2'] }, (socket) => {
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    socket.on('error', () => {});
  });
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}`, received: () => received };
}

test.serial('fleetctl refuses a server with a certificate from another CA, and never sends it the token', async (t) => {
  const { fleet } = t.context;
  const fake = await impostor(fleet);
  try {
    const result = await fleet.fleetctl(['--server', fake.address, 'node', 'list']);
    t.is(result.code, 1);
    t.is(
      result.stderr.trim().split('\n').at(-1),
      `fleetctl: the control plane at ${fake.address} presented a certificate from a CA fleetctl does not trust; nothing was sent. Pass --ca-file (or set FLEET_CA_FILE) to the fleet CA (the control plane writes it to DATA_DIR/tls/ca.crt), or check --server`,
    );
    t.false(fake.received().includes(fleet.adminToken), 'the token never reached the impostor');
    t.is(fake.received(), '', 'nothing at all was sent after the handshake');
  } finally {
    fake.server.close();
  }
});

test.serial('fleetctl against a plaintext server, and without the fleet CA, says what is wrong', async (t) => {
  const { fleet } = t.context;
  // A server that answers in plaintext HTTP/2's place: anything that is not TLS.
  const port = await freePort();
  // fleetctl may reset the connection once it sees the answer is not TLS: a reset is no failure of the test.
  const plain: Server = createNetServer((socket) => {
    socket.on('error', () => {});
    socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
  });
  plain.listen(port, '127.0.0.1');
  await once(plain, 'listening');
  try {
    const result = await fleet.fleetctl(['--server', `127.0.0.1:${port}`, 'node', 'list']);
    t.is(result.code, 1);
    t.regex(result.stderr, /did not complete a TLS handshake \(a plaintext server, or not a control plane\); nothing was sent/);
  } finally {
    plain.close();
  }
  const systemRoots = await fleet.fleetctl(['node', 'list'], { caFile: '' });
  t.is(systemRoots.code, 1);
  t.regex(systemRoots.stderr, /presented a certificate from a CA fleetctl does not trust; nothing was sent\. Pass --ca-file/);
  const missing = await fleet.fleetctl(['node', 'list'], { caFile: join(fleet.dir, 'no-such-ca.crt') });
  t.is(missing.code, 2);
  t.regex(missing.stderr, /^fleetctl: --ca-file: cannot read /);
});

test.serial('join tokens are listed without secrets and can be revoked; lifetimes are bounded', async (t) => {
  const { fleet } = t.context;
  const created = await fleet.json<{ token: string; tokenId: string }>(['token', 'create', '--uses', '2']);
  t.regex(created.token, /^join_[0-9a-z]{19}\.[A-Za-z0-9_-]{43}\.[0-9a-f]{64}$/);
  const listed = await fleet.json<Array<{ tokenId: string; state: string; uses: number; maxUses: number }>>(['token', 'list']);
  const mine = listed.find((x) => x.tokenId === created.tokenId);
  t.deepEqual(mine && { state: mine.state, uses: mine.uses, maxUses: mine.maxUses }, { state: 'VALID', uses: 0, maxUses: 2 });
  t.false((await fleet.fleetctl(['token', 'list', '-o', 'json'])).stdout.includes(created.token.split('.')[1]!), 'no secret is listed');
  const revoked = await fleet.fleetctl(['token', 'revoke', created.tokenId]);
  t.is(revoked.code, 0, revoked.stderr);
  const after = await enrollNode(clients(fleet.server, fleet.caPem), created.token, 'too-late');
  t.is(after.err?.code, grpc.status.UNAUTHENTICATED);
  t.is(after.err?.details, 'join token is not valid: ask an admin for a new one (fleetctl token create)');
  const again = await fleet.fleetctl(['token', 'revoke', created.tokenId]);
  t.is(again.code, 1);
  t.is(again.stderr, `fleetctl: join token ${created.tokenId} not found (fleetctl token list shows the tokens)\n`);
  const bad = await fleet.fleetctl(['token', 'revoke', '../x']);
  t.is(bad.code, 2);
  t.is(bad.stderr, 'fleetctl: invalid request: token_id: "../x" is not a join token id (fleetctl token list shows them)\n');
  const tooLong = await fleet.fleetctl(['token', 'create', '--ttl', '8d']);
  t.is(tooLong.code, 2);
  t.regex(tooLong.stderr, /ttl_ms: must be between 0 \(the default, 1h\) and 604800000 \(7 days\)/);
});

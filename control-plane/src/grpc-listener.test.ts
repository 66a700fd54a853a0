/**
 * The gRPC port listened on by the control plane itself: calls are served
 * through grpc-js as with bindAsync, and the accept queue is as deep as the
 * kernel allows (Node's default, 511, overflowed when ten thousand nodes came
 * back after a restart).
 */
import test, { type ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lookup } from 'node:dns/promises';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { createLogger } from '../../common/logger.js';
import { loadProtos } from '../../common/proto.js';
import { HandshakeGate, LISTEN_BACKLOG, listenGrpc } from './grpc-listener.js';

const quiet = createLogger('test', 'silent');

function healthServer(gate: HandshakeGate): grpc.Server {
  const server = new grpc.Server({ interceptors: [gate.interceptor] });
  server.addService(loadProtos().health.grpc.health.v1.Health.service, {
    Check: (_call: unknown, callback: grpc.sendUnaryData<{ status: string }>) => callback(null, { status: 'SERVING' }),
  });
  return server;
}

function check(port: number, host = '127.0.0.1'): Promise<string> {
  const client = new (loadProtos().health.grpc.health.v1.Health)(`${host}:${port}`, grpc.credentials.createInsecure());
  return new Promise<string>((resolve, reject) =>
    client.Check({ service: '' }, { deadline: Date.now() + 5_000 }, (err: Error | null, res?: { status: string }) => {
      client.close();
      if (err) reject(err);
      else resolve(res!.status);
    }),
  );
}

test('calls are served on the port chosen for :0, on every address a name resolves to, and no longer once closed', async (t) => {
  const gate = new HandshakeGate();
  const server = healthServer(gate);
  const listener = await listenGrpc(server, 'localhost:0', grpc.ServerCredentials.createInsecure(), gate, quiet);
  t.teardown(() => server.forceShutdown());
  t.true(listener.port > 0);
  // Every address localhost resolves to here (127.0.0.1, and ::1 where the resolver names it).
  const addresses = (await lookup('localhost', { all: true, verbatim: true })).map((a) => (a.family === 6 ? `[${a.address}]` : a.address));
  t.true(addresses.length > 0);
  for (const address of addresses) t.is(await check(listener.port, address), 'SERVING', address);
  listener.close();
  server.forceShutdown();
  await t.throwsAsync(check(listener.port), { message: /UNAVAILABLE/ });
});

test("the accept queue is as deep as the kernel allows, not Node's default of 511", async (t) => {
  const gate = new HandshakeGate();
  const server = healthServer(gate);
  const listener = await listenGrpc(server, '127.0.0.1:0', grpc.ServerCredentials.createInsecure(), gate, quiet);
  t.teardown(() => {
    listener.close();
    server.forceShutdown();
  });
  // For a listening socket, ss shows the backlog it was given (capped by somaxconn) as Send-Q.
  const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
  const row = execFileSync('ss', ['-Hltn', `sport = :${listener.port}`], { encoding: 'utf8' }).trim().split(/\s+/);
  t.is(Number(row[2]), Math.min(LISTEN_BACKLOG, somaxconn), `ss said: ${row.join(' ')}`);
  t.true(Number(row[2]) > 511);
});

test('a port in use fails with the address named, and nothing is left listening', async (t) => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  t.teardown(() => holder.close());
  const port = (holder.address() as { port: number }).port;
  const gate = new HandshakeGate();
  const server = healthServer(gate);
  t.teardown(() => server.forceShutdown());
  await t.throwsAsync(listenGrpc(server, `127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), gate, quiet), { message: new RegExp(`EADDRINUSE.*127\\.0\\.0\\.1:${port}`) });
});

/** A TCP connection that sends nothing (or `bytes`, and then nothing). */
async function rawConnection(port: number, bytes = ''): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  if (bytes) socket.write(bytes);
  return socket;
}

/** A connection that spoke and then makes no call: it holds a set-up slot until the slot's time is up. */
const stalledConnection = (port: number) => rawConnection(port, 'x');

test('connections are set up a few at a time, in order of arrival: one past the limit waits until a slot frees (a stalled one after its time), then is served', async (t) => {
  const gate = new HandshakeGate(2, 600);
  const server = healthServer(gate);
  const listener = await listenGrpc(server, '127.0.0.1:0', grpc.ServerCredentials.createInsecure(), gate, quiet);
  const silent = [await stalledConnection(listener.port), await stalledConnection(listener.port)];
  t.teardown(() => {
    for (const s of silent) s.destroy();
    listener.close();
    server.forceShutdown();
  });
  await waitFor(() => gate.counts.settingUp === 2);
  const started = Date.now();
  const answer = check(listener.port);
  await waitFor(() => gate.counts.waiting === 1);
  t.deepEqual(gate.counts, { settingUp: 2, waiting: 1 });
  t.is(await answer, 'SERVING');
  const waitedMs = Date.now() - started;
  // It waited for a silent connection's slot to run out (600 ms), no longer.
  t.true(waitedMs >= 450 && waitedMs < 3_000, `served after ${waitedMs} ms`);
});

test("a connection's first call ends its set-up at once: with one slot, clients are served one after another without waiting out the slot", async (t) => {
  const gate = new HandshakeGate(1, 30_000);
  const server = healthServer(gate);
  const listener = await listenGrpc(server, '127.0.0.1:0', grpc.ServerCredentials.createInsecure(), gate, quiet);
  t.teardown(() => {
    listener.close();
    server.forceShutdown();
  });
  const started = Date.now();
  // Each check is a client of its own (its own connection).
  for (let i = 0; i < 5; i++) t.is(await check(listener.port), 'SERVING');
  t.true(Date.now() - started < 10_000, `five clients took ${Date.now() - started} ms`);
  t.deepEqual(gate.counts, { settingUp: 0, waiting: 0 });
});

test('past the bound on waiting connections, a new one is closed at once', async (t) => {
  const gate = new HandshakeGate(1, 30_000, 1);
  const server = healthServer(gate);
  const listener = await listenGrpc(server, '127.0.0.1:0', grpc.ServerCredentials.createInsecure(), gate, quiet);
  const held = [await stalledConnection(listener.port)];
  t.teardown(() => {
    for (const s of held) s.destroy();
    listener.close();
    server.forceShutdown();
  });
  await waitFor(() => gate.counts.settingUp === 1);
  held.push(await stalledConnection(listener.port));
  await waitFor(() => gate.counts.waiting === 1);
  const turnedAway = await stalledConnection(listener.port);
  await once(turnedAway, 'close');
  t.deepEqual(gate.counts, { settingUp: 1, waiting: 1 });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a connection that says nothing holds no slot, and is closed once it has been silent too long', async (t) => {
  const gate = new HandshakeGate(1, 30_000, 100, 400);
  const server = healthServer(gate);
  const listener = await listenGrpc(server, '127.0.0.1:0', grpc.ServerCredentials.createInsecure(), gate, quiet);
  const silent = [await rawConnection(listener.port), await rawConnection(listener.port), await rawConnection(listener.port)];
  t.teardown(() => {
    for (const s of silent) s.destroy();
    listener.close();
    server.forceShutdown();
  });
  const started = Date.now();
  t.is(await check(listener.port), 'SERVING');
  t.true(Date.now() - started < 2_000, `served after ${Date.now() - started} ms beside three silent connections and one slot`);
  await Promise.all(silent.map((s) => once(s, 'close')));
  t.true(Date.now() - started >= 350, 'closed after their silence, not before');
  await waitFor(() => gate.counts.waiting === 0 && gate.counts.settingUp === 0);
  t.pass('the silent connections left no trace');
});

function tlsCertificate(t: ExecutionContext): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'grpc-listener-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=listener-test', '-addext', 'subjectAltName=DNS:listener-test', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
}

function tlsCheck(t: ExecutionContext, port: number, cert: Buffer): Promise<string> {
  const client = new (loadProtos().health.grpc.health.v1.Health)(`127.0.0.1:${port}`, grpc.credentials.createSsl(cert), { 'grpc.ssl_target_name_override': 'listener-test' });
  t.teardown(() => client.close());
  return new Promise<string>((resolve, reject) =>
    client.Check({ service: '' }, { deadline: Date.now() + 5_000 }, (err: Error | null, res?: { status: string }) => (err ? reject(err) : resolve(res!.status))),
  );
}

test('a TLS client whose connection waited its turn (its ClientHello read meanwhile) completes the handshake and is served', async (t) => {
  const { key, cert } = tlsCertificate(t);
  const gate = new HandshakeGate(1, 500);
  const server = healthServer(gate);
  const listener = await listenGrpc(server, '127.0.0.1:0', grpc.ServerCredentials.createSsl(null, [{ private_key: key, cert_chain: cert }]), gate, quiet);
  const stalled = await stalledConnection(listener.port);
  t.teardown(() => {
    stalled.destroy();
    listener.close();
    server.forceShutdown();
  });
  await waitFor(() => gate.counts.settingUp === 1);
  const answer = tlsCheck(t, listener.port, cert);
  await waitFor(() => gate.counts.waiting === 1);
  // Long enough for the ClientHello to have arrived and been read while the connection waited.
  await new Promise((r) => setTimeout(r, 100));
  t.is(await answer, 'SERVING');
});

test("a TLS connection's first call is matched to it and ends its set-up: with one slot of 30 s, TLS clients are served one after another", async (t) => {
  const { key, cert } = tlsCertificate(t);
  const gate = new HandshakeGate(1, 30_000);
  const server = healthServer(gate);
  const listener = await listenGrpc(server, '127.0.0.1:0', grpc.ServerCredentials.createSsl(null, [{ private_key: key, cert_chain: cert }]), gate, quiet);
  t.teardown(() => {
    listener.close();
    server.forceShutdown();
  });
  const started = Date.now();
  for (let i = 0; i < 3; i++) t.is(await tlsCheck(t, listener.port, cert), 'SERVING');
  t.true(Date.now() - started < 10_000, `three TLS clients took ${Date.now() - started} ms`);
  t.is(gate.counts.settingUp, 0);
});

test('closing stops the hand-overs: connections waiting their turn, spoken or silent, are closed, and none is handed over after', async (t) => {
  const gate = new HandshakeGate(1, 30_000);
  const server = healthServer(gate);
  const listener = await listenGrpc(server, '127.0.0.1:0', grpc.ServerCredentials.createInsecure(), gate, quiet);
  const settingUp = await stalledConnection(listener.port);
  t.teardown(() => {
    settingUp.destroy();
    server.forceShutdown();
  });
  await waitFor(() => gate.counts.settingUp === 1);
  const waiting = await stalledConnection(listener.port);
  const silent = await rawConnection(listener.port);
  await waitFor(() => gate.counts.waiting === 2);
  listener.close();
  await Promise.all([once(waiting, 'close'), once(silent, 'close')]);
  t.deepEqual(gate.counts, { settingUp: 0, waiting: 0 });
  await t.throwsAsync(check(listener.port), { message: /UNAVAILABLE/ });
});

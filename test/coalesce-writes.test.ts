/**
 * The NATS connection's writes coalesced per event-loop turn
 * (control-plane/src/store/coalesce-writes.ts), on real loopback sockets and
 * a real nats-server, across a reconnect.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { coalesceNatsWrites, coalesceSocketWrites, natsWritesCoalesced } from '../control-plane/src/store/coalesce-writes.js';
import { freePort } from './harness/nats.js';
import { TestProcess } from './harness/process.js';

/** A loopback server that keeps what it receives, and a client socket to it. */
async function pair(): Promise<{ server: Server; client: Socket; received: () => Buffer; close: () => Promise<void> }> {
  const chunks: Buffer[] = [];
  const server = createServer((s) => s.on('data', (d) => chunks.push(d)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const client = netConnect(port, '127.0.0.1');
  await new Promise<void>((resolve) => client.once('connect', resolve));
  return {
    server,
    client,
    received: () => Buffer.concat(chunks),
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Counts the socket's calls into libuv (one `_write` or `_writev` each). */
function countFlushes(socket: Socket): () => number {
  let n = 0;
  const s = socket as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
  const write = s._write.bind(socket);
  const writev = s._writev.bind(socket);
  s._write = (...a) => (n++, write(...a));
  s._writev = (...a) => (n++, writev(...a));
  return () => n;
}

/** nats.js's socket (not in its typed API; what coalesce-writes.ts wraps). */
function socketOf(nc: NatsConnection): Socket {
  return (nc as unknown as { protocol: { transport: { socket: Socket } } }).protocol.transport.socket;
}

test('writes made in one turn leave together, in order, once the turn is over', async (t) => {
  const { client, received, close } = await pair();
  try {
    coalesceSocketWrites(client);
    const flushes = countFlushes(client);
    const sent: string[] = [];
    for (let i = 0; i < 100; i++) {
      sent.push(`msg-${i};`);
      client.write(`msg-${i};`);
    }
    await Promise.resolve();
    t.is(flushes(), 0, 'nothing is sent before the turn ends');
    await nextTurn();
    t.is(flushes(), 1);
    const deadline = Date.now() + 5_000;
    while (received().length < sent.join('').length && Date.now() < deadline) await sleep(10);
    t.is(received().toString(), sent.join(''));
    // The next turn's writes are corked again, and leave again.
    client.write('late;');
    await nextTurn();
    t.is(flushes(), 2);
  } finally {
    await close();
  }
});

test('a turn that has written 16 KiB sends it at once', async (t) => {
  const { client, close } = await pair();
  try {
    coalesceSocketWrites(client);
    const flushes = countFlushes(client);
    client.write('small;');
    t.is(flushes(), 0);
    client.write(Buffer.alloc(16 * 1024, 'x'));
    t.is(flushes(), 1, 'sent before the turn ends');
    t.is(client.writableCorked, 0);
    client.write('after;');
    t.is(flushes(), 1, 'a write after that is corked again');
    await nextTurn();
    t.is(flushes(), 2);
  } finally {
    await close();
  }
});

test('a destroyed socket first sends what its turn wrote', async (t) => {
  const { client, received, close } = await pair();
  try {
    coalesceSocketWrites(client);
    client.write('last words;');
    client.destroy();
    const deadline = Date.now() + 5_000;
    while (received().length < 'last words;'.length && Date.now() < deadline) await sleep(10);
    t.is(received().toString(), 'last words;');
  } finally {
    await close();
  }
});

test('a NATS connection is coalesced, and so is the socket of each reconnect', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-test-coalesce-'));
  const port = await freePort();
  const start = () => new TestProcess('nats-server', 'nats-server', ['-a', '127.0.0.1', '-p', String(port)], join(dir, 'nats.log'));
  let server = start();
  await server.waitForText('Server is ready');
  const options = { servers: `nats://127.0.0.1:${port}`, maxReconnectAttempts: -1, reconnectTimeWait: 100 };
  // The answers come from a connection of their own: the sockets measured carry requests only.
  const echo = await connect(options);
  echo.subscribe('echo', { callback: (_err, m) => void m.respond(m.data) });
  await echo.flush();
  const nc = await connect(options);
  const plain = await connect(options);
  try {
    coalesceNatsWrites(nc);
    t.true(natsWritesCoalesced(nc));
    t.false(natsWritesCoalesced(plain));
    // Requests from independent chains of promises, as a replica's are: each
    // starts a few microtasks later than the one before, so nats.js alone
    // sends them in many writes. 100 of them (about 8 KiB) stay under the
    // size at which a turn's writes leave early.
    const ask = async (on: NatsConnection) =>
      (
        await Promise.all(
          Array.from({ length: 100 }, async (_, i) => {
            for (let k = 0; k < i % 10; k++) await null;
            return on.request('echo', `q${i}`, { timeout: 5_000 });
          }),
        )
      ).map((m) => m.string());
    const asked = Array.from({ length: 100 }, (_, i) => `q${i}`);
    const plainFlushes = countFlushes(socketOf(plain));
    t.deepEqual(await ask(plain), asked);
    const flushes = countFlushes(socketOf(nc));
    t.deepEqual(await ask(nc), asked);
    t.log(`100 requests: ${flushes()} socket write(s) coalesced, ${plainFlushes()} not`);
    t.true(flushes() <= 2 && plainFlushes() >= 5, `coalesced: ${flushes()} socket writes for 100 requests; not: ${plainFlushes()}`);

    const reconnect = async (c: NatsConnection) => {
      for await (const s of c.status()) if (s.type === 'reconnect') return;
    };
    const reconnected = Promise.all([reconnect(nc), reconnect(echo)]);
    await server.stop('SIGKILL');
    server = start();
    await server.waitForText('Server is ready');
    await reconnected;
    await echo.flush(); // its subscription is back on the server
    // The status listener that re-applies it runs on the same event: give it its turn.
    await nextTurn();
    t.true(natsWritesCoalesced(nc), 'the new socket is coalesced too');
    t.deepEqual(await ask(nc), asked);
  } finally {
    await Promise.all([nc.close(), plain.close(), echo.close()]);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

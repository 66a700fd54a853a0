/**
 * One socket write per event-loop turn for the NATS connection.
 *
 * nats.js sends what it has at the next microtask after the first command
 * of a batch. A replica's requests come from many independent chains of
 * promises (each submission, report and placement), so a busy turn of the
 * event loop made many small socket writes, one per request: 10,013 writes
 * for 10,000 requests and their answers in a test here, against 11 with
 * this. Under load the replica's NATS round trips then queued behind one
 * another: at 600 tasks/s, p99 submit → assigned was 1.0 to 2.7 s, and
 * heartbeat acknowledgements waited 170 to 550 ms at p99.
 *
 * So the socket is corked at the first write of a turn and uncorked by
 * `setImmediate`, once the turn's callbacks have run, and what they wrote
 * leaves as one `writev`. A turn that has written 16 KiB sends it at once,
 * so a long turn under full load does not hold its writes back: uncorking
 * only at its end cost a quarter of the throughput at saturation.
 *
 * The socket is nats.js's own (`protocol.transport.socket`, not part of its
 * typed API, pinned with the package; `natsWritesCoalesced` lets a test see
 * that it is still there): if it is not where this looks, writes are left
 * as they are.
 */
import type { Socket } from 'node:net';
import type { NatsConnection } from '@nats-io/nats-core';

const COALESCED = Symbol('fleet.coalesced');
/** Written this much in one turn, it leaves at once. */
const FLUSH_AT_BYTES = 16 * 1024;

type CoalescedSocket = Socket & { [COALESCED]?: true };

/** Corks `socket` at the first write of each event-loop turn; uncorks it when the turn is over, once 16 KiB wait, or before it is destroyed. */
export function coalesceSocketWrites(socket: Socket): void {
  const s = socket as CoalescedSocket;
  if (s[COALESCED]) return;
  s[COALESCED] = true;
  const write = socket.write;
  let corked = false;
  const uncork = () => {
    if (!corked) return;
    corked = false;
    if (!socket.destroyed) socket.uncork();
  };
  socket.write = function (this: Socket, ...args: unknown[]): boolean {
    // Already 16 KiB behind (the kernel not taking it): corking would gain nothing.
    if (!corked && !socket.destroyed && socket.writableLength < FLUSH_AT_BYTES) {
      corked = true;
      socket.cork();
      setImmediate(uncork);
    }
    const ok = (write as (...a: unknown[]) => boolean).apply(this, args);
    // A long turn does not hold back what it has written so far.
    if (socket.writableLength >= FLUSH_AT_BYTES) uncork();
    return ok;
  } as Socket['write'];
  // nats.js's close() destroys the socket at once: what this turn wrote goes to the kernel first, as it did uncorked.
  const destroy = socket.destroy;
  socket.destroy = function (this: Socket, ...args: unknown[]): Socket {
    uncork();
    return (destroy as (...a: unknown[]) => Socket).apply(this, args);
  } as Socket['destroy'];
}

function natsSocket(nc: NatsConnection): Socket | null {
  const socket = (nc as unknown as { protocol?: { transport?: { socket?: unknown } } }).protocol?.transport?.socket;
  return socket && typeof (socket as Socket).cork === 'function' && typeof (socket as Socket).write === 'function' ? (socket as Socket) : null;
}

/** Whether the connection's current socket is coalesced (tests: a nats.js that moved its socket shows here). */
export function natsWritesCoalesced(nc: NatsConnection): boolean {
  return (natsSocket(nc) as CoalescedSocket | null)?.[COALESCED] === true;
}

/** Coalesces the connection's writes now and after every reconnect (each has a socket of its own). */
export function coalesceNatsWrites(nc: NatsConnection): void {
  const apply = () => {
    const socket = natsSocket(nc);
    if (socket) coalesceSocketWrites(socket);
  };
  apply();
  (async () => {
    for await (const status of nc.status()) if (status.type === 'reconnect') apply();
  })().catch(() => {});
}

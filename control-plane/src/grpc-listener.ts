/**
 * The gRPC port, listened on here rather than by grpc-js, so that a herd of
 * arriving connections is served in turn instead of all at once.
 *
 * When a replica restarts, every node it served comes back within the
 * agents' reconnect jitter (3-10 s). Left to grpc-js, two things went wrong
 * with thousands of them:
 * - Node's default accept queue (511) overflowed while the replica was busy;
 *   the kernel dropped SYNs and the clients' SYN retries (1, 3, 7 s...) left
 *   nodes waiting while the replica had time to spare. The queue here is
 *   LISTEN_BACKLOG deep (the kernel caps it at net.core.somaxconn).
 * - Every accepted connection began its TLS handshake at once. Sharing the
 *   CPU among thousands of handshakes, none finished until nearly all had,
 *   clients gave up and tried again, and the work was lost: after a restart
 *   with ten thousand nodes none was back a minute later, and the burst of
 *   accepts blocked the event loop long enough to lose the lease. Here at
 *   most MAX_HANDSHAKES connections are being set up at a time; the others
 *   wait their turn in order of arrival (one that closes meanwhile leaves
 *   the queue), so handshakes finish at the rate the replica can do them.
 *
 * A connection queues once its client has sent its first bytes (one that
 * says nothing holds no slot). It is being set up from its hand-over to
 * grpc-js until its first call arrives (`HandshakeGate.interceptor` sees it by the peer's address),
 * or HANDSHAKE_SLOT_MS has passed (a client that makes no call, a failed
 * handshake). Connections are handed to grpc-js's own server through its
 * connection injector (public API): TLS, HTTP/2, keepalive, certificate
 * rotation and shutdown are as with bindAsync.
 */
import { lookup } from 'node:dns/promises';
import { createServer, type Server, type Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../common/logger.js';
import { hostOf } from '../../common/tls-names.js';

/** Connections waiting to be accepted by the kernel, at most (somaxconn caps it, 4096 by default). */
export const LISTEN_BACKLOG = 8_192;
/**
 * Connections being set up (TLS, HTTP/2, first call) at once, at most: a
 * round of them is well under a second of CPU (about 3 ms each), and since a
 * slot is held for a handshake's round trips, nodes 100 ms away still come
 * back at over a thousand a second.
 */
export const MAX_HANDSHAKES = 256;
/** A connection stops counting as being set up after this long, call or not. */
export const HANDSHAKE_SLOT_MS = 1_000;
/** A connection whose client has sent nothing for this long is closed (TLS clients speak first, at once). */
export const FIRST_BYTES_MS = 10_000;
/** Bytes read ahead from a connection waiting for its turn. */
export const WAITING_READ_BYTES = 4_096;
/** Accepted connections waiting for their turn, at most; past it a new one is closed (its client retries with backoff). */
export const MAX_WAITING = 20_000;

/** Admits accepted connections to grpc-js a few at a time, in order of arrival. */
export class HandshakeGate {
  /** Accepted, and nothing received yet. */
  private readonly silent = new Set<Socket>();
  private readonly waiting: Socket[] = [];
  private head = 0;
  /** Connections handed over and not yet seen making a call, by peer address (as grpc-js's getPeer says it). */
  private readonly settingUp = new Map<string, { timer: NodeJS.Timeout }>();
  private inject: ((socket: Socket) => void) | undefined;
  private closed = false;

  constructor(
    private readonly limit = MAX_HANDSHAKES,
    private readonly slotMs = HANDSHAKE_SLOT_MS,
    private readonly maxWaiting = MAX_WAITING,
    private readonly firstBytesMs = FIRST_BYTES_MS,
  ) {}

  /** For the server's `interceptors`: a call on a connection ends its set-up. */
  readonly interceptor: grpc.ServerInterceptor = (_method, call) => {
    if (this.settingUp.size > 0) this.release(call.getPeer());
    return new grpc.ServerInterceptingCall(call);
  };

  /** Connections handed over and still being set up; connections waiting for their turn (spoken or not). */
  get counts(): { settingUp: number; waiting: number } {
    return { settingUp: this.settingUp.size, waiting: this.waiting.length - this.head + this.silent.size };
  }

  attach(inject: (socket: Socket) => void): void {
    this.inject = inject;
  }

  /**
   * A connection the listener accepted. It queues once its client has sent
   * something (its ClientHello, read and kept, then replayed to TLS when it
   * is handed over): a connection that says nothing costs no CPU and must
   * not hold a slot, or a few hundred idle connections a second would keep
   * every node waiting. One silent for FIRST_BYTES_MS is closed.
   */
  arrived(socket: Socket): void {
    if (this.closed || this.counts.waiting >= this.maxWaiting) {
      socket.destroy();
      return;
    }
    this.silent.add(socket);
    socket.on('error', () => socket.destroy());
    socket.once('close', () => this.silent.delete(socket));
    socket.setTimeout(this.firstBytesMs, () => socket.destroy());
    socket.once('readable', () => {
      socket.setTimeout(0);
      if (!this.silent.delete(socket) || this.closed) return;
      this.waiting.push(socket);
      this.admit();
    });
  }

  /**
   * The replica stops: nothing more is handed over, and connections still
   * waiting for their turn are closed (their clients try again elsewhere).
   * Those already handed over are grpc-js's to end (tryShutdown).
   */
  close(): void {
    this.closed = true;
    for (const socket of this.silent) socket.destroy();
    this.silent.clear();
    for (let i = this.head; i < this.waiting.length; i++) this.waiting[i]!.destroy();
    this.waiting.length = 0;
    this.head = 0;
    for (const { timer } of this.settingUp.values()) clearTimeout(timer);
    this.settingUp.clear();
  }

  private admit(): void {
    while (!this.closed && this.settingUp.size < this.limit && this.head < this.waiting.length) {
      const socket = this.waiting[this.head++]!;
      if (this.head > 1_024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      // Closed meanwhile, or ended without a byte: nothing to set up.
      if (socket.destroyed || !socket.remoteAddress || socket.readableLength === 0) {
        socket.destroy();
        continue;
      }
      const peer = `${socket.remoteAddress}:${socket.remotePort}`;
      // The same address and port again (a port reused within the slot's time): the older entry is done with.
      const older = this.settingUp.get(peer);
      if (older) clearTimeout(older.timer);
      const timer = setTimeout(() => this.release(peer), this.slotMs);
      timer.unref();
      this.settingUp.set(peer, { timer });
      this.inject!(socket);
    }
  }

  private release(peer: string): void {
    const entry = this.settingUp.get(peer);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.settingUp.delete(peer);
    this.admit();
  }
}

export interface GrpcListener {
  /** The port listened on (the one chosen when `listen` said 0). */
  port: number;
  /** Stops accepting at once and closes connections still waiting for their turn; those handed over are grpc-js's to close (tryShutdown / forceShutdown). */
  close(): void;
}

/**
 * Listens on every address `listen` (HOST:PORT, as checked by the flags)
 * names, as bindAsync does; fails only if none could be listened on. `gate`
 * must be among the server's interceptors (see `HandshakeGate.interceptor`).
 */
export async function listenGrpc(server: grpc.Server, listen: string, credentials: grpc.ServerCredentials, gate: HandshakeGate, log: Logger, backlog = LISTEN_BACKLOG): Promise<GrpcListener> {
  const host = hostOf(listen);
  let port = Number(listen.slice(listen.lastIndexOf(':') + 1));
  const addresses = (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  const injector = server.createConnectionInjector(credentials);
  gate.attach((socket) => injector.injectConnection(socket));
  const listeners: Server[] = [];
  let firstError: unknown;
  for (const address of addresses) {
    // A waiting connection keeps what it sent so far, a few KiB at most (a ClientHello is well under).
    const listener = createServer({ highWaterMark: WAITING_READ_BYTES }, (socket) => gate.arrived(socket));
    try {
      await new Promise<void>((resolve, reject) => {
        listener.once('error', reject);
        listener.listen({ host: address, port, backlog }, () => {
          listener.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      firstError ??= err;
      continue;
    }
    // Port 0: every address gets the port the first one was given.
    if (port === 0) port = (listener.address() as { port: number }).port;
    // An accept that fails (out of file descriptors) is said, not thrown, and said at most once a
    // minute with how many failed since: the listener goes on.
    let failedSince = 0;
    let saidAtMs = 0;
    listener.on('error', (err) => {
      failedSince++;
      if (Date.now() - saidAtMs < 60_000) return;
      log.error({ err: err.message, address, failed: failedSince }, 'accepting gRPC connections failed');
      failedSince = 0;
      saidAtMs = Date.now();
    });
    listeners.push(listener);
  }
  if (listeners.length === 0) {
    injector.destroy();
    throw firstError ?? new Error(`${listen}: no address to listen on`);
  }
  return {
    port,
    close: () => {
      for (const listener of listeners) listener.close();
      gate.close();
    },
  };
}

/**
 * The streaming calls a replica is serving (WatchTask, WatchNode, logs and
 * audit with follow). When the replica stops, each is ended at once with
 * UNAVAILABLE saying so, and fleetctl resumes it on another replica (or on
 * this one when it is back) from where it was. Left to grpc-js, a stream
 * would run until the shutdown grace ran out and then be cut, which a
 * client sees as CANCELLED, the code of a call it cancelled itself.
 */
import type * as grpc from '@grpc/grpc-js';
import { UnavailableError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { codeName, toGrpcStatus } from './grpc-status.js';

export class OpenStreams {
  private readonly ends = new Set<() => void>();
  private stopping: string | null = null;

  /**
   * A stream began; `end` stops its handler and ends it with `err`. Returns
   * what to call when the stream ends by itself. A stream that begins while
   * the replica stops is ended at once.
   */
  add(end: (err: UnavailableError) => void): () => void {
    if (this.stopping !== null) {
      end(new UnavailableError(this.stopping));
      return () => {};
    }
    const entry = () => end(new UnavailableError(this.stopping ?? 'this replica is stopping'));
    this.ends.add(entry);
    return () => this.ends.delete(entry);
  }

  get count(): number {
    return this.ends.size;
  }

  /** Ends every stream, and every one that begins from now on, with UNAVAILABLE and `reason`; returns how many were open. */
  endAll(reason: string): number {
    this.stopping = reason;
    const open = [...this.ends];
    this.ends.clear();
    for (const end of open) end();
    return open.length;
  }
}

export interface StreamingDeps {
  log: Logger;
  /** The streams being served, to end when the replica stops. */
  streams?: OpenStreams;
  /** Told of each call answered: method, status code's name, seconds (null for streams). */
  answered?: (method: string, code: string, seconds: number | null) => void;
}

/**
 * Runs a streaming handler with a signal that aborts when the client goes
 * away or the replica stops (the stream then ends with UNAVAILABLE, and the
 * client resumes elsewhere); tells `answered` how it ended. The handler
 * ends the call itself when it is done.
 */
export function serveStream(deps: StreamingDeps, method: string, call: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>, run: (signal: AbortSignal) => Promise<void>): void {
  const controller = new AbortController();
  call.on('cancelled', () => controller.abort());
  call.on('close', () => controller.abort());
  let endedHere = false;
  const forget = deps.streams?.add((err) => {
    endedHere = true;
    // The handler stops first, so that nothing is written after the status.
    controller.abort();
    deps.answered?.(method, 'UNAVAILABLE', null);
    call.emit('error', toGrpcStatus(err, deps.log));
  });
  run(controller.signal).then(
    () => {
      forget?.();
      if (!endedHere) deps.answered?.(method, 'OK', null);
    },
    (err: unknown) => {
      forget?.();
      if (endedHere) return;
      const status = toGrpcStatus(err, deps.log);
      deps.answered?.(method, codeName(status.code), null);
      call.emit('error', status);
    },
  );
}

/**
 * The streaming calls a replica is serving (WatchTask, WatchNode, logs and
 * audit with follow). When the replica stops, each is ended at once with
 * UNAVAILABLE saying so, and fleetctl resumes it on another replica (or on
 * this one when it is back) from where it was. Left to grpc-js, a stream
 * would run until the shutdown grace ran out and then be cut, which a
 * client sees as CANCELLED, the code of a call it cancelled itself.
 */
import { UnavailableError } from '../../common/errors.js';

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

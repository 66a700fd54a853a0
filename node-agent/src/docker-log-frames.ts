/**
 * Docker's multiplexed log stream, parsed by hand so that every entry keeps
 * its timestamp: an 8-byte header (stream: 1 stdout, 2 stderr; three zero
 * bytes; payload size as a big-endian uint32), then the payload, which with
 * `timestamps: true` starts with an RFC 3339 time with nanoseconds and a space.
 * The timestamps let an agent that restarts resume a container's output
 * exactly after the last entry it journaled: nothing lost, nothing twice.
 */

export interface LogEntry {
  stream: 'stdout' | 'stderr';
  /** RFC 3339 with up to nanoseconds, as Docker wrote it; '' if absent. */
  timestamp: string;
  data: Buffer;
}

const HEADER_BYTES = 8;

export class LogFrameParser {
  private pending: Buffer = Buffer.alloc(0);

  /** Feeds bytes from the stream; returns the entries completed by them. */
  push(chunk: Buffer): LogEntry[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const entries: LogEntry[] = [];
    while (this.pending.length >= HEADER_BYTES) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < HEADER_BYTES + size) break;
      const kind = this.pending[0];
      const payload = this.pending.subarray(HEADER_BYTES, HEADER_BYTES + size);
      this.pending = this.pending.subarray(HEADER_BYTES + size);
      if (kind !== 1 && kind !== 2) continue;
      const space = payload.indexOf(0x20);
      const stamp = space > 0 ? payload.subarray(0, space).toString('latin1') : '';
      const timed = TIMESTAMP.test(stamp);
      entries.push({ stream: kind === 2 ? 'stderr' : 'stdout', timestamp: timed ? stamp : '', data: timed ? payload.subarray(space + 1) : payload });
    }
    return entries;
  }
}

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;

/** Nanoseconds since the epoch, exact (a float would round them). */
export function timestampNanos(timestamp: string): bigint {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(timestamp);
  if (!match) return 0n;
  const seconds = BigInt(Math.floor(Date.parse(`${match[1]}${match[3]}`) / 1000));
  const nanos = BigInt((match[2] ?? '').padEnd(9, '0') || '0');
  return seconds * 1_000_000_000n + nanos;
}

/** Docker's `since` query value ("seconds.nanoseconds") for a timestamp. */
export function dockerSince(timestamp: string): string {
  const nanos = timestampNanos(timestamp);
  if (nanos === 0n) return '0';
  const seconds = nanos / 1_000_000_000n;
  return `${seconds}.${String(nanos % 1_000_000_000n).padStart(9, '0')}`;
}

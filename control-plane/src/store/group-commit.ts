/**
 * Group commit for append-only streams: records added while a write is in
 * flight go out together in the next one, as one JetStream message holding
 * a JSON array. Under load that turns a publish per record into a publish
 * per round trip; alone, a record goes out at the end of its turn (no added
 * latency), unless the stream lingers (`lingerMs`): then the first batch
 * waits that long for company, for records no caller waits for. Each key (a
 * subject) has its own queue, so batches never mix subjects. `add` resolves
 * once the record's batch is stored, or rejects with that batch's error;
 * `settle` sends what lingers at once.
 */
import { ResourceExhaustedError } from '../../../common/errors.js';

/** A batch stays well inside NATS's default 1 MiB message limit. */
const MAX_BATCH_BYTES = 256 * 1024;
/** Records waiting for the store, at most; past this, `add` refuses (the store is down or far behind). */
const MAX_QUEUED = 50_000;

interface Queued {
  json: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class GroupCommit {
  private readonly queues = new Map<string, Queued[]>();
  /** Each key's flush under way. */
  private readonly flushing = new Map<string, Promise<void>>();
  /** Ends the lingers under way at once (`settle`). */
  private readonly lingering = new Set<() => void>();
  private queued = 0;
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly publish: (key: string, payload: Uint8Array) => Promise<void>,
    private readonly what: string,
    /** How long a first record waits for others before its batch goes; 0: to the end of its turn. */
    private readonly lingerMs = 0,
  ) {}

  /** Sends what lingers now; resolves once every record added so far is stored or has failed. */
  async settle(): Promise<void> {
    for (const end of [...this.lingering]) end();
    await Promise.all([...this.flushing.values()]);
  }

  add(key: string, record: unknown): Promise<void> {
    if (this.queued >= MAX_QUEUED) {
      return Promise.reject(new ResourceExhaustedError(`${this.what}: ${MAX_QUEUED} records are waiting for the state store; try again when JetStream answers`));
    }
    return new Promise<void>((resolve, reject) => {
      let queue = this.queues.get(key);
      if (!queue) this.queues.set(key, (queue = []));
      queue.push({ json: JSON.stringify(record), resolve, reject });
      this.queued++;
      if (!this.flushing.has(key)) this.flushing.set(key, this.flush(key));
    });
  }

  /** Until the first batch goes: the end of this turn, or the linger. */
  private linger(): Promise<void> {
    if (this.lingerMs <= 0) return new Promise((resolve) => setImmediate(resolve));
    return new Promise((resolve) => {
      const end = () => {
        clearTimeout(timer);
        this.lingering.delete(end);
        resolve();
      };
      const timer = setTimeout(end, this.lingerMs);
      this.lingering.add(end);
    });
  }

  private async flush(key: string): Promise<void> {
    try {
      // Records added meanwhile join the first batch.
      await this.linger();
      for (let queue = this.queues.get(key); queue && queue.length > 0; queue = this.queues.get(key)) {
        const batch = takeBatch(queue);
        this.queued -= batch.length;
        if (queue.length === 0) this.queues.delete(key);
        try {
          await this.publish(key, this.encoder.encode(`[${batch.map((q) => q.json).join(',')}]`));
          for (const q of batch) q.resolve();
        } catch (err) {
          for (const q of batch) q.reject(err);
        }
      }
    } finally {
      this.flushing.delete(key);
    }
  }
}

function takeBatch(queue: Queued[]): Queued[] {
  let bytes = 2;
  let n = 0;
  while (n < queue.length && (n === 0 || bytes + queue[n]!.json.length + 1 <= MAX_BATCH_BYTES)) bytes += queue[n++]!.json.length + 1;
  return queue.splice(0, n);
}

/** A stored message: one record (written before batching) or a batch of them. */
export function recordsOf<T>(payload: unknown): T[] {
  return Array.isArray(payload) ? (payload as T[]) : [payload as T];
}

/**
 * JSON records in a JetStream KV bucket, where every write is a
 * compare-and-set on the key's revision. This is what makes a double
 * assignment impossible: of two writers racing on one record, one wins and
 * the other re-reads and decides again (`modify`). The bucket itself stays
 * in here: every error leaves converted (`storeError`), and every retry is
 * bounded.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { JetStreamApiCodes, JetStreamApiError, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { KV, KvEntry } from '@nats-io/kv';
import { ConflictError, FleetError, NotFoundError, ResourceExhaustedError, UnavailableError } from '../../../common/errors.js';

const MODIFY_ATTEMPTS = 20;
/** JetStream's API error for a write its resource limits (or its disk) cannot take. */
const JETSTREAM_INSUFFICIENT_RESOURCES = 10023;

export interface Versioned<T> {
  key: string;
  value: T;
  revision: number;
}

export type RecordChange<T> = { key: string; revision: number } & ({ value: T; deleted: false } | { deleted: true });

function isCasConflict(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/**
 * JetStream refusing a write for lack of room: its store limits reached
 * ("insufficient resources") or its disk full. Reads still work.
 */
export function isOutOfSpace(err: unknown): boolean {
  return (err instanceof JetStreamApiError && err.code === JETSTREAM_INSUFFICIENT_RESOURCES) || /insufficient resources|no space left on device/i.test((err as Error)?.message ?? '');
}

/** Converts NATS errors to ours once, here; `FleetError`s pass through. */
export function storeError(err: unknown, what: string): FleetError {
  if (err instanceof FleetError) return err;
  if (isCasConflict(err)) return new ConflictError(`${what}: changed concurrently`, { cause: err });
  if (isOutOfSpace(err)) {
    return new ResourceExhaustedError(
      `${what}: the state store (NATS JetStream) is out of space (${(err as Error).message}): free disk space where nats-server keeps its store, or raise its max_file_store; reading goes on meanwhile`,
      { cause: err },
    );
  }
  return new UnavailableError(`${what}: the state store (NATS JetStream) did not answer: ${(err as Error)?.message ?? err}`, { cause: err });
}

/** How a store operation failed, for metrics. */
export type StoreFailure = 'unavailable' | 'conflict' | 'out_of_space' | 'other';

/** Told of every single-request KV operation (see `observeStore`): what, how long, how it failed. */
export type StoreObserver = (op: string, seconds: number, failure: StoreFailure | null) => void;
let observer: StoreObserver | null = null;

/** One per process (a replica's metrics); null stops it. */
export function observeStore(next: StoreObserver | null): void {
  observer = next;
}

function failureOf(err: unknown): StoreFailure {
  if (err instanceof ConflictError) return 'conflict';
  if (err instanceof ResourceExhaustedError) return 'out_of_space';
  if (err instanceof UnavailableError) return 'unavailable';
  return 'other';
}

async function timed<R>(op: string, run: () => Promise<R>): Promise<R> {
  if (!observer) return run();
  const started = performance.now();
  try {
    const result = await run();
    observer?.(op, (performance.now() - started) / 1000, null);
    return result;
  } catch (err) {
    observer?.(op, (performance.now() - started) / 1000, failureOf(err));
    throw err;
  }
}

/**
 * How a bucket replicated over several nats-servers keeps its
 * compare-and-set. nats-server before 2.9.21 (Debian 12 ships 2.9.10) checks
 * a replicated stream's expected revision on its leader before proposing
 * the write, not when the write is applied: two writers proposing from the
 * same revision at about the same time are both accepted (nats-server issue
 * 4320; measured here: of 1,000 rounds of three concurrent updates from one
 * revision on a three-server cluster, 805 accepted two or three). What the
 * leader does check when applying, in log order on every server, is the
 * message id within the stream's duplicate window. So every conditional
 * write to such a bucket carries the id `<key>@<revision>`: the one move
 * away from that revision. The second writer's is a duplicate, refused as
 * a conflict. A bucket on one server checks the revision when applying, and
 * needs none of this.
 */
export interface ReplicatedBucket {
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** The bucket's name (its stream is `KV_<name>`, its keys' subjects `$KV.<name>.<key>`). */
  bucket: string;
}

/** A key's subject in a bucket's stream. */
function subjectOf(fence: ReplicatedBucket, key: string): string {
  return `$KV.${fence.bucket}.${key}`;
}

export class KvRecords<T> {
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly kv: KV,
    /** What the records are, for messages: "task", "join token". */
    readonly what: string,
    /** Set when the bucket is replicated: see `ReplicatedBucket`. */
    private readonly replicated?: ReplicatedBucket,
  ) {}

  /**
   * A conditional write (a new value, a delete or purge marker) to a
   * replicated bucket, fenced by its message id (see `ReplicatedBucket`).
   * Returns the new revision; a duplicate is a conflict.
   */
  private async fencedPublish(fence: ReplicatedBucket, key: string, revision: number, data: Uint8Array, operation?: 'DEL' | 'PURGE'): Promise<number> {
    let hdrs;
    if (operation) {
      hdrs = natsHeaders();
      hdrs.set('KV-Operation', operation);
      if (operation === 'PURGE') hdrs.set('Nats-Rollup', 'sub');
    }
    const ack = await fence.js.publish(subjectOf(fence, key), data, {
      msgID: `${key}@${revision}`,
      expect: { lastSubjectSequence: revision },
      ...(hdrs ? { headers: hdrs } : {}),
    });
    if (ack.duplicate) throw new ConflictError(`${this.what} ${key}: changed concurrently (another write from revision ${revision} came first)`);
    return ack.seq;
  }

  private decode(entry: KvEntry): T {
    return entry.json<T>();
  }

  get(key: string): Promise<Versioned<T> | null> {
    return timed('get', async () => {
      try {
        const entry = await this.kv.get(key);
        if (!entry || entry.operation !== 'PUT') return null;
        return { key, value: this.decode(entry), revision: entry.revision };
      } catch (err) {
        throw storeError(err, `reading ${this.what} ${key}`);
      }
    });
  }

  /**
   * Like `get`, but answered by the bucket's stream leader. `get` is a direct
   * get, which any server holding the bucket may answer: one that has not yet
   * applied the latest write, or, having lost writes it had not flushed when
   * it was killed, never will. For a read that decides something no later
   * write corrects, such as which task an idempotency key made.
   */
  getFromLeader(key: string): Promise<Versioned<T> | null> {
    const fence = this.replicated;
    if (!fence) return this.get(key);
    return timed('get', async () => {
      try {
        const last = await this.lastFromLeader(fence, key);
        return last && !last.marker ? { key, value: last.value, revision: last.revision } : null;
      } catch (err) {
        throw storeError(err, `reading ${this.what} ${key}`);
      }
    });
  }

  /** The key's last message, from the stream leader: a value, or a delete or purge marker. */
  private async lastFromLeader(fence: ReplicatedBucket, key: string): Promise<{ revision: number; marker: true } | { revision: number; marker: false; value: T } | null> {
    const stored = await fence.jsm.streams.getMessage(`KV_${fence.bucket}`, { last_by_subj: subjectOf(fence, key) });
    if (!stored) return null;
    const operation = stored.header?.get('KV-Operation');
    if (operation === 'DEL' || operation === 'PURGE') return { revision: stored.seq, marker: true };
    return { revision: stored.seq, marker: false, value: stored.json<T>() };
  }

  /**
   * Fails with ConflictError if the key exists. A key deleted or purged
   * still has its marker, so the create is then a write from the marker's
   * revision: fenced like any other on a replicated bucket (nats.js's own
   * `create` makes that second write unfenced, and two standbys taking a
   * lease its holder just gave up were both accepted).
   */
  create(key: string, value: T): Promise<Versioned<T>> {
    return timed('create', async () => {
      const data = this.encoder.encode(JSON.stringify(value));
      try {
        const revision = this.replicated ? await this.fencedCreate(this.replicated, key, data) : await this.kv.create(key, data);
        return { key, value, revision };
      } catch (err) {
        if (isCasConflict(err)) throw new ConflictError(`${this.what} ${key} already exists`, { cause: err });
        throw storeError(err, `creating ${this.what} ${key}`);
      }
    });
  }

  private async fencedCreate(fence: ReplicatedBucket, key: string, data: Uint8Array): Promise<number> {
    try {
      // Expecting nothing (revision 0) is checked as the write is applied: no fence needed.
      return (await fence.js.publish(subjectOf(fence, key), data, { expect: { lastSubjectSequence: 0 } })).seq;
    } catch (err) {
      if (!isCasConflict(err)) throw err;
      const last = await this.lastFromLeader(fence, key);
      if (!last?.marker) throw err;
      return this.fencedPublish(fence, key, last.revision, data);
    }
  }

  /** Writes whatever is there (records only their writer changes, such as a replica's registration). */
  put(key: string, value: T): Promise<number> {
    return timed('put', async () => {
      try {
        return await this.kv.put(key, this.encoder.encode(JSON.stringify(value)));
      } catch (err) {
        throw storeError(err, `writing ${this.what} ${key}`);
      }
    });
  }

  /** Fails with ConflictError unless the stored revision is still `revision`. */
  update(key: string, value: T, revision: number): Promise<Versioned<T>> {
    return timed('update', async () => {
      try {
        const data = this.encoder.encode(JSON.stringify(value));
        const next = this.replicated ? await this.fencedPublish(this.replicated, key, revision, data) : await this.kv.update(key, data, revision);
        return { key, value, revision: next };
      } catch (err) {
        throw storeError(err, `updating ${this.what} ${key}`);
      }
    });
  }

  /**
   * Read, decide, compare-and-set; on a conflict, read again and decide again.
   * `decide` returns null for "no change" and may throw to refuse. `held`: a
   * version the caller has, tried first instead of a read.
   */
  async modify(key: string, decide: (current: T) => T | null, held?: Versioned<T>): Promise<{ record: Versioned<T>; changed: boolean }> {
    // A version the caller already holds (a live view's) saves the read when it is
    // still current: the compare-and-set proves it. Only a write is trusted that way:
    // a refusal or "no change" decided on a possibly old version is decided again on a fresh read.
    if (held) {
      let next: T | null = null;
      try {
        next = decide(held.value);
      } catch {
        // Decided again below, on the stored version.
      }
      if (next !== null) {
        try {
          return { record: await this.update(key, next, held.revision), changed: true };
        } catch (err) {
          if (!(err instanceof ConflictError)) throw err;
        }
      }
    }
    for (let i = 0; i < MODIFY_ATTEMPTS; i++) {
      const current = await this.get(key);
      if (!current) throw new NotFoundError(`${this.what} ${key} not found`);
      const next = decide(current.value);
      if (next === null) return { record: current, changed: false };
      try {
        return { record: await this.update(key, next, current.revision), changed: true };
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
    throw new ConflictError(`${this.what} ${key}: too many concurrent changes, try again`);
  }

  /**
   * Creates or replaces, deciding from what is there (null: nothing);
   * conflicts decide again, a bounded number of times (`attempts`), after
   * `pauseMs(conflicts so far)` when given: writers that keep colliding on
   * one hot key spread out instead of colliding again at once.
   */
  async upsert(key: string, decide: (current: T | null) => T, options: { attempts?: number; pauseMs?: (conflicts: number) => number } = {}): Promise<Versioned<T>> {
    const attempts = options.attempts ?? MODIFY_ATTEMPTS;
    for (let i = 0; i < attempts; i++) {
      if (i > 0 && options.pauseMs) await sleep(options.pauseMs(i));
      const current = await this.get(key);
      try {
        return current ? await this.update(key, decide(current.value), current.revision) : await this.create(key, decide(null));
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
    throw new ConflictError(`${this.what} ${key}: too many concurrent changes, try again`);
  }

  /** Removes the key and its history, unless it changed since `revision` (ConflictError). */
  purge(key: string, revision: number): Promise<void> {
    return timed('purge', async () => {
      try {
        if (this.replicated) await this.fencedPublish(this.replicated, key, revision, new Uint8Array(0), 'PURGE');
        else await this.kv.purge(key, { previousSeq: revision });
      } catch (err) {
        throw storeError(err, `purging ${this.what} ${key}`);
      }
    });
  }

  /** Deletes the key unless it changed since `revision` (ConflictError). */
  deleteIf(key: string, revision: number): Promise<void> {
    return timed('delete', async () => {
      try {
        if (this.replicated) await this.fencedPublish(this.replicated, key, revision, new Uint8Array(0), 'DEL');
        else await this.kv.delete(key, { previousSeq: revision });
      } catch (err) {
        throw storeError(err, `deleting ${this.what} ${key}`);
      }
    });
  }

  /** The bucket's latest revision (0 when empty): a watch that saw less has fallen behind. */
  async lastRevision(): Promise<number> {
    try {
      const status = await this.kv.status();
      return status.streamInfo.state.messages === 0 ? 0 : status.streamInfo.state.last_seq;
    } catch (err) {
      throw storeError(err, `reading the ${this.what} bucket's status`);
    }
  }

  delete(key: string): Promise<void> {
    return timed('delete', async () => {
      try {
        await this.kv.delete(key);
      } catch (err) {
        throw storeError(err, `deleting ${this.what} ${key}`);
      }
    });
  }

  /**
   * Every current key, once (headers only: no record is read). JetStream
   * hands a key written during the listing over again (its new revision),
   * and nats.js passes both on: without the set, a task changing while
   * ListTasks reads the bucket was listed twice.
   */
  async keys(): Promise<string[]> {
    try {
      const out = new Set<string>();
      for await (const key of await this.kv.keys()) out.add(key);
      return [...out];
    } catch (err) {
      throw storeError(err, `listing the ${this.what} keys`);
    }
  }

  /** Every current record, read in one ordered pass (one consumer, not one request per key). */
  async list(filter: (value: T) => boolean = () => true, limit = Number.POSITIVE_INFINITY): Promise<Versioned<T>[]> {
    const watcher = this.watch(() => {});
    // A key written while the watch catches up shows up twice: its last change is the one that counts.
    const latest = new Map<string, RecordChange<T>>();
    try {
      for (const change of await watcher.initial) latest.set(change.key, change);
    } finally {
      watcher.stop();
    }
    const out: Versioned<T>[] = [];
    for (const change of latest.values()) {
      if (!change.deleted && filter(change.value)) out.push({ key: change.key, value: change.value, revision: change.revision });
    }
    return out.slice(0, limit);
  }

  /**
   * Watches the bucket: `initial` resolves with every current record once the
   * watch has caught up with the bucket's last revision; after that `onChange`
   * sees each change. Deletions are reported as such.
   */
  watch(onChange: (change: RecordChange<T>) => void): { initial: Promise<RecordChange<T>[]>; stop: () => void; done: Promise<void> } {
    let stopped = false;
    let stopIterator: () => void = () => {
      stopped = true;
    };
    const stop = () => {
      stopped = true;
      stopIterator();
    };
    let resolveInitial!: (changes: RecordChange<T>[]) => void;
    let rejectInitial!: (err: unknown) => void;
    const initial = new Promise<RecordChange<T>[]>((resolve, reject) => {
      resolveInitial = resolve;
      rejectInitial = reject;
    });
    const done = (async () => {
      try {
        const iterator = await this.kv.watch();
        stopIterator = () => iterator.stop();
        if (stopped) iterator.stop();
        // The bucket's last revision after the watch began: the watch has
        // caught up when it has delivered that revision (it is always the
        // last value of some key, so it is always delivered).
        const lastSeq = await this.lastRevision();
        const buffered: RecordChange<T>[] = [];
        let caughtUp = lastSeq === 0;
        if (caughtUp) resolveInitial([]);
        for await (const entry of iterator) {
          const change: RecordChange<T> =
            entry.operation === 'PUT'
              ? { key: entry.key, revision: entry.revision, value: this.decode(entry), deleted: false }
              : { key: entry.key, revision: entry.revision, deleted: true };
          if (caughtUp) {
            onChange(change);
            continue;
          }
          buffered.push(change);
          if (entry.revision >= lastSeq) {
            caughtUp = true;
            resolveInitial(buffered);
          }
        }
        // Ended before it caught up: stopped by us (what was seen is all that is asked for), or cut off, which must not pass for the whole bucket.
        if (!caughtUp) {
          if (stopped) resolveInitial(buffered);
          else rejectInitial(new UnavailableError(`watching ${this.what}: the watch ended before it had read the whole bucket`));
        }
      } catch (err) {
        const converted = storeError(err, `watching ${this.what}`);
        rejectInitial(converted);
        throw converted;
      }
    })();
    done.catch(() => {});
    return { initial, stop, done };
  }
}

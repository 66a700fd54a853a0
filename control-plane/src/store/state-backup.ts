/**
 * Backup and restore of the fleet's state in JetStream, at the level of
 * stored messages: what `common/backup-format.ts` writes and plans.
 *
 * Reading goes in rounds. Each round, for every stream in turn: note the
 * time, ask the stream for its last sequence, and read (an ordered consumer)
 * up to it. Every record stored before the noted time is then read, so a
 * round ends with a checkpoint covering up to its earliest noted time. The
 * first round reads everything stored (the base); the base restores exactly
 * from the start of the second round on: a record that was current at any
 * later moment was still stored when the first round passed it. A record
 * removed before a round reached it (a key written twice faster than the
 * backup reads) is reported as a gap: that span of time is not restorable
 * exactly, and restore says so instead of guessing.
 *
 * Restore writes each stream's planned records with the original subjects
 * and headers into a fleet that holds nothing yet (or, forced, after purging
 * it): nodes and credentials first, tasks last, so that no replica ever sees
 * a task whose node is not there yet.
 */
import { DeliverPolicy, type JetStreamClient, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';
import type { BackupCheckpoint, BackupGap, BackupHeader, BackupStream, RestorePlan, StoredRecord } from '../../../common/backup-format.js';
import { BACKUP_FORMAT_VERSION, replayHeaders } from '../../../common/backup-format.js';
import { FLEET_VERSION } from '../../../common/version.js';
import { AUDIT_MAX_AGE_MS } from './audit-log.js';
import { storeError } from './kv-records.js';
import { BUCKETS, OBJECT_STORES, STREAMS, TEAM_SPEND_TTL_MS } from './names.js';

/**
 * What a backup holds, in the order a restore writes it. Not the leader lease
 * and the replica registrations: they describe running processes, not state.
 */
export function backedUpStreams(limits: { idempotencyMs: number; eventsMs: number; logsMs: number }): BackupStream[] {
  const kv = (bucket: string, maxAgeMs = 0): BackupStream => ({ name: `KV_${bucket}`, kind: 'kv', subjects: [`$KV.${bucket}.>`], maxAgeMs });
  return [
    kv(BUCKETS.nodes),
    kv(BUCKETS.providers),
    kv(BUCKETS.joinTokens),
    kv(BUCKETS.accessTokens),
    kv(BUCKETS.rollouts),
    kv(BUCKETS.autoscale),
    kv(BUCKETS.forges),
    kv(BUCKETS.teams),
    kv(BUCKETS.teamSpend, TEAM_SPEND_TTL_MS),
    kv(BUCKETS.idempotency, limits.idempotencyMs),
    { name: `OBJ_${OBJECT_STORES.results}`, kind: 'object', subjects: [`$O.${OBJECT_STORES.results}.C.>`, `$O.${OBJECT_STORES.results}.M.>`], maxAgeMs: 0 },
    { name: STREAMS.events.name, kind: 'log', subjects: [...STREAMS.events.subjects], maxAgeMs: limits.eventsMs },
    { name: STREAMS.audit.name, kind: 'log', subjects: [...STREAMS.audit.subjects], maxAgeMs: AUDIT_MAX_AGE_MS },
    { name: STREAMS.logs.name, kind: 'log', subjects: [...STREAMS.logs.subjects], maxAgeMs: limits.logsMs },
    kv(BUCKETS.tasks),
  ];
}

export type BackupItem = { header: BackupHeader } | { record: StoredRecord } | { checkpoint: BackupCheckpoint };

export interface BackupReadOptions {
  follow: boolean;
  /** Resume: per stream, the last sequence the reader already has. */
  afterSeq: Record<string, number>;
  signal: AbortSignal;
  /** Pause between rounds while following. */
  roundEveryMs?: number;
}

/** A round that has read nothing new writes a checkpoint at most this often (it proves coverage). */
const IDLE_CHECKPOINT_MS = 10_000;
/** Publishes in flight during a restore. */
const RESTORE_WINDOW = 256;

export class StateBackup {
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    readonly streams: BackupStream[],
    private readonly keepKeys: Record<string, string[]>,
  ) {}

  async *read(options: BackupReadOptions): AsyncGenerator<BackupItem> {
    const { signal } = options;
    const startedAtMs = Date.now();
    yield { header: { formatVersion: BACKUP_FORMAT_VERSION, fleetVersion: FLEET_VERSION, startedAtMs, streams: this.streams } };
    const resumed = Object.keys(options.afterSeq).length > 0;
    const names = this.streams.map((s) => s.name);
    /** Per stream, the last sequence handed to the caller. */
    const delivered = new Map(names.map((n) => [n, options.afterSeq[n] ?? 0]));
    // The base's targets: what each stream holds now. Records past them that go missing are gaps.
    const baseTargets = new Map<string, number>();
    for (const name of names) baseTargets.set(name, resumed ? delivered.get(name)! : (await this.info(name)).state.last_seq);

    const pumps = new Pumps(this.js, names, delivered, baseTargets, startedAtMs, signal);
    try {
      let validFromMs = 0;
      let round: CoverageRound | null = new CoverageRound(names, new Map(resumed ? delivered : baseTargets), 0);
      let nextRoundAt = 0;
      let lastCheckpointMs = 0;
      let sinceCheckpoint = 0;
      while (!signal.aborted) {
        // Checked between records too: under steady writes the queue is never empty.
        if (round && (await round.satisfied(delivered, (name) => pumps.caughtUp(name)))) {
          if (round.coveredUntilMs > 0) {
            validFromMs ||= round.coveredUntilMs;
            const gaps = pumps.takeGaps();
            if (sinceCheckpoint > 0 || gaps.length > 0 || lastCheckpointMs === 0 || Date.now() - lastCheckpointMs >= IDLE_CHECKPOINT_MS) {
              lastCheckpointMs = Date.now();
              sinceCheckpoint = 0;
              yield { checkpoint: { coveredUntilMs: round.coveredUntilMs, validFromMs, lastSeq: Object.fromEntries(delivered), gaps } };
              if (!options.follow) return;
            }
            nextRoundAt = Date.now() + (options.roundEveryMs ?? 1_000);
          } else {
            // The base is read: the next round, started now, says from when it restores exactly.
            nextRoundAt = Date.now();
          }
          round = null;
        }
        if (!round && Date.now() >= nextRoundAt) {
          round = await CoverageRound.start(names, (name) => this.info(name));
          continue;
        }
        const item = pumps.take();
        if (item) {
          delivered.set(item.stream, item.seq);
          sinceCheckpoint++;
          yield { record: item };
          continue;
        }
        await pumps.wait(round ? 50 : Math.max(1, nextRoundAt - Date.now()));
      }
    } finally {
      await pumps.stop();
    }
  }

  private info(name: string): Promise<StreamInfo> {
    return this.jsm.streams.info(name).catch((err: unknown) => {
      throw storeError(err, `reading ${name}`);
    });
  }

  /** What the fleet holds that a restore would replace; empty when there is nothing. */
  async contents(): Promise<string[]> {
    const held: string[] = [];
    for (const stream of this.streams) {
      if (stream.kind === 'log') continue; // events, audit and logs of the new fleet's own start are kept
      const keep = this.keepKeys[stream.name] ?? [];
      const info = await this.jsm.streams.info(stream.name, keep.length ? { subjects_filter: '>' } : undefined).catch((err: unknown) => {
        throw storeError(err, `reading ${stream.name}`);
      });
      const subjects = keep.length ? Object.keys(info.state.subjects ?? {}).filter((s) => !keep.includes(s)) : [];
      const n = keep.length ? subjects.length : info.state.messages;
      if (n > 0) held.push(`${stream.name}: ${n} record(s)`);
    }
    return held;
  }

  /** Empties every backed-up stream (a forced restore). */
  async purge(): Promise<void> {
    for (const stream of this.streams) {
      await this.jsm.streams.purge(stream.name).catch((err: unknown) => {
        throw storeError(err, `purging ${stream.name}`);
      });
    }
  }

  /** Writes the plan's records, stream by stream in plan order; `progress` (records written so far, of all streams) after each batch. */
  async write(plan: RestorePlan, progress: (done: number) => void): Promise<Record<string, number>> {
    const written: Record<string, number> = {};
    let done = 0;
    for (const { stream, records } of plan.streams) {
      for (let i = 0; i < records.length; i += RESTORE_WINDOW) {
        const batch = records.slice(i, i + RESTORE_WINDOW).map((r) => this.js.publish(r.subject, r.data, headersOf(r)));
        await settle(batch, stream.name);
        done += batch.length;
        progress(done);
      }
      written[stream.name] = records.length;
    }
    return written;
  }
}

/** How long a round waits on a stream before asking the server whether its target still exists. */
const STALL_CHECK_MS = 1_000;
/** Records read ahead of the caller, in all. */
const READ_AHEAD = 2_048;

/**
 * One coverage check: for every stream, the time noted before asking its last
 * sequence; satisfied once every stream has been handed over up to it. Its
 * `coveredUntilMs` (the earliest noted time) is then a moment up to which
 * every record is in the backup.
 */
class CoverageRound {
  private readonly stalledSince = Date.now();
  private lastStallCheck = 0;

  constructor(
    private readonly names: string[],
    private readonly targets: Map<string, number>,
    readonly coveredUntilMs: number,
  ) {}

  static async start(names: string[], info: (name: string) => Promise<StreamInfo>): Promise<CoverageRound> {
    const targets = new Map<string, number>();
    let coveredUntilMs = Number.MAX_SAFE_INTEGER;
    for (const name of names) {
      coveredUntilMs = Math.min(coveredUntilMs, Date.now());
      const i = await info(name);
      targets.set(name, i.state.messages === 0 ? 0 : i.state.last_seq);
    }
    return new CoverageRound(names, targets, coveredUntilMs);
  }

  async satisfied(delivered: Map<string, number>, caughtUp: (name: string) => Promise<boolean>): Promise<boolean> {
    const behind = this.names.filter((n) => delivered.get(n)! < this.targets.get(n)!);
    if (behind.length === 0) return true;
    // A target removed before it was read (a key written again, an expiry) is never delivered:
    // after a while, ask whether the server has anything left for that stream.
    if (Date.now() - this.stalledSince < STALL_CHECK_MS || Date.now() - this.lastStallCheck < STALL_CHECK_MS) return false;
    this.lastStallCheck = Date.now();
    for (const name of behind) if (await caughtUp(name)) this.targets.set(name, 0);
    return this.names.every((n) => delivered.get(n)! >= this.targets.get(n)!);
  }
}

/**
 * A reader per stream (an ordered consumer), all running at once, so that a
 * record is read as soon as it is stored, before a later write can replace
 * it. They read ahead of the caller up to READ_AHEAD records in all.
 */
class Pumps {
  private readonly queue: StoredRecord[] = [];
  private readonly gaps: BackupGap[] = [];
  private readonly received = new Map<string, number>();
  private readonly consumers = new Map<string, { info(cached?: boolean): Promise<{ num_pending: number; delivered: { stream_seq: number } }>; stop(): void }>();
  private wakeReader: (() => void) | null = null;
  private wakePumps: Array<() => void> = [];
  private failure: unknown = null;
  private readonly running: Array<Promise<void>>;

  constructor(
    private readonly js: JetStreamClient,
    names: string[],
    from: Map<string, number>,
    private readonly gapsAfter: Map<string, number>,
    private readonly startedAtMs: number,
    private readonly signal: AbortSignal,
  ) {
    this.running = names.map((name) =>
      this.pump(name, from.get(name)!).catch((err: unknown) => {
        if (!signal.aborted) this.failure ??= storeError(err, `reading ${name}`);
        this.wakeReader?.();
      }),
    );
  }

  take(): StoredRecord | undefined {
    if (this.failure) throw this.failure;
    const item = this.queue.shift();
    if (item && this.queue.length < READ_AHEAD) for (const w of this.wakePumps.splice(0)) w();
    return item;
  }

  takeGaps(): BackupGap[] {
    return this.gaps.splice(0);
  }

  /** Until a record arrives, or `ms`. */
  async wait(ms: number): Promise<void> {
    if (this.queue.length > 0 || this.failure) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      this.wakeReader = done;
      function done() {
        clearTimeout(t);
        resolve();
      }
    });
    this.wakeReader = null;
  }

  /** The server has nothing more for this stream, and everything it sent has been taken. */
  async caughtUp(name: string): Promise<boolean> {
    const consumer = this.consumers.get(name);
    if (!consumer) return false;
    const info = await consumer.info(false).catch(() => null);
    if (!info) return false;
    return info.num_pending === 0 && info.delivered.stream_seq <= (this.received.get(name) ?? 0) && !this.queue.some((r) => r.stream === name);
  }

  async stop(): Promise<void> {
    for (const c of this.consumers.values()) c.stop();
    for (const w of this.wakePumps.splice(0)) w();
    await Promise.allSettled(this.running);
  }

  private async pump(name: string, after: number): Promise<void> {
    const consumer = await this.js.consumers.get(name, { filter_subjects: '>', deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: after + 1 });
    const messages = await consumer.consume({ max_messages: 256 });
    this.consumers.set(name, { info: (cached) => consumer.info(cached), stop: () => void messages.stop() });
    if (this.signal.aborted) messages.stop();
    let prevSeq = after;
    let prevAt = 0;
    for await (const m of messages) {
      const atMs = m.time.getTime();
      // Sequences skipped past what the stream held when the backup began were removed before they were read.
      if (m.seq > Math.max(prevSeq, this.gapsAfter.get(name)!) + 1) this.gaps.push({ stream: name, afterSeq: prevSeq, beforeSeq: m.seq, fromMs: prevAt || this.startedAtMs, toMs: atMs });
      const headers: Array<[string, string]> = [];
      if (m.headers) for (const [k, vs] of m.headers) for (const v of vs) headers.push([k, v]);
      this.queue.push({ stream: name, seq: m.seq, atMs, subject: m.subject, headers, data: m.data });
      this.received.set(name, m.seq);
      prevSeq = m.seq;
      prevAt = atMs;
      this.wakeReader?.();
      if (this.queue.length >= READ_AHEAD) await new Promise<void>((resolve) => this.wakePumps.push(resolve));
      if (this.signal.aborted) break;
    }
  }
}

/** The record's headers to send again, if any. */
function headersOf(r: StoredRecord): { headers: MsgHdrs } | undefined {
  const hs = replayHeaders(r);
  if (hs.length === 0) return undefined;
  const h = natsHeaders();
  for (const [k, v] of hs) h.append(k, v);
  return { headers: h };
}

async function settle(publishes: Array<Promise<unknown>>, stream: string): Promise<void> {
  const results = await Promise.allSettled(publishes);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw storeError(failed.reason, `restoring ${stream}`);
}


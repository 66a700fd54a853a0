/**
 * The audit trail of calls: who (the access token's name) did what, on what,
 * from where, when, and how it ended. Unlike the event log, writing it is
 * not best effort: a changing call is recorded ("request") before it acts,
 * and is refused if that cannot be stored; its outcome ("result") is stored
 * before the caller hears it. The subject carries the actor, so reading one
 * actor's calls is a filtered consumer, not a scan. Entries are
 * group-committed per actor (`group-commit.ts`): a message holds a JSON
 * array of the entries written in one round trip.
 */
import { randomUUID } from 'node:crypto';
import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import { UnavailableError } from '../../../common/errors.js';
import { STREAMS } from './names.js';
import { storeError } from './kv-records.js';
import { lastSequence, readStream } from './stream-reader.js';
import { GroupCommit, recordsOf } from './group-commit.js';

export interface AuditEntry {
  callId: string;
  atMs: number;
  actor: string;
  role: string;
  action: string;
  target: string;
  peer: string;
  phase: 'request' | 'result';
  /** "OK" or a gRPC status name; "" on a request. */
  outcome: string;
  error: string;
  replica: string;
}

/** Where an entry is in the audit stream: the message holding it (its batch) and its place there. */
export interface AuditPosition {
  seq: number;
  index: number;
}

export const AUDIT_SUBJECT_PREFIX = 'fleet.audit';
/** How long entries are kept. */
export const AUDIT_MAX_AGE_MS = 400 * 86_400_000;

export function newCallId(): string {
  return randomUUID();
}

export class AuditLog {
  private readonly decoder = new TextDecoder();
  private readonly batches: GroupCommit;

  constructor(private readonly js: JetStreamClient) {
    this.batches = new GroupCommit(async (subject, payload) => void (await js.publish(subject, payload)), 'the audit trail');
  }

  /** Stored (acknowledged by JetStream) or UnavailableError. */
  async write(entry: AuditEntry): Promise<void> {
    try {
      await this.batches.add(`${AUDIT_SUBJECT_PREFIX}.${entry.actor}.calls`, entry);
    } catch (err) {
      const cause = storeError(err, 'writing the audit trail');
      throw new UnavailableError(`the call was not recorded in the audit trail, so it was not made (${cause.message}); try again when JetStream answers`, { cause: err });
    }
  }

  /** The sequence of the audit stream's last message (0: none yet). */
  async lastSeq(): Promise<number> {
    try {
      return await lastSequence(this.js, STREAMS.audit.name);
    } catch (err) {
      throw storeError(err, 'reading the audit trail\'s state');
    }
  }

  /**
   * Entries at or after `sinceMs`, oldest first, of one actor or all, each
   * with its position; with `after`, only those after that position (a
   * reader resuming where it was cut off). Without `follow` it ends at the
   * last entry stored when it began; with `follow` it goes on until
   * `signal` aborts.
   */
  async *read(options: { sinceMs: number; actor: string; follow: boolean; signal: AbortSignal; after?: AuditPosition }): AsyncGenerator<AuditEntry & AuditPosition> {
    const after = options.after && options.after.seq > 0 ? options.after : null;
    const from = after
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: after.seq }
      : options.sinceMs > 0
        ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(options.sinceMs).toISOString() }
        : { deliver_policy: DeliverPolicy.All };
    const filter = `${AUDIT_SUBJECT_PREFIX}.${options.actor || '*'}.>`;
    for await (const m of readStream(this.js, { stream: STREAMS.audit.name, filter, from, follow: options.follow, signal: options.signal })) {
      const entries = recordsOf<AuditEntry>(JSON.parse(this.decoder.decode(m.data)));
      for (const [index, entry] of entries.entries()) {
        if (after && m.seq === after.seq && index <= after.index) continue;
        if (entry.atMs >= options.sinceMs) yield { ...entry, seq: m.seq, index };
      }
    }
  }
}

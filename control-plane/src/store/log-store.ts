/**
 * Log chunks per attempt in the FLEET_LOGS stream, one subject per attempt
 * (`fleet.logs.<task>.<attempt>`). Chunks carry a message id made from the
 * agent's outbox sequence, so a chunk resent after a reconnect is stored once.
 */
import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import { headers } from '@nats-io/nats-core';
import type { LogChunk, StoredLogChunk } from '../../../common/model.js';
import { STREAMS } from './names.js';
import { storeError } from './kv-records.js';
import { lastSequence, readStream } from './stream-reader.js';

const logSubject = (taskId: string, attemptId: string) => `fleet.logs.${taskId}.${attemptId}`;

export class LogStore {
  constructor(private readonly js: JetStreamClient) {}

  async append(chunk: LogChunk, dedupId: string): Promise<void> {
    const h = headers();
    h.set('Fleet-Stream', chunk.stream);
    h.set('Fleet-At', String(chunk.atMs));
    try {
      await this.js.publish(logSubject(chunk.taskId, chunk.attemptId), chunk.data, { msgID: dedupId, headers: h });
    } catch (err) {
      throw storeError(err, `storing logs of ${chunk.attemptId}`);
    }
  }

  /** The sequence of the last message the log stream has stored (0: none yet): no chunk can be after it. */
  async lastSeq(): Promise<number> {
    try {
      return await lastSequence(this.js, STREAMS.logs.name);
    } catch (err) {
      throw storeError(err, 'reading the log stream\'s state');
    }
  }

  /**
   * Yields the task's chunks in order. Without `follow` it ends at the last
   * chunk stored when it began; with `follow` it goes on until `stop` aborts.
   */
  async *read(taskId: string, options: { follow: boolean; signal: AbortSignal; afterSeq?: number }): AsyncGenerator<StoredLogChunk> {
    const from = options.afterSeq ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: options.afterSeq + 1 } : { deliver_policy: DeliverPolicy.All };
    for await (const m of readStream(this.js, { stream: STREAMS.logs.name, filter: `fleet.logs.${taskId}.>`, from, follow: options.follow, signal: options.signal })) {
      const [, , , attemptId] = m.subject.split('.');
      yield {
        taskId,
        attemptId: attemptId ?? '',
        stream: m.headers?.get('Fleet-Stream') === 'stderr' ? 'stderr' : 'stdout',
        data: m.data,
        atMs: Number(m.headers?.get('Fleet-At') ?? 0),
        seq: m.seq,
      };
    }
  }
}

/**
 * Reading a slice of a JetStream stream in order through an ordered
 * consumer: what the log store and the audit trail both do. Without
 * `follow` it ends at the last message stored when it began; with `follow`
 * it goes on until `signal` aborts.
 */
import type { JetStreamClient, JsMsg, OrderedConsumerOptions } from '@nats-io/jetstream';

export interface ReadOptions {
  stream: string;
  filter: string;
  /** Where to start: all, a sequence, a time. */
  from: Partial<OrderedConsumerOptions>;
  follow: boolean;
  signal: AbortSignal;
}

export async function* readStream(js: JetStreamClient, options: ReadOptions): AsyncGenerator<JsMsg> {
  const consumer = await js.consumers.get(options.stream, { filter_subjects: options.filter, ...options.from });
  const info = await consumer.info(true);
  if (!options.follow && info.num_pending === 0) return;
  const messages = await consumer.consume();
  const onAbort = () => void messages.stop();
  options.signal.addEventListener('abort', onAbort, { once: true });
  if (options.signal.aborted) onAbort();
  // Stream sequences only grow: a message at or before the last one handed
  // over is a redelivery (an ordered consumer that reset, say after a missed
  // heartbeat on a loaded machine), never news.
  let lastSeq = 0;
  try {
    for await (const m of messages) {
      if (m.seq <= lastSeq) continue;
      lastSeq = m.seq;
      yield m;
      if (!options.follow && m.info.pending === 0) break;
    }
  } finally {
    options.signal.removeEventListener('abort', onAbort);
    await messages.close().catch(() => {});
  }
}

/** The sequence of the last message `stream` has stored (0: none yet): no cursor can point past it. */
export async function lastSequence(js: JetStreamClient, stream: string): Promise<number> {
  return (await (await js.streams.get(stream)).info()).state.last_seq;
}

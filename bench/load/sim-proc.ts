/**
 * A simulator process of the load bench, forked by `sim-fleet.ts`: runs its
 * share of the simulated nodes (`sim-node.ts`) and reports to the parent over
 * IPC (`protocol.ts`): measurements in batches every half second, progress
 * every quarter second when it changed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { SimNode, type NodeObserver } from './sim-node.js';
import { emptyCounters, nowMs, type AssignRecord, type ChildMessage, type OutcomeRecord, type ParentMessage, type SampleBatch, type SimCounters, type SimNodeSpec, type SimSettings } from './protocol.js';

const FLUSH_EVERY_MS = 500;
const PROGRESS_EVERY_MS = 250;
/** Enrollment retries shown on stderr, at most (the rest are only counted). */
const RETRIES_SHOWN = 3;

function send(message: ChildMessage): void {
  process.send!(message);
}

/** Sends a last message, then exits once it is on its way. */
function sendAndExit(message: ChildMessage, code: number): void {
  process.send!(message, undefined, {}, () => process.exit(code));
}

const emptyBatch = (): SampleBatch => ({ assigns: [], outcomes: [], heartbeats: [], connects: [] });

/** Runs `work` on every item, `concurrency` at a time, each after a random wait of up to `jitterMs`. */
async function pool<T, R>(items: readonly T[], concurrency: number, jitterMs: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await sleep(Math.random() * jitterMs);
        results[i] = await work(items[i]!);
      }
    }),
  );
  return results;
}

class Simulator implements NodeObserver {
  readonly counters: SimCounters = emptyCounters();
  private nodes: SimNode[] = [];
  private settings: SimSettings | undefined;
  private batch = emptyBatch();
  private enrolled = 0;
  private readonly readyNodes = new Set<SimNode>();
  /** The nodes connected to the endpoint the last `mark` named, and those of them welcomed again since. */
  private readonly awaiting = new Set<SimNode>();
  private readonly reconnected = new Set<SimNode>();
  private lastReconnectAtMs = 0;
  private progressChanged = false;
  private readonly abort = new AbortController();
  private readonly timers = [setInterval(() => this.flush(), FLUSH_EVERY_MS), setInterval(() => this.reportProgress(), PROGRESS_EVERY_MS)];
  /** The node agent's enrollment logs its retries as warnings: counted, and the first few shown. */
  private readonly enrollLog = pino(
    { level: 'warn' },
    {
      write: (line: string) => {
        const entry = JSON.parse(line) as { msg?: string; err?: string };
        if (entry.msg !== 'enrollment failed; retrying') return;
        if (++this.counters.enrollRetries <= RETRIES_SHOWN) process.stderr.write(`[simulator ${process.pid}] enrollment failed, retrying: ${entry.err ?? ''}\n`);
      },
    },
  );

  async handle(message: ParentMessage): Promise<void> {
    switch (message.type) {
      case 'enroll':
        return this.enroll(message.nodes, message.settings);
      case 'connect':
        return this.connect();
      case 'mark':
        return this.mark(message.endpoint);
      case 'flush':
        this.flush();
        send({ type: 'flushed' });
        return;
      case 'stop':
        return this.stop();
    }
  }

  private async enroll(specs: SimNodeSpec[], settings: SimSettings): Promise<void> {
    this.settings = settings;
    this.nodes = specs.map((spec) => new SimNode(spec, settings.slots, this));
    const enrollMs = await pool(this.nodes, settings.enrollConcurrency, settings.jitterMs, async (node) => {
      const startedAt = nowMs();
      await node.enroll(this.enrollLog, this.abort.signal);
      this.enrolled++;
      this.progressChanged = true;
      return nowMs() - startedAt;
    });
    send({ type: 'enrolled', enrollMs });
  }

  private async connect(): Promise<void> {
    const { connectConcurrency, jitterMs } = this.settings!;
    await pool(this.nodes, connectConcurrency, jitterMs, (node) => node.start());
    // The connection times go first: the parent reads them when it hears this.
    this.flush();
    send({ type: 'connected' });
  }

  private mark(endpoint: string): void {
    this.awaiting.clear();
    this.reconnected.clear();
    this.lastReconnectAtMs = 0;
    for (const node of this.nodes) if (node.connectedTo === endpoint) this.awaiting.add(node);
    send({ type: 'marked', awaiting: this.awaiting.size });
  }

  private async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.nodes.map((n) => n.stop()));
    for (const timer of this.timers) clearInterval(timer);
    this.flush();
    sendAndExit({ type: 'stopped', counters: this.counters }, 0);
  }

  assigned(record: AssignRecord): void {
    this.batch.assigns.push(record);
  }

  outcomeStored(record: OutcomeRecord): void {
    this.batch.outcomes.push(record);
  }

  heartbeatAcked(sentAtMs: number, latencyMs: number): void {
    this.batch.heartbeats.push([sentAtMs, latencyMs]);
  }

  welcomed(node: SimNode, atMs: number, connectMs: number | null): void {
    if (connectMs !== null) this.batch.connects.push([atMs - connectMs, connectMs]);
    if (!this.awaiting.has(node)) return;
    this.reconnected.add(node);
    this.lastReconnectAtMs = Math.max(this.lastReconnectAtMs, atMs);
    this.progressChanged = true;
  }

  ready(node: SimNode): void {
    this.readyNodes.add(node);
    this.progressChanged = true;
  }

  sessionLost(node: SimNode): void {
    this.readyNodes.delete(node);
    this.progressChanged = true;
  }

  private flush(): void {
    const { assigns, outcomes, heartbeats, connects } = this.batch;
    if (assigns.length + outcomes.length + heartbeats.length + connects.length === 0) return;
    send({ type: 'samples', batch: this.batch });
    this.batch = emptyBatch();
  }

  private reportProgress(): void {
    if (!this.progressChanged) return;
    this.progressChanged = false;
    send({ type: 'progress', progress: { enrolled: this.enrolled, ready: this.readyNodes.size, reconnected: this.reconnected.size, lastReconnectAtMs: this.lastReconnectAtMs } });
  }
}

const simulator = new Simulator();
process.on('message', (message: ParentMessage) => {
  simulator.handle(message).catch((err: unknown) => {
    sendAndExit({ type: 'failed', message: (err as Error).message ?? String(err) }, 1);
  });
});
// The parent is gone: nobody reads what this process measures.
process.on('disconnect', () => process.exit(1));

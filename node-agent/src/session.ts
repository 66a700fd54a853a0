/**
 * The node's session with the control plane: one bidi stream to one replica
 * at a time, moved to the next endpoint and retried with backoff and jitter
 * when it breaks. Each session starts with a hello that lists the attempts
 * this node holds; then the outbox is replayed from the oldest
 * unacknowledged event, a bounded window at a time.
 */
import * as grpc from '@grpc/grpc-js';
import { Backoff } from '../../common/backoff.js';
import type { Logger } from '../../common/logger.js';
import type { AttemptEvent } from '../../proto/gen/fleet/v1/AttemptEvent.js';
import type { ControlMessage__Output } from '../../proto/gen/fleet/v1/ControlMessage.js';
import type { NodeMessage } from '../../proto/gen/fleet/v1/NodeMessage.js';
import type { NodeAgent } from './agent.js';
import { describe, isFatal, nodeClient, RECONNECT_BACKOFF } from './control-plane-client.js';
import type { Journal, OutboxEvent } from './journal.js';
import { readResources } from './resources.js';

/** Events sent and not yet acknowledged, at most. */
const OUTBOX_WINDOW = 64;
const DEFAULT_HEARTBEAT_MS = 5_000;
/** A session that stayed up this long resets the reconnect backoff. */
const STABLE_SESSION_MS = 10_000;

export type SessionState = 'connecting' | 'connected' | 'backing-off' | 'stopped';

export function toWire(event: OutboxEvent): AttemptEvent {
  const base = { seq: event.seq, taskId: event.taskId, attemptId: event.attemptId, atMs: event.atMs };
  switch (event.kind) {
    case 'started':
      return { ...base, started: { containerId: event.containerId } };
    case 'output':
      return { ...base, output: { stream: event.stream === 'stderr' ? 'LOG_STREAM_STDERR' : 'LOG_STREAM_STDOUT', data: event.data } };
    case 'finished': {
      const o = event.outcome;
      return {
        ...base,
        finished: {
          state: `ATTEMPT_STATE_${o.state}`,
          ...(o.exitCode === undefined ? {} : { exitCode: o.exitCode }),
          error: o.error,
          failureKind: o.failureKind ? `FAILURE_KIND_${o.failureKind}` : 'FAILURE_KIND_UNSPECIFIED',
        },
      };
    }
  }
}

export class Session {
  state: SessionState = 'connecting';
  private running = false;
  private call: grpc.ClientDuplexStream<NodeMessage, ControlMessage__Output> | undefined;
  private readonly backoff = new Backoff(RECONNECT_BACKOFF);
  private endpointIndex: number;
  private sentSeqs: number[] = [];
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private sleepTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly endpoints: string[],
    private readonly nodeToken: string,
    private readonly agent: NodeAgent,
    private readonly journal: Journal,
    private readonly dataDir: string,
    private readonly log: Logger,
    private readonly onFatal: (message: string) => void,
  ) {
    // Nodes spread over the endpoints from the start.
    this.endpointIndex = Math.floor(Math.random() * endpoints.length);
    journal.onAppend(() => this.pump());
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.state = 'stopped';
    clearTimeout(this.sleepTimer);
    this.wake?.();
    this.call?.end();
    this.call?.cancel();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const endpoint = this.endpoints[this.endpointIndex % this.endpoints.length]!;
      this.endpointIndex++;
      const startedAt = Date.now();
      const err = await this.session(endpoint);
      if (!this.running) break;
      if (isFatal(err)) {
        this.onFatal(`the control plane at ${endpoint} refused this node: ${describe(err)}`);
        break;
      }
      if (Date.now() - startedAt > STABLE_SESSION_MS) this.backoff.reset();
      const delayMs = this.backoff.next();
      this.state = 'backing-off';
      this.log.warn({ endpoint, err: describe(err), retryInMs: delayMs }, 'control plane session lost; reconnecting');
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.sleepTimer = setTimeout(resolve, delayMs);
      });
    }
  }

  /** Resolves with the error that ended the session. */
  private session(endpoint: string): Promise<unknown> {
    this.state = 'connecting';
    const client = nodeClient(endpoint);
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${this.nodeToken}`);
    const call = client.Connect(metadata);
    this.call = call;
    this.sentSeqs = [];
    return new Promise<unknown>((resolve) => {
      let ended = false;
      const finish = (err: unknown) => {
        if (ended) return;
        ended = true;
        clearInterval(this.heartbeatTimer);
        this.call = undefined;
        call.cancel();
        client.close();
        resolve(err);
      };
      call.on('data', (message: ControlMessage__Output) => this.onMessage(message, endpoint));
      call.on('error', finish);
      call.on('end', () => finish(new Error('the control plane ended the session')));
      call.write({
        hello: {
          name: this.agent.identity.name,
          labels: this.agent.identity.labels,
          slots: this.agent.identity.slots,
          agentVersion: this.agent.identity.agentVersion,
          hostname: this.agent.identity.hostname,
          activeAttemptIds: this.agent.activeAttemptIds(),
        },
      });
    });
  }

  private onMessage(message: ControlMessage__Output, endpoint: string): void {
    switch (message.msg) {
      case 'welcome': {
        this.state = 'connected';
        this.log.info({ endpoint, nodeId: message.welcome!.nodeId }, 'control plane session open');
        const interval = Number(message.welcome!.heartbeatIntervalMs) || DEFAULT_HEARTBEAT_MS;
        clearInterval(this.heartbeatTimer);
        this.heartbeatTimer = setInterval(() => void this.heartbeat(), interval);
        void this.heartbeat();
        this.pump();
        return;
      }
      case 'assign':
        this.agent.assign(message.assign!);
        return;
      case 'cancel':
        this.agent.cancel(message.cancel!);
        return;
      case 'ack': {
        const seq = Number(message.ack!.seq);
        this.sentSeqs = this.sentSeqs.filter((s) => s > seq);
        void this.agent.acknowledged(this.journal.acknowledge(seq));
        this.pump();
        return;
      }
    }
  }

  /** Sends unacknowledged events, oldest first, up to the window. */
  private pump(): void {
    const call = this.call;
    if (!call || this.state !== 'connected') return;
    const room = OUTBOX_WINDOW - this.sentSeqs.length;
    if (room <= 0) return;
    const after = this.sentSeqs.length > 0 ? this.sentSeqs[this.sentSeqs.length - 1]! : 0;
    for (const event of this.journal.pending(after, room)) {
      this.sentSeqs.push(event.seq);
      call.write({ event: toWire(event) });
    }
  }

  private async heartbeat(): Promise<void> {
    const call = this.call;
    if (!call) return;
    const [docker, resources] = await Promise.all([this.agent.checkDocker(), readResources(this.dataDir).catch(() => undefined)]);
    if (this.call !== call) return;
    call.write({
      heartbeat: {
        ...(resources ? { resources } : {}),
        freeSlots: this.agent.freeSlots(),
        dockerHealthy: docker.healthy,
        dockerError: docker.error,
      },
    });
  }
}

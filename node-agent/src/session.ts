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
/**
 * Until a control plane has told it otherwise (and the told value is kept in
 * the journal), an agent stops its containers after this long without
 * contact: the default down-after (30s) less the default margin (10s).
 */
export const DEFAULT_STOP_AFTER_DISCONNECT_MS = 20_000;
/** SIGTERM to SIGKILL when the node stops its own containers after a cut-off. */
export const CUTOFF_STOP_GRACE_MS = 2_000;
const WATCHDOG_EVERY_MS = 250;
const STOP_AFTER_KEY = 'stop_after_disconnect_ms';
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
          reason: o.reason ?? '',
          ...(o.result ? { result: { ...o.result, attemptId: event.attemptId, patchBytes: 0 } } : {}),
          ...(o.patchBase64 ? { patch: Buffer.from(o.patchBase64, 'base64') } : {}),
          ...(o.progress ? { progress: o.progress } : {}),
        },
      };
    }
    case 'progress':
      return { ...base, progress: event.progress };
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
  /** The last time the control plane showed it had stored something of ours. */
  private lastContactMs = Date.now();
  private cutOff = false;
  private stopAfterMs: number;
  private watchdog: NodeJS.Timeout | undefined;
  private soonTimer: NodeJS.Timeout | undefined;

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
    this.stopAfterMs = Number(journal.getMeta(STOP_AFTER_KEY)) || DEFAULT_STOP_AFTER_DISCONNECT_MS;
    agent.onContainersRemoved = () => this.heartbeatSoon();
  }

  start(): void {
    this.running = true;
    this.lastContactMs = Date.now();
    this.watchdog = setInterval(() => this.checkContact(), WATCHDOG_EVERY_MS);
    this.loop = this.run();
  }

  /**
   * A node cut off from every replica for longer than its stop-after-
   * disconnect stops its containers itself: by then the control plane is
   * about to judge the node DOWN and run its tasks elsewhere, and two
   * attempts of a task must never run at once.
   */
  private checkContact(): void {
    const silentMs = Date.now() - this.lastContactMs;
    if (this.cutOff || silentMs <= this.stopAfterMs) return;
    this.cutOff = true;
    this.agent.stopAll(`node ${this.agent.identity.name} was cut off from the control plane for ${Math.round(silentMs / 1000)}s`, CUTOFF_STOP_GRACE_MS);
  }

  private contact(): void {
    this.lastContactMs = Date.now();
    if (this.cutOff) this.log.info('control plane reachable again');
    this.cutOff = false;
  }

  /** A heartbeat now rather than at the next interval (after containers went away). */
  heartbeatSoon(): void {
    clearTimeout(this.soonTimer);
    this.soonTimer = setTimeout(() => void this.heartbeat(), 100);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.state = 'stopped';
    clearInterval(this.watchdog);
    clearTimeout(this.soonTimer);
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
        this.contact();
        const stopAfter = Number(message.welcome!.stopAfterDisconnectMs);
        if (stopAfter > 0 && stopAfter !== this.stopAfterMs) {
          this.stopAfterMs = stopAfter;
          this.journal.setMeta(STOP_AFTER_KEY, String(stopAfter));
        }
        this.log.info({ endpoint, nodeId: message.welcome!.nodeId, stopAfterDisconnectMs: this.stopAfterMs }, 'control plane session open');
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
      case 'heartbeatAck':
        this.contact();
        return;
      case 'ack': {
        this.contact();
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
    const [docker, resources, containers] = await Promise.all([
      this.agent.checkDocker(),
      readResources(this.dataDir).catch(() => undefined),
      this.agent.fleetContainers(),
    ]);
    if (this.call !== call) return;
    call.write({
      heartbeat: {
        ...(resources ? { resources } : {}),
        freeSlots: this.agent.freeSlots(),
        dockerHealthy: docker.healthy,
        dockerError: docker.error,
        // Unknown (Docker down) counts as "some": a drain must not complete on a guess.
        fleetContainers: containers ?? Math.max(1, this.agent.runningAttempts),
        draining: this.agent.draining,
      },
    });
  }
}

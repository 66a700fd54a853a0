/**
 * One simulated node. Enrollment is the node agent's own `enroll` (the CA
 * found through the join token's pin, a key made here, a CSR traded for the
 * node certificate). The session speaks NodeService.Connect over mTLS with
 * that certificate as the agent's `Session` does (node-agent/src/session.ts):
 * a hello listing the attempts it holds, a heartbeat at once and then every
 * interval the Welcome names, attempt events numbered by the node and resent
 * from the oldest unacknowledged one on every session (64 in flight at
 * most), failover to the next endpoint with the agent's jittered backoff.
 * Messages go through the wire encoders and decoders of `common/wire`.
 *
 * What the agent does with Docker and its journal is replaced by memory: an
 * Assign is answered at once with `started` (a made-up container id) and
 * `finished` SUCCEEDED, exit code 0. A Cancel of an attempt that has not
 * finished finishes it CANCELLED, as the agent's runner reports a stop; a
 * Cancel of one it does not run changes nothing (the agent's reaper finds no
 * container). The node pulls images (`images_only` false), so any image may
 * be placed on it.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { Backoff } from '../../common/backoff.js';
import { ValidationError } from '../../common/errors.js';
import type { Assignment, AttemptEvent, AttemptOutcome, CancelOrder, ControlMessage, NodeMessage, NodeResources } from '../../common/model.js';
import { channelOptions, loadProtos } from '../../common/proto.js';
import { decodeControlMessage, encodeNodeMessage } from '../../common/wire/index.js';
import { enroll, isFatal, describe, RECONNECT_BACKOFF } from '../../node-agent/src/control-plane-client.js';
import { AGENT_PROTOCOL } from '../../common/protocol.js';
import type { Identity } from '../../node-agent/src/identity.js';
import { channelCredentials } from '../../node-agent/src/node-credentials.js';
import type { ControlMessage__Output } from '../../proto/gen/fleet/v1/ControlMessage.js';
import type { NodeMessage as NodeMessageMsg } from '../../proto/gen/fleet/v1/NodeMessage.js';
import type { NodeServiceClient } from '../../proto/gen/fleet/v1/NodeService.js';
import { countReason, nowMs, type AssignRecord, type OutcomeRecord, type SimCounters, type SimNodeSpec } from './protocol.js';

/** As the agent's session: events sent and not yet acknowledged, at most. */
const OUTBOX_WINDOW = 64;
/** As the agent's session: a session that stayed up this long resets the reconnect backoff. */
const STABLE_SESSION_MS = 10_000;
/** As the agent's session: until a Welcome names the interval. */
const DEFAULT_HEARTBEAT_MS = 5_000;
const AGENT_VERSION = 'load-bench';
const GIB = 1024 ** 3;

type NodeCall = grpc.ClientDuplexStream<NodeMessageMsg, ControlMessage__Output>;

/** Where a node's measurements and milestones go (the simulator process). */
export interface NodeObserver {
  readonly counters: SimCounters;
  assigned(record: AssignRecord): void;
  outcomeStored(record: OutcomeRecord): void;
  heartbeatAcked(sentAtMs: number, latencyMs: number): void;
  /** A session was welcomed; on the node's first Welcome, `connectMs` says how long after `start` that was. */
  welcomed(node: SimNode, atMs: number, connectMs: number | null): void;
  /** The session's first heartbeat was acknowledged: the node can be given work. */
  ready(node: SimNode): void;
  sessionLost(node: SimNode): void;
}

interface SimAttempt {
  taskId: string;
  finished: boolean;
}

export class SimNode {
  private identity: Identity | undefined;
  /** Attempts running or holding an outcome not yet acknowledged (the agent's active journal rows). */
  private readonly attempts = new Map<string, SimAttempt>();
  /** Attempts whose outcome was stored: a resent Assign for one is not run again. */
  private readonly done = new Set<string>();
  /** Events not yet acknowledged, oldest first; the first `sent` went out on this session. */
  private readonly outbox: AttemptEvent[] = [];
  private sent = 0;
  /** The outbox's sequence: events are numbered by the node, from 1, across sessions. */
  private lastSeq = 0;
  private call: NodeCall | undefined;
  private sessionEndpoint = '';
  private welcomedOnSession = false;
  private readyOnSession = false;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /** Send times of heartbeats awaiting their ack; acks come in order. */
  private readonly heartbeatsInFlight: number[] = [];
  private imagesSent = false;
  /** When `start` was called; null once the node has been welcomed. */
  private connectingSinceMs: number | null = null;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly backoff = new Backoff(RECONNECT_BACKOFF);
  private endpointIndex = 0;
  private sleepTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private firstReady: { resolve: () => void; reject: (err: Error) => void } | undefined;

  constructor(
    readonly spec: SimNodeSpec,
    private readonly slots: number,
    private readonly observer: NodeObserver,
  ) {}

  /** The endpoint of the welcomed session, if there is one. */
  get connectedTo(): string | undefined {
    return this.welcomedOnSession ? this.sessionEndpoint : undefined;
  }

  get nodeId(): string {
    return this.identity?.nodeId ?? '';
  }

  /** The agent's enrollment, retried as the agent retries it; `log` hears its warnings. */
  async enroll(log: Logger, signal: AbortSignal): Promise<void> {
    const { name } = this.spec;
    this.identity = await enroll(this.spec.endpoints, this.spec.joinToken, { name, labels: {}, slots: this.slots, hostname: name, agentVersion: AGENT_VERSION }, log, signal);
  }

  /** Starts the session loop; resolves once the first session is ready, rejects if the node is refused for good. */
  start(): Promise<void> {
    if (!this.identity) throw new Error(`node ${this.spec.name} is not enrolled`);
    this.running = true;
    this.connectingSinceMs = nowMs();
    const ready = new Promise<void>((resolve, reject) => (this.firstReady = { resolve, reject }));
    this.loop = this.run(this.identity);
    return ready;
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.sleepTimer);
    this.wake?.();
    this.call?.end();
    this.call?.cancel();
    await this.loop;
  }

  private async run(identity: Identity): Promise<void> {
    while (this.running) {
      const endpoint = this.spec.endpoints[this.endpointIndex % this.spec.endpoints.length]!;
      this.endpointIndex++;
      const startedAt = Date.now();
      const err = await this.session(endpoint, identity);
      if (!this.running) break;
      if (isFatal(err)) {
        this.running = false;
        this.firstReady?.reject(new Error(`node ${this.spec.name}: the control plane at ${endpoint} refused it: ${describe(err)}`));
        break;
      }
      if (Date.now() - startedAt > STABLE_SESSION_MS) this.backoff.reset();
      this.observer.counters.reconnects++;
      countReason(this.observer.counters.why, `session ended: ${describe(err)}`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.sleepTimer = setTimeout(resolve, this.backoff.next());
      });
    }
  }

  /** One session; resolves with the error that ended it. */
  private session(endpoint: string, identity: Identity): Promise<unknown> {
    const { fleet } = loadProtos();
    const credentials = channelCredentials(identity.caPem, { certPem: identity.certPem, keyPem: identity.keyPem });
    // Each node its own connection, as on separate machines.
    const client = new fleet.fleet.v1.NodeService(endpoint, credentials, { ...channelOptions(endpoint), 'grpc.use_local_subchannel_pool': 1 }) as NodeServiceClient;
    const call = client.Connect();
    this.call = call;
    this.sessionEndpoint = endpoint;
    this.sent = 0;
    this.welcomedOnSession = false;
    this.readyOnSession = false;
    this.heartbeatsInFlight.length = 0;
    this.imagesSent = false;
    return new Promise<unknown>((resolve) => {
      let ended = false;
      const finish = (err: unknown) => {
        if (ended) return;
        ended = true;
        clearInterval(this.heartbeatTimer);
        if (this.welcomedOnSession) this.observer.sessionLost(this);
        this.welcomedOnSession = false;
        this.call = undefined;
        call.cancel();
        client.close();
        resolve(err);
      };
      call.on('data', (message: ControlMessage__Output) => this.onMessage(call, message));
      call.on('error', finish);
      call.on('end', () => finish(new Error('the control plane ended the session')));
      const { name } = this.spec;
      this.write(call, { kind: 'hello', hello: { name, labels: {}, slots: this.slots, agentVersion: AGENT_VERSION, hostname: name, activeAttemptIds: [...this.attempts.keys()], protocolVersion: AGENT_PROTOCOL } });
    });
  }

  private write(call: NodeCall, message: NodeMessage): void {
    call.write(encodeNodeMessage(message));
  }

  private onMessage(call: NodeCall, raw: ControlMessage__Output): void {
    let message: ControlMessage;
    try {
      message = decodeControlMessage(raw);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      this.observer.counters.unreadableMessages++;
      countReason(this.observer.counters.why, `unreadable ${raw.msg ?? 'message'}: ${err.message}`);
      return;
    }
    switch (message.kind) {
      case 'welcome': {
        this.welcomedOnSession = true;
        const atMs = nowMs();
        this.observer.welcomed(this, atMs, this.connectingSinceMs === null ? null : atMs - this.connectingSinceMs);
        this.connectingSinceMs = null;
        clearInterval(this.heartbeatTimer);
        this.heartbeatTimer = setInterval(() => this.heartbeat(call), message.welcome.heartbeatIntervalMs || DEFAULT_HEARTBEAT_MS);
        this.heartbeat(call);
        this.pump();
        return;
      }
      case 'assign':
        this.assign(message.assign);
        return;
      case 'cancel':
        this.cancel(message.cancel);
        return;
      case 'heartbeat-ack': {
        const sentAtMs = this.heartbeatsInFlight.shift();
        if (sentAtMs === undefined) return;
        this.observer.heartbeatAcked(sentAtMs, nowMs() - sentAtMs);
        if (!this.readyOnSession) this.becameReady();
        return;
      }
      case 'ack':
        this.acknowledged(message.seq);
        return;
      case 'certificate':
        // Only sent in answer to a renewal, which a bench node (certificates of days) never asks for.
        return;
    }
  }

  /** The session's first heartbeat was acknowledged. */
  private becameReady(): void {
    this.readyOnSession = true;
    this.observer.ready(this);
    this.firstReady?.resolve();
    this.firstReady = undefined;
  }

  /** As the agent's heartbeat, with a machine that never changes and Docker always answering. */
  private heartbeat(call: NodeCall): void {
    if (this.call !== call) return;
    const running = [...this.attempts.values()].filter((a) => !a.finished).length;
    this.heartbeatsInFlight.push(nowMs());
    this.write(call, {
      kind: 'heartbeat',
      heartbeat: {
        resources: this.resources(running),
        freeSlots: Math.max(0, this.slots - running),
        dockerHealthy: true,
        prefetched: [],
        repoKeys: null,
        dockerError: '',
        // Containers running or awaiting removal (their outcome not yet acknowledged).
        fleetContainers: this.attempts.size,
        draining: false,
        diskPressure: '',
        declined: [],
        imagesOnly: false,
        // The image list goes with the first heartbeat of a session: a node that pulls lists none.
        images: this.imagesSent ? null : [],
      },
    });
    this.imagesSent = true;
  }

  private resources(running: number): NodeResources {
    return { cpus: this.slots, loadPercent: (100 * running) / this.slots, memoryTotalBytes: 16 * GIB, memoryUsedBytes: 2 * GIB, diskTotalBytes: 200 * GIB, diskUsedBytes: 40 * GIB };
  }

  private assign(assignment: Assignment): void {
    const { taskId, attemptId } = assignment;
    if (this.attempts.has(attemptId) || this.done.has(attemptId)) {
      this.observer.counters.duplicateAssigns++;
      return;
    }
    this.observer.assigned({ taskId, attemptId, nodeId: this.nodeId, atMs: nowMs() });
    this.attempts.set(attemptId, { taskId, finished: false });
    this.queue({ seq: ++this.lastSeq, taskId, attemptId, atMs: Date.now(), kind: 'started', containerId: `sim-${attemptId}` });
    this.finish(attemptId, taskId, { state: 'SUCCEEDED', exitCode: 0, error: '' });
  }

  private cancel(order: CancelOrder): void {
    this.observer.counters.cancels++;
    const attempt = this.attempts.get(order.attemptId);
    if (!attempt || attempt.finished) return;
    this.finish(order.attemptId, attempt.taskId, { state: 'CANCELLED', error: order.reason || 'cancelled', failureKind: 'INFRASTRUCTURE' });
  }

  private finish(attemptId: string, taskId: string, outcome: AttemptOutcome): void {
    this.attempts.get(attemptId)!.finished = true;
    this.queue({ seq: ++this.lastSeq, taskId, attemptId, atMs: Date.now(), kind: 'finished', outcome, patch: new Uint8Array(0) });
  }

  /** Keeps the event until it is acknowledged (the journal's outbox), and sends it if the window allows. */
  private queue(event: AttemptEvent): void {
    this.outbox.push(event);
    this.pump();
  }

  /** Sends unacknowledged events, oldest first, up to the window; only after the Welcome. */
  private pump(): void {
    const call = this.call;
    if (!call || !this.welcomedOnSession) return;
    while (this.sent < this.outbox.length && this.sent < OUTBOX_WINDOW) this.write(call, { kind: 'event', event: this.outbox[this.sent++]! });
  }

  /** Every event up to `seq` is stored: a stored outcome ends the attempt here. */
  private acknowledged(seq: number): void {
    let count = 0;
    while (count < this.outbox.length && this.outbox[count]!.seq <= seq) count++;
    const acked = this.outbox.splice(0, count);
    this.sent = Math.max(0, this.sent - count);
    const atMs = nowMs();
    for (const event of acked) {
      if (event.kind !== 'finished') continue;
      this.attempts.delete(event.attemptId);
      this.done.add(event.attemptId);
      this.observer.outcomeStored({ attemptId: event.attemptId, state: event.outcome.state, atMs });
    }
    this.pump();
  }
}

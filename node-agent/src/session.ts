/**
 * The node's session with the control plane: one bidi stream to one replica
 * at a time, moved to the next endpoint and retried with backoff and jitter
 * when it breaks. Each session starts with a hello that lists the attempts
 * this node holds; then the outbox is replayed from the oldest
 * unacknowledged event, a bounded window at a time. Messages are encoded and
 * decoded at the wire boundary (`common/wire`); the cut-off stop is the
 * `CutoffWatchdog`'s. Sessions are TLS with the node's client certificate
 * (`NodeCredentials`), which is renewed over the session when it is due.
 */
import * as grpc from '@grpc/grpc-js';
import { Backoff } from '../../common/backoff.js';
import { systemClock } from '../../common/clock.js';
import { ValidationError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { EMPTY_RESOURCES, type ControlMessage, type NodeMessage, type PreviousExit, type RestartAnswer, type RestartOrder } from '../../common/model.js';
import { decodeAssignRef, decodeControlMessage, encodeNodeMessage } from '../../common/wire/index.js';
import type { ControlMessage__Output } from '../../proto/gen/fleet/v1/ControlMessage.js';
import type { NodeMessage as NodeMessageMsg } from '../../proto/gen/fleet/v1/NodeMessage.js';
import type { NodeAgent } from './agent.js';
import { Progress } from '../../common/self-check.js';
import { describe, isFatal, isRefused, nodeClient, RECONNECT_BACKOFF, REFUSED_BACKOFF } from './control-plane-client.js';
import { AGENT_PROTOCOL } from '../../common/protocol.js';
import { CutoffWatchdog } from './cutoff.js';
import type { Journal } from './journal.js';
import type { NodeCredentials } from './node-credentials.js';
import type { ProviderPermits } from './provider-permits.js';
import type { TeamBudgets } from './team-budgets.js';

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
const STOP_AFTER_KEY = 'stop_after_disconnect_ms';
/** The restart request this process ends for: the next one names it in its hello. */
export const RESTART_REQUEST_KEY = 'restart_request_id';
/** After a renewed certificate was refused, or a request could not be made. */
const RENEWAL_RETRY_MS = 3_000;
/** A session that stayed up this long resets the reconnect backoff. */
const STABLE_SESSION_MS = 10_000;
/** The self-check: an open session that has sent no heartbeat for this many intervals is stuck. */
const HEARTBEAT_SILENCE_INTERVALS = 3;
/** The self-check: an event the pump could have sent, left unsent this long on an open session, means the pump is stuck. */
const OUTBOX_STUCK_MS = 30_000;

/** `refused`: the control plane refuses this agent until one side is upgraded (see `refusal`). */
export type SessionState = 'connecting' | 'connected' | 'backing-off' | 'refused' | 'stopped';

export class Session {
  state: SessionState = 'connecting';
  private running = false;
  private call: grpc.ClientDuplexStream<NodeMessageMsg, ControlMessage__Output> | undefined;
  private readonly backoff = new Backoff(RECONNECT_BACKOFF);
  private readonly refusedBackoff = new Backoff(REFUSED_BACKOFF);
  /** Why the control plane refuses this agent ("" while it does not): what to upgrade. */
  refusal = '';
  private endpointIndex: number;
  private sentSeqs: number[] = [];
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private sleepTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private soonTimer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private readonly cutoff: CutoffWatchdog;
  /** Heartbeats sent and acknowledged on this session, to know which declines reached the control plane. */
  private heartbeatsSent = 0;
  private heartbeatsAcked = 0;
  /** The image list as last sent on this session. */
  private imagesSent = '';
  /** The repository keys last sent in this session (null: none yet, so the next heartbeat carries them). */
  private repoKeysSent: string | null = null;
  private readonly declinesInHeartbeat = new Map<number, string[]>();
  /**
   * For the self-check: heartbeats go out while a session is open. A control
   * plane that cannot be reached is not this daemon's fault (a restart would
   * not help), so while no session is open this is not judged.
   */
  readonly heartbeats = new Progress('heartbeats', HEARTBEAT_SILENCE_INTERVALS * DEFAULT_HEARTBEAT_MS, Date.now, false);
  private connectedAtMs = 0;

  constructor(
    private readonly endpoints: string[],
    private readonly credentials: NodeCredentials,
    private readonly agent: NodeAgent,
    private readonly journal: Journal,
    private readonly log: Logger,
    private readonly onFatal: (message: string) => void,
    private readonly options: {
      /** How the previous process ended: said in hellos until one is welcomed. */
      previousExit?: PreviousExit | null;
      /** An operator asked for a restart: the answer to send, and what to do once it is on its way (see main.ts). */
      onRestart?: (order: RestartOrder) => { answer: RestartAnswer; then?: () => void };
      /** A session ended (or could not open) and another is tried after the backoff (metrics). */
      onReconnect?: () => void;
      /** The control plane refuses this agent until one side is upgraded: said once per reason (main prints it plainly). */
      onRefused?: (endpoint: string, reason: string) => void;
      /** Rate permits for the gateway: asked for on the open session (`provider-permits.ts`). */
      permits?: ProviderPermits;
      /** Teams' spend, reported on the open session, and whose budgets are gone (`team-budgets.ts`). */
      teamBudgets?: TeamBudgets;
    } = {},
  ) {
    // Nodes spread over the endpoints from the start.
    this.endpointIndex = Math.floor(Math.random() * endpoints.length);
    journal.onAppend(() => this.pump());
    this.cutoff = new CutoffWatchdog(
      Number(journal.getMeta(STOP_AFTER_KEY)) || DEFAULT_STOP_AFTER_DISCONNECT_MS,
      {
        cutOff: (silentMs) => agent.stopAll(`node ${agent.identity.name} was cut off from the control plane for ${Math.round(silentMs / 1000)}s`, CUTOFF_STOP_GRACE_MS),
        restored: () => log.info('control plane reachable again'),
      },
      systemClock,
    );
    agent.onNewsForControlPlane = () => this.heartbeatSoon();
    agent.cutOff = () => this.cutoff.silentTooLong();
  }

  start(): void {
    this.running = true;
    this.cutoff.start();
    this.loop = this.run();
  }

  /** A heartbeat now rather than at the next interval (after containers went away). */
  heartbeatSoon(): void {
    clearTimeout(this.soonTimer);
    this.soonTimer = setTimeout(() => void this.heartbeat(true), 100);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.state = 'stopped';
    this.heartbeats.pause();
    this.cutoff.stop();
    clearTimeout(this.soonTimer);
    clearTimeout(this.renewTimer);
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
      if (isRefused(err)) {
        // Until an upgrade: tried again rarely, said once per reason, not logged at every try.
        const reason = describe(err);
        const delayMs = this.refusedBackoff.next();
        this.state = 'refused';
        this.options.onReconnect?.();
        if (reason !== this.refusal) {
          this.refusal = reason;
          this.log.error({ endpoint, reason, retryInMs: delayMs }, 'the control plane refuses this agent until one side is upgraded; trying again now and then');
          this.options.onRefused?.(endpoint, reason);
        } else {
          this.log.info({ endpoint, retryInMs: delayMs }, 'still refused by the control plane');
        }
        await this.sleep(delayMs);
        continue;
      }
      if (Date.now() - startedAt > STABLE_SESSION_MS) this.backoff.reset();
      const delayMs = this.backoff.next();
      this.state = 'backing-off';
      this.options.onReconnect?.();
      this.log.warn({ endpoint, err: describe(err), retryInMs: delayMs }, 'control plane session lost; reconnecting');
      await this.sleep(delayMs);
    }
  }

  private sleep(delayMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      this.sleepTimer = setTimeout(resolve, delayMs);
    });
  }

  /** Resolves with the error that ended the session. */
  private session(endpoint: string): Promise<unknown> {
    this.state = 'connecting';
    const client = nodeClient(endpoint, this.credentials.channel());
    this.credentials.renewalLost();
    const call = client.Connect();
    this.call = call;
    this.sentSeqs = [];
    this.heartbeatsSent = 0;
    this.heartbeatsAcked = 0;
    this.declinesInHeartbeat.clear();
    this.imagesSent = '';
    this.repoKeysSent = null;
    return new Promise<unknown>((resolve) => {
      let ended = false;
      const finish = (err: unknown) => {
        if (ended) return;
        ended = true;
        this.heartbeats.pause();
        clearInterval(this.heartbeatTimer);
        clearTimeout(this.renewTimer);
        this.options.permits?.disconnect();
        this.options.teamBudgets?.disconnect();
        this.call = undefined;
        call.cancel();
        client.close();
        resolve(err);
      };
      call.on('data', (message: ControlMessage__Output) => this.onMessage(message, endpoint));
      call.on('error', finish);
      call.on('end', () => finish(new Error('the control plane ended the session')));
      const { name, labels, slots, agentVersion, hostname } = this.agent.identity;
      const previousExit = this.options.previousExit ?? null;
      this.write(call, { kind: 'hello', hello: { name, labels, slots, agentVersion, hostname, activeAttemptIds: this.agent.activeAttemptIds(), previousExit, protocolVersion: AGENT_PROTOCOL } });
    });
  }

  private write(call: grpc.ClientDuplexStream<NodeMessageMsg, ControlMessage__Output>, message: NodeMessage): void {
    call.write(encodeNodeMessage(message));
  }

  /**
   * Gives back an Assign this node cannot read. One whose ids are not ids
   * (the control plane makes none) cannot be named back, nor journaled, as
   * an attempt id becomes a path: it is only logged, and nothing is written.
   */
  private refuseAssign(assign: NonNullable<ControlMessage__Output['assign']>, problem: string): void {
    let ref: { taskId: string; attemptId: string };
    try {
      ref = decodeAssignRef(assign);
    } catch (err) {
      if (err instanceof ValidationError) return;
      throw err;
    }
    this.agent.refuse(ref, problem, assign.spec?.cline ? 'cline' : 'plain');
  }

  private onMessage(raw: ControlMessage__Output, endpoint: string): void {
    let message: ControlMessage;
    try {
      message = decodeControlMessage(raw);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      this.log.warn({ endpoint, msg: raw.msg, err: err.message }, 'unreadable message from the control plane');
      // An attempt this node cannot read is given back, so that its task goes on elsewhere.
      if (raw.msg === 'assign' && raw.assign) this.refuseAssign(raw.assign, err.message);
      return;
    }
    switch (message.kind) {
      case 'welcome': {
        const { welcome } = message;
        this.state = 'connected';
        this.connectedAtMs = Date.now();
        if (this.refusal) this.log.info({ endpoint, was: this.refusal }, 'the control plane accepts this agent now');
        this.refusal = '';
        this.refusedBackoff.reset();
        this.heartbeats.resume();
        this.cutoff.contact();
        if (welcome.stopAfterDisconnectMs > 0 && welcome.stopAfterDisconnectMs !== this.cutoff.stopAfterDisconnectMs) {
          this.cutoff.setStopAfter(welcome.stopAfterDisconnectMs);
          this.journal.setMeta(STOP_AFTER_KEY, String(welcome.stopAfterDisconnectMs));
        }
        this.log.info({ endpoint, nodeId: welcome.nodeId, stopAfterDisconnectMs: this.cutoff.stopAfterDisconnectMs, agentProtocol: AGENT_PROTOCOL, controlPlaneProtocol: welcome.protocolVersion }, 'control plane session open');
        // The control plane has stored how the previous process ended (and the restart it ended for): said once.
        if (this.options.previousExit) {
          this.options.previousExit = null;
          this.journal.setMeta(RESTART_REQUEST_KEY, '');
        }
        clearInterval(this.heartbeatTimer);
        const intervalMs = welcome.heartbeatIntervalMs || DEFAULT_HEARTBEAT_MS;
        this.heartbeats.maxSilenceMs = HEARTBEAT_SILENCE_INTERVALS * intervalMs;
        this.heartbeatTimer = setInterval(() => void this.heartbeat(), intervalMs);
        void this.heartbeat(true);
        if (this.call) {
          this.scheduleRenewal(this.call);
          const call = this.call;
          this.options.permits?.connect((ask) => {
            if (this.call !== call) return false;
            this.write(call, { kind: 'permit-ask', ask });
            return true;
          });
          this.options.teamBudgets?.connect((report) => {
            if (this.call !== call) return false;
            this.write(call, { kind: 'team-spend', report });
            return true;
          });
        }
        this.pump();
        return;
      }
      case 'permit-grant':
        this.options.permits?.answered(message.grant);
        return;
      case 'team-spend-ack':
        this.options.teamBudgets?.answered(message.reportId, message.uncountedAttempts);
        return;
      case 'team-budgets':
        this.options.teamBudgets?.told(message.spent);
        return;
      case 'assign':
        this.agent.assign(message.assign);
        return;
      case 'cancel':
        this.agent.cancel(message.cancel);
        return;
      case 'restart': {
        const { answer, then } = this.options.onRestart?.(message.restart) ?? { answer: { requestId: message.restart.requestId, accepted: false, reason: 'this agent cannot restart itself' } };
        // The answer goes out before the session closes for the restart.
        if (this.call) this.call.write(encodeNodeMessage({ kind: 'restart-answer', answer }), () => then?.());
        else then?.();
        return;
      }
      case 'heartbeat-ack':
        this.cutoff.contact();
        this.heartbeatStored();
        this.agent.prefetcher.want(message.prefetchImages);
        return;
      case 'certificate':
        try {
          const { expiresAtMs } = this.credentials.accept(message.certificatePem);
          this.log.info({ expiresAt: new Date(expiresAtMs).toISOString() }, 'node certificate renewed');
          if (this.call) this.scheduleRenewal(this.call);
        } catch (err) {
          // Asked again on this session: waiting for the next would mean waiting for the certificate to expire.
          this.credentials.renewalLost();
          this.log.error({ err: (err as Error).message, retryInMs: RENEWAL_RETRY_MS }, 'renewed certificate refused; asking again');
          if (this.call) this.scheduleRenewal(this.call, RENEWAL_RETRY_MS);
        }
        return;
      case 'ack': {
        this.cutoff.contact();
        this.sentSeqs = this.sentSeqs.filter((s) => s > message.seq);
        void this.agent.acknowledged(this.journal.acknowledge(message.seq));
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
      this.write(call, { kind: 'event', event });
    }
  }

  /**
   * Sends a heartbeat now with the node's latest facts, and has them measured
   * again for the next one: a slow Docker or a slow `df` must not delay the
   * heartbeat, since its acknowledgement is what keeps the node's containers
   * running (the cut-off). `fresh` waits for a new measurement first (the
   * first heartbeat, or containers just removed while a drain waits).
   */
  private async heartbeat(fresh = false): Promise<void> {
    const call = this.call;
    if (!call) return;
    const measuring = this.agent.measure();
    if (fresh) await measuring;
    if (this.call !== call) return;
    const { docker, resources, containers, diskPressure, images } = this.agent.facts;
    const declined = this.agent.declinedAttempts();
    // Heartbeats are acknowledged in order: the one numbered `sent` carries these declines.
    if (declined.length > 0) this.declinesInHeartbeat.set(this.heartbeatsSent + 1, declined.map((d) => d.attemptId));
    this.heartbeatsSent += 1;
    this.heartbeats.beat();
    // The image list goes with the first heartbeat of a session and whenever it changes: it can be long.
    const imagesKey = `${images.imagesOnly}:${images.images.join('\n')}`;
    const imagesChanged = imagesKey !== this.imagesSent;
    this.imagesSent = imagesKey;
    // Likewise the warm repositories' keys: a heartbeat stays small while they stand still.
    const repoKeys = this.agent.repoKeys();
    const repoKeysKey = repoKeys.join(',');
    const repoKeysChanged = repoKeysKey !== this.repoKeysSent;
    this.repoKeysSent = repoKeysKey;
    this.write(call, {
      kind: 'heartbeat',
      heartbeat: {
        resources: resources ?? { ...EMPTY_RESOURCES },
        freeSlots: this.agent.freeSlots(),
        dockerHealthy: docker.healthy,
        dockerError: docker.error,
        // Unknown (Docker down) counts as "some": a drain must not complete on a guess.
        fleetContainers: containers ?? Math.max(1, this.agent.runningAttempts),
        draining: this.agent.draining,
        diskPressure,
        declined,
        imagesOnly: images.imagesOnly,
        images: imagesChanged ? images.images : null,
        prefetched: this.agent.prefetcher.held(),
        repoKeys: repoKeysChanged ? repoKeys : null,
      },
    });
  }

  /**
   * The self-check of the outbox pump: on a session open long enough to
   * have sent everything, with room in its window, an event that has waited
   * unsent for OUTBOX_STUCK_MS means the pump stopped. Events sent and not
   * yet acknowledged are the control plane's pace, not a fault here.
   */
  outboxProblem(nowMs: number): string | null {
    if (this.state !== 'connected' || nowMs - this.connectedAtMs < OUTBOX_STUCK_MS) return null;
    if (this.sentSeqs.length >= OUTBOX_WINDOW) return null;
    const after = this.sentSeqs.length > 0 ? this.sentSeqs[this.sentSeqs.length - 1]! : 0;
    const [next] = this.journal.pending(after, 1);
    if (!next || nowMs - next.atMs < OUTBOX_STUCK_MS) return null;
    return `outbox: event ${next.seq} has waited ${Math.round((nowMs - next.atMs) / 1000)}s unsent on an open session`;
  }

  /** Arms the renewal of the node certificate at its due time, on this session. */
  private scheduleRenewal(call: grpc.ClientDuplexStream<NodeMessageMsg, ControlMessage__Output>, atLeastMs = 0): void {
    clearTimeout(this.renewTimer);
    this.renewTimer = setTimeout(() => void this.renewIfDue(call), Math.min(Math.max(atLeastMs, this.credentials.renewAtMs - Date.now()), 2 ** 31 - 1));
  }

  /** Asks for a new certificate over this session when the current one is due. */
  private async renewIfDue(call: grpc.ClientDuplexStream<NodeMessageMsg, ControlMessage__Output>): Promise<void> {
    if (this.call !== call) return;
    if (Date.now() < this.credentials.renewAtMs) {
      this.scheduleRenewal(call);
      return;
    }
    try {
      const csrPem = await this.credentials.renewalRequest();
      if (csrPem === null || this.call !== call) return;
      this.log.info({ expiresAt: new Date(this.credentials.expiresAtMs).toISOString() }, 'renewing the node certificate');
      this.write(call, { kind: 'renew', csrPem });
    } catch (err) {
      this.credentials.renewalLost();
      this.log.error({ err: (err as Error).message, retryInMs: RENEWAL_RETRY_MS }, 'could not make a certificate request');
      this.scheduleRenewal(call, RENEWAL_RETRY_MS);
    }
  }

  /** A heartbeat was stored: the declines it carried have reached the control plane. */
  private heartbeatStored(): void {
    this.heartbeatsAcked += 1;
    const ids = this.declinesInHeartbeat.get(this.heartbeatsAcked);
    if (!ids) return;
    this.declinesInHeartbeat.delete(this.heartbeatsAcked);
    this.agent.forgetDeclined(ids);
  }
}

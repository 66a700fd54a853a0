/**
 * One node's session on this replica: the control-plane end of
 * NodeService.Connect. This file handles the stream: the hello that must
 * come first and only once, messages decoded at the wire boundary and handled
 * one at a time in order, acknowledgements, and the end of the session.
 * What the node reports is applied by `NodeReports`; what it is told to run
 * or stop comes from `Delivery`.
 *
 * Events are acknowledged cumulatively, and only after their effect is
 * stored; an error ends the session without an ack, so the agent resends
 * them on its next connection. Heartbeats have a lane of their own: their
 * acknowledgement is what keeps the node from stopping its containers (the
 * cut-off), so it must not wait behind a burst of task events.
 */
import { randomUUID } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { AuthError, errorMessage, FleetError, UnavailableError, ValidationError } from '../../../common/errors.js';
import type { Logger } from '../../../common/logger.js';
import type { AttemptEvent, ControlMessage, NodeMessage, NodeRecord, PermitRequest } from '../../../common/model.js';
import { MAX_CONCURRENT_CALLS } from '../../../common/task-spec.js';
import { decodeAttemptEvent, decodeEventRef, decodeHeartbeat, decodeHello, decodeNodeMessage, decodeRestartAnswer, encodeControlMessage } from '../../../common/wire/index.js';
import type { AttemptEvent__Output } from '../../../proto/gen/fleet/v1/AttemptEvent.js';
import type { ControlMessage as ControlMessageMsg } from '../../../proto/gen/fleet/v1/ControlMessage.js';
import type { NodeMessage__Output } from '../../../proto/gen/fleet/v1/NodeMessage.js';
import { toGrpcStatus } from '../grpc-status.js';
import { AGENT_PROTOCOL, agentProtocol, agentProtocolRefusal, describeAccepted, ProtocolSkewError } from '../../../common/protocol.js';
import type { Nodes } from '../nodes.js';
import type { Admission } from './admission.js';
import { Delivery, type DeliveryDeps } from './delivery.js';
import type { ProviderRates } from '../provider-rates.js';
import type { Teams } from '../teams.js';
import { TEAM_BUDGETS_PROTOCOL } from '../../../common/protocol.js';
import { joinsRun, NodeReports, type ReportDeps, type ReportVerdict, type RunEvent } from './reports.js';

export const HELLO_TIMEOUT_MS = 10_000;
export const DEFAULT_CANCEL_GRACE_MS = 10_000;
/** Renewals on one session are at least this far apart (agents renew once per certificate, at 70-90% of its life). */
export const MIN_RENEWAL_GAP_MS = 2_000;
/** Hellos stored at once on a replica, and waiting for their turn. */
export const HELLO_CONCURRENCY = 64;
export const HELLO_QUEUE = 20_000;

export interface SessionDeps extends ReportDeps, DeliveryDeps {
  nodes: Nodes;
  log: Logger;
  heartbeatIntervalMs: number;
  stopAfterDisconnectMs: number;
  /** This replica's word on its nodes' liveness counts now (`ReplicaRegistry.vouching`). */
  vouching: (now: number) => boolean;
  /** Hellos writing their node records at once, bounded (a replica's restart brings every node back together). */
  hellos: Admission;
  /** Images nodes are to fetch ahead (a rollout's canary), told with every heartbeat ack. */
  prefetch: () => string[];
  /** Rate permits for providers with fleet-wide limits (`provider-rates.ts`). */
  rates: Pick<ProviderRates, 'ask'>;
  /** Teams' spend (reported by gateways) and whose budget is gone (told to them). */
  teams: Pick<Teams, 'report' | 'spent' | 'onSpentChange' | 'settings'>;
}

/** Model calls one attempt may have waiting for permits, at most (the gateway's own cap on calls in flight). */
export const MAX_PERMITS_PER_ATTEMPT = MAX_CONCURRENT_CALLS;

type Call = grpc.ServerDuplexStream<NodeMessage__Output, ControlMessageMsg>;

export class NodeSession {
  readonly sessionId = randomUUID();
  private queue: Promise<void> = Promise.resolve();
  /** Events waiting for their turn in the queue, to be handled together; null when the next event starts a batch. */
  private eventBatch: AttemptEvent__Output[] | null = null;
  private heartbeats: Promise<void> = Promise.resolve();
  private closed = false;
  private unsubscribe: (() => void) | undefined;
  private readonly log: Logger;
  private readonly reports: NodeReports;
  private readonly delivery: Delivery;
  private expiryTimer: NodeJS.Timeout | undefined;
  /** The hello was stored and answered: only then may the node ask for a certificate. */
  private welcomed = false;
  private renewing = false;
  private lastRenewalAtMs = 0;
  /** When the node was welcomed or last sent a heartbeat. */
  private lastHeardMs = Date.now();
  /** Closed because this replica stops (see `close`). */
  private handedOver = false;
  /** The restart request last sent on this session: each is sent once. */
  private restartSent = '';
  /** Providers with an ask of this node's being counted; the value is the next ask, merged from those that came meanwhile. */
  private readonly permitAsks = new Map<string, PermitRequest | null>();
  /** Teams whose tasks this node has run during the session: the spent budgets it is told of. */
  private readonly teamsSeen = new Set<string>();
  private unsubscribeBudgets: (() => void) | undefined;
  /** Team spend reports have a lane of their own: counting one must not wait behind task events, nor they behind it. */
  private spendLane: Promise<void> = Promise.resolve();
  /** The last spend reports answered, by id, with their answers: one sent again (its answer was late) is answered, not counted again. */
  private readonly spendAnswered = new Map<number, string[]>();

  constructor(
    readonly nodeId: string,
    private readonly call: Call,
    private readonly deps: SessionDeps,
    /** When the certificate the session was opened with expires; renewals extend it. */
    private validUntilMs: number,
  ) {
    this.log = deps.log.child({ nodeId, sessionId: this.sessionId });
    this.armExpiry();
    this.reports = new NodeReports(nodeId, deps, this.log);
    this.delivery = new Delivery(nodeId, deps, (message) => this.send(message), this.log);
  }

  /** Runs the session until the stream ends. */
  async run(): Promise<void> {
    const ended = new Promise<void>((resolve) => {
      this.call.on('end', resolve);
      this.call.on('error', resolve);
      this.call.on('close', resolve);
      this.call.on('cancelled', resolve);
    });
    const helloTimer = setTimeout(() => this.fail(new ValidationError('hello', `not received within ${HELLO_TIMEOUT_MS}ms`)), HELLO_TIMEOUT_MS);
    let greeted = false;
    this.call.on('data', (message: NodeMessage__Output) => {
      if (!greeted) {
        if (message.msg !== 'hello' || !message.hello) {
          this.fail(new ValidationError('msg', 'the first message of a session must be hello'));
          return;
        }
        greeted = true;
        clearTimeout(helloTimer);
      } else if (message.msg === 'hello') {
        // One hello per session: a second would subscribe and reconcile again.
        this.fail(new ValidationError('msg', 'hello was already sent on this session; reconnect to say it again'));
        return;
      }
      if (message.msg === 'heartbeat') this.lastHeardMs = Date.now();
      if (message.msg === 'heartbeat') this.heartbeats = this.heartbeats.then(() => this.handle(message)).catch((err: unknown) => this.fail(err));
      else if (message.msg === 'renew') void this.onRenew(message).catch((err: unknown) => this.fail(err));
      // Asks for permits have a lane of their own: a call waiting for one must not wait behind task events.
      else if (message.msg === 'permitAsk') this.onPermitAsk(message);
      else if (message.msg === 'teamSpend') this.spendLane = this.spendLane.then(() => this.onTeamSpend(message)).catch((err: unknown) => this.fail(err));
      else if (message.msg === 'event') this.enqueueEvent(message.event!);
      else {
        // Events after this message wait for it.
        this.eventBatch = null;
        this.enqueue(() => this.handle(message));
      }
    });
    await ended;
    clearTimeout(helloTimer);
    clearTimeout(this.expiryTimer);
    this.closed = true;
    this.unsubscribe?.();
    this.unsubscribeBudgets?.();
    if (greeted) {
      await Promise.all([this.queue.catch(() => {}), this.heartbeats.catch(() => {}), this.spendLane.catch(() => {})]);
      // A replica that stops writes nothing per node: the leader judges its nodes from its last registration, as for any replica gone.
      if (!this.handedOver) await this.deps.nodes.sessionClosed(this.nodeId, this.sessionId, this.lastHeardMs).catch((err: unknown) => this.log.warn({ err: errorMessage(err) }, 'node status not updated'));
    }
    this.log[this.handedOver ? 'debug' : 'info']('node session closed');
  }

  /**
   * Ends the session from our side: another session of the node arrived, or
   * (`handOver`) this replica is stopping and the node is to reconnect to
   * another; then its record is left as it is, so a replica with ten
   * thousand nodes stops in a moment instead of writing ten thousand records.
   */
  close(handOver = false): void {
    this.handedOver ||= handOver;
    if (!this.closed) this.call.end();
  }

  /**
   * Ends the session if the node has been silent for `silentAfterMs`: the
   * node is DISCONNECTED from its last heartbeat on, and the leader judges
   * it from there (this replica no longer vouches for it).
   */
  expireIfSilent(now: number, silentAfterMs: number): void {
    // Before the welcome, the hello timeout (and the hello's turn in admission) decide.
    if (!this.welcomed) return;
    const silentMs = now - this.lastHeardMs;
    if (silentMs > silentAfterMs) this.fail(new UnavailableError(`no heartbeat for ${Math.round(silentMs / 1000)}s: the session is closed; reconnect`));
  }

  /** The node was revoked: the session ends now, refused. */
  revoke(): void {
    this.fail(new AuthError(`node ${this.nodeId} was revoked: its certificates are refused for good`));
  }

  /**
   * A session lives no longer than the node's newest certificate: a node
   * that stopped renewing (or was given no new certificate) is cut off when
   * its certificate expires, as it would be refused on reconnecting.
   */
  private armExpiry(): void {
    clearTimeout(this.expiryTimer);
    const leftMs = this.validUntilMs - Date.now();
    if (leftMs <= 0) {
      this.fail(new AuthError('the node certificate expired during the session: the agent renews it at 70-90% of its life; check its log, or enroll it again with a new join token'));
      return;
    }
    this.expiryTimer = setTimeout(() => this.armExpiry(), Math.min(leftMs, 2 ** 31 - 1));
    this.expiryTimer.unref();
  }

  /**
   * Events are taken in batches: those that came while the session's queue
   * was busy (or in the same turn) are handled together, and a run of one
   * attempt's reports among them is one write (`onEvents`).
   */
  private enqueueEvent(event: AttemptEvent__Output): void {
    if (this.eventBatch) {
      // An agent keeps at most its outbox window (64) unacknowledged; a node far past it is not waiting for acks.
      if (this.eventBatch.length >= MAX_BATCH) this.fail(new ValidationError('event', `more than ${MAX_BATCH} events sent ahead of their acknowledgements: send at most a window's worth, then wait`));
      else this.eventBatch.push(event);
      return;
    }
    const batch = [event];
    this.eventBatch = batch;
    this.enqueue(async () => {
      // What else this turn brought joins the batch (a node sends `started` and `finished` of a short task together).
      await new Promise((resolve) => setImmediate(resolve));
      if (this.eventBatch === batch) this.eventBatch = null;
      await this.onEvents(batch);
    });
  }

  private enqueue(work: () => Promise<void>): void {
    this.queue = this.queue.then(work).catch((err: unknown) => this.fail(err));
  }

  private fail(err: unknown): void {
    if (this.closed) return;
    this.closed = true;
    // Store errors are UNAVAILABLE already; the agent reconnects and resends.
    const e = err instanceof FleetError ? err : new FleetError('UNAVAILABLE', errorMessage(err));
    this.log.warn({ err: e.message }, 'node session ended with an error');
    this.call.emit('error', toGrpcStatus(e, this.log));
  }

  private send(message: ControlMessage): void {
    if (!this.closed) this.call.write(encodeControlMessage(message));
  }

  private async handle(message: NodeMessage__Output): Promise<void> {
    switch (message.msg) {
      case 'hello':
        return this.onHello(message);
      case 'heartbeat':
        await this.reports.heartbeat(decodeHeartbeat(message.heartbeat!));
        // The agent counts an ack as contact (see stop-after-disconnect): only a replica whose word the leader hears may give one.
        if (!this.deps.vouching(Date.now())) throw new UnavailableError('this replica cannot reach the state store: reconnect to another');
        this.send({ kind: 'heartbeat-ack', serverTimeMs: Date.now(), prefetchImages: this.deps.prefetch() });
        return;
      case 'restartAnswer': {
        const answer = decodeRestartAnswer(message.restartAnswer!);
        await this.deps.nodes.restartAnswered(this.nodeId, answer);
        this.log.info({ restartId: answer.requestId, accepted: answer.accepted, reason: answer.reason }, answer.accepted ? 'node agent restarting' : 'node agent refused to restart');
        return;
      }
      default:
        throw new ValidationError('msg', 'unknown message: expected hello, heartbeat, event, restart_answer or team_spend');
    }
  }

  private async onHello(message: NodeMessage__Output): Promise<void> {
    const { activeAttemptIds, protocolVersion, ...info } = decodeHello(message.hello!);
    // The version-skew rule (common/protocol.ts): refused before anything is written.
    const refusal = agentProtocolRefusal(protocolVersion);
    if (refusal) {
      this.log.warn({ nodeName: info.name, agentVersion: info.agentVersion, agentProtocol: agentProtocol(protocolVersion), acceptedProtocols: describeAccepted() }, 'node agent refused: its node protocol is not accepted here');
      throw new ProtocolSkewError(refusal);
    }
    const record = await this.deps.hellos.run(() => this.deps.nodes.hello(this.nodeId, this.sessionId, info));
    // The stream ended while the hello was stored: nothing to subscribe to (run() has already let go).
    if (this.closed) return;
    this.send({ kind: 'welcome', welcome: { nodeId: this.nodeId, heartbeatIntervalMs: this.deps.heartbeatIntervalMs, stopAfterDisconnectMs: this.deps.stopAfterDisconnectMs, protocolVersion: AGENT_PROTOCOL } });
    this.welcomed = true;
    // A request made while the node was between sessions (the hello itself completes the one it restarted for).
    this.restartIfAsked(record);
    this.lastHeardMs = Date.now();
    this.log.info({ nodeName: info.name, activeAttempts: activeAttemptIds.length, agentVersion: info.agentVersion, agentProtocol: agentProtocol(protocolVersion) }, 'node session open');
    this.delivery.agentProtocol = agentProtocol(protocolVersion);
    this.delivery.reconcile(activeAttemptIds);
    // Agents of protocol 4 and later stop calling for a team whose budget is gone; older ones would not understand the message.
    const tellsBudgets = this.delivery.agentProtocol >= TEAM_BUDGETS_PROTOCOL;
    for (const task of this.deps.index.onNode(this.nodeId)) if (task.spec.team) this.teamsSeen.add(task.spec.team);
    this.unsubscribe = this.deps.index.onNodeChange(this.nodeId, (task) => {
      const team = task.spec.team;
      // A team new to the node, whose budget is already spent: the node must know before its attempt calls.
      if (team && !this.teamsSeen.has(team)) {
        this.teamsSeen.add(team);
        if (tellsBudgets && this.deps.teams.spent().has(team)) this.tellBudgets(this.deps.teams.spent());
      }
      this.delivery.deliver(task);
    });
    if (tellsBudgets) {
      this.tellBudgets(this.deps.teams.spent());
      this.unsubscribeBudgets = this.deps.teams.onSpentChange((spent) => this.tellBudgets(spent));
    }
  }

  /** The spent budgets of the teams this node has run: of the others it needs to know nothing. */
  private tellBudgets(spent: ReadonlyMap<string, string>): void {
    this.send({ kind: 'team-budgets', spent: Object.fromEntries([...spent].filter(([team]) => this.teamsSeen.has(team))) });
  }

  /**
   * What the node's gateway spent, per attempt: each attempt's team is the
   * task's (never a word of the node's), and only attempts placed on this
   * node count, so a node can spend only the budgets of the teams whose work
   * it was given. Added to each team's day, then acknowledged; entries the
   * store did not take are named in the answer and sent again. A report sent
   * again because its answer was late is answered, not counted twice.
   */
  private async onTeamSpend(message: NodeMessage__Output): Promise<void> {
    const decoded = decodeNodeMessage(message);
    if (decoded.kind !== 'team-spend') return;
    if (!this.welcomed) throw new ValidationError('team_spend', 'comes after the hello');
    const { entries, reportId } = decoded.report;
    const answered = this.spendAnswered.get(reportId);
    if (answered) return this.send({ kind: 'team-spend-ack', reportId, uncountedAttempts: answered });
    const byTeam = new Map<string, { tokens: number; costUsd: number; attempts: string[] }>();
    const dropped: string[] = [];
    for (const e of entries) {
      const task = this.deps.index.get(e.taskId) ?? (await this.deps.tasks.getVersioned(e.taskId))?.value;
      const attempt = task?.attempts.find((a) => a.id === e.attemptId);
      if (!task || !attempt || attempt.nodeId !== this.nodeId) {
        dropped.push(e.attemptId);
        continue;
      }
      const team = task.spec.team;
      if (!team) continue;
      const sum = byTeam.get(team) ?? { tokens: 0, costUsd: 0, attempts: [] };
      byTeam.set(team, { tokens: sum.tokens + e.tokens, costUsd: sum.costUsd + e.costUsd, attempts: [...sum.attempts, e.attemptId] });
    }
    if (dropped.length > 0) this.log.warn({ attempts: dropped.slice(0, 10), count: dropped.length }, 'team spend dropped: not attempts placed on this node');
    const uncounted: string[] = [];
    await Promise.all([...byTeam].map(async ([team, s]) => {
      if (!(await this.deps.teams.report(team, s.tokens, s.costUsd))) uncounted.push(...s.attempts);
    }));
    this.spendAnswered.set(reportId, uncounted);
    if (this.spendAnswered.size > 64) this.spendAnswered.delete(this.spendAnswered.keys().next().value!);
    this.send({ kind: 'team-spend-ack', reportId, uncountedAttempts: uncounted });
  }

  /** Sends an operator's restart request that this session has not sent yet. */
  restartIfAsked(node: NodeRecord): void {
    const request = node.restartRequest;
    if (!this.welcomed || this.closed || !request || request.state !== 'REQUESTED' || request.id === this.restartSent) return;
    this.restartSent = request.id;
    this.send({ kind: 'restart', restart: { requestId: request.id, drain: request.drain } });
    this.log.info({ restartId: request.id, drain: request.drain }, 'restart request sent to the node');
  }

  /**
   * Permits for a rate-limited provider, from the fleet's window. Only for a
   * provider this node runs an attempt of (or a fallback of one), for at
   * most the calls those attempts may have in flight: a node cannot spend
   * the budget of providers it has no work for. One ask per provider is
   * counted at a time; asks that come meanwhile are merged into the next.
   */
  private onPermitAsk(message: NodeMessage__Output): void {
    let decoded: NodeMessage;
    try {
      decoded = decodeNodeMessage(message);
    } catch (err) {
      return this.fail(err);
    }
    if (decoded.kind !== 'permit-ask') return;
    if (!this.welcomed) return this.fail(new ValidationError('permit_ask', 'comes after the hello'));
    const ask = decoded.ask;
    if (!this.permitAsks.has(ask.provider)) return this.askPermits(ask);
    const queued = this.permitAsks.get(ask.provider);
    // The newest ask stands (its id, what it wants); the reports of both are counted.
    this.permitAsks.set(ask.provider, queued ? { ...ask, tokens: ask.tokens + queued.tokens, throttled: ask.throttled + queued.throttled } : ask);
  }

  private askPermits(asked: PermitRequest): void {
    const attempts = this.deps.index.onNode(this.nodeId).filter((t) => t.spec.cline && this.deps.providers.reach(t.spec.cline.provider).includes(asked.provider)).length;
    if (attempts === 0) {
      const why = `node ${this.nodeId} runs no attempt that may call provider "${asked.provider}"`;
      this.send({ kind: 'permit-grant', grant: { provider: asked.provider, granted: 0, validForMs: 0, retryAfterMs: 10_000, why, askId: asked.askId, uncounted: false } });
      return;
    }
    const ask = { ...asked, want: Math.min(asked.want, attempts * MAX_PERMITS_PER_ATTEMPT) };
    this.permitAsks.set(ask.provider, null);
    void this.deps.rates
      .ask(ask)
      .then((grant) => this.send({ kind: 'permit-grant', grant }))
      .catch((err: unknown) => this.fail(err))
      .finally(() => {
        const next = this.permitAsks.get(ask.provider);
        this.permitAsks.delete(ask.provider);
        if (next && !this.closed) this.askPermits(next);
      });
  }

  /** A new certificate for the node's new key, signed for the node this session authenticated. */
  private async onRenew(message: NodeMessage__Output): Promise<void> {
    const decoded = decodeNodeMessage(message);
    if (decoded.kind !== 'renew') return;
    // One at a time, after the hello, and not more often than every few seconds:
    // each renewal signs, writes the node record and appends an event.
    if (!this.welcomed) throw new ValidationError('renew', 'comes after the hello');
    if (this.renewing) throw new ValidationError('renew', 'a renewal is already under way on this session');
    if (Date.now() - this.lastRenewalAtMs < MIN_RENEWAL_GAP_MS) throw new ValidationError('renew', `at most one renewal every ${MIN_RENEWAL_GAP_MS / 1000}s`);
    this.renewing = true;
    this.lastRenewalAtMs = Date.now();
    const issued = await this.deps.nodes.renew(this.nodeId, decoded.csrPem).finally(() => (this.renewing = false));
    this.validUntilMs = Math.max(this.validUntilMs, issued.expiresAtMs);
    this.armExpiry();
    this.send({ kind: 'certificate', certificatePem: issued.certPem });
    this.log.info({ expiresAtMs: issued.expiresAtMs }, 'node certificate renewed');
  }

  /**
   * A batch of events in order, each acknowledged (cumulatively) once its
   * effect is stored. Consecutive reports of one attempt that may go
   * together (`joinsRun`) are applied as one change of its record.
   */
  private async onEvents(batch: readonly AttemptEvent__Output[]): Promise<void> {
    for (let i = 0; i < batch.length && !this.closed; ) {
      const run = runAt(batch, i);
      if (run.length < 2) {
        const { seq } = decodeEventRef(batch[i]!);
        await this.onEvent(batch[i]!);
        this.send({ kind: 'ack', seq });
        i++;
        continue;
      }
      const verdicts = await this.reports.run(run);
      for (const [j, event] of run.entries()) this.afterReport(event.kind, event.taskId, event.attemptId, verdicts[j]!);
      this.send({ kind: 'ack', seq: run[run.length - 1]!.seq });
      i += run.length;
    }
  }

  private async onEvent(raw: AttemptEvent__Output): Promise<void> {
    const { taskId, attemptId } = decodeEventRef(raw);
    let verdict: ReportVerdict;
    try {
      const event = decodeAttemptEvent(raw);
      verdict = await this.reports.event(event);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      verdict = raw.kind === 'finished' ? await this.reports.unreadableOutcome(taskId, attemptId, err) : 'refused';
      if (raw.kind !== 'finished') this.log.warn({ taskId, attemptId, event: raw.kind, err: err.message }, 'report refused');
    }
    this.afterReport(raw.kind, taskId, attemptId, verdict);
  }

  private afterReport(kind: string | undefined, taskId: string, attemptId: string, verdict: ReportVerdict): void {
    if (kind === 'finished' && verdict === 'stored') this.delivery.finished(taskId, attemptId);
    // A report from an attempt that is not current: resending cannot make it right, so it is acknowledged, and the attempt is told to stop.
    if (verdict === 'stale' && kind !== 'finished') this.delivery.cancel(taskId, attemptId, 'the attempt is no longer current');
  }
}

/** Reports of one attempt that go together as one change, at most (a resent outbox can hold many). */
const MAX_RUN = 64;
/** Events waiting in one batch, at most. */
const MAX_BATCH = 1_024;

/**
 * The run of one attempt's reports that starts at `batch[i]`: consecutive,
 * readable, of one attempt, each one that may join (`joinsRun`), ending at
 * the first `finished`. Fewer than two: the event is handled alone.
 */
function runAt(batch: readonly AttemptEvent__Output[], i: number): RunEvent[] {
  const run: RunEvent[] = [];
  for (let j = i; j < batch.length && run.length < MAX_RUN; j++) {
    let event: AttemptEvent;
    try {
      event = decodeAttemptEvent(batch[j]!);
    } catch {
      break;
    }
    if (!joinsRun(event) || (run.length > 0 && (event.taskId !== run[0]!.taskId || event.attemptId !== run[0]!.attemptId))) break;
    run.push(event);
    if (event.kind === 'finished') break;
  }
  return run;
}

/** The sessions this replica holds; a node that reconnects here replaces its old session. */
export class SessionRegistry {
  private readonly sessions = new Map<string, NodeSession>();

  add(session: NodeSession): void {
    this.sessions.get(session.nodeId)?.close();
    this.sessions.set(session.nodeId, session);
  }

  remove(session: NodeSession): void {
    if (this.sessions.get(session.nodeId) === session) this.sessions.delete(session.nodeId);
  }

  get count(): number {
    return this.sessions.size;
  }

  /** This replica stops: every node is to reconnect to another (see `NodeSession.close`). */
  closeAll(): void {
    for (const session of this.sessions.values()) session.close(true);
  }

  /** Ends the sessions of nodes silent for `silentAfterMs` (see `NodeSession.expireIfSilent`). */
  expireSilent(now: number, silentAfterMs: number): void {
    for (const session of this.sessions.values()) session.expireIfSilent(now, silentAfterMs);
  }

  /** A node record changed: its session here, if any, sends what it asks of the agent. */
  nodeChanged(node: NodeRecord): void {
    this.sessions.get(node.id)?.restartIfAsked(node);
  }

  /** Ends the node's session here, if it has one, as refused. */
  revoke(nodeId: string): void {
    this.sessions.get(nodeId)?.revoke();
  }
}

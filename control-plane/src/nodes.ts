/**
 * Node identity and status: enrollment (a join token and a CSR for a
 * certificate), authentication of node sessions by their certificate,
 * renewal and revocation, and the records that heartbeats and sessions keep
 * current. A KV watch keeps every replica's copy of the node
 * list fresh for the scheduler and for `node list`.
 */
import type { Clock } from '../../common/clock.js';
import { AlreadyExistsError, AuthError, NotFoundError, PreconditionError, UnavailableError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { EMPTY_RESOURCES, type Cordon, type HeartbeatReport, type NodeInfo, type NodeRecord, type NodeStatus, type PreviousExit, type RestartAnswer } from '../../common/model.js';
import { newId } from '../../common/ids.js';
import type { NodeCertificate } from '../../common/pki.js';
import { completeDrain, endDrain, startDrain } from './drain/drain.js';
import { attemptResult, cordonNode, heartbeatNeedsWrite, nodeHeartbeat, nodeHello, nodeRevoked, nodeSessionClosed, nodeSetByOperator, nodeStatus, restartAnswered, restartRequested, restartUnderWay, uncordonNode } from './node-state.js';
import type { JoinTokens } from './join-tokens.js';
import type { NodeCertificates } from './tls/node-certs.js';
import type { EventLog } from './store/event-log.js';
import type { KvRecords, RecordChange, Versioned } from './store/kv-records.js';
import { LiveView } from './store/live-view.js';

export const NODE_ID_PREFIX = 'node';
/** A heartbeat that changes nothing is written at most this often (see `heartbeatNeedsWrite`). */
export const DEFAULT_HEARTBEAT_REFRESH_MS = 60_000;

export type NodeListener = (node: NodeRecord, previous: NodeRecord | undefined) => void;

export class Nodes {
  /** Each record with its revision: a heartbeat's write is a compare-and-set from it, without a read. */
  private readonly known = new Map<string, Versioned<NodeRecord>>();
  /** Each record as the watch last delivered it to the listeners (their `previous`). */
  private readonly heard = new Map<string, NodeRecord>();
  private readonly listeners = new Set<NodeListener>();
  private view: LiveView<NodeRecord> | undefined;

  constructor(
    private readonly records: KvRecords<NodeRecord>,
    private readonly joinTokens: JoinTokens,
    private readonly certs: NodeCertificates,
    private readonly events: EventLog,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** This replica: the one that vouches for the nodes whose sessions it holds. */
    private readonly replicaId: string,
    private readonly heartbeatRefreshMs = DEFAULT_HEARTBEAT_REFRESH_MS,
  ) {}

  async start(): Promise<void> {
    const apply = (change: RecordChange<NodeRecord>) => {
      // What listeners heard last, not `known`: this replica's own write is in `known` before the watch brings it.
      const previous = this.heard.get(change.key);
      if (change.deleted) {
        this.known.delete(change.key);
        this.heard.delete(change.key);
        return;
      }
      this.remember({ key: change.key, value: change.value, revision: change.revision });
      this.heard.set(change.key, change.value);
      for (const listener of this.listeners) listener(change.value, previous);
    };
    this.view = new LiveView(this.records, {
      reset: (snapshot) => {
        this.known.clear();
        this.heard.clear();
        for (const change of snapshot) apply(change);
      },
      change: apply,
    }, this.log);
    await this.view.start();
  }

  stop(): void {
    this.view?.stop();
  }

  onChange(listener: NodeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every node, in no particular order (the leader's loops read this often; `node list` sorts). */
  all(): NodeRecord[] {
    return [...this.known.values()].map((n) => n.value);
  }

  /**
   * A join token and a CSR for a new node and its first certificate. The CSR
   * is checked before the token's use is spent.
   */
  async enroll(joinToken: string, info: NodeInfo, csrPem: string): Promise<{ nodeId: string; certificatePem: string; caPem: string }> {
    await this.certs.check(csrPem);
    // Only a holder of a real token learns whether a name is taken.
    await this.joinTokens.verify(joinToken);
    this.nameIsFree(info.name);
    const token = await this.joinTokens.consume(joinToken);
    const now = this.clock.now();
    const id = newId(NODE_ID_PREFIX);
    const { certPem, expiresAtMs } = await this.certs.issue(id, csrPem);
    // What the node may be comes from the token an operator made, not from the node.
    const maxSlots = token.maxSlots || info.slots;
    const record: NodeRecord = {
      id,
      name: info.name,
      hostname: info.hostname,
      agentVersion: info.agentVersion,
      labels: { ...(token.labels ?? {}) },
      slots: Math.min(info.slots, maxSlots),
      offeredSlots: info.slots,
      maxSlots,
      status: 'DISCONNECTED',
      enrolledAtMs: now,
      lastHeartbeatMs: 0,
      resources: { ...EMPTY_RESOURCES },
      dockerHealthy: false,
      dockerError: '',
      joinTokenId: token.id,
      revokedAtMs: 0,
      certificateExpiresAtMs: expiresAtMs,
    };
    const created = await this.records.create(id, record);
    // Seen here at once: the next enrollment on this replica must find the name taken, whatever the watch's lag.
    this.remember(created);
    this.events.record({ type: 'node.enrolled', nodeId: id, name: info.name, joinTokenId: token.id, certificateExpiresAtMs: expiresAtMs }, now);
    this.log.info({ nodeId: id, nodeName: info.name, hostname: info.hostname, joinTokenId: token.id }, 'node enrolled');
    return { nodeId: id, certificatePem: certPem, caPem: this.certs.caPem };
  }

  /** Names are unique among the nodes not revoked: `node drain NAME` must mean one machine. */
  private nameIsFree(name: string): void {
    // From the live view: reading every record per enrollment made enrolling n nodes cost n².
    let taken: NodeRecord | undefined;
    for (const { value: n } of this.known.values()) if (n.name === name && !n.revokedAtMs) taken = n;
    if (taken) {
      throw new AlreadyExistsError(`a node named "${name}" is already enrolled (${taken.id}): give this one another --name, or revoke the old one first (fleetctl node revoke ${taken.id})`);
    }
  }

  /** An operator's labels and slot ceiling. */
  async setByOperator(nodeId: string, change: { set: Record<string, string>; removed: readonly string[]; maxSlots: number }): Promise<NodeRecord> {
    return this.update(nodeId, (n) => nodeSetByOperator(n, change));
  }

  /**
   * The node a verified certificate names, if it may connect: enrolled and
   * not revoked. AuthError otherwise.
   */
  async authenticate(cert: NodeCertificate): Promise<NodeRecord> {
    const record = (this.known.get(cert.nodeId) ?? (await this.records.get(cert.nodeId)))?.value;
    // A certificate of this fleet's CA without a record: the state was restored from a backup taken
    // before the node enrolled, or is being restored now. Not final: the agent tries again, and is
    // accepted once its record is back (records are never deleted; a revoked node's is kept).
    if (!record) {
      throw new UnavailableError(
        `this fleet has no record of node ${cert.nodeId} (its state was restored from a backup taken before the node enrolled, or is being restored): the node is accepted once its record is back; otherwise enroll the machine again with a new join token`,
      );
    }
    if (record.revokedAtMs) throw new AuthError(`node ${cert.nodeId} was revoked: its certificates are refused for good; enroll the machine again with a new join token`);
    return record;
  }

  /** A new certificate for a connected node's new key. */
  async renew(nodeId: string, csrPem: string): Promise<{ certPem: string; expiresAtMs: number }> {
    // Checked in the store, not the cache: a node revoked a moment ago gets nothing more.
    const current = (await this.records.get(nodeId))?.value;
    if (!current) throw new AuthError(`node ${nodeId} is not enrolled`);
    notRevoked(current);
    const issued = await this.certs.issue(nodeId, csrPem, 'renew.csr_pem');
    // Shown in `node list`; the certificate itself is what counts, so a lost write only dates the column.
    await this.update(nodeId, (n) => (n.revokedAtMs ? null : { ...n, certificateExpiresAtMs: Math.max(n.certificateExpiresAtMs ?? 0, issued.expiresAtMs) }));
    this.events.record({ type: 'node.certificate_renewed', nodeId, certificateExpiresAtMs: issued.expiresAtMs }, this.clock.now());
    return issued;
  }

  /**
   * Revokes a node for good: its certificates are refused from now on, its
   * sessions close on every replica (they watch the record), and it takes no
   * new work. Its attempts are lost as a silent node's are: after down-after,
   * by when the agent (if it lives) has stopped them.
   */
  async revoke(nodeId: string): Promise<NodeRecord> {
    const now = this.clock.now();
    const node = await this.update(nodeId, (n) => (n.revokedAtMs ? null : nodeRevoked(n, now)));
    this.events.record({ type: 'node.revoked', nodeId, name: node.name }, now);
    this.log.warn({ nodeId, nodeName: node.name }, 'node revoked');
    return node;
  }

  /** Returns the record as the hello left it. */
  /** Told when a write here cordoned a node automatically (metrics). */
  breakerTripped: () => void = () => {};

  async hello(nodeId: string, sessionId: string, info: NodeInfo & { previousExit?: PreviousExit | null }): Promise<NodeRecord> {
    const now = this.clock.now();
    const record = await this.update(nodeId, (n) => nodeHello(notRevoked(n), info, sessionId, this.replicaId, now));
    if (info.previousExit) {
      const { result, exitStatus, selfCheckProblems, restartRequestId } = info.previousExit;
      this.log.info({ nodeId, nodeName: record.name, result, exitStatus, selfCheckProblems, restartRequestId }, 'node agent restarted');
      if (record.cordon?.by === 'AUTO' && record.cordon.atMs === now) {
        this.breakerTripped();
        this.log.warn({ nodeId, nodeName: record.name, reason: record.cordon.reason }, 'node cordoned by the circuit breaker');
      }
    }
    return record;
  }

  /** An operator asks the node's agent to restart itself; its session delivers the request. */
  async requestRestart(nodeId: string, drain: boolean, requestedBy: string): Promise<NodeRecord> {
    return this.update(nodeId, (n) => {
      if (n.revokedAtMs) throw new PreconditionError(`node ${n.name} was revoked: there is no agent to restart`);
      if (n.status !== 'READY') throw new PreconditionError(`node ${n.name} is ${n.status}: its agent cannot hear the request; on the machine run: systemctl restart fleet-node-agent`);
      const now = this.clock.now();
      const under = restartUnderWay(n, now);
      if (under) throw new PreconditionError(`node ${n.name} is already restarting (asked at ${new Date(under.requestedAtMs).toISOString()}, ${under.state}): wait for it to end`);
      return restartRequested(n, { id: newId('rst', now), drain, requestedBy }, now);
    });
  }

  async restartAnswered(nodeId: string, answer: RestartAnswer): Promise<NodeRecord> {
    return this.update(nodeId, (n) => restartAnswered(n, answer, this.clock.now()));
  }

  /** Marks the node DISCONNECTED if `sessionId` is still its latest session, last heard from at `lastHeartbeatMs`. */
  async sessionClosed(nodeId: string, sessionId: string, lastHeartbeatMs: number): Promise<void> {
    await this.update(nodeId, (n) => nodeSessionClosed(n, sessionId, lastHeartbeatMs));
  }

  /** Written only when it changes something (`heartbeatNeedsWrite`): most heartbeats cost no write. */
  async heartbeat(nodeId: string, beat: HeartbeatReport): Promise<void> {
    const now = this.clock.now();
    const known = this.known.get(nodeId);
    if (known && !known.value.revokedAtMs && !heartbeatNeedsWrite(known.value, beat, now, this.heartbeatRefreshMs)) return;
    await this.update(nodeId, (n) => nodeHeartbeat(notRevoked(n), beat, now), known);
  }

  /** Feeds the circuit breaker; writes only when the streak changes. */
  async recordAttemptResult(nodeId: string, infraFailure: boolean): Promise<void> {
    const known = this.known.get(nodeId)?.value;
    if (!infraFailure && !(known?.infraFailureStreak ?? 0)) return;
    await this.update(nodeId, (n) => attemptResult(n, infraFailure));
  }

  /** A node by id, or by name when exactly one node has it. */
  resolve(ref: string): NodeRecord {
    const byId = this.known.get(ref)?.value;
    if (byId) return byId;
    // A revoked node keeps its record (and its name); the live one is meant.
    const all = this.all().filter((n) => n.name === ref);
    const live = all.filter((n) => !n.revokedAtMs);
    const named = live.length > 0 ? live : all;
    if (named.length === 1) return named[0]!;
    if (named.length > 1) throw new PreconditionError(`${named.length} nodes are named "${ref}": use the node id (fleetctl node list)`);
    throw new NotFoundError(`node "${ref}" not found (fleetctl node list shows the nodes)`);
  }

  async cordon(nodeId: string, by: Cordon['by'], reason: string): Promise<NodeRecord> {
    return this.update(nodeId, (n) => cordonNode(n, by, reason, this.clock.now()));
  }

  async uncordon(nodeId: string, by: Cordon['by']): Promise<NodeRecord> {
    return this.update(nodeId, (n) => {
      if (n.revokedAtMs) throw new PreconditionError(`node ${n.name} was revoked: it cannot take work again; enroll the machine again with a new join token`);
      return uncordonNode(n, by);
    });
  }

  /** Begins a drain (`drain/drain.ts` decides); a drain already under way is left as it is. */
  async drain(nodeId: string, deadlineMs: number): Promise<NodeRecord> {
    return this.update(nodeId, (n) => startDrain(n, this.clock.now(), deadlineMs));
  }

  /** Ends a drain (autoscaling: the node is wanted again); a node without one is left as it is. */
  async endDrain(nodeId: string): Promise<NodeRecord> {
    return this.update(nodeId, (n) => endDrain(n));
  }

  async drainComplete(nodeId: string): Promise<void> {
    await this.update(nodeId, (n) => completeDrain(n, this.clock.now()));
  }

  async setStatus(nodeId: string, status: NodeStatus, onlyIf?: (n: NodeRecord) => boolean): Promise<void> {
    await this.update(nodeId, (n) => (onlyIf && !onlyIf(n) ? null : nodeStatus(n, status)));
  }

  /** Keeps the newer of what the watch and this replica's own writes say. */
  private remember(record: Versioned<NodeRecord>): void {
    if (record.revision < (this.known.get(record.key)?.revision ?? 0)) return;
    this.known.set(record.key, record);
  }

  private async update(nodeId: string, decide: (n: NodeRecord) => NodeRecord | null, held?: Versioned<NodeRecord>): Promise<NodeRecord> {
    try {
      const { record, changed } = await this.records.modify(nodeId, decide, held);
      if (changed) this.remember(record);
      return record.value;
    } catch (err) {
      if (err instanceof NotFoundError) throw new AuthError(`node ${nodeId} is not enrolled`);
      throw err;
    }
  }
}

/** A revoked node's session that was open when it was revoked says nothing more. */
function notRevoked(n: NodeRecord): NodeRecord {
  if (n.revokedAtMs) throw new AuthError(`node ${n.id} was revoked`);
  return n;
}

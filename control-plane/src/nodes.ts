/**
 * Node identity and status: enrollment (a join token for a credential),
 * authentication of node sessions, and the records that heartbeats and
 * sessions keep current. A KV watch keeps every replica's copy of the node
 * list fresh for the scheduler and for `node list`.
 */
import type { Clock } from '../../common/clock.js';
import { AuthError, NotFoundError, PreconditionError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { EMPTY_RESOURCES, type Cordon, type HeartbeatReport, type NodeInfo, type NodeRecord, type NodeStatus } from '../../common/model.js';
import { makeToken, secretMatches, splitToken } from './credentials.js';
import { completeDrain, startDrain } from './drain/drain.js';
import { attemptResult, cordonNode, nodeHeartbeat, nodeHello, nodeStatus, uncordonNode } from './node-state.js';
import type { JoinTokens } from './join-tokens.js';
import type { EventLog } from './store/event-log.js';
import type { KvRecords, RecordChange } from './store/kv-records.js';
import { LiveView } from './store/live-view.js';

export const NODE_TOKEN_PREFIX = 'node';

export class Nodes {
  private readonly known = new Map<string, NodeRecord>();
  private readonly listeners = new Set<(node: NodeRecord) => void>();
  private view: LiveView<NodeRecord> | undefined;

  constructor(
    private readonly records: KvRecords<NodeRecord>,
    private readonly joinTokens: JoinTokens,
    private readonly events: EventLog,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const apply = (change: RecordChange<NodeRecord>) => {
      if (change.deleted) {
        this.known.delete(change.key);
        return;
      }
      this.known.set(change.key, change.value);
      for (const listener of this.listeners) listener(change.value);
    };
    this.view = new LiveView(this.records, {
      reset: (snapshot) => {
        this.known.clear();
        for (const change of snapshot) apply(change);
      },
      change: apply,
    }, this.log);
    await this.view.start();
  }

  stop(): void {
    this.view?.stop();
  }

  onChange(listener: (node: NodeRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  all(): NodeRecord[] {
    return [...this.known.values()].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  async enroll(joinToken: string, info: NodeInfo): Promise<{ nodeId: string; nodeToken: string }> {
    await this.joinTokens.consume(joinToken);
    const now = this.clock.now();
    const { token, id, secretHash } = makeToken(NODE_TOKEN_PREFIX);
    const record: NodeRecord = {
      id,
      ...info,
      status: 'DISCONNECTED',
      enrolledAtMs: now,
      lastHeartbeatMs: 0,
      resources: { ...EMPTY_RESOURCES },
      dockerHealthy: false,
      dockerError: '',
      credentialHash: secretHash,
    };
    await this.records.create(id, record);
    this.events.record({ type: 'node.enrolled', nodeId: id, name: info.name }, now);
    this.log.info({ nodeId: id, nodeName: info.name, hostname: info.hostname }, 'node enrolled');
    return { nodeId: id, nodeToken: token };
  }

  /** The node id a node token proves, or AuthError. */
  async authenticate(nodeToken: string): Promise<string> {
    const { id, secret } = splitToken(nodeToken, NODE_TOKEN_PREFIX, 'node token');
    const record = this.known.get(id) ?? (await this.records.get(id))?.value;
    if (!record || !secretMatches(secret, record.credentialHash)) {
      throw new AuthError('node token is not valid: re-enroll the node with a new join token');
    }
    return id;
  }

  async hello(nodeId: string, sessionId: string, info: NodeInfo): Promise<void> {
    await this.update(nodeId, (n) => nodeHello(n, info, sessionId, this.clock.now()));
  }

  /** Marks the node DISCONNECTED if `sessionId` is still its latest session. */
  async sessionClosed(nodeId: string, sessionId: string): Promise<void> {
    await this.setStatus(nodeId, 'DISCONNECTED', (n) => n.sessionId === sessionId);
  }

  async heartbeat(nodeId: string, beat: HeartbeatReport): Promise<void> {
    await this.update(nodeId, (n) => nodeHeartbeat(n, beat, this.clock.now()));
  }

  /** Feeds the circuit breaker; writes only when the streak changes. */
  async recordAttemptResult(nodeId: string, infraFailure: boolean): Promise<void> {
    const known = this.known.get(nodeId);
    if (!infraFailure && !(known?.infraFailureStreak ?? 0)) return;
    await this.update(nodeId, (n) => attemptResult(n, infraFailure));
  }

  /** A node by id, or by name when exactly one node has it. */
  resolve(ref: string): NodeRecord {
    const byId = this.known.get(ref);
    if (byId) return byId;
    const named = [...this.known.values()].filter((n) => n.name === ref);
    if (named.length === 1) return named[0]!;
    if (named.length > 1) throw new PreconditionError(`${named.length} nodes are named "${ref}": use the node id (fleetctl node list)`);
    throw new NotFoundError(`node "${ref}" not found (fleetctl node list shows the nodes)`);
  }

  async cordon(nodeId: string, by: Cordon['by'], reason: string): Promise<NodeRecord> {
    return this.update(nodeId, (n) => cordonNode(n, by, reason, this.clock.now()));
  }

  async uncordon(nodeId: string, by: Cordon['by']): Promise<NodeRecord> {
    return this.update(nodeId, (n) => uncordonNode(n, by));
  }

  /** Begins a drain (`drain/drain.ts` decides); a drain already under way is left as it is. */
  async drain(nodeId: string, deadlineMs: number): Promise<NodeRecord> {
    return this.update(nodeId, (n) => startDrain(n, this.clock.now(), deadlineMs));
  }

  async drainComplete(nodeId: string): Promise<void> {
    await this.update(nodeId, (n) => completeDrain(n, this.clock.now()));
  }

  async setStatus(nodeId: string, status: NodeStatus, onlyIf?: (n: NodeRecord) => boolean): Promise<void> {
    await this.update(nodeId, (n) => (onlyIf && !onlyIf(n) ? null : nodeStatus(n, status)));
  }

  private async update(nodeId: string, decide: (n: NodeRecord) => NodeRecord | null): Promise<NodeRecord> {
    try {
      const { record, changed } = await this.records.modify(nodeId, decide);
      if (changed) this.known.set(nodeId, record.value);
      return record.value;
    } catch (err) {
      if (err instanceof NotFoundError) throw new AuthError(`node ${nodeId} is not enrolled`);
      throw err;
    }
  }
}

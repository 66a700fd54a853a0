/**
 * Node identity and status: enrollment (a join token for a credential),
 * authentication of node sessions, and the records that heartbeats and
 * sessions keep current. A KV watch keeps every replica's copy of the node
 * list fresh for the scheduler and for `node list`.
 */
import os from 'node:os';
import type { Clock } from '../../common/clock.js';
import { AuthError, NotFoundError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { EMPTY_RESOURCES, type NodeRecord, type NodeResources, type NodeStatus } from '../../common/model.js';
import type { NodeInfo } from '../../common/node-info.js';
import { makeToken, secretMatches, splitToken } from './credentials.js';
import type { JoinTokens } from './join-tokens.js';
import type { EventLog } from './store/event-log.js';
import type { KvRecords } from './store/kv-records.js';

export const NODE_TOKEN_PREFIX = 'node';

export class Nodes {
  private readonly known = new Map<string, NodeRecord>();
  private readonly listeners = new Set<(node: NodeRecord) => void>();
  private stopWatch: (() => void) | undefined;

  constructor(
    private readonly records: KvRecords<NodeRecord>,
    private readonly joinTokens: JoinTokens,
    private readonly events: EventLog,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const watcher = this.records.watch((change) => {
      if (change.deleted) {
        this.known.delete(change.key);
        return;
      }
      this.known.set(change.key, change.value);
      for (const listener of this.listeners) listener(change.value);
    });
    this.stopWatch = watcher.stop;
    for (const change of await watcher.initial) if (!change.deleted) this.known.set(change.key, change.value);
  }

  stop(): void {
    this.stopWatch?.();
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
    await this.update(nodeId, (n) => ({ ...n, ...info, sessionId, status: 'READY', lastHeartbeatMs: this.clock.now() }));
  }

  /** Marks the node DISCONNECTED if `sessionId` is still its latest session. */
  async sessionClosed(nodeId: string, sessionId: string): Promise<void> {
    await this.setStatus(nodeId, 'DISCONNECTED', (n) => n.sessionId === sessionId);
  }

  async heartbeat(nodeId: string, resources: NodeResources, dockerHealthy: boolean, dockerError: string): Promise<void> {
    await this.update(nodeId, (n) => ({ ...n, status: 'READY', lastHeartbeatMs: this.clock.now(), resources, dockerHealthy, dockerError }));
  }

  async setStatus(nodeId: string, status: NodeStatus, onlyIf?: (n: NodeRecord) => boolean): Promise<void> {
    await this.update(nodeId, (n) => (n.status === status || (onlyIf && !onlyIf(n)) ? null : { ...n, status }));
  }

  private async update(nodeId: string, decide: (n: NodeRecord) => NodeRecord | null): Promise<void> {
    try {
      const { record, changed } = await this.records.modify(nodeId, decide);
      if (changed) this.known.set(nodeId, record.value);
    } catch (err) {
      if (err instanceof NotFoundError) throw new AuthError(`node ${nodeId} is not enrolled`);
      throw err;
    }
  }
}

export const localHostname = (): string => os.hostname();

/**
 * Node liveness, run by the leader: a READY node whose last heartbeat is
 * older than the grace period becomes DISCONNECTED, so nothing new is placed
 * on it. (Its session, if still open, brings it back with the next heartbeat.)
 */
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/logger.js';
import type { NodeRecord } from '../../common/model.js';
import type { Nodes } from './nodes.js';

export interface LivenessSettings {
  heartbeatIntervalMs: number;
  disconnectedAfterMs: number;
}

export const DEFAULT_LIVENESS: LivenessSettings = { heartbeatIntervalMs: 5_000, disconnectedAfterMs: 15_000 };

/** Pure: which nodes to mark DISCONNECTED now. */
export function silentNodes(nodes: readonly NodeRecord[], now: number, settings: LivenessSettings): NodeRecord[] {
  return nodes.filter((n) => n.status === 'READY' && now - n.lastHeartbeatMs > settings.disconnectedAfterMs);
}

export class NodeMonitor {
  private timer: NodeJS.Timeout | undefined;
  private startedAtMs = 0;

  constructor(
    private readonly nodes: Nodes,
    private readonly settings: LivenessSettings,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  start(): void {
    // A new leader may have been away itself: judge heartbeats only from
    // now on, so it does not condemn every node at once.
    this.startedAtMs = this.clock.now();
    this.timer = setInterval(() => void this.check(), Math.max(200, Math.floor(this.settings.heartbeatIntervalMs / 2)));
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async check(): Promise<void> {
    const now = this.clock.now();
    if (now - this.startedAtMs < this.settings.disconnectedAfterMs) return;
    for (const node of silentNodes(this.nodes.all(), now, this.settings)) {
      try {
        await this.nodes.setStatus(node.id, 'DISCONNECTED', (n) => n.status === 'READY' && this.clock.now() - n.lastHeartbeatMs > this.settings.disconnectedAfterMs);
        this.log.warn({ nodeId: node.id, nodeName: node.name, silentMs: now - node.lastHeartbeatMs }, 'node disconnected: no heartbeat');
      } catch (err) {
        this.log.warn({ nodeId: node.id, err: (err as Error).message }, 'node status not updated');
      }
    }
  }
}

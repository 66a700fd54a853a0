/**
 * The leader's node loop: every half heartbeat it asks `judgeNodes` what to
 * do and does it. Each action is a CAS write, so a loop that runs twice (or on
 * two leaders for a moment) changes nothing the second time.
 */
import type { Clock } from '../../common/clock.js';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { activeAttempt } from '../../common/model.js';
import { judgeNodes, type LivenessSettings, type NodeAction } from './node-health.js';
import type { Nodes } from './nodes.js';
import type { TaskIndex } from './task-index.js';
import type { Tasks } from './tasks.js';

export class NodeMonitor {
  private timer: NodeJS.Timeout | undefined;
  private judgingSinceMs = 0;
  private busy = false;

  constructor(
    private readonly nodes: Nodes,
    private readonly tasks: Tasks,
    private readonly index: TaskIndex,
    private readonly settings: LivenessSettings,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly fence: () => number | null,
  ) {}

  start(): void {
    // A new leader may have been away itself (or be the first after an
    // outage): it judges heartbeats only from now on, so it does not condemn
    // every node at once for silence it did not witness.
    this.judgingSinceMs = this.clock.now();
    this.timer = setInterval(() => void this.tick(), Math.max(100, Math.floor(this.settings.heartbeatIntervalMs / 2)));
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const actions = judgeNodes({
        nodes: this.nodes.all(),
        attemptsOn: (nodeId) =>
          this.index.onNode(nodeId).flatMap((t) => {
            const a = activeAttempt(t);
            return a ? [{ taskId: t.id, attemptId: a.id, stopRequested: Boolean(a.stopRequested) }] : [];
          }),
        now: this.clock.now(),
        judgingSinceMs: this.judgingSinceMs,
        settings: this.settings,
      });
      for (const action of actions) {
        // Leadership can end mid-pass: no action after it has.
        if (this.fence() === null || this.timer === undefined) break;
        await this.apply(action).catch((err: unknown) => this.log.warn({ nodeId: action.nodeId, action: action.kind, err: errorMessage(err) }, 'node action failed'));
      }
    } finally {
      this.busy = false;
    }
  }

  private async apply(action: NodeAction): Promise<void> {
    switch (action.kind) {
      case 'status':
        await this.nodes.setStatus(action.nodeId, action.status, (n) => n.status !== action.status);
        this.log.warn({ nodeId: action.nodeId, status: action.status }, action.status === 'DOWN' ? 'node down' : 'node disconnected: no heartbeat');
        return;
      case 'lose-attempts':
        for (const a of action.attempts) {
          await this.tasks.finished(action.nodeId, a.taskId, a.attemptId, { state: 'LOST', error: action.reason, failureKind: 'INFRASTRUCTURE' }).catch((err: unknown) => {
            this.log.warn({ taskId: a.taskId, attemptId: a.attemptId, err: errorMessage(err) }, 'attempt not marked lost');
          });
          this.log.warn({ nodeId: action.nodeId, taskId: a.taskId, attemptId: a.attemptId }, 'attempt lost with its node; task requeued');
        }
        return;
      case 'cordon':
        await this.nodes.cordon(action.nodeId, 'AUTO', action.reason);
        this.log.warn({ nodeId: action.nodeId, reason: action.reason }, 'node cordoned by the circuit breaker');
        return;
      case 'uncordon':
        await this.nodes.uncordon(action.nodeId, 'AUTO');
        this.log.info({ nodeId: action.nodeId }, 'node uncordoned after a healthy probe period');
        return;
      case 'stop-attempts':
        for (const a of action.attempts) await this.tasks.requestStop(a.taskId, a.attemptId, action.reason);
        this.log.info({ nodeId: action.nodeId, attempts: action.attempts.length }, 'drain deadline passed: stopping attempts');
        return;
      case 'drain-complete':
        await this.nodes.drainComplete(action.nodeId);
        this.log.info({ nodeId: action.nodeId }, 'node drained');
        return;
    }
  }
}

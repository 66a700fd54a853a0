/**
 * The leader's node loop: every half heartbeat it asks `judgeNodes` what to
 * do about liveness and the circuit breaker, and does it. Each action is a
 * CAS write, so a loop that runs twice (or on two leaders for a moment)
 * changes nothing the second time.
 */
import { errorMessage } from '../../common/errors.js';
import { applyWhileLeading, attemptsOn, PeriodicLoop, type ActiveTasks, type LeaderContext, type NodeDirectory, type NodeWrites, type TaskWrites } from './leader-roles.js';
import { judgeNodes, type LivenessSettings, type NodeAction, type ReplicaContact } from './node-health.js';

export interface NodeMonitorDeps extends LeaderContext {
  nodes: NodeDirectory & NodeWrites;
  tasks: ActiveTasks;
  taskWrites: Pick<TaskWrites, 'finished'>;
  settings: LivenessSettings;
  /** When this replica last heard from each replica (their nodes' liveness). */
  replicaContact: ReplicaContact;
  /** Told of each automatic cordon (metrics). */
  breakerTripped?: () => void;
}

export class NodeMonitor extends PeriodicLoop {
  private judgingSinceMs = 0;

  constructor(private readonly deps: NodeMonitorDeps) {
    super(Math.floor(deps.settings.heartbeatIntervalMs / 2), 'node monitor pass');
  }

  override start(): void {
    // A new leader may have been away itself (or be the first after an
    // outage): it judges heartbeats only from now on, so it does not condemn
    // every node at once for silence it did not witness.
    this.judgingSinceMs = this.deps.clock.now();
    super.start();
  }

  protected async pass(): Promise<void> {
    const { nodes, tasks, clock, settings } = this.deps;
    const actions = judgeNodes({ nodes: nodes.all(), attemptsOn: (nodeId) => attemptsOn(tasks, nodeId), now: clock.now(), judgingSinceMs: this.judgingSinceMs, settings, replicaContact: this.deps.replicaContact });
    await applyWhileLeading(this.deps, actions, (action) => this.apply(action));
  }

  private async apply(action: NodeAction): Promise<void> {
    const { nodes, taskWrites, log } = this.deps;
    switch (action.kind) {
      case 'status':
        await nodes.setStatus(action.nodeId, action.status, (n) => n.status !== action.status);
        log.warn({ nodeId: action.nodeId, status: action.status }, action.status === 'DOWN' ? 'node down' : 'node disconnected: no heartbeat');
        return;
      case 'lose-attempts':
        for (const a of action.attempts) {
          const task = await taskWrites.finished(action.nodeId, a.taskId, a.attemptId, { state: 'LOST', error: action.reason, failureKind: 'INFRASTRUCTURE' }).catch((err: unknown) => {
            log.warn({ nodeId: action.nodeId, taskId: a.taskId, attemptId: a.attemptId, err: errorMessage(err) }, 'attempt not marked lost');
            return undefined;
          });
          if (task) log.warn({ nodeId: action.nodeId, taskId: a.taskId, attemptId: a.attemptId, taskState: task.state }, 'attempt lost with its node');
        }
        return;
      case 'cordon':
        await nodes.cordon(action.nodeId, 'AUTO', action.reason);
        this.deps.breakerTripped?.();
        log.warn({ nodeId: action.nodeId, reason: action.reason }, 'node cordoned by the circuit breaker');
        return;
      case 'uncordon':
        await nodes.uncordon(action.nodeId, 'AUTO');
        log.info({ nodeId: action.nodeId }, 'node uncordoned after a healthy probe period');
        return;
    }
  }
}

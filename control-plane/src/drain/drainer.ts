/**
 * The leader's drain loop: every half heartbeat it asks `judgeDrain` about
 * each draining node and applies the answer: stop what is left once the
 * deadline has passed, mark the drain complete once the node is empty. Like
 * every leader loop, it writes by compare-and-set and stops writing the
 * moment leadership ends.
 */
import { applyWhileLeading, attemptsOn, PeriodicLoop, type ActiveTasks, type LeaderContext, type NodeDirectory, type NodeWrites, type TaskWrites } from '../leader-roles.js';
import { judgeDrain, type DrainAction } from './drain.js';

export interface DrainerDeps extends LeaderContext {
  nodes: NodeDirectory & Pick<NodeWrites, 'drainComplete'>;
  tasks: ActiveTasks;
  taskWrites: Pick<TaskWrites, 'requestStop'>;
  everyMs: number;
}

export class Drainer extends PeriodicLoop {
  constructor(private readonly deps: DrainerDeps) {
    super(deps.everyMs, 'drain pass');
  }

  protected async pass(): Promise<void> {
    const { nodes, tasks, clock } = this.deps;
    const now = clock.now();
    const actions = nodes.all().flatMap((node) => judgeDrain(node, attemptsOn(tasks, node.id), node.status === 'DOWN', now));
    await applyWhileLeading(this.deps, actions, (action) => this.apply(action));
  }

  private async apply(action: DrainAction): Promise<void> {
    const { nodes, taskWrites, log } = this.deps;
    switch (action.kind) {
      case 'stop-attempts':
        for (const a of action.attempts) await taskWrites.requestStop(a.taskId, a.attemptId, action.reason);
        log.info({ nodeId: action.nodeId, attempts: action.attempts.length }, 'drain deadline passed: stopping attempts');
        return;
      case 'drain-complete':
        await nodes.drainComplete(action.nodeId);
        log.info({ nodeId: action.nodeId }, 'node drained');
        return;
    }
  }
}

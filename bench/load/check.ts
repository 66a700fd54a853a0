/**
 * The exactly-once check, after the nodes have stopped: every task the
 * control plane accepted is read back (GetTask, a few at a time) and must be
 * SUCCEEDED with exactly one attempt, SUCCEEDED, on the node that received
 * its Assign; no task reached two nodes or one node twice (from what the
 * simulated nodes recorded); none is unknown to the control plane (lost).
 */
import type { Task__Output } from '../../proto/gen/fleet/v1/Task.js';
import { describe } from '../../node-agent/src/control-plane-client.js';
import type { FleetApi } from './api.js';
import type { SimFleet } from './sim-fleet.js';

const READ_CONCURRENCY = 32;
const EXAMPLES_KEPT = 10;

export interface ExactlyOnceReport {
  ok: boolean;
  tasks: number;
  succeeded: number;
  /** Tasks in another state at the end, by state. */
  notSucceeded: Record<string, number>;
  /** SUCCEEDED, but not with exactly one SUCCEEDED attempt on the node that was assigned it. */
  wrongAttempts: number;
  /** Tasks assigned to more than one node, or to one node under two attempts. */
  assignedTwice: number;
  /** Tasks the control plane does not know any more. */
  lost: number;
  readErrors: number;
  /**
   * Tasks the nodes were given that no submission returned (a submit that
   * failed on the client's side after the task was stored): reported, not a failure.
   */
  unknownTasks: number;
  examples: string[];
}

export async function checkExactlyOnce(api: FleetApi, taskIds: readonly string[], sims: SimFleet): Promise<ExactlyOnceReport> {
  const report: ExactlyOnceReport = { ok: false, tasks: taskIds.length, succeeded: 0, notSucceeded: {}, wrongAttempts: 0, assignedTwice: 0, lost: 0, readErrors: 0, unknownTasks: 0, examples: [] };
  const note = (problem: string) => {
    if (report.examples.length < EXAMPLES_KEPT) report.examples.push(problem);
  };
  const submitted = new Set(taskIds);
  for (const [taskId, assigns] of sims.assignsByTask) {
    if (!submitted.has(taskId)) report.unknownTasks++;
    else if (assigns.length > 1) {
      report.assignedTwice++;
      note(`${taskId}: assigned ${assigns.length} times (${assigns.map((a) => `${a.attemptId} on ${a.nodeId}`).join(', ')})`);
    }
  }

  const judge = (taskId: string, task: Task__Output | null) => {
    if (!task) {
      report.lost++;
      note(`${taskId}: not found`);
      return;
    }
    const state = task.state.replace('TASK_STATE_', '');
    if (state !== 'SUCCEEDED') {
      report.notSucceeded[state] = (report.notSucceeded[state] ?? 0) + 1;
      note(`${taskId}: ${state} (${task.message})`);
      return;
    }
    report.succeeded++;
    const [attempt] = task.attempts;
    const assigned = sims.assignsByTask.get(taskId) ?? [];
    const ranWhereAssigned = assigned.length === 1 && attempt !== undefined && assigned[0]!.attemptId === attempt.id && assigned[0]!.nodeId === attempt.nodeId;
    if (task.attempts.length !== 1 || attempt?.state !== 'ATTEMPT_STATE_SUCCEEDED' || !ranWhereAssigned) {
      report.wrongAttempts++;
      note(`${taskId}: SUCCEEDED with attempts ${task.attempts.map((a) => `${a.id} on ${a.nodeId} ${a.state}`).join(', ')}; nodes were assigned ${assigned.map((a) => `${a.attemptId} on ${a.nodeId}`).join(', ') || 'nothing'}`);
    }
  };

  let next = 0;
  await Promise.all(
    Array.from({ length: READ_CONCURRENCY }, async () => {
      while (next < taskIds.length) {
        const taskId = taskIds[next++]!;
        try {
          judge(taskId, await api.getTask(taskId));
        } catch (err) {
          report.readErrors++;
          note(`${taskId}: GetTask failed: ${describe(err)}`);
        }
      }
    }),
  );
  report.ok = report.succeeded === report.tasks && report.wrongAttempts === 0 && report.assignedTwice === 0;
  return report;
}

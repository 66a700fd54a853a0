/**
 * The leader loops' world in memory, for their unit tests: nodes and tasks in
 * maps, changed by the same pure transitions the stores apply with
 * compare-and-set (`task-state.ts`, `node-state.ts`, `drain/drain.ts`), and a
 * clock the test moves. Not used by the programs.
 */
import type { Placement } from '../../../common/rollout.js';
import type { Clock } from '../../../common/clock.js';
import { activeAttempt, EMPTY_RESOURCES, isTaskActive, type AttemptOutcome, type CordonSource, type NodeRecord, type NodeStatus, type Task, type TaskSpec } from '../../../common/model.js';
import { compileTaskSpec } from '../../../common/task-spec.js';
import { completeDrain, endDrain, startDrain } from '../drain/drain.js';
import type { ActiveTasks, NodeDirectory, NodeDrains, NodeWrites, TaskWrites } from '../leader-roles.js';
import { cordonNode, nodeStatus, uncordonNode } from '../node-state.js';
import { assignTask, attemptFinished, checkOwner, explainWait, failUnplaceable, newTask, requestStop } from '../task-state.js';

export class FakeClock implements Clock {
  constructor(public ms = 1_000_000) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export function nodeRecord(id: string, extra: Partial<NodeRecord> = {}): NodeRecord {
  return {
    id,
    name: id.replace(/^node_/, ''),
    labels: {},
    slots: 2,
    maxSlots: extra.slots ?? 2,
    status: 'READY',
    enrolledAtMs: 0,
    lastHeartbeatMs: 0,
    resources: EMPTY_RESOURCES,
    agentVersion: '',
    hostname: '',
    dockerHealthy: true,
    dockerError: '',
    revokedAtMs: 0,
    certificateExpiresAtMs: 0,
    dockerHealthySinceMs: 1,
    ...extra,
  };
}

export const plainSpec: TaskSpec = compileTaskSpec({ image: 'busybox', command: ['true'] });

export class MemoryFleet implements TaskWrites {
  readonly nodes = new Map<string, NodeRecord>();
  readonly tasks = new Map<string, Task>();
  /** Every write, in order, as "kind id": what a test asserts a loop did. */
  readonly writes: string[] = [];
  private readonly nodeListeners = new Set<(n: NodeRecord, previous: NodeRecord | undefined) => void>();
  private readonly taskListeners = new Set<(t: Task, previous: Task | undefined) => void>();
  private attemptSeq = 0;

  constructor(readonly clock: FakeClock) {}

  addNode(node: NodeRecord): NodeRecord {
    this.setNode(node);
    return node;
  }

  addTask(id: string, spec: TaskSpec = plainSpec): Task {
    const task = newTask(id, spec, this.clock.now());
    this.setTask(task);
    return task;
  }

  task(id: string): Task {
    return this.tasks.get(id)!;
  }

  node(id: string): NodeRecord {
    return this.nodes.get(id)!;
  }

  setNode(node: NodeRecord): void {
    const previous = this.nodes.get(node.id);
    this.nodes.set(node.id, node);
    for (const l of this.nodeListeners) l(node, previous);
  }

  setTask(task: Task): void {
    const previous = this.tasks.get(task.id);
    this.tasks.set(task.id, task);
    for (const l of this.taskListeners) l(task, previous);
  }

  /** The node directory as the loops see it. */
  get nodesView(): NodeDirectory & NodeWrites & NodeDrains {
    return {
      all: () => [...this.nodes.values()],
      onChange: (l) => {
        this.nodeListeners.add(l);
        return () => this.nodeListeners.delete(l);
      },
      setStatus: (id, status, onlyIf) => this.setStatus(id, status, onlyIf),
      cordon: (id, by, reason) => this.cordon(id, by, reason),
      uncordon: (id, by) => this.uncordon(id, by),
      drainComplete: (id) => this.drainComplete(id),
      drain: (id, deadlineMs) => this.drain(id, deadlineMs),
      endDrain: (id) => this.endDrain(id),
    };
  }

  /** The active tasks as the loops see them. */
  get tasksView(): ActiveTasks {
    return {
      pending: () => this.pending(),
      onNode: (id) => this.onNode(id),
      activeAttemptsOn: (id) => this.activeAttemptsOn(id),
      activeAttemptsOf: (provider) => [...this.tasks.values()].filter((t) => isTaskActive(t) && activeAttempt(t) && t.spec.cline?.provider === provider).length,
      activeAttemptsOfTeam: (team) => [...this.tasks.values()].filter((t) => isTaskActive(t) && activeAttempt(t) && (t.spec.team ?? '') === team).length,
      runningTeams: () => new Set([...this.tasks.values()].filter((t) => isTaskActive(t) && activeAttempt(t)).map((t) => t.spec.team ?? '')),
      onChange: (l) => {
        this.taskListeners.add(l);
        return () => this.taskListeners.delete(l);
      },
    };
  }

  pending(): Task[] {
    return [...this.tasks.values()].filter((t) => t.state === 'PENDING');
  }

  onNode(nodeId: string): Task[] {
    return [...this.tasks.values()].filter((t) => isTaskActive(t) && activeAttempt(t)?.nodeId === nodeId);
  }

  activeAttemptsOn(nodeId: string): number {
    return this.onNode(nodeId).length;
  }

  async assign(taskId: string, nodeId: string, leaderEpoch: number, placement?: Placement): Promise<boolean> {
    const task = this.tasks.get(taskId);
    if (!task || task.state !== 'PENDING') return false;
    this.writes.push(`assign ${taskId} ${nodeId}`);
    this.setTask(assignTask(task, `att_${++this.attemptSeq}`, nodeId, this.clock.now(), leaderEpoch, placement));
    return true;
  }

  async finished(nodeId: string, taskId: string, attemptId: string, outcome: AttemptOutcome): Promise<Task | null> {
    const task = this.tasks.get(taskId)!;
    checkOwner(task, nodeId, attemptId);
    const next = attemptFinished(task, attemptId, outcome, this.clock.now(), () => 0);
    if (!next) return null;
    this.writes.push(`finished ${taskId} ${outcome.state}`);
    this.setTask(next);
    return next;
  }

  async explainWait(taskId: string, why: string): Promise<void> {
    const next = explainWait(this.tasks.get(taskId)!, why, this.clock.now());
    if (next) this.setTask(next);
  }

  async failUnplaceable(taskId: string, why: string): Promise<void> {
    const next = failUnplaceable(this.tasks.get(taskId)!, why, this.clock.now());
    if (!next) return;
    this.writes.push(`fail ${taskId}`);
    this.setTask(next);
  }

  async requestStop(taskId: string, attemptId: string, reason: string): Promise<void> {
    const next = requestStop(this.tasks.get(taskId)!, attemptId, reason, this.clock.now());
    if (!next) return;
    this.writes.push(`stop ${taskId}`);
    this.setTask(next);
  }

  async setStatus(nodeId: string, status: NodeStatus, onlyIf?: (n: NodeRecord) => boolean): Promise<void> {
    this.updateNode(nodeId, `status ${status}`, (n) => (onlyIf && !onlyIf(n) ? null : nodeStatus(n, status)));
  }

  async cordon(nodeId: string, by: CordonSource, reason: string): Promise<void> {
    this.updateNode(nodeId, `cordon ${by}`, (n) => cordonNode(n, by, reason, this.clock.now()));
  }

  async uncordon(nodeId: string, by: CordonSource): Promise<void> {
    this.updateNode(nodeId, `uncordon ${by}`, (n) => uncordonNode(n, by));
  }

  async drain(nodeId: string, deadlineMs: number): Promise<void> {
    this.updateNode(nodeId, 'drain', (n) => startDrain(n, this.clock.now(), deadlineMs));
  }

  async endDrain(nodeId: string): Promise<void> {
    this.updateNode(nodeId, 'end-drain', (n) => endDrain(n));
  }

  async drainComplete(nodeId: string): Promise<void> {
    this.updateNode(nodeId, 'drained', (n) => completeDrain(n, this.clock.now()));
  }

  private updateNode(nodeId: string, what: string, decide: (n: NodeRecord) => NodeRecord | null): void {
    const next = decide(this.nodes.get(nodeId)!);
    if (!next) return;
    this.writes.push(`${what} ${nodeId}`);
    this.setNode(next);
  }
}

/**
 * What the leader's loops (scheduler, node monitor, drainer) read and write,
 * as roles. The replica wires in its live views and its stores; the loops'
 * tests wire in plain objects and a fake clock, so every decision a loop
 * makes is tested in memory.
 */
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/logger.js';
import { errorMessage } from '../../common/errors.js';
import { InFlight } from '../../common/self-check.js';
import { activeAttempt, type AttemptOutcome, type NodeRecord, type Task } from '../../common/model.js';
import type { Placement } from '../../common/rollout.js';

/** The nodes as this replica sees them (a KV watch keeps them current). */
export interface NodeDirectory {
  all(): NodeRecord[];
  /** `previous`: the record as it was before this change (undefined for a new node). */
  onChange(listener: (node: NodeRecord, previous: NodeRecord | undefined) => void): () => void;
}

/** The tasks that still need attention, and which node each occupies. */
export interface ActiveTasks {
  pending(): Task[];
  onNode(nodeId: string): Task[];
  activeAttemptsOn(nodeId: string): number;
  /** Active attempts of Cline tasks using this provider, fleet-wide. */
  activeAttemptsOf(provider: string): number;
  /** Tasks of the team ('' = of no team) holding a slot. */
  activeAttemptsOfTeam(team: string): number;
  /** The teams with a task holding a slot ('' among them when a task of no team does). */
  runningTeams(): Iterable<string>;
  /** `previous`: the task as this view held it before the change (undefined: it was not active). */
  onChange(listener: (task: Task, previous: Task | undefined) => void): () => void;
}

/** Task writes the leader makes; each is a compare-and-set, so a repeat changes nothing. */
export interface TaskWrites {
  /** False when the task moved on meanwhile. */
  /** `placement`: the image a rollout chose for the attempt, and its side (absent: the task's own image). */
  assign(taskId: string, nodeId: string, leaderEpoch: number, placement?: Placement): Promise<boolean>;
  /** Records how an attempt ended on the node's behalf (a lost node). */
  finished(nodeId: string, taskId: string, attemptId: string, outcome: AttemptOutcome): Promise<Task | null>;
  /** Asks the node to stop an attempt whose task goes on. */
  requestStop(taskId: string, attemptId: string, reason: string): Promise<void>;
  /** Says why a PENDING task waits (only when that changed). */
  explainWait(taskId: string, why: string): Promise<void>;
  /** Ends a PENDING task that no node will run as it is. */
  failUnplaceable(taskId: string, why: string): Promise<void>;
}

/** Node writes the leader makes. */
export interface NodeWrites {
  setStatus(nodeId: string, status: NodeRecord['status'], onlyIf?: (n: NodeRecord) => boolean): Promise<void>;
  cordon(nodeId: string, by: 'AUTO', reason: string): Promise<unknown>;
  uncordon(nodeId: string, by: 'AUTO'): Promise<unknown>;
  drainComplete(nodeId: string): Promise<void>;
}

/** Drains the leader begins and ends itself (autoscaling's scale-in). */
export interface NodeDrains {
  drain(nodeId: string, deadlineMs: number): Promise<unknown>;
  endDrain(nodeId: string): Promise<unknown>;
}

/** The epoch while this replica may act as leader, or null: checked before every write. */
export type LeadingEpoch = () => number | null;

export interface LeaderContext {
  clock: Clock;
  log: Logger;
  leadingEpoch: LeadingEpoch;
}

/** An attempt that occupies a node. */
export interface ActiveAttemptRef {
  taskId: string;
  attemptId: string;
  /** The node was already asked to stop it. */
  stopRequested: boolean;
}

export function attemptsOn(tasks: ActiveTasks, nodeId: string): ActiveAttemptRef[] {
  return tasks.onNode(nodeId).flatMap((t) => {
    const a = activeAttempt(t);
    return a ? [{ taskId: t.id, attemptId: a.id, stopRequested: Boolean(a.stopRequested) }] : [];
  });
}

/**
 * Applies a loop's decisions in order while leadership lasts: none after it
 * has ended (it can end mid-pass). A failed action is logged and the rest go
 * on; the next pass decides again from fresh data. False when leadership ended.
 */
export async function applyWhileLeading<A extends { kind: string; nodeId: string }>(ctx: LeaderContext, actions: readonly A[], apply: (action: A) => Promise<void>): Promise<boolean> {
  for (const action of actions) {
    if (ctx.leadingEpoch() === null) return false;
    await apply(action).catch((err: unknown) => ctx.log.warn({ nodeId: action.nodeId, action: action.kind, err: errorMessage(err) }, 'leader action failed'));
  }
  return true;
}

/**
 * A leader pass that has not ended after this long (every store call in it
 * has a timeout) waits on something that will never answer: the replica's
 * self-check fails, and systemd restarts it.
 */
export const LEADER_PASS_BOUND_MS = 60_000;

/**
 * A leader loop that runs a pass every `everyMs` while started, never two at
 * once: a pass that outlasts the interval makes the next one wait, not pile up.
 */
export abstract class PeriodicLoop {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  /** For the self-check: a pass that does not end. */
  readonly passes: InFlight;

  constructor(
    private readonly everyMs: number,
    name: string,
  ) {
    this.passes = new InFlight(name, LEADER_PASS_BOUND_MS);
  }

  protected abstract pass(): Promise<void>;

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), Math.max(100, this.everyMs));
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Runs a pass now, unless one is running. */
  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.passes.track(this.pass());
    } finally {
      this.busy = false;
    }
  }
}

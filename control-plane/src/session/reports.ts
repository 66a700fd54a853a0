/**
 * What one node reports, applied to the store: heartbeats become the node
 * record's liveness and health, attempt events become task transitions and
 * log chunks, and finished attempts feed the node's circuit breaker. The
 * node's identity is the session's (from its credential); which attempts are
 * its own comes from the stored task records (`checkOwner`), never from the
 * report.
 */
import { NotFoundError, PermissionError, ValidationError } from '../../../common/errors.js';
import type { Logger } from '../../../common/logger.js';
import type { AttemptEvent, AttemptOutcome, HeartbeatReport } from '../../../common/model.js';
import type { Nodes } from '../nodes.js';
import type { LogStore } from '../store/log-store.js';
import type { TaskIndex } from '../task-index.js';
import { ownedAttempt, StaleAttemptError } from '../task-state.js';
import type { Tasks } from '../tasks.js';

export interface ReportDeps {
  tasks: Tasks;
  index: TaskIndex;
  nodes: Nodes;
  logs: LogStore;
}

/**
 * stored: the effect is durable, acknowledge it. stale: the attempt is not
 * (or no longer) current; acknowledge, and the node should stop it. refused:
 * the report can never be right (not this node's attempt, bad values);
 * acknowledge so the node drops it. Anything thrown instead (the store is
 * unavailable) ends the session unacknowledged, and the node resends.
 */
export type ReportVerdict = 'stored' | 'stale' | 'refused';

export class NodeReports {
  constructor(
    private readonly nodeId: string,
    private readonly deps: ReportDeps,
    private readonly log: Logger,
  ) {}

  /**
   * Attempts the node declined (it could not journal them, so it started
   * nothing) go back to the queue first; then the node record. The ack that
   * follows tells the node both are stored.
   */
  async heartbeat(beat: HeartbeatReport): Promise<void> {
    // The node record first: its disk pressure must keep the requeued attempts from coming straight back.
    await this.deps.nodes.heartbeat(this.nodeId, beat);
    if (beat.declined.length > 0) await this.diskFull(beat.declined[0]!.error);
    for (const d of beat.declined) {
      const outcome: AttemptOutcome = { state: 'LOST', error: d.error, failureKind: 'INFRASTRUCTURE', reason: d.reason };
      await this.refusing(d.taskId, d.attemptId, 'declined', () => this.deps.tasks.finished(this.nodeId, d.taskId, d.attemptId, outcome).then(() => {}));
    }
  }

  /** A node that could not journal an attempt is short of space, whatever its free-space figures say (a quota, no inodes). */
  private async diskFull(error: string): Promise<void> {
    await this.deps.nodes.cordon(this.nodeId, 'AUTO', `disk pressure: ${error}`);
  }

  async event(event: AttemptEvent): Promise<ReportVerdict> {
    return this.refusing(event.taskId, event.attemptId, event.kind, () => this.apply(event));
  }

  /**
   * A run of one attempt's reports that came together (`joinsRun`), as one
   * change of its record (`Tasks.reported`), with a verdict for each. A run
   * the store refuses as a whole (a stale attempt, a report that can never
   * be right) is applied again one report at a time, so that each gets the
   * verdict it would have had alone.
   */
  async run(events: readonly RunEvent[]): Promise<ReportVerdict[]> {
    const [first] = events;
    if (!first || events.length === 1) return Promise.all(events.map((e) => this.event(e)));
    if (events.some((e, i) => e.taskId !== first.taskId || e.attemptId !== first.attemptId || (e.kind === 'finished' && i < events.length - 1) || !joinsRun(e))) {
      throw new Error('a run holds reports of one attempt that may go together, a finished one last');
    }
    try {
      await this.deps.tasks.reported(this.nodeId, first.taskId, first.attemptId, events);
    } catch (err) {
      if (!refusal(err)) throw err;
      const verdicts: ReportVerdict[] = [];
      for (const e of events) verdicts.push(await this.event(e));
      return verdicts;
    }
    const last = events[events.length - 1]!;
    if (last.kind === 'finished') await this.deps.nodes.recordAttemptResult(this.nodeId, countsAgainstNode(last.outcome));
    return events.map(() => 'stored');
  }

  /**
   * A finished report whose body could not be read still ends its attempt,
   * as an infrastructure failure: dropping it would leave the task waiting
   * for an outcome its node has already given up on.
   */
  async unreadableOutcome(taskId: string, attemptId: string, err: ValidationError): Promise<ReportVerdict> {
    this.log.warn({ taskId, attemptId, err: err.message }, 'unreadable attempt outcome; recorded as an infrastructure failure');
    const outcome: AttemptOutcome = { state: 'FAILED', error: `the node's report could not be read: ${err.message}`, failureKind: 'INFRASTRUCTURE' };
    return this.refusing(taskId, attemptId, 'finished', () => this.finished(taskId, attemptId, outcome, new Uint8Array(0)));
  }

  private async refusing(taskId: string, attemptId: string, kind: string, work: () => Promise<void>): Promise<ReportVerdict> {
    try {
      await work();
      return 'stored';
    } catch (err) {
      const verdict = refusal(err);
      if (verdict === 'stale') this.log.warn({ taskId, attemptId, event: kind }, 'report from a stale attempt refused');
      else if (verdict === 'refused') this.log.warn({ taskId, attemptId, event: kind, err: (err as Error).message }, 'report refused');
      else throw err;
      return verdict;
    }
  }

  private async apply(event: AttemptEvent): Promise<void> {
    const { tasks } = this.deps;
    switch (event.kind) {
      case 'started':
        return tasks.started(this.nodeId, event.taskId, event.attemptId, event.containerId);
      case 'progress':
        return tasks.progress(this.nodeId, event.taskId, event.attemptId, event.progress);
      case 'output':
        return this.output(event);
      case 'finished':
        return this.finished(event.taskId, event.attemptId, event.outcome, event.patch);
    }
  }

  private async output(event: Extract<AttemptEvent, { kind: 'output' }>): Promise<void> {
    const task = this.deps.index.get(event.taskId) ?? (await this.deps.tasks.getVersioned(event.taskId))?.value;
    if (!task) throw new NotFoundError(`task ${event.taskId} not found`);
    // Output of an attempt that has just been superseded is still its output: only ownership matters here.
    ownedAttempt(task, this.nodeId, event.attemptId);
    await this.deps.logs.append({ taskId: event.taskId, attemptId: event.attemptId, stream: event.stream, data: event.data, atMs: event.atMs }, `${event.attemptId}.${event.seq}`);
  }

  private async finished(taskId: string, attemptId: string, outcome: AttemptOutcome, patch: Uint8Array): Promise<void> {
    // An engine that is away or failing, or a disk that is full, trips the
    // breaker at once, before the task is requeued, so that the retry does
    // not come back to it.
    if (outcome.reason === 'disk_full') await this.diskFull(outcome.error);
    else if (cordons(outcome)) await this.deps.nodes.cordon(this.nodeId, 'AUTO', `docker engine failed: ${outcome.error}`);
    await this.deps.tasks.finished(this.nodeId, taskId, attemptId, outcome, outcome.result && patch.length > 0 ? patch : undefined);
    await this.deps.nodes.recordAttemptResult(this.nodeId, countsAgainstNode(outcome));
  }
}

/** How the store refusing a report is answered (see ReportVerdict); null: not a refusal (the store failed). */
function refusal(err: unknown): 'stale' | 'refused' | null {
  if (err instanceof StaleAttemptError || err instanceof NotFoundError) return 'stale';
  if (err instanceof PermissionError || err instanceof ValidationError) return 'refused';
  return null;
}

/** A report `NodeReports.run` may apply together with others of its attempt. */
export type RunEvent = Extract<AttemptEvent, { kind: 'started' | 'progress' | 'finished' }>;

/**
 * Whether `event` may join a run of reports of its attempt: not output (it
 * goes to the log store), and not a finished attempt with a patch to store
 * first or a failure that cordons the node (those are applied alone, as
 * `finished` does them).
 */
export function joinsRun(event: AttemptEvent): event is RunEvent {
  if (event.kind === 'started' || event.kind === 'progress') return true;
  if (event.kind !== 'finished') return false;
  const { outcome, patch } = event;
  return !(outcome.result && patch.length > 0) && !cordons(outcome);
}

/** The failures after which `finished` cordons the node before the task is requeued (the disk's, or the engine's). */
function cordons(outcome: AttemptOutcome): boolean {
  return outcome.reason === 'engine_unavailable' || outcome.reason === 'engine_error' || outcome.reason === 'disk_full';
}

/**
 * Only failures to run at all count toward the node's breaker streak: not
 * lost or stopped attempts, which say nothing about the node's health, nor a
 * missing image (the node is fine; the task goes where the image is) or a
 * full disk (a condition of its own, with its own cordon).
 */
function countsAgainstNode(outcome: AttemptOutcome): boolean {
  return outcome.state === 'FAILED' && outcome.failureKind === 'INFRASTRUCTURE' && outcome.reason !== 'image_missing' && outcome.reason !== 'disk_full';
}

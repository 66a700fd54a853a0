/**
 * Delivery to one node, level-triggered: on hello, and on every change of a
 * task placed on the node, compare what the node should be doing (stored
 * state, `desiredOnNode`) with what it was last told or said it runs, and
 * send Assign or Cancel for the difference. A lost message is never a lost
 * task, because the next hello reconciles again.
 */
import { errorMessage } from '../../../common/errors.js';
import { AGENT_PROTOCOL, RATE_PERMITS_PROTOCOL, TEAM_BUDGETS_PROTOCOL } from '../../../common/protocol.js';
import type { Teams } from '../teams.js';
import type { Logger } from '../../../common/logger.js';
import { activeAttempt, type ControlMessage, type Task, type TaskSpec } from '../../../common/model.js';
import type { Nodes } from '../nodes.js';
import type { Providers } from '../providers.js';
import type { TaskIndex } from '../task-index.js';
import { desiredOnNode } from '../task-state.js';

export interface DeliveryDeps {
  index: TaskIndex;
  nodes: Pick<Nodes, 'resolve'>;
  providers: Providers;
  cancelGraceMs: number;
  /** Teams' budgets: a Cline task of a team with one goes only to agents that enforce it. */
  teams: Pick<Teams, 'settings'>;
}

export class Delivery {
  /**
   * What each attempt was last told (or, from the hello, is doing); 'done':
   * its outcome is stored, so an older change of its task (the view can lag
   * behind this session's own writes) does not send it again.
   */
  private readonly sent = new Map<string, 'run' | 'stop' | 'done'>();
  /** The node session protocol the agent said in its hello. */
  agentProtocol = AGENT_PROTOCOL;

  constructor(
    private readonly nodeId: string,
    private readonly deps: DeliveryDeps,
    private readonly send: (message: ControlMessage) => void,
    private readonly log: Logger,
  ) {}

  /**
   * The node's hello lists what it runs: what it should not run is stopped,
   * what it should run and does not is sent.
   */
  reconcile(reported: readonly string[]): void {
    for (const attemptId of reported) this.sent.set(attemptId, 'run');
    const wanted = new Set<string>();
    for (const task of this.deps.index.onNode(this.nodeId)) {
      const desired = desiredOnNode(task, this.nodeId);
      if (desired.kind !== 'none') wanted.add(desired.attempt.id);
      this.deliver(task);
    }
    for (const attemptId of reported) {
      if (!wanted.has(attemptId)) this.cancel('', attemptId, 'the attempt is no longer current');
    }
  }

  /** A task changed: tell the node if that changes what it should do. */
  deliver(task: Task): void {
    const desired = desiredOnNode(task, this.nodeId);
    if (desired.kind === 'none') {
      // The view has caught up with the outcomes: nothing more to remember about them.
      for (const attempt of task.attempts) if (this.sent.get(attempt.id) === 'done') this.sent.delete(attempt.id);
      return;
    }
    const told = this.sent.get(desired.attempt.id);
    if (told === desired.kind || told === 'done') return;
    this.sent.set(desired.attempt.id, desired.kind);
    if (desired.kind === 'stop') {
      this.cancel(task.id, desired.attempt.id, task.message);
      return;
    }
    if (task.spec.cline) void this.assignCline(task, desired.attempt.id);
    else this.send({ kind: 'assign', assign: { taskId: task.id, attemptId: desired.attempt.id, spec: specFor(task, desired.attempt.id), provider: null } });
    this.log.debug({ taskId: task.id, attemptId: desired.attempt.id }, 'assign sent');
  }

  /** The attempt's outcome is stored: nothing more to tell the node about it. */
  finished(taskId: string, attemptId: string): void {
    // Remembered only while the view still shows it active: once it does not, no older change can come.
    const task = this.deps.index.get(taskId);
    if (task && activeAttempt(task)?.id === attemptId) this.sent.set(attemptId, 'done');
    else this.sent.delete(attemptId);
  }

  cancel(taskId: string, attemptId: string, reason: string): void {
    this.sent.set(attemptId, 'stop');
    this.send({ kind: 'cancel', cancel: { taskId, attemptId, reason, graceMs: this.deps.cancelGraceMs } });
    this.log.info({ taskId, attemptId, reason }, 'cancel sent');
  }

  /**
   * A Cline attempt carries its provider's key to the node's gateway. If the
   * provider is gone, this replica cannot decrypt it, or the node is not one
   * the provider's node selector allows, the Assign goes without one and the
   * agent fails the attempt as a provider_error.
   */
  private async assignCline(task: Task, attemptId: string): Promise<void> {
    // Inside the chain: a node gone from this replica's view must fail the grant, not throw past it.
    const provider = await Promise.resolve()
      .then(() => this.deps.providers.grant(task.spec.cline!.provider, this.deps.nodes.resolve(this.nodeId)))
      .catch((err: unknown) => {
        this.log.warn({ taskId: task.id, attemptId, provider: task.spec.cline!.provider, err: errorMessage(err) }, 'provider not granted');
        return null;
      });
    // An agent that does not ask for permits would call a rate-limited provider unchecked: it gets no key for one.
    const unchecked = provider && this.agentProtocol < RATE_PERMITS_PROTOCOL && [provider, ...(provider.fallbacks ?? [])].some((e) => e.rateLimited);
    if (unchecked) {
      this.log.warn({ taskId: task.id, attemptId, provider: provider.name, agentProtocol: this.agentProtocol }, `provider not granted: it has a fleet-wide rate limit, and this node's agent (node protocol ${this.agentProtocol}) does not ask for permits; upgrade the agent`);
    }
    // Nor may an agent that does not report team spend call for a team with a budget.
    const team = task.spec.team ? this.deps.teams.settings(task.spec.team) : null;
    const unbudgeted = provider && team && (team.dailyTokens > 0 || team.dailyCostUsd > 0) && this.agentProtocol < TEAM_BUDGETS_PROTOCOL;
    if (unbudgeted) {
      this.log.warn({ taskId: task.id, attemptId, team: task.spec.team, agentProtocol: this.agentProtocol }, `provider not granted: team "${task.spec.team}" has a daily budget, and this node's agent (node protocol ${this.agentProtocol}) does not report team spend; upgrade the agent`);
    }
    // A cancel sent while the provider was read goes first; the agent must not get the attempt after it.
    if (this.sent.get(attemptId) !== 'run') return;
    this.send({ kind: 'assign', assign: { taskId: task.id, attemptId, spec: specFor(task, attemptId), provider: unchecked || unbudgeted ? null : provider } });
  }
}

/** The spec an attempt runs: the task's, with the image a rollout chose for the attempt. */
function specFor(task: Task, attemptId: string): TaskSpec {
  const attempt = task.attempts.find((a) => a.id === attemptId);
  return attempt?.image ? { ...task.spec, image: attempt.image } : task.spec;
}

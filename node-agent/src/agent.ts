/**
 * The node agent's core: turns Assign and Cancel into attempt runners,
 * removes containers once their outcome is stored, resumes journaled attempts
 * after a restart, and reaps fleet containers that belong to no attempt.
 */
import { readdir } from 'node:fs/promises';
import type { Clock } from '../../common/clock.js';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { AttemptOutcome, Assignment, CancelOrder, TaskSpec } from '../../common/model.js';
import { AttemptRunner, DEFAULT_STOP_GRACE_MS } from './attempt-runner.js';
import type { ContainerRuntime } from './container-runtime.js';
import { attemptDir } from './cline-attempt.js';
import { admitsWork, drain, type AgentState } from './drain.js';
import type { Journal, JournalAttempt, LlmGrantRecord } from './journal.js';
import { newGatewayToken, type LlmGateway } from './llm-gateway.js';
import { removeWorkspace } from './workspace.js';

const REAP_INTERVAL_MS = 60_000;
const MAX_GRACE_MS = 10 * 60_000;

export interface AgentIdentity {
  nodeId: string;
  name: string;
  labels: Record<string, string>;
  slots: number;
  hostname: string;
  agentVersion: string;
}

export interface DockerHealth {
  healthy: boolean;
  error: string;
}

export class NodeAgent {
  private readonly runners = new Map<string, AttemptRunner>();
  private reapTimer: NodeJS.Timeout | undefined;
  private docker: DockerHealth = { healthy: false, error: 'not checked yet' };
  private state: AgentState = 'running';
  /** Called when containers were removed, so the control plane hears of it soon (drains wait for it). */
  onContainersRemoved: () => void = () => {};

  constructor(
    readonly identity: AgentIdentity,
    private readonly runtime: ContainerRuntime,
    private readonly journal: Journal,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly cline: { gateway: LlmGateway; attemptsDir: string },
  ) {}

  /**
   * Reaps strays, then resumes what the journal holds. Call once at start:
   * reaping first means a container created just before a crash (and never
   * journaled) is gone before its attempt is started again.
   */
  async start(): Promise<void> {
    await this.checkDocker();
    await this.removeStoredResults();
    await this.reap();
    for (const attempt of this.journal.active()) {
      if (attempt.state === 'accepted' || attempt.state === 'running') this.launch(attempt);
    }
    this.reapTimer = setInterval(() => void this.reap(), REAP_INTERVAL_MS);
    this.reapTimer.unref();
  }

  /** Leaves containers running: the next agent process adopts them. */
  stop(): void {
    this.state = 'stopped';
    clearInterval(this.reapTimer);
  }

  get dockerHealth(): DockerHealth {
    return this.docker;
  }

  async checkDocker(): Promise<DockerHealth> {
    try {
      await this.runtime.ping();
      this.docker = { healthy: true, error: '' };
    } catch (err) {
      if (this.docker.healthy) this.log.warn({ err: errorMessage(err) }, 'docker engine unreachable');
      this.docker = { healthy: false, error: errorMessage(err) };
    }
    return this.docker;
  }

  /** Attempts this node runs or holds a result for: what the hello reports. */
  activeAttemptIds(): string[] {
    return this.journal.active().map((a) => a.attemptId);
  }

  freeSlots(): number {
    return Math.max(0, this.identity.slots - this.runners.size);
  }

  get draining(): boolean {
    return this.state === 'draining';
  }

  get runningAttempts(): number {
    return this.runners.size;
  }

  /** Fleet containers on this node, running or awaiting removal; undefined if Docker does not answer. */
  async fleetContainers(): Promise<number | undefined> {
    return this.runtime.list(this.identity.nodeId).then((list) => list.length, () => undefined);
  }

  assign(assignment: Assignment): void {
    const { taskId, attemptId, spec } = assignment;
    if (!admitsWork(this.state)) {
      // Sent before the control plane heard we are draining: give it straight back.
      this.giveBack(taskId, attemptId, { state: 'LOST', error: `node ${this.identity.name} is draining`, failureKind: 'INFRASTRUCTURE' });
      return;
    }
    // A Cline attempt's provider key stays in this process and its journal;
    // the container gets only the attempt's own gateway token.
    const llm: LlmGrantRecord | null = spec.cline ? { provider: assignment.provider, token: newGatewayToken() } : null;
    if (!this.journal.accept(attemptId, taskId, JSON.stringify(spec), this.clock.now(), llm)) return;
    this.log.info({ taskId, attemptId }, 'attempt accepted');
    this.launch(this.journal.get(attemptId)!);
  }

  /** An Assign this node cannot read (the control plane validated it: mismatched versions) fails at the infrastructure level. */
  refuse(ref: { taskId: string; attemptId: string }, problem: string): void {
    this.giveBack(ref.taskId, ref.attemptId, { state: 'FAILED', error: `node ${this.identity.nodeId} cannot read the task spec: ${problem}`, failureKind: 'INFRASTRUCTURE' });
  }

  /** Journals an outcome for an attempt that never ran here (once: a resent Assign changes nothing). */
  private giveBack(taskId: string, attemptId: string, outcome: AttemptOutcome): void {
    if (this.journal.accept(attemptId, taskId, '{}', this.clock.now())) this.journal.finished(attemptId, taskId, outcome, this.clock.now());
  }

  cancel(order: CancelOrder): void {
    const grace = Math.min(MAX_GRACE_MS, order.graceMs || DEFAULT_STOP_GRACE_MS);
    const runner = this.runners.get(order.attemptId);
    if (runner) {
      this.log.info({ taskId: order.taskId, attemptId: order.attemptId, reason: order.reason }, 'cancelling attempt');
      void runner.cancel(order.reason, grace);
      return;
    }
    // Not running here: perhaps a container from before a crash. The reaper decides.
    void this.reap();
  }

  /** The control plane stored these attempts' outcomes: their containers can go. */
  async acknowledged(attemptIds: string[]): Promise<void> {
    let removed = false;
    for (const attemptId of attemptIds) {
      const attempt = this.journal.get(attemptId);
      if (attempt?.containerId) {
        await this.runtime.remove(attempt.containerId).catch((err: unknown) => this.log.warn({ attemptId, err: errorMessage(err) }, 'container not removed'));
        removed = true;
      }
      await removeWorkspace(attemptDir(this.cline.attemptsDir, attemptId)).catch((err: unknown) => this.log.warn({ attemptId, err: errorMessage(err) }, 'workspace not removed'));
      this.journal.markDone(attemptId, this.clock.now());
    }
    if (removed) this.onContainersRemoved();
  }

  /**
   * Stops every attempt this node runs and reports them LOST: used when the
   * node was cut off from the control plane for so long that their tasks
   * are (or are about to be) given to other nodes.
   */
  stopAll(reason: string, graceMs: number): void {
    if (this.runners.size === 0) return;
    this.log.warn({ attempts: this.runners.size, reason }, 'stopping every attempt on this node');
    for (const runner of this.runners.values()) void runner.cancel(reason, graceMs, 'LOST');
  }

  /** Drains before the agent stops (`drain.ts`): no new work from now on. */
  async drain(deadlineMs: number, graceMs: number): Promise<void> {
    this.state = 'draining';
    await drain({ nodeName: this.identity.name, running: () => this.runners.size, stopAll: (reason, grace) => this.stopAll(reason, grace) }, deadlineMs, graceMs, this.clock, this.log);
  }

  private launch(attempt: JournalAttempt): void {
    if (this.runners.has(attempt.attemptId)) return;
    const runner = new AttemptRunner(attempt, JSON.parse(attempt.specJson) as TaskSpec, {
      runtime: this.runtime,
      journal: this.journal,
      nodeId: this.identity.nodeId,
      clock: this.clock,
      log: this.log,
      gateway: this.cline.gateway,
      attemptsDir: this.cline.attemptsDir,
    });
    this.runners.set(attempt.attemptId, runner);
    void runner.run().finally(() => this.runners.delete(attempt.attemptId));
  }

  private async removeStoredResults(): Promise<void> {
    await this.acknowledged(this.journal.acknowledgedButNotDone().map((a) => a.attemptId));
  }

  /**
   * A fleet container whose attempt this journal does not know (the data dir
   * was replaced) or has finished with (done) would run or sit forever
   * unsupervised: nobody else will ever stop it, so it is removed.
   */
  async reap(): Promise<void> {
    try {
      const containers = await this.runtime.list(this.identity.nodeId);
      for (const c of containers) {
        // A runner may be between creating its container and journaling it.
        if (this.runners.has(c.attemptId)) continue;
        const attempt = this.journal.get(c.attemptId);
        const reason = !attempt
          ? 'attempt unknown to this node'
          : attempt.state === 'done'
            ? 'attempt already reported'
            : attempt.containerId !== c.id
              ? 'created but never journaled (the agent stopped in between)'
              : null;
        if (!reason) continue;
        this.log.warn({ containerId: c.id.slice(0, 12), taskId: c.taskId, attemptId: c.attemptId, reason }, 'removing orphaned container');
        await this.runtime.remove(c.id);
      }
      await this.reapWorkspaces();
      this.journal.prune(this.clock.now());
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'reaper pass failed');
    }
  }

  /** Workspaces whose attempt is done or unknown (a crash between the ack and the removal, a replaced journal). */
  private async reapWorkspaces(): Promise<void> {
    const entries = await readdir(this.cline.attemptsDir).catch(() => [] as string[]);
    for (const attemptId of entries) {
      if (this.runners.has(attemptId)) continue;
      const attempt = this.journal.get(attemptId);
      if (attempt && attempt.state !== 'done') continue;
      this.log.info({ attemptId, reason: attempt ? 'attempt already reported' : 'attempt unknown to this node' }, 'removing stale workspace');
      await removeWorkspace(attemptDir(this.cline.attemptsDir, attemptId));
    }
  }
}

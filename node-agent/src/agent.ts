/**
 * The node agent's core: turns Assign and Cancel into attempt runners,
 * removes containers once their outcome is stored, resumes journaled attempts
 * after a restart, and reaps fleet containers that belong to no attempt.
 */
import type { Clock } from '../../common/clock.js';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { TaskSpec } from '../../common/model.js';
import { compileTaskSpec } from '../../common/task-spec.js';
import type { Assign__Output } from '../../proto/gen/fleet/v1/Assign.js';
import type { Cancel__Output } from '../../proto/gen/fleet/v1/Cancel.js';
import { AttemptRunner, DEFAULT_STOP_GRACE_MS } from './attempt-runner.js';
import type { ContainerRuntime } from './container-runtime.js';
import type { Journal, JournalAttempt } from './journal.js';

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

  constructor(
    readonly identity: AgentIdentity,
    private readonly runtime: ContainerRuntime,
    private readonly journal: Journal,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Resumes what the journal holds, then reaps strays. Call once at start. */
  async start(): Promise<void> {
    await this.checkDocker();
    for (const attempt of this.journal.active()) {
      if (attempt.state === 'accepted' || attempt.state === 'running') this.launch(attempt);
    }
    await this.removeStoredResults();
    await this.reap();
    this.reapTimer = setInterval(() => void this.reap(), REAP_INTERVAL_MS);
    this.reapTimer.unref();
  }

  /** Leaves containers running: the next agent process adopts them. */
  stop(): void {
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

  assign(message: Assign__Output): void {
    const { taskId, attemptId } = message;
    let specJson: string;
    try {
      specJson = JSON.stringify(compileTaskSpec(message.spec));
    } catch (err) {
      // The control plane validated it; a spec we cannot read means mismatched versions.
      this.journal.accept(attemptId, taskId, '{}', this.clock.now());
      this.journal.finished(attemptId, taskId, { state: 'FAILED', error: `node ${this.identity.nodeId} cannot read the task spec: ${errorMessage(err)}`, failureKind: 'INFRASTRUCTURE' }, this.clock.now());
      return;
    }
    if (!this.journal.accept(attemptId, taskId, specJson, this.clock.now())) return;
    this.log.info({ taskId, attemptId }, 'attempt accepted');
    this.launch(this.journal.get(attemptId)!);
  }

  cancel(message: Cancel__Output): void {
    const grace = Math.min(MAX_GRACE_MS, Math.max(0, Number(message.graceMs) || DEFAULT_STOP_GRACE_MS));
    const runner = this.runners.get(message.attemptId);
    if (runner) {
      this.log.info({ taskId: message.taskId, attemptId: message.attemptId, reason: message.reason }, 'cancelling attempt');
      void runner.cancel(message.reason, grace);
      return;
    }
    // Not running here: perhaps a container from before a crash. The reaper decides.
    void this.reap();
  }

  /** The control plane stored these attempts' outcomes: their containers can go. */
  async acknowledged(attemptIds: string[]): Promise<void> {
    for (const attemptId of attemptIds) {
      const attempt = this.journal.get(attemptId);
      if (attempt?.containerId) await this.runtime.remove(attempt.containerId).catch((err: unknown) => this.log.warn({ attemptId, err: errorMessage(err) }, 'container not removed'));
      this.journal.markDone(attemptId, this.clock.now());
    }
  }

  private launch(attempt: JournalAttempt): void {
    if (this.runners.has(attempt.attemptId)) return;
    const runner = new AttemptRunner(attempt, JSON.parse(attempt.specJson) as TaskSpec, {
      runtime: this.runtime,
      journal: this.journal,
      nodeId: this.identity.nodeId,
      clock: this.clock,
      log: this.log,
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
        const attempt = this.journal.get(c.attemptId);
        if (attempt && attempt.state !== 'done') continue;
        if (this.runners.has(c.attemptId)) continue;
        this.log.warn({ containerId: c.id.slice(0, 12), taskId: c.taskId, attemptId: c.attemptId, reason: attempt ? 'attempt already reported' : 'attempt unknown to this node' }, 'removing orphaned container');
        await this.runtime.remove(c.id);
      }
      this.journal.prune(this.clock.now());
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'reaper pass failed');
    }
  }
}

/**
 * What a Cline attempt adds to a plain one: a workspace cloned by the agent,
 * a gateway channel to the model, the container's mounts and user, progress
 * and stall detection from Cline's events, and the result (summary, usage,
 * patch) when it ends. The attempt runner drives it.
 */
import type { RepoCache } from './repo-cache.js';
import { join } from 'node:path';
import type { Clock } from '../../common/clock.js';
import { errorMessage } from '../../common/errors.js';
import { checkId } from '../../common/ids.js';
import type { Logger } from '../../common/logger.js';
import type { AgentProgress, AttemptReason, ClineSpec } from '../../common/model.js';
import { RESULT_LIMITS } from '../../common/task-spec.js';
import { ClineMonitor, type StallRule } from './cline-monitor.js';
import { isDiskFull, type ContainerSpec } from './container-runtime.js';
import type { AttemptOutcomeRecord, Journal, JournalAttempt, LlmGrantRecord } from './journal.js';
import type { LlmGateway } from './llm-gateway.js';
import { claimRunDir, computePatch, containerUser, prepareWorkspace, workspacePaths, WorkspaceError, writePrompt } from './workspace.js';

/** Progress goes to the control plane at most this often. */
export const PROGRESS_EVERY_MS = 2_000;
/** Where the image's entry point finds the gateway and the prompt. */
const RUN_MOUNT = '/run/fleet';
const ENTRYPOINT = '/usr/local/bin/fleet-cline-run';

/** Told when a stall rule stops an attempt (metrics); optional. */
export interface ClineObserver {
  clineStalled(rule: StallRule): void;
}

export interface ClineDeps {
  journal: Journal;
  gateway: LlmGateway;
  attemptsDir: string;
  /** The node's warm repository cache (null or absent: clone from the origin). */
  repoCache?: RepoCache | null;
  clock: Clock;
  log: Logger;
  observer?: ClineObserver;
}

/** The attempt must end now, for this reason. */
export interface ClineStop {
  reason: AttemptReason;
  message: string;
  /** A stall: the rule that found it. */
  rule?: StallRule;
}

/**
 * The attempt's directory. The id came off the wire (checked there too): one
 * that is not an attempt id is refused here as well, before any path is made.
 */
export function attemptDir(attemptsDir: string, attemptId: string): string {
  return join(attemptsDir, checkId('attempt_id', attemptId, 'att'));
}

export function gatewaySocketPath(attemptsDir: string, attemptId: string): string {
  return join(workspacePaths(attemptDir(attemptsDir, attemptId)).run, 'llm.sock');
}

export class ClineAttempt {
  private readonly monitor: ClineMonitor;
  private readonly decoder = new TextDecoder();
  private usage: Pick<AgentProgress, 'inputTokens' | 'outputTokens' | 'costUsd' | 'servedBy'>;
  private reportedVersion = -1;
  private reportedAtMs = 0;
  private readonly dir: string;
  private grant: LlmGrantRecord;
  /** Set when the gateway or the monitor decided the attempt must end. */
  stopRequest: ClineStop | null = null;
  onStop: (stop: ClineStop) => void = () => {};

  constructor(
    private readonly attempt: JournalAttempt,
    private readonly spec: ClineSpec,
    private readonly deps: ClineDeps,
    /** The task's team ('' = none): its calls count against the team's budgets. */
    private readonly team = '',
  ) {
    this.dir = attemptDir(deps.attemptsDir, attempt.attemptId);
    this.grant = attempt.llm ?? { provider: null, token: '' };
    this.usage = { inputTokens: attempt.usage?.inputTokens ?? 0, outputTokens: attempt.usage?.outputTokens ?? 0, costUsd: attempt.usage?.costUsd ?? 0, servedBy: attempt.usage?.servedBy ?? [] };
    this.monitor = new ClineMonitor({ stallTimeoutMs: spec.stallTimeoutMs, maxRepeatedToolCalls: spec.maxRepeatedToolCalls }, deps.clock.now());
  }

  /**
   * Clones the repository and writes the prompt. Returns an outcome when the
   * attempt cannot start (no provider, no repository, no ref): no container is made.
   */
  async prepare(): Promise<AttemptOutcomeRecord | null> {
    // The node's own fault: its journal key changed under the attempt.
    if (this.grant.unreadable) return { state: 'FAILED', error: this.grant.unreadable, failureKind: 'INFRASTRUCTURE' };
    if (!this.grant.provider) {
      return {
        state: 'FAILED',
        reason: 'provider_error',
        error: `provider "${this.spec.provider}" was not granted: it was deleted, or the control plane cannot decrypt its key`,
        failureKind: 'TASK',
      };
    }
    try {
      const prepared = await prepareWorkspace(this.dir, this.spec.repoUrl, this.spec.ref, containerUser(), this.deps.repoCache ?? null);
      await writePrompt(prepared.paths, this.spec.prompt);
      this.grant = { ...this.grant, baseCommit: prepared.baseCommit };
      this.deps.journal.setLlm(this.attempt.attemptId, this.grant, this.deps.clock.now());
      return null;
    } catch (err) {
      // A clone that ran out of disk is the node's condition, not the repository's.
      if (isDiskFull(err)) return { state: 'FAILED', reason: 'disk_full', error: errorMessage(err), failureKind: 'INFRASTRUCTURE' };
      if (err instanceof WorkspaceError) return { state: 'FAILED', reason: 'workspace_error', error: err.message, failureKind: 'TASK' };
      throw err;
    }
  }

  /** Opens (or, after an agent restart, reopens) the attempt's gateway channel. */
  async connect(): Promise<void> {
    const provider = this.grant.provider;
    if (!provider) throw new Error(this.grant.unreadable ?? 'the attempt has no provider grant in the journal');
    await claimRunDir(workspacePaths(this.dir));
    await this.deps.gateway.open({
      attemptId: this.attempt.attemptId,
      socketPath: gatewaySocketPath(this.deps.attemptsDir, this.attempt.attemptId),
      token: this.grant.token,
      provider,
      budget: { maxTokens: this.spec.maxTokens, maxCostUsd: this.spec.maxCostUsd },
      team: this.team,
      taskId: this.attempt.taskId,
      usage: this.usage,
      onUsage: (usage) => {
        this.usage = usage;
        this.deps.journal.setUsage(this.attempt.attemptId, this.progress(), this.deps.clock.now());
      },
      onStop: (reason, message) => this.requestStop({ reason, message }),
    });
  }

  private requestStop(stop: ClineStop): void {
    if (this.stopRequest) return;
    this.stopRequest = stop;
    if (stop.rule) this.deps.observer?.clineStalled(stop.rule);
    this.onStop(stop);
  }

  /** What the container needs besides the plain spec. */
  containerExtras(): Pick<ContainerSpec, 'user' | 'mounts' | 'networkMode' | 'entrypoint' | 'command' | 'workingDir'> & { env: Record<string, string> } {
    const paths = workspacePaths(this.dir);
    const { uid, gid } = containerUser();
    return {
      user: `${uid}:${gid}`,
      mounts: [
        { source: paths.workspace, target: '/workspace', readOnly: false },
        // Read-only: the container connects to the socket and reads the prompt, and can plant nothing for the agent to follow.
        { source: paths.run, target: RUN_MOUNT, readOnly: true },
      ],
      networkMode: this.spec.network,
      entrypoint: [ENTRYPOINT],
      command: [],
      workingDir: '/workspace',
      env: {
        FLEET_LLM_TOKEN: this.grant.token,
        FLEET_LLM_MODEL: this.grant.provider!.model,
        FLEET_LLM_SOCKET: `${RUN_MOUNT}/llm.sock`,
        FLEET_PROMPT_FILE: `${RUN_MOUNT}/prompt`,
        HOME: '/home/cline',
      },
    };
  }

  /** Feeds Cline's output; a loop is caught as soon as it shows, not on the next tick. */
  onStdout(data: Buffer): void {
    const now = this.deps.clock.now();
    this.monitor.push(this.decoder.decode(data, { stream: true }), now);
    const stall = this.monitor.check(now);
    if (stall) this.requestStop(stall);
  }

  progress(): AgentProgress {
    const p = this.monitor.progress(this.deps.clock.now());
    // The gateway's count is the one a container cannot forge; Cline's own is the fallback.
    const counted = this.usage.inputTokens + this.usage.outputTokens > 0;
    const served = this.usage.servedBy?.length ? { servedBy: this.usage.servedBy } : {};
    return counted ? { ...p, inputTokens: this.usage.inputTokens, outputTokens: this.usage.outputTokens, costUsd: Math.max(this.usage.costUsd, p.costUsd), ...served } : { ...p, ...served };
  }

  /** The container runs (started, or adopted after a restart): Cline's time starts now. */
  supervising(): void {
    this.monitor.containerStarted(this.deps.clock.now());
  }

  /** Called every second while the container runs: stall checks and progress reports. */
  tick(): void {
    const now = this.deps.clock.now();
    if (this.deps.gateway.waitingForPermit(this.attempt.attemptId)) this.monitor.heldByFleet(now);
    const stall = this.monitor.check(now);
    if (stall) this.requestStop(stall);
    if (this.monitor.version !== this.reportedVersion && now - this.reportedAtMs >= PROGRESS_EVERY_MS) {
      this.reportedVersion = this.monitor.version;
      this.reportedAtMs = now;
      this.deps.journal.progress(this.attempt.attemptId, this.attempt.taskId, this.progress(), now);
    }
  }

  /** How the attempt ended, once its container has exited on its own. */
  async finish(exitCode: number): Promise<AttemptOutcomeRecord> {
    const usage = this.progress();
    if (this.stopRequest) return { state: 'FAILED', exitCode, reason: this.stopRequest.reason, error: this.stopRequest.message, failureKind: 'TASK' };
    if (exitCode !== 0 || this.monitor.finishReason !== 'completed') {
      const providerError = this.deps.gateway.lastProviderError(this.attempt.attemptId);
      if (providerError) return { state: 'FAILED', exitCode, reason: 'provider_error', error: providerError, failureKind: 'TASK' };
      const why = this.monitor.lastError || (this.monitor.finishReason ? `finished as "${this.monitor.finishReason}"` : 'no run result');
      return { state: 'FAILED', exitCode, reason: 'agent_error', error: `cline exited with code ${exitCode}: ${why}`, failureKind: 'TASK' };
    }
    const baseCommit = this.grant.baseCommit ?? '';
    let patch: Buffer;
    let filesChanged: number;
    try {
      ({ patch, filesChanged } = await computePatch(workspacePaths(this.dir), baseCommit));
    } catch (err) {
      return { state: 'FAILED', exitCode, reason: 'workspace_error', error: errorMessage(err), failureKind: 'TASK' };
    }
    if (patch.length > RESULT_LIMITS.patchBytes) {
      return { state: 'FAILED', exitCode, reason: 'patch_too_large', error: `the patch is ${patch.length} bytes; the limit is ${RESULT_LIMITS.patchBytes}`, failureKind: 'TASK' };
    }
    const summary = this.monitor.summary.length > RESULT_LIMITS.summaryChars ? `${this.monitor.summary.slice(0, RESULT_LIMITS.summaryChars - 20)}\n[summary truncated]` : this.monitor.summary;
    return {
      state: 'SUCCEEDED',
      exitCode: 0,
      error: '',
      result: { attemptId: this.attempt.attemptId, summary, verified: this.monitor.verified, baseCommit, patchBytes: patch.length, filesChanged, finishReason: this.monitor.finishReason, usage },
      patchBase64: patch.toString('base64'),
    };
  }

  async release(): Promise<void> {
    await this.deps.gateway.close(this.attempt.attemptId);
  }
}

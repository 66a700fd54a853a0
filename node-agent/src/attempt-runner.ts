/**
 * Runs one attempt to a journaled outcome: image, create, start, stream
 * output into the outbox, enforce the timeout, wait, record how it ended.
 * The container stays until the control plane has stored the outcome; the
 * agent removes it then.
 */
import type { Clock } from '../../common/clock.js';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { TaskSpec } from '../../common/model.js';
import { ImageMissingError, LABELS, RuntimeError, type ContainerRuntime } from './container-runtime.js';
import { ClineAttempt } from './cline-attempt.js';
import type { AttemptOutcomeRecord, Journal, JournalAttempt } from './journal.js';
import type { LlmGateway } from './llm-gateway.js';

/** Output is sent in chunks of at most this size, at least this often while it flows. */
export const OUTPUT_CHUNK_BYTES = 64 * 1024;
export const OUTPUT_FLUSH_MS = 100;
/** Past this much output an attempt's log is cut (its container keeps running). */
export const OUTPUT_LIMIT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_STOP_GRACE_MS = 10_000;
/** Cline ignores SIGTERM: a stuck or over-budget run is killed after this. */
const CLINE_STOP_GRACE_MS = 1_000;
const CLINE_TICK_MS = 1_000;

export interface RunnerDeps {
  runtime: ContainerRuntime;
  journal: Journal;
  nodeId: string;
  clock: Clock;
  log: Logger;
  gateway: LlmGateway;
  /** Where Cline attempts keep their workspaces. */
  attemptsDir: string;
}

/** Collects output and writes it to the journal in bounded chunks. */
class OutputBatcher {
  private buffers: Record<'stdout' | 'stderr', Buffer[]> = { stdout: [], stderr: [] };
  private sizes = { stdout: 0, stderr: 0 };
  private stamps = { stdout: '', stderr: '' };
  private total = 0;
  private truncated = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly write: (stream: 'stdout' | 'stderr', data: Buffer, lastTimestamp: string) => void) {}

  add(stream: 'stdout' | 'stderr', data: Buffer, timestamp: string): void {
    if (this.truncated) return;
    if (timestamp) this.stamps[stream] = timestamp;
    if (this.total + data.length > OUTPUT_LIMIT_BYTES) {
      this.truncated = true;
      this.flush();
      this.write('stderr', Buffer.from(`\n[fleet] output truncated after ${OUTPUT_LIMIT_BYTES} bytes\n`), '');
      return;
    }
    this.total += data.length;
    this.buffers[stream].push(data);
    this.sizes[stream] += data.length;
    if (this.sizes[stream] >= OUTPUT_CHUNK_BYTES) this.flushStream(stream);
    else this.timer ??= setTimeout(() => this.flush(), OUTPUT_FLUSH_MS);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushStream('stdout');
    this.flushStream('stderr');
  }

  private flushStream(stream: 'stdout' | 'stderr'): void {
    if (this.sizes[stream] === 0) return;
    const all = Buffer.concat(this.buffers[stream]);
    this.buffers[stream] = [];
    this.sizes[stream] = 0;
    for (let offset = 0; offset < all.length; offset += OUTPUT_CHUNK_BYTES) {
      const last = offset + OUTPUT_CHUNK_BYTES >= all.length;
      this.write(stream, all.subarray(offset, offset + OUTPUT_CHUNK_BYTES), last ? this.stamps[stream] : '');
    }
  }
}

export class AttemptRunner {
  private cancelReason: string | null;
  /** How a stop is reported: CANCELLED when asked to, LOST when the node gave the attempt up itself. */
  private stopOutcome: 'CANCELLED' | 'LOST' = 'CANCELLED';
  private cancelGraceMs: number;
  private containerId: string | null;
  private timedOut = false;
  private readonly log: Logger;
  /** Set for Cline tasks. */
  private readonly cline: ClineAttempt | null;

  constructor(
    private readonly attempt: JournalAttempt,
    private readonly spec: TaskSpec,
    private readonly deps: RunnerDeps,
  ) {
    this.cancelReason = attempt.cancelReason;
    this.containerId = attempt.containerId;
    this.log = deps.log.child({ taskId: attempt.taskId, attemptId: attempt.attemptId });
    this.cline = spec.cline ? new ClineAttempt(attempt, spec.cline, { ...deps, log: this.log }) : null;
    this.cancelGraceMs = this.cline ? CLINE_STOP_GRACE_MS : DEFAULT_STOP_GRACE_MS;
    if (this.cline) {
      this.cline.onStop = (stop) => {
        this.log.info({ reason: stop.reason, detail: stop.message }, 'stopping cline attempt');
        if (this.containerId) void deps.runtime.stop(this.containerId, CLINE_STOP_GRACE_MS).catch((err: unknown) => this.log.warn({ err: errorMessage(err) }, 'stop failed'));
      };
    }
  }

  get attemptId(): string {
    return this.attempt.attemptId;
  }

  /** Stops the attempt: before its container starts, or SIGTERM then SIGKILL after `graceMs`. */
  async cancel(reason: string, graceMs: number, outcome: 'CANCELLED' | 'LOST' = 'CANCELLED'): Promise<void> {
    this.stopOutcome = outcome;
    if (this.cancelReason === null) {
      this.cancelReason = reason || 'cancelled';
      this.deps.journal.markCancelRequested(this.attemptId, this.cancelReason, this.deps.clock.now());
    }
    // Cline ignores SIGTERM: waiting out a long grace would only delay the stop.
    this.cancelGraceMs = this.cline ? Math.min(graceMs, CLINE_STOP_GRACE_MS) : graceMs;
    if (this.containerId) await this.deps.runtime.stop(this.containerId, this.cancelGraceMs).catch((err: unknown) => this.log.warn({ err: errorMessage(err) }, 'stop failed'));
  }

  /** Runs to the end; the outcome is in the journal when this resolves. */
  async run(): Promise<void> {
    let outcome = await this.execute().catch((err: unknown): AttemptOutcomeRecord => {
      if (err instanceof ImageMissingError) return { state: 'FAILED', error: err.message, failureKind: 'TASK' };
      return { state: 'FAILED', error: `node ${this.deps.nodeId}: ${errorMessage(err)}`, failureKind: 'INFRASTRUCTURE' };
    });
    if (this.cline) {
      outcome = { ...outcome, progress: this.cline.progress() };
      await this.cline.release();
    }
    if (this.deps.journal.finished(this.attemptId, this.attempt.taskId, outcome, this.deps.clock.now())) {
      this.log.info({ outcome: outcome.state, exitCode: outcome.exitCode, reason: outcome.reason, error: outcome.error || undefined }, 'attempt finished');
    }
  }

  private cancelledOutcome(): AttemptOutcomeRecord {
    return { state: this.stopOutcome, error: this.cancelReason ?? 'cancelled', failureKind: 'INFRASTRUCTURE' };
  }

  private async execute(): Promise<AttemptOutcomeRecord> {
    const { runtime, journal, clock } = this.deps;
    let startedAtMs = this.attempt.startedAtMs ?? 0;
    let resumeAfter = '';
    if (this.attempt.state === 'accepted') {
      if (this.cancelReason !== null) return this.cancelledOutcome();
      if (this.cline) {
        const refused = await this.cline.prepare();
        if (refused) return refused;
        if (this.cancelReason !== null) return this.cancelledOutcome();
        await this.cline.connect();
      }
      await runtime.ensureImage(this.spec.image);
      if (this.cancelReason !== null) return this.cancelledOutcome();
      const id = await this.createContainer();
      if (process.env.FLEET_AGENT_FAULT === 'crash-after-create') {
        // Test hook: die between creating the container and journaling it.
        this.log.warn({ containerId: id.slice(0, 12) }, 'fault injected: crashing after create');
        process.kill(process.pid, 'SIGKILL');
      }
      this.containerId = id;
      journal.setContainer(this.attemptId, id, clock.now());
      if (this.cancelReason !== null) return this.cancelledOutcome();
      await runtime.start(id);
      startedAtMs = clock.now();
      journal.started(this.attemptId, this.attempt.taskId, id, startedAtMs);
      this.log.info({ containerId: id.slice(0, 12), image: this.spec.image }, 'attempt started');
    } else {
      // Adopted after an agent restart: the container kept running without us.
      if (!this.containerId || !(await runtime.inspect(this.containerId))) {
        return { state: 'LOST', error: 'the container vanished while the agent was away', failureKind: 'INFRASTRUCTURE' };
      }
      // Resume the output right after the last entry journaled before the restart.
      resumeAfter = this.attempt.lastLogTimestamp;
      await this.cline?.connect();
      this.log.info({ containerId: this.containerId.slice(0, 12) }, 'attempt adopted');
    }
    return this.supervise(this.containerId!, startedAtMs, resumeAfter);
  }

  private async createContainer(): Promise<string> {
    const { spec, attempt, deps } = this;
    const extras = this.cline?.containerExtras();
    return deps.runtime.create({
      name: `fleet-${attempt.attemptId}`,
      image: spec.image,
      command: spec.command,
      workingDir: spec.workingDir,
      ...extras,
      env: { ...spec.env, ...extras?.env },
      cpus: spec.resources.cpus,
      memoryBytes: spec.resources.memoryBytes,
      pidsLimit: spec.resources.pidsLimit,
      labels: {
        [LABELS.managed]: 'true',
        [LABELS.task]: attempt.taskId,
        [LABELS.attempt]: attempt.attemptId,
        [LABELS.node]: deps.nodeId,
      },
    });
  }

  private async supervise(containerId: string, startedAtMs: number, resumeAfter: string): Promise<AttemptOutcomeRecord> {
    const { runtime, journal, clock } = this.deps;
    const batcher = new OutputBatcher((stream, data, stamp) => journal.output(this.attemptId, this.attempt.taskId, stream, data, clock.now(), stamp));
    const logsDone = runtime
      .followLogs(containerId, resumeAfter, (entry) => {
        batcher.add(entry.stream, entry.data, entry.timestamp);
        if (entry.stream === 'stdout') this.cline?.onStdout(entry.data);
      })
      .catch((err: unknown) => {
        this.log.warn({ err: errorMessage(err) }, 'log stream failed');
      });
    const ticker = this.cline ? setInterval(() => this.cline!.tick(), CLINE_TICK_MS) : undefined;
    const remainingMs = Math.max(0, this.spec.timeoutMs - (clock.now() - startedAtMs));
    const timer = setTimeout(() => {
      this.timedOut = true;
      this.log.info({ timeoutMs: this.spec.timeoutMs }, 'attempt timed out; stopping it');
      void runtime.stop(containerId, this.cancelGraceMs).catch((err: unknown) => this.log.warn({ err: errorMessage(err) }, 'stop failed'));
    }, remainingMs);
    try {
      const state = await runtime.wait(containerId);
      await logsDone;
      batcher.flush();
      if (this.cancelReason !== null) return this.cancelledOutcome();
      if (this.timedOut) return { state: 'TIMED_OUT', exitCode: state.exitCode, error: `timed out after ${this.spec.timeoutMs}ms`, failureKind: 'TASK' };
      if (this.cline) return await this.cline.finish(state.exitCode);
      if (state.exitCode === 0) return { state: 'SUCCEEDED', exitCode: 0, error: '' };
      const error = state.oomKilled ? `killed: out of memory (limit ${this.spec.resources.memoryBytes} bytes)` : `exited with code ${state.exitCode}`;
      return { state: 'FAILED', exitCode: state.exitCode, error, failureKind: 'TASK' };
    } catch (err) {
      batcher.flush();
      if (err instanceof RuntimeError) throw err;
      throw new RuntimeError(errorMessage(err), { cause: err });
    } finally {
      clearTimeout(timer);
      clearInterval(ticker);
    }
  }
}

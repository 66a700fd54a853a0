/**
 * Runs one attempt to a journaled outcome: image, create, start, stream
 * output into the outbox, enforce the timeout, wait, record how it ended.
 * The container stays until the control plane has stored the outcome; the
 * agent removes it then.
 */
import type { RepoCache } from './repo-cache.js';
import type { Clock } from '../../common/clock.js';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { AttemptOutcome, NodeReason, TaskSpec } from '../../common/model.js';
import { ContainerNameTakenError, EngineError, ImageMissingError, isDiskFull, LABELS, RuntimeError, type ContainerRuntime, type ContainerState } from './container-runtime.js';
import { ClineAttempt, type ClineObserver } from './cline-attempt.js';
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

/** Between tries of a call the engine answers with an internal error. */
const ENGINE_RETRY_MS = 1_000;

/**
 * How the container's engine stood when the container ended: there all
 * along; away, and the container ended by itself (live-restore before and
 * after); away, and the engine stopped it (live-restore off on either side).
 */
type EngineAtExit = 'engine-present' | 'ended-while-away' | 'stopped-by-engine';

/**
 * The exit code Docker gives a container whose end it did not see: one that
 * exits just as a live-restore engine comes back can get it instead of its own.
 */
const ENGINE_LOST_EXIT_CODE = 255;

/** How a container stopped by its engine ends: SIGTERM (128 + 15), then SIGKILL (128 + 9). */
const ENGINE_STOP_EXIT_CODES = new Set([143, 137]);

/** The node's container engine, as the agent watches it (shared by every runner on the node). */
export interface EngineWatch {
  /** Resolves when the engine answers again. */
  whenAvailable(): Promise<void>;
  /** Whether the engine keeps containers running through its restarts, as last seen (undefined: never seen). */
  liveRestore(): boolean | undefined;
}

export type AttemptKind = 'plain' | 'cline';

/** Told what attempts come to (metrics); optional. */
export interface AttemptObserver extends ClineObserver {
  /** An outcome the journal recorded for the first time. */
  attemptFinished(kind: AttemptKind, outcome: AttemptOutcome): void;
}

export interface RunnerDeps {
  runtime: ContainerRuntime;
  engine: EngineWatch;
  journal: Journal;
  nodeId: string;
  clock: Clock;
  log: Logger;
  gateway: LlmGateway;
  /** Where Cline attempts keep their workspaces. */
  attemptsDir: string;
  /** The node's warm repository cache; null: --repo-cache-max-bytes 0, every attempt clones from the origin. */
  repoCache?: RepoCache | null;
  observer?: AttemptObserver;
  /** The node has been silent past its stop-after-disconnect bound (see `Agent.cutOff`). */
  cutOff?: () => boolean;
}

/** Collects output and writes it to the journal in bounded chunks. */
class OutputBatcher {
  private buffers: Record<'stdout' | 'stderr', Buffer[]> = { stdout: [], stderr: [] };
  private sizes = { stdout: 0, stderr: 0 };
  private stamps = { stdout: '', stderr: '' };
  private total = 0;
  private truncated = false;
  private timer: NodeJS.Timeout | undefined;
  /** Docker's timestamp of the last entry seen: where following the output again resumes. */
  lastTimestamp = '';

  constructor(private readonly write: (stream: 'stdout' | 'stderr', data: Buffer, lastTimestamp: string) => void) {}

  add(stream: 'stdout' | 'stderr', data: Buffer, timestamp: string): void {
    if (timestamp) this.lastTimestamp = timestamp;
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
    this.cline = spec.cline ? new ClineAttempt(attempt, spec.cline, { ...deps, log: this.log }, spec.team ?? '') : null;
    this.cancelGraceMs = this.cline ? CLINE_STOP_GRACE_MS : DEFAULT_STOP_GRACE_MS;
    if (this.cline) {
      this.cline.onStop = (stop) => {
        this.log.info({ reason: stop.reason, rule: stop.rule, detail: stop.message }, 'stopping cline attempt');
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
    let outcome = await this.execute().catch((err: unknown) => this.failedToRun(err));
    if (this.cline) {
      // Released first: calls the gateway cuts are charged, and counted in the progress.
      await this.cline.release();
      outcome = { ...outcome, progress: this.cline.progress() };
    }
    if (this.deps.journal.finished(this.attemptId, this.attempt.taskId, outcome, this.deps.clock.now())) {
      this.log.info({ outcome: outcome.state, exitCode: outcome.exitCode, reason: outcome.reason, error: outcome.error || undefined }, 'attempt finished');
      this.deps.observer?.attemptFinished(this.cline ? 'cline' : 'plain', outcome);
    }
  }

  /**
   * How an attempt that could not be run at all is charged (see
   * NODE_FAULT_CHARGES): an engine that is away or failing, or an image the
   * node may not pull, is the node's fault; an image that could not be
   * pulled is the task's (its name, most likely).
   */
  private failedToRun(err: unknown): AttemptOutcomeRecord {
    const error = `node ${this.deps.nodeId}: ${errorMessage(err)}`;
    if (isDiskFull(err)) return { state: 'FAILED', error, failureKind: 'INFRASTRUCTURE', reason: 'disk_full' };
    if (err instanceof ImageMissingError) return err.pulled ? { state: 'FAILED', error: err.message, failureKind: 'TASK' } : { state: 'FAILED', error, failureKind: 'INFRASTRUCTURE', reason: 'image_missing' };
    if (err instanceof EngineError) return { state: 'FAILED', error, failureKind: 'INFRASTRUCTURE', reason: err.fault === 'unavailable' ? 'engine_unavailable' : 'engine_error' };
    return { state: 'FAILED', error, failureKind: 'INFRASTRUCTURE' };
  }

  /**
   * Calls the engine about a container that may be running; while the engine
   * is away or failing, waits for it and tries again. Giving up would mean
   * reporting an attempt over while its container may still run, so it does
   * not: the node is cordoned meanwhile, and says why.
   */
  private async withEngine<T>(call: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await call();
      } catch (err) {
        if (!(err instanceof EngineError)) throw err;
        this.log.warn({ err: err.message }, 'the engine is away or failing; waiting for it');
        if (err.fault === 'internal') await new Promise((r) => setTimeout(r, ENGINE_RETRY_MS));
        await this.deps.engine.whenAvailable();
      }
    }
  }

  /**
   * Starts the container. If the engine fails or goes away meanwhile, what
   * the container did decides: started, it is supervised like any other;
   * never started, the attempt never ran (the container is removed with it).
   */
  private async startContainer(id: string): Promise<void> {
    try {
      await this.deps.runtime.start(id);
    } catch (err) {
      if (!(err instanceof EngineError)) throw err;
      const state = await this.withEngine(() => this.deps.runtime.inspect(id));
      if (state?.started) return;
      throw err;
    }
  }

  private cancelledOutcome(): AttemptOutcomeRecord {
    return { state: this.stopOutcome, error: this.cancelReason ?? 'cancelled', failureKind: 'INFRASTRUCTURE' };
  }

  private async execute(): Promise<AttemptOutcomeRecord> {
    const { runtime, journal, clock } = this.deps;
    let startedAtMs = this.attempt.startedAtMs ?? 0;
    let resumeAfter = '';
    if (this.attempt.state === 'accepted' && this.containerId && (await this.startedBeforeRestart(this.containerId))) {
      startedAtMs = clock.now();
      journal.started(this.attemptId, this.attempt.taskId, this.containerId, startedAtMs);
      await this.cline?.connect();
      this.log.info({ containerId: this.containerId.slice(0, 12) }, 'attempt adopted: its container was started just before the agent stopped');
    } else if (this.attempt.state === 'accepted') {
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
      this.crashAt('after-create', id);
      this.containerId = id;
      journal.setContainer(this.attemptId, id, clock.now());
      if (this.cancelReason !== null) return this.cancelledOutcome();
      this.crashAt('before-start', id);
      // Looked at last thing before the start (an engine under load can take seconds to
      // create a container): a node cut off by now may see its task run elsewhere.
      if (this.deps.cutOff?.()) return { state: 'LOST', error: 'the node was cut off from the control plane before the container started: not started', failureKind: 'INFRASTRUCTURE' };
      await this.startContainer(id);
      this.crashAt('after-start', id);
      startedAtMs = clock.now();
      journal.started(this.attemptId, this.attempt.taskId, id, startedAtMs);
      this.log.info({ containerId: id.slice(0, 12), image: this.spec.image }, 'attempt started');
    } else {
      // Adopted after an agent restart: the container kept running without us.
      const containerId = this.containerId;
      if (!containerId || !(await this.withEngine(() => runtime.inspect(containerId)))) {
        return { state: 'LOST', error: 'the container vanished while the agent was away', failureKind: 'INFRASTRUCTURE' };
      }
      // Resume the output right after the last entry journaled before the restart.
      resumeAfter = this.attempt.lastLogTimestamp;
      await this.cline?.connect();
      this.log.info({ containerId: containerId.slice(0, 12) }, 'attempt adopted');
    }
    return this.supervise(this.containerId!, startedAtMs, resumeAfter);
  }

  /**
   * Test hook: with FLEET_AGENT_FAULT=crash-<point>, the agent dies (SIGKILL)
   * at that point on the way to starting a container: after create (not yet
   * journaled), before start (journaled), after start (not yet journaled as
   * started).
   */
  private crashAt(point: 'after-create' | 'before-start' | 'after-start', containerId: string): void {
    if (process.env.FLEET_AGENT_FAULT !== `crash-${point}`) return;
    this.log.warn({ containerId: containerId.slice(0, 12) }, `fault injected: crashing ${point.replace('-', ' ')}`);
    process.kill(process.pid, 'SIGKILL');
  }

  /**
   * For an attempt journaled with a container but not as started (the agent
   * stopped between the two): whether that container did start. One that
   * never started is removed, to be made again with this process's settings.
   */
  private async startedBeforeRestart(containerId: string): Promise<boolean> {
    const state = await this.withEngine(() => this.deps.runtime.inspect(containerId));
    if (state?.started) return true;
    if (state) {
      this.log.info({ containerId: containerId.slice(0, 12) }, 'removing the container made but never started before the agent stopped');
      await this.withEngine(() => this.deps.runtime.remove(containerId));
    }
    this.containerId = null;
    return false;
  }

  /**
   * Makes the attempt's container. Its name is the attempt's, so a container
   * of that name is this attempt's, made by a create whose answer was lost (an
   * agent killed with the request in flight, an engine cut off mid-answer). It
   * was never started (a container is journaled before it starts), so it is
   * removed and made again.
   */
  private async createContainer(): Promise<string> {
    try {
      return await this.createContainerOnce();
    } catch (err) {
      if (!(err instanceof ContainerNameTakenError)) throw err;
      this.log.warn({ container: err.containerName }, 'a container made for this attempt but never journaled is in the way; removing it');
      await this.deps.runtime.remove(err.containerName);
      return await this.createContainerOnce();
    }
  }

  private async createContainerOnce(): Promise<string> {
    const { spec, attempt, deps } = this;
    const extras = this.cline?.containerExtras();
    return deps.runtime.create({
      name: `fleet-${attempt.attemptId}`,
      image: spec.image,
      command: spec.command,
      workingDir: spec.workingDir,
      // A plain task's own settings (filled by the control plane's defaults); a Cline task's extras set its own.
      ...(spec.network ? { networkMode: spec.network } : {}),
      // A UID alone would run with group 0 (root's): the same number as its group.
      ...(spec.user ? { user: spec.user.includes(':') ? spec.user : `${spec.user}:${spec.user}` } : {}),
      ...(spec.readOnlyRoot ? { readOnlyRoot: true } : {}),
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

  /**
   * Follows the container until it exits. If its engine goes away meanwhile
   * (a restart, an upgrade), waits for the engine: a container that survived
   * (live-restore) is followed again from the last output journaled; one
   * that did not is judged by how it ended (`exitOutcome`).
   */
  private async supervise(containerId: string, startedAtMs: number, resumeAfter: string): Promise<AttemptOutcomeRecord> {
    const { runtime, journal, clock } = this.deps;
    const batcher = new OutputBatcher((stream, data, stamp) => journal.output(this.attemptId, this.attempt.taskId, stream, data, clock.now(), stamp));
    const follow = (after: string) =>
      runtime
        .followLogs(containerId, after, (entry) => {
          batcher.add(entry.stream, entry.data, entry.timestamp);
          if (entry.stream === 'stdout') this.cline?.onStdout(entry.data);
        })
        .catch((err: unknown) => {
          this.log.warn({ err: errorMessage(err) }, 'log stream failed');
        });
    this.cline?.supervising();
    const ticker = this.cline ? setInterval(() => this.cline!.tick(), CLINE_TICK_MS) : undefined;
    const remainingMs = Math.max(0, this.spec.timeoutMs - (clock.now() - startedAtMs));
    const timer = setTimeout(() => {
      this.timedOut = true;
      this.log.info({ timeoutMs: this.spec.timeoutMs }, 'attempt timed out; stopping it');
      this.stopContainer(containerId);
    }, remainingMs);
    try {
      for (let after = resumeAfter; ; ) {
        const logsDone = follow(after);
        let state: ContainerState;
        try {
          state = await runtime.wait(containerId);
        } catch (err) {
          if (!(err instanceof EngineError)) throw err;
          await logsDone;
          batcher.flush();
          this.log.warn({ err: err.message }, 'the engine went away or failed while the attempt ran; waiting for it');
          // The settings of the engine that ran the container, before the agent sees the next one's.
          const liveRestoreBefore = this.deps.engine.liveRestore();
          const now = await this.withEngine(() => runtime.inspect(containerId));
          if (!now) return { state: 'FAILED', error: 'the container vanished while its engine was away', failureKind: 'INFRASTRUCTURE', reason: 'stopped_outside' };
          state = now;
          after = batcher.lastTimestamp || after;
          if (state.running) {
            this.log.info({ containerId: containerId.slice(0, 12) }, 'the container survived its engine restart (live-restore); following it again');
            // A stop asked for while the engine was away is sent now.
            if (this.cancelReason !== null || this.timedOut || this.cline?.stopRequest) this.stopContainer(containerId);
            continue;
          }
          // It stopped while the engine was away: what it wrote meanwhile is read now.
          await follow(after);
          batcher.flush();
          // An engine without live-restore stops every container as it shuts
          // down, and one that comes back without it stops those that outlived
          // the old one; only with live-restore on both sides did the
          // container end by itself.
          const liveRestoreAfter = (await this.withEngine(() => runtime.info())).liveRestore;
          return await this.exitOutcome(containerId, state, startedAtMs, liveRestoreBefore === true && liveRestoreAfter ? 'ended-while-away' : 'stopped-by-engine');
        }
        await logsDone;
        batcher.flush();
        return await this.exitOutcome(containerId, state, startedAtMs, 'engine-present');
      }
    } catch (err) {
      batcher.flush();
      if (err instanceof RuntimeError) throw err;
      throw new RuntimeError(errorMessage(err), { cause: err });
    } finally {
      clearTimeout(timer);
      clearInterval(ticker);
    }
  }

  private stopContainer(containerId: string): void {
    void this.deps.runtime.stop(containerId, this.cancelGraceMs).catch((err: unknown) => this.log.warn({ err: errorMessage(err) }, 'stop failed'));
  }

  /** How the attempt ended, once its container has exited. */
  private async exitOutcome(containerId: string, state: ContainerState, startedAtMs: number, engine: EngineAtExit): Promise<AttemptOutcomeRecord> {
    if (this.cancelReason !== null) return this.cancelledOutcome();
    if (this.timedOut) return { state: 'TIMED_OUT', exitCode: state.exitCode, error: `timed out after ${this.spec.timeoutMs}ms`, failureKind: 'TASK' };
    const outside = await this.stoppedFromOutside(containerId, state, startedAtMs, engine);
    if (outside) return { state: 'FAILED', exitCode: state.exitCode, error: outside.error, failureKind: 'INFRASTRUCTURE', reason: outside.reason };
    if (this.cline) return await this.cline.finish(state.exitCode);
    if (state.exitCode === 0) return { state: 'SUCCEEDED', exitCode: 0, error: '' };
    const error = state.oomKilled ? `killed: out of memory (limit ${this.spec.resources.memoryBytes} bytes)` : `exited with code ${state.exitCode}`;
    return { state: 'FAILED', exitCode: state.exitCode, error, failureKind: 'TASK' };
  }

  /**
   * Whether something other than the task and the agent ended the container:
   * the host's OOM killer (when the task set no memory limit of its own), or
   * a kill signal the agent did not send (its own stops are handled before:
   * cancel, timeout, a Cline stop, the cut-off), which is the engine shutting
   * down without live-restore or a `docker stop` from outside the fleet. An
   * engine that went away as the container stopped counts as the engine's
   * doing too, and so does a stop while an engine without live-restore
   * restarted (the kill events went with the old process). A task that kills
   * itself sends no kill event: that is its own.
   */
  private async stoppedFromOutside(containerId: string, state: ContainerState, startedAtMs: number, engine: EngineAtExit): Promise<{ reason: NodeReason; error: string } | null> {
    // A task that said it succeeded did, however it was asked to stop: running it again could do its work twice.
    if (state.exitCode === 0) return null;
    if (state.oomKilled) {
      return this.spec.resources.memoryBytes ? null : { reason: 'host_oom', error: "killed by the host's out-of-memory killer (the task set no memory limit)" };
    }
    if (this.cline?.stopRequest) return null;
    if (engine === 'stopped-by-engine') {
      return { reason: 'stopped_outside', error: `it stopped while its engine restarted without live-restore, which stops every container (exit code ${state.exitCode})` };
    }
    if (engine === 'ended-while-away' && state.exitCode === ENGINE_LOST_EXIT_CODE) {
      return { reason: 'exit_lost', error: `it ended while its engine restarted, and the engine lost its exit status (it says ${ENGINE_LOST_EXIT_CODE})` };
    }
    // The kill events of an engine that restarted went with its old process, so a
    // container that died of SIGTERM or SIGKILL meanwhile cannot be cleared of the
    // engine's doing (a restart under load can stop containers even with live-restore):
    // it counts as the node's failure, and the task is tried again.
    if (engine === 'ended-while-away' && ENGINE_STOP_EXIT_CODES.has(state.exitCode)) {
      return { reason: 'stopped_outside', error: `it was stopped by a signal (exit code ${state.exitCode}) while its engine restarted, and the engine's record of who sent it went with the old process` };
    }
    try {
      if (await this.deps.runtime.killedSince(containerId, startedAtMs)) {
        return { reason: 'stopped_outside', error: `stopped by a signal the agent did not send (exit code ${state.exitCode}): its engine shutting down, or a docker stop from outside the fleet` };
      }
    } catch (err) {
      if (!(err instanceof EngineError)) throw err;
      return { reason: 'stopped_outside', error: `its engine went away as the container stopped (exit code ${state.exitCode})` };
    }
    return null;
  }
}

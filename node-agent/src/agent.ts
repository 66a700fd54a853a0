/**
 * The node agent's core: turns Assign and Cancel into attempt runners,
 * removes containers once their outcome is stored, resumes journaled attempts
 * after a restart, and reaps fleet containers that belong to no attempt.
 */
import type { RepoCache } from './repo-cache.js';
import { Prefetcher } from './prefetch.js';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../common/clock.js';
import { errorMessage } from '../../common/errors.js';
import { InFlight } from '../../common/self-check.js';
import type { Logger } from '../../common/logger.js';
import type { AttemptOutcome, Assignment, CancelOrder, DeclinedAttempt, NodeResources, TaskSpec } from '../../common/model.js';
import { readResources } from './resources.js';
import { AttemptRunner, DEFAULT_STOP_GRACE_MS, type AttemptKind, type AttemptObserver } from './attempt-runner.js';
import { EngineError, type ContainerRuntime, type EngineInfo } from './container-runtime.js';
import { diskPressure, freeBytes } from './disk.js';
import { MAX_DECLINED, MAX_IMAGES, MAX_REPO_KEYS } from '../../common/wire/session.js';
import { attemptDir } from './cline-attempt.js';
import { admitsWork, drain, type AgentState } from './drain.js';
import { JournalFullError, type Journal, type JournalAttempt, type LlmGrantRecord } from './journal.js';
import { newGatewayToken, type LlmGateway } from './llm-gateway.js';
import { removeWorkspace } from './workspace.js';

const REAP_INTERVAL_MS = 60_000;
const MAX_GRACE_MS = 10 * 60_000;
/** While the engine is away, how often the agent asks whether it is back. */
const ENGINE_POLL_MS = 500;

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

/** What the node can run: only `images` when `imagesOnly`, anything otherwise. */
export interface LocalImages {
  imagesOnly: boolean;
  images: string[];
}

/** A Docker call that does not answer within this long counts as the engine not answering. */
const ENGINE_CALL_TIMEOUT_MS = 10_000;
/** A measurement makes a few engine calls, each bounded: one that has not ended after this long is stuck. */
const MEASURE_BOUND_MS = 60_000;

/** The promise, or EngineError('unavailable') if it takes longer than `ms` (a hung engine must not hang the heartbeat's facts). */
function inTime<T>(p: Promise<T>, what: string, ms = ENGINE_CALL_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EngineError('unavailable', `docker ${what}: no answer within ${ms}ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** What a heartbeat says about the node, as last measured. */
export interface NodeFacts {
  docker: DockerHealth;
  resources: NodeResources | undefined;
  /** Fleet containers on the node; undefined when Docker did not answer. */
  containers: number | undefined;
  diskPressure: string;
  images: LocalImages;
}

export interface AgentSettings {
  /** Where the journal and the workspaces live, for the disk check. */
  dataDir: string;
  /** Below this much free space on the data dir or Docker's, the node is under disk pressure. */
  minFreeDiskBytes: number;
}

export class NodeAgent {
  private readonly runners = new Map<string, AttemptRunner>();
  /** Removals of acknowledged attempts' containers and workspaces under way. */
  private readonly cleaning = new Set<Promise<void>>();
  private reapTimer: NodeJS.Timeout | undefined;
  private docker: DockerHealth = { healthy: false, error: 'not checked yet' };
  private engine: EngineInfo | undefined;
  private engineBack: Promise<void> | undefined;
  private state: AgentState = 'running';
  private pressure = '';
  /** Attempts refused without a journal entry, until the control plane has heard of them. */
  private readonly declined = new Map<string, DeclinedAttempt>();
  private measuring: Promise<NodeFacts> | undefined;
  /** For the self-check: each call to Docker has its own timeout, so a measurement that does not end is a hang. */
  readonly measurements = new InFlight('measuring the node (Docker, disk)', MEASURE_BOUND_MS);
  /** The node's facts as last measured (`measure`). */
  facts: NodeFacts = { docker: this.docker, resources: undefined, containers: undefined, diskPressure: '', images: { imagesOnly: false, images: [] } };
  /** Called when the control plane should hear of the node soon: containers removed (drains wait for it), the journal out of space. */
  onNewsForControlPlane: () => void = () => {};
  /**
   * Whether the control plane has been silent past the stop-after-disconnect
   * bound (the session's cut-off watchdog). Asked at the moment an Assign
   * arrives, not when the watchdog next looks: an overloaded process can
   * run late.
   */
  cutOff: () => boolean = () => false;

  constructor(
    readonly identity: AgentIdentity,
    private readonly runtime: ContainerRuntime,
    private readonly journal: Journal,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly cline: { gateway: LlmGateway; attemptsDir: string; repoCache?: RepoCache | null },
    private readonly settings: AgentSettings,
    private readonly observer?: AttemptObserver,
  ) {
    journal.onDegradedChange(() => this.onNewsForControlPlane());
    this.prefetcher = new Prefetcher(runtime, log);
  }

  /**
   * The keys (common/repo-key.ts) of the repositories this node holds warm,
   * sorted: none without a cache. At most what a heartbeat may carry (a
   * longer list would be refused): past that, some warm ones go unreported.
   */
  repoKeys(): string[] {
    return (this.cline.repoCache?.keys() ?? []).slice(0, MAX_REPO_KEYS);
  }

  /** Images the control plane asked this node to hold ahead of work (a rollout's canary). */
  readonly prefetcher: Prefetcher;

  /**
   * Reaps strays, then resumes what the journal holds. Call once at start:
   * reaping first means a container created just before a crash (and never
   * journaled) is gone before its attempt is started again.
   */
  async start(): Promise<void> {
    await this.checkDocker();
    if (this.engine && !this.engine.liveRestore) {
      this.log.warn(
        { dockerRootDir: this.engine.rootDir },
        "Docker's live-restore is off: restarting the engine stops every running attempt (they are retried); set \"live-restore\": true in /etc/docker/daemon.json",
      );
    }
    await this.removeStoredResults();
    await this.reap();
    for (const attempt of this.journal.active()) {
      if (attempt.state === 'accepted' || attempt.state === 'running') this.launch(attempt);
    }
    this.reapTimer = setInterval(() => void this.reap(), REAP_INTERVAL_MS);
    this.reapTimer.unref();
    // The first heartbeat says what is true, not what was assumed before anything was measured.
    await this.measure();
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
      await inTime(this.runtime.ping(), 'ping');
      // Asked each time: an engine restarted between two checks may have come back with other settings.
      this.engine = (await inTime(this.runtime.info(), 'info').catch(() => undefined)) ?? this.engine;
      this.docker = { healthy: true, error: '' };
    } catch (err) {
      if (this.docker.healthy) this.log.warn({ err: errorMessage(err) }, 'docker engine unreachable');
      this.docker = { healthy: false, error: errorMessage(err) };
    }
    return this.docker;
  }

  /** Measures the node's facts for heartbeats; one measurement at a time, shared by whoever asks meanwhile. */
  measure(): Promise<NodeFacts> {
    this.measuring ??= this.measurements.track((async () => {
      const [docker, resources, containers, diskPressure, images] = await Promise.all([
        this.checkDocker(),
        readResources(this.settings.dataDir).catch(() => undefined),
        this.fleetContainers(),
        this.checkDisk(),
        this.localImages(),
      ]);
      this.facts = { docker, resources, containers, diskPressure, images };
      return this.facts;
    })()).finally(() => {
      this.measuring = undefined;
    });
    return this.measuring;
  }

  /** Resolves when the engine answers again; shared by every runner waiting for it. */
  whenEngineAvailable(): Promise<void> {
    this.engineBack ??= (async () => {
      while ((await this.checkDocker()).healthy === false) await new Promise((r) => setTimeout(r, ENGINE_POLL_MS));
      this.log.info('docker engine answering again');
    })().finally(() => {
      this.engineBack = undefined;
    });
    return this.engineBack;
  }

  /**
   * Why the node is short of disk space, checked now ('' when it is not): a
   * journal that holds writes, or too little free space on the data dir or
   * Docker's data root. Kept for `assign` until the next check.
   */
  async checkDisk(): Promise<string> {
    const { dataDir, minFreeDiskBytes } = this.settings;
    const checks = [{ what: 'data dir', path: dataDir, freeBytes: await freeBytes(dataDir) }];
    if (this.engine?.rootDir) checks.push({ what: "Docker's data root", path: this.engine.rootDir, freeBytes: await freeBytes(this.engine.rootDir) });
    const pressure = [this.journal.degradedReason, diskPressure(checks, minFreeDiskBytes)].filter(Boolean).join('; ');
    if (pressure !== this.pressure) {
      if (pressure) this.log.warn({ pressure }, 'disk pressure: taking no new work');
      else this.log.info('disk pressure over');
    }
    this.pressure = pressure;
    return pressure;
  }

  /**
   * With --image-pull never, the images this node can run. A node that pulls
   * can run anything, and so can one holding more images than a heartbeat
   * lists (it says so, and a missing one fails as image_missing). An engine
   * that does not answer has not lost its images: the last list stands.
   */
  async localImages(): Promise<LocalImages> {
    if (this.runtime.pullPolicy !== 'never') return { imagesOnly: false, images: [] };
    const images = await inTime(this.runtime.images(MAX_IMAGES + 1), 'image ls').catch(() => null);
    if (!images) return this.facts.images;
    return images.length > MAX_IMAGES ? { imagesOnly: false, images: [] } : { imagesOnly: true, images: images.sort() };
  }

  /** Attempts refused without a journal entry, for the next heartbeat (at most MAX_DECLINED; the rest follow). */
  declinedAttempts(): DeclinedAttempt[] {
    return [...this.declined.values()].slice(0, MAX_DECLINED);
  }

  /** The control plane stored a heartbeat that carried these: they need not be said again. */
  forgetDeclined(attemptIds: readonly string[]): void {
    for (const id of attemptIds) this.declined.delete(id);
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
    return inTime(this.runtime.list(this.identity.nodeId), 'ps').then((list) => list.length, () => undefined);
  }

  assign(assignment: Assignment): void {
    const { taskId, attemptId, spec } = assignment;
    // Declined once, declined for good: the control plane requeues it, so running it now would run it twice.
    if (this.declined.has(attemptId)) return;
    // A resent Assign for an attempt this node knows (accept would say so too, but needs a write).
    if (this.journal.get(attemptId)) {
      // Unless the control plane stored its outcome and lost it again (its state was restored from
      // a backup taken before): the attempt is over here, so it is given back to be run again.
      const outcome: AttemptOutcome = { state: 'LOST', error: `node ${this.identity.name} ran this attempt and reported its outcome, which the control plane no longer has (its state was restored from a backup): run again`, failureKind: 'INFRASTRUCTURE' };
      if (this.journal.reportAgain(attemptId, taskId, outcome, this.clock.now())) this.log.warn({ taskId, attemptId }, 'assigned an attempt that already ended here; given back to run again');
      return;
    }
    if (!admitsWork(this.state)) {
      // Sent before the control plane heard we are draining: give it straight back.
      this.giveBack(taskId, attemptId, { state: 'LOST', error: `node ${this.identity.name} is draining`, failureKind: 'INFRASTRUCTURE' }, spec.cline ? 'cline' : 'plain');
      return;
    }
    if (this.pressure) {
      this.decline(taskId, attemptId, `node ${this.identity.name} is short of disk space: ${this.pressure}`);
      return;
    }
    // Silent past the bound, this node's tasks are about to run elsewhere (it stopped its
    // containers for that reason): an Assign that arrives now may be a stale one.
    if (this.cutOff()) {
      this.giveBack(taskId, attemptId, { state: 'LOST', error: `node ${this.identity.name} was cut off from the control plane when the attempt arrived: not started`, failureKind: 'INFRASTRUCTURE' }, spec.cline ? 'cline' : 'plain');
      return;
    }
    // A Cline attempt's provider key stays in this process and its journal;
    // the container gets only the attempt's own gateway token.
    const llm: LlmGrantRecord | null = spec.cline ? { provider: assignment.provider, token: newGatewayToken() } : null;
    try {
      if (!this.journal.accept(attemptId, taskId, JSON.stringify(spec), this.clock.now(), llm)) return;
    } catch (err) {
      if (!(err instanceof JournalFullError)) throw err;
      this.decline(taskId, attemptId, `node ${this.identity.name}: ${err.message}`);
      return;
    }
    this.log.info({ taskId, attemptId }, 'attempt accepted');
    this.launch(this.journal.get(attemptId)!);
  }

  /**
   * Refuses an attempt without journaling it (the journal cannot write, or
   * the disk is nearly full): nothing was started, so the control plane may
   * requeue it at once. It hears of it in the next heartbeats.
   */
  private decline(taskId: string, attemptId: string, error: string): void {
    if (this.declined.has(attemptId)) return;
    this.declined.set(attemptId, { taskId, attemptId, reason: 'disk_full', error });
    this.log.warn({ taskId, attemptId, err: error }, 'attempt declined');
  }

  /** An Assign this node cannot read (the control plane validated it: mismatched versions) fails at the infrastructure level. */
  refuse(ref: { taskId: string; attemptId: string }, problem: string, kind: AttemptKind = 'plain'): void {
    this.giveBack(ref.taskId, ref.attemptId, { state: 'FAILED', error: `node ${this.identity.nodeId} cannot read the task spec: ${problem}`, failureKind: 'INFRASTRUCTURE' }, kind);
  }

  /**
   * Journals an outcome for an attempt that never ran here (once: a resent
   * Assign changes nothing). A journal that cannot write declines it instead.
   */
  private giveBack(taskId: string, attemptId: string, outcome: AttemptOutcome, kind: AttemptKind): void {
    try {
      if (this.journal.accept(attemptId, taskId, '{}', this.clock.now()) && this.journal.finished(attemptId, taskId, outcome, this.clock.now())) {
        this.observer?.attemptFinished(kind, outcome);
      }
    } catch (err) {
      if (!(err instanceof JournalFullError)) throw err;
      this.decline(taskId, attemptId, `node ${this.identity.name}: ${err.message}`);
    }
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

  /**
   * The control plane stored these attempts' outcomes: their containers can
   * go. Tracked until done, so that a stopping agent closes its journal only
   * after them (`settled`).
   */
  async acknowledged(attemptIds: string[]): Promise<void> {
    const work = this.removeAcknowledged(attemptIds);
    this.cleaning.add(work);
    try {
      await work;
    } finally {
      this.cleaning.delete(work);
    }
  }

  /** Resolves when the removals of acknowledged attempts under way have ended, or after `timeoutMs`. */
  async settled(timeoutMs: number): Promise<void> {
    if (this.cleaning.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.cleaning]), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  private async removeAcknowledged(attemptIds: string[]): Promise<void> {
    let removed = false;
    for (const attemptId of attemptIds) {
      const attempt = this.journal.get(attemptId);
      if (attempt?.containerId) {
        await this.runtime.remove(attempt.containerId).catch((err: unknown) => {
          this.log.warn({ attemptId, err: errorMessage(err) }, 'container not removed; the reaper removes it once the engine answers');
          // Done in the journal all the same: the reaper removes the containers of done attempts, and runs again as soon as it can.
          void this.whenEngineAvailable().then(() => this.reap());
        });
        removed = true;
      }
      try {
        await removeWorkspace(attemptDir(this.cline.attemptsDir, attemptId));
      } catch (err) {
        this.log.warn({ attemptId, err: errorMessage(err) }, 'workspace not removed');
      }
      this.journal.markDone(attemptId, this.clock.now());
    }
    if (removed) this.onNewsForControlPlane();
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

  /** `stopAll`, then waits (bounded) until the attempts have ended: before the process exits. */
  async stopAllAndWait(reason: string, graceMs: number): Promise<void> {
    this.stopAll(reason, graceMs);
    const deadline = Date.now() + graceMs + 10_000;
    while (this.runners.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
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
      engine: { whenAvailable: () => this.whenEngineAvailable(), liveRestore: () => this.engine?.liveRestore },
      journal: this.journal,
      nodeId: this.identity.nodeId,
      clock: this.clock,
      log: this.log,
      gateway: this.cline.gateway,
      attemptsDir: this.cline.attemptsDir,
      repoCache: this.cline.repoCache ?? null,
      observer: this.observer,
      cutOff: () => this.cutOff(),
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
      // A name readdir gave (one path component, whatever its shape), not an id from the wire.
      await removeWorkspace(join(this.cline.attemptsDir, attemptId));
    }
  }
}

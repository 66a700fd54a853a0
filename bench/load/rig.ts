/**
 * One run's apparatus, shared by the modes: a scratch directory, the
 * deployment under test, the process sampler watching it, the API client,
 * and the simulated nodes with their join tokens.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FleetApi } from './api.js';
import { Deployment, type RestartTimes } from './deployment.js';
import type { LoadOptions } from './options.js';
import { ProcessSampler } from './proc-stats.js';
import { nowMs, type SimCounters, type SimNodeSpec } from './protocol.js';
import { SimFleet } from './sim-fleet.js';
import { fixed, progress, summarize, type LatencySummary } from './stats.js';

/**
 * Nodes enrolled with one join token: enrollment spends a use of its token
 * by compare-and-set, so dozens of nodes enrolling at once on one token
 * would mostly measure retries of that one record (and the agent's backoff).
 */
const NODES_PER_TOKEN = 10;
/**
 * Uses per node on a token: an enrollment that fails after the control plane
 * spent a use (a timeout under load) is retried by the agent, and must not
 * find its token used up by its own first try.
 */
const TOKEN_USES_PER_NODE = 2;
const TOKEN_TTL_MS = 24 * 3_600_000;
/** Each enrollment and first connection starts after a random wait of up to this. */
const START_JITTER_MS = 50;
/** On top of the settle timeout, enrolling or connecting the nodes may take this long per node. */
const SETUP_MS_PER_NODE = 100;
const PROGRESS_EVERY_MS = 5_000;
/** The control plane counts as quiet below this much CPU over the last second. */
const QUIET_CORES = 0.1;

/** CPU (cores busy) and peak resident memory over a window. */
export interface Usage {
  controlPlaneCpuCores: number;
  natsCpuCores: number;
  /** The bench's own processes: the submitter and the simulated nodes share the machine with the control plane. */
  benchCpuCores: number;
  /** Every process on the machine (of its cores): what is left after the three above ran elsewhere. */
  machineCpuCores: number;
  controlPlanePeakRssMb: number;
  natsPeakRssMb: number;
  benchPeakRssMb: number;
}

export interface PhaseTiming {
  /** From the first node starting until the last one done. */
  totalMs: number;
  perNodeMs: LatencySummary;
  usage: Usage;
}

export class Rig {
  private stoppedNodes: SimCounters | undefined;

  private constructor(
    private readonly options: LoadOptions,
    readonly dir: string,
    readonly deployment: Deployment,
    readonly sampler: ProcessSampler,
    readonly api: FleetApi,
    readonly sims: SimFleet,
  ) {}

  static async start(options: LoadOptions, dist: string, metrics: 'off' | 'scraped' = options.metrics): Promise<Rig> {
    const dir = mkdtempSync(join(tmpdir(), 'fleet-load-'));
    progress(`starting ${options.controlPlanes} control plane(s) from ${dist} (${options.cluster ? 'a 3-server NATS cluster' : 'embedded NATS'}) in ${dir}`);
    let deployment: Deployment;
    try {
      deployment = await Deployment.start({ dist, dir, controlPlanes: options.controlPlanes, cluster: options.cluster, heartbeatIntervalMs: options.heartbeatIntervalMs, profileDir: options.cpProfileDir, metrics });
      deployment.startScraping();
    } catch (err) {
      if (!options.keep) rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    const sampler = new ProcessSampler();
    sampler.track('controlPlane', deployment.controlPlanePids);
    sampler.track('nats', deployment.natsPids);
    const sims = new SimFleet(options.simProcs);
    sampler.track('bench', [process.pid, ...sims.pids]);
    return new Rig(options, dir, deployment, sampler, new FleetApi(deployment.endpoints, deployment.caPem, deployment.adminToken), sims);
  }

  /** Join tokens, then every node enrolled as an agent enrolls. */
  async enroll(): Promise<PhaseTiming> {
    const { nodes, enrollConcurrency, connectConcurrency, slots, settleTimeoutMs } = this.options;
    const endpoints = this.deployment.endpoints;
    const tokenCount = Math.ceil(nodes / NODES_PER_TOKEN);
    const nodesWith = (t: number) => Math.floor((nodes - 1 - t) / tokenCount) + 1;
    const tokens = await Promise.all(Array.from({ length: tokenCount }, (_, t) => this.api.createJoinToken(TOKEN_USES_PER_NODE * nodesWith(t), TOKEN_TTL_MS)));
    const specs: SimNodeSpec[] = Array.from({ length: nodes }, (_, i) => ({
      name: `sim-${String(i + 1).padStart(5, '0')}`,
      // Spread over the replicas: node i starts with replica i mod N, then fails over to the next.
      endpoints: endpoints.map((_, r) => endpoints[(i + r) % endpoints.length]!),
      joinToken: tokens[i % tokenCount]!,
    }));
    progress(`enrolling ${nodes} nodes (${enrollConcurrency} at once, ${tokenCount} join token(s), ${this.options.simProcs} simulator process(es))`);
    const startedAt = this.sampler.sample();
    const stopProgress = this.every(() => `  enrolled ${this.sims.progress.enrolled}/${nodes}`);
    try {
      const perNode = await this.sims.enroll(specs, { slots, enrollConcurrency, connectConcurrency, jitterMs: START_JITTER_MS }, settleTimeoutMs + nodes * SETUP_MS_PER_NODE);
      return this.phase(startedAt, perNode);
    } finally {
      stopProgress();
    }
  }

  /** Every node's session opened; done when each has had its first heartbeat acknowledged. */
  async connect(): Promise<PhaseTiming> {
    const { nodes, settleTimeoutMs } = this.options;
    progress(`connecting ${nodes} nodes`);
    const startedAt = this.sampler.sample();
    const stopProgress = this.every(() => `  connected ${this.sims.progress.ready}/${nodes}`);
    try {
      await this.sims.connect(settleTimeoutMs + nodes * SETUP_MS_PER_NODE);
      return this.phase(startedAt, this.sims.connects.map(([, ms]) => ms));
    } finally {
      stopProgress();
    }
  }

  private phase(startedAt: number, perNodeMs: number[]): PhaseTiming {
    const endedAt = this.sampler.sample();
    return { totalMs: fixed(endedAt - startedAt), perNodeMs: summarize(perNodeMs), usage: this.usage(startedAt, endedAt) };
  }

  /** Restarts replica `i` (SIGTERM, then the same command) and samples its new processes. */
  async restart(i: number): Promise<RestartTimes> {
    const times = await this.deployment.restart(i);
    this.sampler.track('controlPlane', this.deployment.controlPlanePids);
    this.sampler.track('nats', this.deployment.natsPids);
    return times;
  }

  usage(fromMs: number, toMs: number): Usage {
    const s = this.sampler;
    return {
      controlPlaneCpuCores: fixed(s.cpuCores('controlPlane', fromMs, toMs), 2),
      natsCpuCores: fixed(s.cpuCores('nats', fromMs, toMs), 2),
      benchCpuCores: fixed(s.cpuCores('bench', fromMs, toMs), 2),
      machineCpuCores: fixed(s.machineCpuCores(fromMs, toMs), 2),
      controlPlanePeakRssMb: fixed(s.peakRssMb('controlPlane', fromMs, toMs)),
      natsPeakRssMb: fixed(s.peakRssMb('nats', fromMs, toMs)),
      benchPeakRssMb: fixed(s.peakRssMb('bench', fromMs, toMs)),
    };
  }

  /** Waits (at most `capMs`) until the control planes use less than a tenth of a core; resolves with how long it took. */
  async waitQuiet(capMs: number): Promise<number> {
    const startedAt = nowMs();
    while (nowMs() - startedAt < capMs) {
      await sleep(500);
      const now = this.sampler.sample();
      if (now - startedAt >= 1_000 && this.sampler.cpuCores('controlPlane', now - 1_000, now) < QUIET_CORES) break;
    }
    return fixed(nowMs() - startedAt);
  }

  /** Closes every node session and ends the simulators (their last measurements arrive first). */
  async stopNodes(): Promise<SimCounters> {
    this.stoppedNodes ??= await this.sims.stop();
    return this.stoppedNodes;
  }

  async close(): Promise<void> {
    await this.stopNodes();
    this.api.close();
    this.sampler.stop();
    await this.deployment.stop();
    if (this.options.keep) progress(`kept ${this.dir}`);
    else rmSync(this.dir, { recursive: true, force: true });
  }

  /** A progress line every few seconds while a phase lasts; returns its stop. */
  every(line: () => string): () => void {
    const timer = setInterval(() => progress(line()), PROGRESS_EVERY_MS);
    return () => clearInterval(timer);
  }
}

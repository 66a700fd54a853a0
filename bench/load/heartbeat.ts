/**
 * Heartbeats: the nodes only enroll, connect and heartbeat. Measured: how
 * long enrolling and connecting all of them takes (bounded concurrency,
 * jittered starts), then over the window the heartbeat ack latency at the
 * nodes, heartbeats acknowledged per second, and the control plane's CPU per
 * heartbeat. With --restart-replica, the first control plane is then
 * stopped (SIGTERM) and started again on the same data dir and port, and
 * the nodes that were connected to it are timed until each is welcomed
 * again (they come back with the agent's jittered backoff).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadOptions } from './options.js';
import type { SimCounters } from './protocol.js';
import type { PhaseTiming, Rig, Usage } from './rig.js';
import { reportTimeout } from './sim-fleet.js';
import { fixed, progress, summarize, type LatencySummary } from './stats.js';

export interface RestartReport {
  /** Nodes connected to the restarted control plane. */
  nodes: number;
  reconnected: number;
  /** SIGTERM → the process exited. */
  stopMs: number;
  /** Spawned again → serving. */
  readyMs: number;
  /** Spawned again → the last of its nodes welcomed again (null: not all came back within the settle timeout). */
  allReconnectedAfterStartMs: number | null;
  /** SIGTERM → the last of its nodes welcomed again. */
  allReconnectedAfterStopMs: number | null;
}

export interface HeartbeatReport {
  setup: { enroll: PhaseTiming; connect: PhaseTiming };
  heartbeats: {
    /** Acknowledged within the window. */
    acked: number;
    perSec: number;
    controlPlaneCpuMsPerHeartbeat: number;
    natsCpuMsPerHeartbeat: number;
  };
  latencyMs: { heartbeatAck: LatencySummary };
  usage: Usage;
  restart: RestartReport | null;
  simulators: SimCounters;
}

export async function runHeartbeat(rig: Rig, o: LoadOptions): Promise<HeartbeatReport> {
  const setup = { enroll: await rig.enroll(), connect: await rig.connect() };
  progress(`heartbeating: ${o.warmupMs / 1000}s warm-up, then ${o.durationMs / 1000}s measured`);
  await sleep(o.warmupMs);
  const windowStart = rig.sampler.sample();
  await sleep(o.durationMs);
  const windowEnd = rig.sampler.sample();
  await rig.sims.flush();

  const inWindow = ([sentAt, ms]: [number, number]) => sentAt + ms >= windowStart && sentAt + ms <= windowEnd;
  const acked = rig.sims.heartbeats.filter(inWindow);
  const usage = rig.usage(windowStart, windowEnd);
  const seconds = (windowEnd - windowStart) / 1000;
  const perHeartbeat = (group: 'controlPlane' | 'nats') => (acked.length === 0 ? 0 : fixed((rig.sampler.cpuCores(group, windowStart, windowEnd) * (windowEnd - windowStart)) / acked.length, 3));
  const restart = o.restartReplica ? await restartReplica(rig, o) : null;
  return {
    setup,
    heartbeats: {
      acked: acked.length,
      perSec: fixed(acked.length / seconds),
      controlPlaneCpuMsPerHeartbeat: perHeartbeat('controlPlane'),
      natsCpuMsPerHeartbeat: perHeartbeat('nats'),
    },
    latencyMs: { heartbeatAck: summarize(acked.map(([, ms]) => ms)) },
    usage,
    restart,
    simulators: await rig.stopNodes(),
  };
}

async function restartReplica(rig: Rig, o: LoadOptions): Promise<RestartReport> {
  const endpoint = rig.deployment.endpoints[0]!;
  const nodes = await rig.sims.mark(endpoint);
  progress(`restarting the control plane at ${endpoint} (${nodes} nodes connected to it)`);
  const times = await rig.restart(0);
  progress(`control plane serving again after ${(times.readyMs / 1000).toFixed(1)}s; waiting for its nodes`);
  const stopProgress = rig.every(() => `  reconnected ${rig.sims.progress.reconnected}/${nodes}`);
  await rig.sims.waitUntil('the nodes to reconnect', () => rig.sims.progress.reconnected >= nodes, o.settleTimeoutMs).catch(reportTimeout);
  stopProgress();
  const { reconnected, lastReconnectAtMs } = rig.sims.progress;
  const allBack = reconnected >= nodes;
  return {
    nodes,
    reconnected,
    stopMs: fixed(times.stopMs),
    readyMs: fixed(times.readyMs),
    allReconnectedAfterStartMs: allBack ? fixed(lastReconnectAtMs - times.spawnedAtMs) : null,
    allReconnectedAfterStopMs: allBack ? fixed(lastReconnectAtMs - times.stoppingAtMs) : null,
  };
}

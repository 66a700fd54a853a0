/**
 * Load bench: the control plane under load from simulated nodes that speak
 * the real NodeService protocol, over real gRPC with the real security.
 *
 * The control plane runs as it is deployed: `node DIST/control-plane/src/main.js
 * --listen 127.0.0.1:PORT --data-dir TMP` as a child process on the embedded
 * NATS (or, with --cluster, N replicas on a three-server JetStream cluster).
 * The bench talks to it only through its public face: flags, the admin token
 * and fleet CA files it documents, FleetService with the admin token as
 * bearer (join tokens, SubmitTask, GetTask) and grpc.health.v1, so the same
 * bench measures any build (--cp-dist, --compare-dist).
 *
 * Each simulated node is one agent without Docker (bench/load/sim-node.ts):
 * the agent's own enrollment (the CA found by the join token's pin, a key and
 * CSR made here, the node certificate back), then NodeService.Connect over
 * mTLS on a connection of its own: hello, heartbeats with free slots, attempt
 * events with sequence numbers resent until acknowledged. An Assign is
 * answered at once with `started` and `finished` SUCCEEDED. The nodes run in
 * --sim-procs child processes that report to this one over IPC.
 *
 * Modes:
 * - throughput: tasks submitted closed loop (--concurrency calls in flight)
 *   or open loop (--rate per second) through a warm-up and a window; tasks/s
 *   and latencies (submit round trip, submit → assigned at the node, submit →
 *   SUCCEEDED stored), then every task read back: exactly-once.
 * - heartbeat: nodes only connect and heartbeat; time to enroll and connect
 *   them all, heartbeat ack latency, control-plane CPU per heartbeat; with
 *   --restart-replica, the time until every node is back after a restart.
 * - backlog: --tasks submitted with no node connected, then the nodes
 *   connect; the drain rate and the control plane's peak memory.
 * Every mode reports the control plane's and NATS's CPU (cores, from
 * /proc/PID/stat) and peak RSS (VmRSS sampled every 250 ms) over its window.
 *
 *   npm run bench:load                                      # throughput: 50 nodes × 8 slots, 50 in flight, 20 s
 *   npm run bench:load -- --rate 400 --duration 30s
 *   npm run bench:load -- --mode heartbeat --nodes 2000 --restart-replica
 *   npm run bench:load -- --mode backlog --tasks 20000
 *   npm run bench:load -- --compare-dist ../main/dist        # that build first, then this one
 *   npm run bench:load -- --compare-metrics                  # metrics off, then on and scraped every 5s
 *   npm run bench:load -- --cluster --control-planes 3
 *
 * One JSON object on stdout at the end; progress on stderr. Exit codes: 0,
 * 1 (a run failed, or --check and exactly-once did not hold), 2 (bad flags).
 */
import { availableParallelism } from 'node:os';
import { runBacklog, type BacklogReport } from './load/backlog.js';
import { runHeartbeat, type HeartbeatReport } from './load/heartbeat.js';
import { parseOptions, USAGE, UsageError, type LoadOptions } from './load/options.js';
import { Rig } from './load/rig.js';
import { progress } from './load/stats.js';
import { runThroughput, type ThroughputReport } from './load/throughput.js';

type ModeReport = ThroughputReport | HeartbeatReport | BacklogReport;

interface RunReport {
  controlPlane: { dist: string; replicas: number; nats: string; metrics: 'off' | 'scraped'; scrapes: { ok: number; failed: number; bytes: number } };
  report: ModeReport;
}

function parameters(o: LoadOptions): Record<string, unknown> {
  const common = {
    nodes: o.nodes,
    slots: o.slots,
    heartbeatIntervalMs: o.heartbeatIntervalMs,
    image: o.image,
    simProcs: o.simProcs,
    enrollConcurrency: o.enrollConcurrency,
    connectConcurrency: o.connectConcurrency,
    settleTimeoutMs: o.settleTimeoutMs,
  };
  switch (o.mode) {
    case 'throughput':
      return { ...common, ...(o.rate === null ? { concurrency: o.concurrency } : { rate: o.rate }), durationMs: o.durationMs, warmupMs: o.warmupMs };
    case 'heartbeat':
      return { ...common, durationMs: o.durationMs, warmupMs: o.warmupMs, restartReplica: o.restartReplica };
    case 'backlog':
      return { ...common, tasks: o.tasks, concurrency: o.concurrency };
  }
}

async function runOnce(o: LoadOptions, dist: string, metrics: 'off' | 'scraped'): Promise<RunReport> {
  const rig = await Rig.start(o, dist, metrics);
  try {
    const report = o.mode === 'throughput' ? await runThroughput(rig, o) : o.mode === 'heartbeat' ? await runHeartbeat(rig, o) : await runBacklog(rig, o);
    return { controlPlane: { dist, replicas: o.controlPlanes, nats: o.cluster ? 'cluster of 3, R3' : 'embedded', metrics, scrapes: { ...rig.deployment.scrapes } }, report };
  } finally {
    await rig.close();
  }
}

/** Whether the run's exactly-once check held (heartbeat runs have no tasks). */
const exactlyOnceHeld = (r: RunReport) => !('exactlyOnce' in r.report) || r.report.exactlyOnce.ok;

async function main(): Promise<number> {
  let options: LoadOptions | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`bench:load: ${err.message}\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const o = options;
  const runs: RunReport[] = [];
  const plan: Array<[string, 'off' | 'scraped']> = o.compareMetrics
    ? [[o.cpDist, 'off'], [o.cpDist, 'scraped']]
    : (o.compareDist ? [o.compareDist, o.cpDist] : [o.cpDist]).map((dist) => [dist, o.metrics]);
  for (const [dist, metrics] of plan) {
    progress(`${o.mode} run against ${dist}, metrics ${metrics}`);
    runs.push(await runOnce(o, dist, metrics));
  }
  const flat = (r: RunReport) => ({ controlPlane: r.controlPlane, ...r.report });
  const output = { mode: o.mode, parameters: parameters(o), machine: { cpus: availableParallelism(), node: process.version }, ...(runs.length === 2 ? { compare: { before: flat(runs[0]!), after: flat(runs[1]!) } } : flat(runs[0]!)) };
  process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
  const held = runs.every(exactlyOnceHeld);
  if (!held) progress('exactly-once did NOT hold: see exactlyOnce in the report');
  return o.check && !held ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench:load: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);

/**
 * The system under test: control-plane replicas run from a build's dist/ as
 * child processes, each with its own data dir, port and log file. By
 * default one replica on the embedded NATS (the control plane starts its own
 * nats-server child); with `cluster`, three nats-servers in a JetStream
 * cluster (the tests' `TestNatsCluster`) and every replica on them with
 * `--replicas 3` and one fleet CA made here, as a production cluster runs.
 *
 * Only the control plane's public face is used: its flags, the files it
 * documents (DATA_DIR/admin.token, DATA_DIR/tls/ca.crt) and grpc.health.v1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCa } from '../../common/pki.js';
import { freePort, TestNatsCluster } from '../../test/harness/nats.js';
import { healthOf } from './api.js';
import { childProcesses } from './proc-stats.js';
import { nowMs } from './protocol.js';

const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 30_000;
const POLL_MS = 200;
const CA_LIFETIME_MS = 7 * 86_400_000;
const NATS_SERVERS = 3;
const LOG_TAIL_BYTES = 4_000;

export interface DeploymentOptions {
  /** A build's dist/ directory; its control-plane/src/main.js is run. */
  dist: string;
  /** Scratch directory for data dirs, logs and the cluster's stores. */
  dir: string;
  controlPlanes: number;
  cluster: boolean;
  heartbeatIntervalMs: number;
  /** Each control plane writes its CPU profile here when it exits (node --cpu-prof); null: none. */
  profileDir: string | null;
  /** off: --metrics-listen off (nothing observed); scraped: metrics on, each replica's /metrics fetched every SCRAPE_EVERY_MS. */
  metrics: 'off' | 'scraped';
}

/** A scrape every 5s: three times Prometheus' usual 15s, so the figure errs on the costly side. */
const SCRAPE_EVERY_MS = 5_000;

export interface RestartTimes {
  /** SIGTERM sent. */
  stoppingAtMs: number;
  /** SIGTERM → the old process exited. */
  stopMs: number;
  /** The new process spawned. */
  spawnedAtMs: number;
  /** Spawned → serving. */
  readyMs: number;
}

/**
 * Liveness flags for a heartbeat interval, valid by the control plane's
 * rules (disconnected after more than two heartbeats, down after that, a stop
 * margin of at least 3s that leaves the agent more than two heartbeats):
 * exactly the defaults for 5s.
 */
export function livenessFlags(heartbeatIntervalMs: number): string[] {
  const disconnectedAfterMs = 3 * heartbeatIntervalMs;
  const stopMarginMs = Math.min(10_000, Math.max(3_000, 2 * heartbeatIntervalMs));
  const downAfterMs = Math.max(6 * heartbeatIntervalMs, stopMarginMs + 3 * heartbeatIntervalMs);
  return ['--heartbeat-interval', `${heartbeatIntervalMs}ms`, '--disconnected-after', `${disconnectedAfterMs}ms`, '--down-after', `${downAfterMs}ms`, '--stop-margin', `${stopMarginMs}ms`];
}

/** The environment without FLEET_* variables, so that only the flags given here configure the control plane. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('FLEET_')));
}

interface Replica {
  endpoint: string;
  /** HOST:PORT of its metrics listener, or null when metrics are off. */
  metricsListen: string | null;
  dataDir: string;
  logPath: string;
  args: string[];
  child: ChildProcess | undefined;
}

const isRunning = (child: ChildProcess | undefined): child is ChildProcess => child !== undefined && child.exitCode === null && child.signalCode === null;

export class Deployment {
  adminToken = '';
  private ca: string | undefined;
  private constructor(
    private readonly main: string,
    private readonly replicas: Replica[],
    private readonly caFile: string,
    private readonly nats: TestNatsCluster | undefined,
    private readonly nodeArgs: string[],
  ) {}

  static async start(options: DeploymentOptions): Promise<Deployment> {
    const main = join(options.dist, 'control-plane', 'src', 'main.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: build that checkout first (npm run build)`);
    let nats: TestNatsCluster | undefined;
    let caFile = '';
    const shared: string[] = [];
    if (options.cluster) {
      const natsDir = join(options.dir, 'nats');
      mkdirSync(natsDir, { recursive: true });
      nats = await TestNatsCluster.start(natsDir, NATS_SERVERS);
      // Every replica of a cluster needs the same CA.
      const ca = await createCa('load bench fleet CA', CA_LIFETIME_MS);
      caFile = join(options.dir, 'ca.crt');
      const keyFile = join(options.dir, 'ca.key');
      writeFileSync(caFile, ca.certPem);
      writeFileSync(keyFile, ca.keyPem, { mode: 0o600 });
      shared.push('--nats', nats.urls.join(','), '--replicas', String(NATS_SERVERS), '--tls-ca-cert', caFile, '--tls-ca-key', keyFile);
    }
    const replicas: Replica[] = [];
    for (let i = 0; i < options.controlPlanes; i++) {
      const endpoint = `127.0.0.1:${await freePort()}`;
      const dataDir = join(options.dir, `control-plane-${i + 1}`);
      const metricsListen = options.metrics === 'off' ? null : `127.0.0.1:${await freePort()}`;
      replicas.push({ endpoint, metricsListen, dataDir, logPath: `${dataDir}.log`, args: ['--listen', endpoint, '--data-dir', dataDir, ...livenessFlags(options.heartbeatIntervalMs), ...shared], child: undefined });
    }
    // One replica alone makes its CA in its data dir on first start.
    caFile ||= join(replicas[0]!.dataDir, 'tls', 'ca.crt');
    const deployment = new Deployment(main, replicas, caFile, nats, options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir] : []);
    try {
      return await deployment.launchAll();
    } catch (err) {
      await deployment.stop();
      throw err;
    }
  }

  /** The fleet CA, as fleetctl is given it (FLEET_CA_FILE). */
  get caPem(): string {
    this.ca ??= readFileSync(this.caFile, 'utf8');
    return this.ca;
  }

  get endpoints(): string[] {
    return this.replicas.map((r) => r.endpoint);
  }

  get controlPlanePids(): number[] {
    return this.replicas.map((r) => r.child).filter(isRunning).map((c) => c.pid!);
  }

  /** The cluster's servers, or the nats-server each replica started as its child. */
  get natsPids(): number[] {
    if (this.nats) return this.nats.nodes.map((n) => n.process?.child.pid).filter((pid): pid is number => pid !== undefined);
    return this.controlPlanePids.flatMap((pid) => childProcesses(pid, 'nats-server'));
  }

  /** SIGTERM to replica `i`, then the same command again on the same data dir and port. */
  async restart(i: number): Promise<RestartTimes> {
    const stoppingAtMs = nowMs();
    await this.stopReplica(this.replicas[i]!);
    const spawnedAtMs = nowMs();
    await this.launch(i);
    return { stoppingAtMs, stopMs: spawnedAtMs - stoppingAtMs, spawnedAtMs, readyMs: nowMs() - spawnedAtMs };
  }

  /** Fetches every replica's /metrics now and then, as Prometheus would; counts what it got. */
  startScraping(): void {
    const targets = this.replicas.map((r) => r.metricsListen).filter((t): t is string => t !== null);
    if (targets.length === 0) return;
    this.scrapeTimer = setInterval(() => {
      for (const target of targets) {
        fetch(`http://${target}/metrics`).then(
          async (res) => {
            const body = await res.text();
            this.scrapes.ok += res.ok ? 1 : 0;
            this.scrapes.bytes += body.length;
          },
          () => (this.scrapes.failed += 1),
        );
      }
    }, SCRAPE_EVERY_MS);
  }

  readonly scrapes = { ok: 0, failed: 0, bytes: 0 };
  private scrapeTimer: NodeJS.Timeout | undefined;

  async stop(): Promise<void> {
    clearInterval(this.scrapeTimer);
    await Promise.all(this.replicas.map((r) => this.stopReplica(r)));
    await this.nats?.stop();
  }

  /** The first replica alone (it stores the bootstrap admin token), then the others with that token. */
  private async launchAll(): Promise<Deployment> {
    await this.launch(0);
    this.adminToken = readFileSync(join(this.replicas[0]!.dataDir, 'admin.token'), 'utf8').trim();
    await Promise.all(this.replicas.slice(1).map((_, i) => this.launch(i + 1)));
    return this;
  }

  private async launch(i: number): Promise<void> {
    const replica = this.replicas[i]!;
    const env = cleanEnv();
    if (i > 0) env.FLEET_ADMIN_TOKEN = this.adminToken;
    // By the environment, which a build from before metrics ignores (--compare-dist).
    env.FLEET_METRICS_LISTEN = replica.metricsListen ?? 'off';
    const log = openSync(replica.logPath, 'a');
    replica.child = spawn(process.execPath, [...this.nodeArgs, this.main, ...replica.args], { env, stdio: ['ignore', log, log] });
    closeSync(log);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (!isRunning(replica.child)) throw new Error(`control plane ${replica.endpoint} exited before it served; its log ends:\n${this.logTail(replica)}`);
      if (Date.now() > deadline) throw new Error(`control plane ${replica.endpoint} did not serve within ${READY_TIMEOUT_MS / 1000}s; its log ends:\n${this.logTail(replica)}`);
      if (existsSync(this.caFile) && (await healthOf(replica.endpoint, this.caPem)) === 'SERVING') return;
      await sleep(POLL_MS);
    }
  }

  private async stopReplica(replica: Replica): Promise<void> {
    const child = replica.child;
    if (!isRunning(child)) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  private logTail(replica: Replica): string {
    try {
      return readFileSync(replica.logPath, 'utf8').slice(-LOG_TAIL_BYTES);
    } catch {
      return '(no log)';
    }
  }
}

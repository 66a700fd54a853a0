#!/usr/bin/env node
/** fleet-control-plane: flags in, a ControlPlane out. Wiring only. */
import { DEFAULT_AUTH_LIMITS } from './access/auth-limiter.js';
import type { AgentNetwork } from '../../common/model.js';
import { DEFAULT_TASK_DEFAULTS } from './task-defaults.js';
import { Command, InvalidArgumentError } from 'commander';
import { setFlagsFromString } from 'node:v8';
import { parseDuration, parseSize } from '../../common/duration.js';
import { ValidationError } from '../../common/errors.js';
import { checkImage, checkNetwork, checkUser } from '../../common/task-spec.js';
import { createLogger } from '../../common/logger.js';
import { installSignalHandlers } from './signals.js';
import { ServiceManager, systemdEnv } from '../../common/systemd.js';
import { EventLoopLag, pingIntervalMs, Watchdog } from '../../common/self-check.js';
import { checkHostPort, MetricsServer, parseMetricsListen } from '../../common/metrics.js';
import { ControlPlane } from './control-plane.js';
import { DEFAULT_AUTOSCALE_INTERVAL_MS } from './autoscale/autoscaler.js';
import { checkHookPath, DEFAULT_HOOK_TIMEOUT_MS } from './autoscale/hook.js';
import { NatsServerMissingError } from './embedded-nats.js';
import { ConfigConflictError } from './store/jetstream.js';
import { NatsAccessError } from './store/nats-access.js';
import { checkLiveness, DEFAULT_LIVENESS } from './node-health.js';
import { DEFAULT_NODE_CERT_LIFETIME_MS } from './tls/fleet-tls.js';
import { MIN_NODE_CERT_LIFETIME_MS } from './tls/node-certs.js';

/**
 * V8 lets its heap grow to up to four times what survived the last full
 * collection before it collects again. The control plane's live set grows
 * with the work it holds (about 1 KB per waiting task), and under a steady
 * stream of requests the old generation fills with their short-lived leftovers:
 * 100,000 waiting tasks, about 100 MB live, took it to 692 MB. At twice, the
 * same run peaked at 390 MB for 5-10% more CPU per task; at 1.5 times, 314 MB
 * for 20-35% more (docs/DESIGN.md, "Memory"). A `--heap-growing-percent`
 * given to node wins.
 */
const HEAP_GROWING_PERCENT = 100;
if (!process.execArgv.some((arg) => /^--heap[-_]growing[-_]percent/.test(arg))) setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);

function flag<T>(name: string, parse: (field: string, text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(name, text);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}

function memoryLimit(field: string, text: string): number {
  const bytes = text === '0' ? 0 : parseSize(field, text);
  if (bytes !== 0 && bytes < 6 * 1024 * 1024) throw new ValidationError(field, `must be 0 (no limit) or at least 6m, got "${text}"`);
  return bytes;
}

function cpuCount(field: string, text: string): number {
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || n > 1024) throw new ValidationError(field, `must be a number of CPUs between 0 (no limit) and 1024, got "${text}"`);
  return n;
}

function positiveInt(field: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1) throw new ValidationError(field, `must be a whole number of at least 1, got "${text}"`);
  return n;
}

const program = new Command('fleet-control-plane')
  .description('Fleet control plane replica: gRPC API and node sessions over NATS JetStream state')
  .option('--listen <host:port>', 'gRPC listen address', flag('--listen', checkHostPort), '127.0.0.1:7700')
  .option('--data-dir <dir>', 'data directory (admin token, fleet CA, embedded NATS storage)', process.env.FLEET_DATA_DIR ?? '/var/lib/fleet/control-plane')
  .option('--nats <urls>', 'NATS server URLs, comma-separated; omit to start an embedded nats-server', process.env.FLEET_NATS_URL ?? '')
  .option('--nats-creds <file>', 'NATS credentials: an nkey user seed or a .creds file (mode 0600)', process.env.FLEET_NATS_CREDS)
  .option('--nats-user <name>', 'NATS user name, with --nats-password-file', process.env.FLEET_NATS_USER)
  .option('--nats-password-file <file>', 'the NATS password, read from a file (mode 0600)', process.env.FLEET_NATS_PASSWORD_FILE)
  .option('--nats-ca <file>', 'CA of the NATS servers\' certificates: TLS to NATS', process.env.FLEET_NATS_CA)
  .option('--nats-cert <file>', 'client certificate for NATS, where the servers require one', process.env.FLEET_NATS_CERT)
  .option('--nats-key <file>', 'its key (mode 0600)', process.env.FLEET_NATS_KEY)
  .option('--replicas <n>', 'JetStream replicas for buckets and streams (3 in production)', flag('--replicas', positiveInt), 1)
  .option('--storage <kind>', 'JetStream storage: file or memory', 'file')
  .option('--logs-max-bytes <size>', 'cap on stored task logs', flag('--logs-max-bytes', parseSize), 1024 ** 3)
  .option('--heartbeat-interval <duration>', 'how often agents send heartbeats', flag('--heartbeat-interval', parseDuration), DEFAULT_LIVENESS.heartbeatIntervalMs)
  .option('--disconnected-after <duration>', 'a node with no heartbeat for this long is DISCONNECTED', flag('--disconnected-after', parseDuration), DEFAULT_LIVENESS.disconnectedAfterMs)
  .option('--down-after <duration>', 'a node with no heartbeat for this long is DOWN and its attempts are requeued', flag('--down-after', parseDuration), DEFAULT_LIVENESS.downAfterMs)
  .option('--stop-margin <duration>', 'agents stop their containers this long before their node would be DOWN', flag('--stop-margin', parseDuration), DEFAULT_LIVENESS.stopMarginMs)
  .option('--breaker-threshold <n>', 'infrastructure failures in a row that cordon a node', flag('--breaker-threshold', positiveInt), DEFAULT_LIVENESS.breakerThreshold)
  .option('--breaker-probe <duration>', 'healthy time before an auto-cordoned node is uncordoned', flag('--breaker-probe', parseDuration), DEFAULT_LIVENESS.breakerProbeMs)
  .option('--lease-ttl <duration>', 'the leader lease expires this long after its last renewal', flag('--lease-ttl', parseDuration), 3_000)
  .option('--advertise <host:port>', 'address other replicas and operators reach this one at (default: --listen)', flag('--advertise', checkHostPort))
  .option('--cline-image <image>', 'agent image of Cline tasks submitted without --image', flag('--cline-image', (v) => checkImage('--cline-image', v)), process.env.FLEET_CLINE_IMAGE ?? 'localhost/cline-fleet/agent:3.0.65')
  .option('--task-retention <duration>', 'ended tasks (with their patches) are removed this long after they end; 0s keeps them forever', flag('--task-retention', parseDuration), 30 * 86_400_000)
  .option('--tls-ca-cert <file>', 'the fleet CA certificate (PEM); default DATA_DIR/tls/ca.crt, made on first start. Every replica needs the same CA', process.env.FLEET_TLS_CA_CERT)
  .option('--tls-ca-key <file>', 'the fleet CA key (PEM, mode 0600); with --tls-ca-cert', process.env.FLEET_TLS_CA_KEY)
  .option('--tls-cert <file>', "this replica's certificate chain (PEM), ending with the fleet CA; default: issued by the fleet CA at start", process.env.FLEET_TLS_CERT)
  .option('--tls-key <file>', "this replica's key (PEM); with --tls-cert", process.env.FLEET_TLS_KEY)
  .option('--node-cert-lifetime <duration>', 'how long a node certificate is valid; agents renew at 70-90% of it', flag('--node-cert-lifetime', parseDuration), DEFAULT_NODE_CERT_LIFETIME_MS)
  .option('--cancel-grace <duration>', 'time between SIGTERM and SIGKILL when an attempt is stopped', flag('--cancel-grace', parseDuration), 10_000)
  .option('--task-default-network <mode>', 'network of plain tasks that do not ask for one: none (loopback only) or bridge', flag('--task-default-network', checkNetwork), process.env.FLEET_TASK_DEFAULT_NETWORK ? checkNetwork('FLEET_TASK_DEFAULT_NETWORK', process.env.FLEET_TASK_DEFAULT_NETWORK) : DEFAULT_TASK_DEFAULTS.network)
  .option('--task-default-memory <size>', 'memory limit of plain tasks that set none (0: no limit)', flag('--task-default-memory', memoryLimit), DEFAULT_TASK_DEFAULTS.memoryBytes)
  .option('--task-default-cpus <n>', 'CPU limit of plain tasks that set none (0: no limit)', flag('--task-default-cpus', cpuCount), DEFAULT_TASK_DEFAULTS.cpus)
  .option('--task-read-only-root', 'every plain task gets a read-only root file system (a writable tmpfs at /tmp)')
  .option('--task-user <uid[:gid]>', 'every plain task runs as this numeric user (default: the image\'s)', flag('--task-user', checkUser))
  .option('--metrics-listen <host:port|off>', 'plain HTTP for /metrics (Prometheus), /healthz and /readyz; off: no metrics are kept (env FLEET_METRICS_LISTEN)', flag('--metrics-listen', parseMetricsListen), parseMetricsListen('FLEET_METRICS_LISTEN', process.env.FLEET_METRICS_LISTEN ?? '127.0.0.1:7701'))
  .option('--autoscale-hook <path>', 'executable the leader runs to add or remove machines of an autoscale pool (JSON on stdin; see docs/operations.md); absolute, not writable by group or others', process.env.FLEET_AUTOSCALE_HOOK)
  .option('--autoscale-hook-timeout <duration>', 'a hook call still running after this is stopped and counted a failure', flag('--autoscale-hook-timeout', parseDuration), DEFAULT_HOOK_TIMEOUT_MS)
  .option('--autoscale-interval <duration>', 'how often the leader decides each autoscale pool\'s node count', flag('--autoscale-interval', parseDuration), DEFAULT_AUTOSCALE_INTERVAL_MS)
  .option('--auth-burst <n>', 'failed authentications one address may make before it is held off (one more every 6s)', flag('--auth-burst', positiveInt), DEFAULT_AUTH_LIMITS.burst)
  .showHelpAfterError();

program.parse();
const opts = program.opts<{
  taskDefaultNetwork: AgentNetwork;
  taskDefaultMemory: number;
  taskDefaultCpus: number;
  taskReadOnlyRoot?: boolean;
  taskUser?: string;
  authBurst: number;
  autoscaleHook?: string;
  autoscaleHookTimeout: number;
  autoscaleInterval: number;
  metricsListen: string | null;
  listen: string;
  dataDir: string;
  nats: string;
  replicas: number;
  storage: string;
  logsMaxBytes: number;
  heartbeatInterval: number;
  disconnectedAfter: number;
  downAfter: number;
  stopMargin: number;
  breakerThreshold: number;
  breakerProbe: number;
  cancelGrace: number;
  leaseTtl: number;
  advertise?: string;
  clineImage: string;
  taskRetention: number;
  tlsCaCert?: string;
  tlsCaKey?: string;
  tlsCert?: string;
  tlsKey?: string;
  nodeCertLifetime: number;
  natsCreds?: string;
  natsUser?: string;
  natsPasswordFile?: string;
  natsCa?: string;
  natsCert?: string;
  natsKey?: string;
}>();

const log = createLogger('control-plane');
/** The self-check fails when the event loop was blocked this long. */
const LOOP_BLOCK_BOUND_MS = 5_000;
if (opts.storage !== 'file' && opts.storage !== 'memory') program.error(`error: --storage: must be "file" or "memory", got "${opts.storage}"`);
const liveness = {
  heartbeatIntervalMs: opts.heartbeatInterval,
  disconnectedAfterMs: opts.disconnectedAfter,
  downAfterMs: opts.downAfter,
  stopMarginMs: opts.stopMargin,
  breakerThreshold: opts.breakerThreshold,
  breakerProbeMs: opts.breakerProbe,
};
const livenessProblem = checkLiveness(liveness) ?? (opts.leaseTtl < 1_000 ? '--lease-ttl: must be at least 1s' : null);
if (livenessProblem) program.error(`error: ${livenessProblem}`);
// Checked here rather than as the flag is parsed: a value from the environment is checked the same way, and refused with a message, not a stack.
let autoscaleHook: string | undefined;
if (opts.autoscaleHook) {
  try {
    autoscaleHook = checkHookPath('--autoscale-hook', opts.autoscaleHook);
  } catch (err) {
    program.error(`error: ${(err as Error).message}`);
  }
}
if (opts.autoscaleHookTimeout < 1_000 || opts.autoscaleHookTimeout > 3_600_000) program.error('error: --autoscale-hook-timeout: must be between 1s and 1h');
if (opts.autoscaleInterval < 100 || opts.autoscaleInterval > 600_000) program.error('error: --autoscale-interval: must be between 100ms and 10m');
if (opts.nodeCertLifetime < MIN_NODE_CERT_LIFETIME_MS) program.error(`error: --node-cert-lifetime: must be at least ${MIN_NODE_CERT_LIFETIME_MS / 1000}s`);
if (opts.nodeCertLifetime < opts.heartbeatInterval * 5) program.error('error: --node-cert-lifetime: must be at least five heartbeat intervals, so that agents can renew in time');

const controlPlane = new ControlPlane(
  {
    listen: opts.listen,
    dataDir: opts.dataDir,
    natsUrls: opts.nats.split(',').map((s) => s.trim()).filter(Boolean),
    natsAccess: { credsFile: opts.natsCreds || undefined, user: opts.natsUser || undefined, passwordFile: opts.natsPasswordFile || undefined, caFile: opts.natsCa || undefined, certFile: opts.natsCert || undefined, keyFile: opts.natsKey || undefined },
    replicas: opts.replicas,
    storage: opts.storage as 'file' | 'memory',
    logsMaxBytes: opts.logsMaxBytes,
    liveness,
    cancelGraceMs: opts.cancelGrace,
    leaseTtlMs: opts.leaseTtl,
    authLimits: { ...DEFAULT_AUTH_LIMITS, burst: opts.authBurst },
    taskDefaults: { network: opts.taskDefaultNetwork, memoryBytes: opts.taskDefaultMemory, cpus: opts.taskDefaultCpus, readOnlyRoot: Boolean(opts.taskReadOnlyRoot), user: opts.taskUser ?? '' },
    ...(opts.advertise ? { advertise: opts.advertise } : {}),
    adminToken: process.env.FLEET_ADMIN_TOKEN,
    secretsKey: process.env.FLEET_SECRETS_KEY,
    clineImage: opts.clineImage,
    taskRetentionMs: opts.taskRetention,
    tls: { caCertFile: opts.tlsCaCert, caKeyFile: opts.tlsCaKey, certFile: opts.tlsCert, keyFile: opts.tlsKey },
    nodeCertLifetimeMs: opts.nodeCertLifetime,
    metrics: opts.metricsListen !== null,
    ...(autoscaleHook ? { autoscaleHook } : {}),
    autoscaleHookTimeoutMs: opts.autoscaleHookTimeout,
    autoscaleIntervalMs: opts.autoscaleInterval,
  },
  log,
);

// Under systemd: pinged from the start (JetStream may take a while to answer), READY=1 once it does and the API listens.
const manager = ServiceManager.fromEnv(log);
const loopLag = new EventLoopLag(LOOP_BLOCK_BOUND_MS);
let status = 'starting: opening JetStream';
const watchdog = new Watchdog(manager, [loopLag], { intervalMs: pingIntervalMs(systemdEnv().watchdogMs), checkTimeoutMs: 5_000, status: () => status }, log);
loopLag.start();
watchdog.start();

const metricsServer = controlPlane.metricsRegistry
  ? new MetricsServer(
      {
        registry: controlPlane.metricsRegistry,
        healthy: () => ({ ok: watchdog.last.ok, detail: watchdog.last.ok ? 'self-check passes' : watchdog.last.problems.join('; ') }),
        ready: () => controlPlane.readiness(),
      },
      log,
    )
  : undefined;

installSignalHandlers(log, async () => {
  void manager.stopping('stopping: handing over the lease and the node sessions');
  watchdog.stop();
  await controlPlane.stop();
  await metricsServer?.stop();
});
(async () => {
  if (metricsServer && opts.metricsListen) await metricsServer.start(opts.metricsListen);
  await controlPlane.start();
})().then(async () => {
  watchdog.add(...controlPlane.loopChecks());
  status = controlPlane.statusLine();
  await manager.ready(status);
  setInterval(() => {
    status = controlPlane.statusLine();
  }, 5_000).unref();
}, async (err: unknown) => {
  if (err instanceof NatsServerMissingError || err instanceof ConfigConflictError || err instanceof NatsAccessError || (err instanceof Error && err.message.startsWith('--metrics-listen'))) {
    process.stderr.write(`fleet-control-plane: ${err.message}\n`);
  } else {
    log.fatal({ err }, 'control plane failed to start');
    process.stderr.write(`fleet-control-plane: ${(err as Error).message}\n`);
  }
  await controlPlane.stop().catch(() => {});
  process.exit(1);
});

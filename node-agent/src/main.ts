#!/usr/bin/env node
/** fleet-node-agent: flags in, an enrolled agent with a session out. Wiring only. */
import { FLEET_VERSION } from '../../common/version.js';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { systemClock } from '../../common/clock.js';
import { ValidationError } from '../../common/errors.js';
import { createLogger } from '../../common/logger.js';
import { MetricsServer, newRegistry, parseMetricsListen } from '../../common/metrics.js';
import { parseDuration, parseSize } from '../../common/duration.js';
import { DEFAULT_MIN_FREE_DISK_BYTES } from './disk.js';
import { validateNodeInfo } from '../../common/node-info.js';
import { NodeAgent } from './agent.js';
import { DockerRuntime, type PullPolicy } from './container-runtime.js';
import { enroll, FatalError } from './control-plane-client.js';
import { identityPath, IdentityError, loadIdentity, saveIdentity } from './identity.js';
import { NodeCredentials } from './node-credentials.js';
import { Journal } from './journal.js';
import { JournalKeyError } from './journal-key.js';
import { DEFAULT_CONCURRENT_CALLS, LlmGateway, MAX_CONCURRENT_CALLS, MAX_UNIX_SOCKET_PATH_BYTES } from './llm-gateway.js';
import { gatewaySocketPath } from './cline-attempt.js';
import { ProviderPermits } from './provider-permits.js';
import { TeamBudgets } from './team-budgets.js';
import { CUTOFF_STOP_GRACE_MS, RESTART_REQUEST_KEY, Session } from './session.js';
import { Shutdown } from './shutdown.js';
import { DEFAULT_STOP_GRACE_MS } from './attempt-runner.js';
import { ServiceManager, systemdEnv } from '../../common/systemd.js';
import { EventLoopLag, pingIntervalMs, Watchdog } from '../../common/self-check.js';
import { recordSelfCheck, takePreviousExit } from './supervision.js';
import { AgentMetrics, healthVerdict, readyVerdict } from './metrics.js';
import { DEFAULT_REPO_CACHE_MAX_BYTES, RepoCache } from './repo-cache.js';

/** The agent's version is the build's (`common/version.ts`): control plane, agent and fleetctl ship together. */
export const AGENT_VERSION = FLEET_VERSION;

function parseEndpoints(text: string): string[] {
  const list = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new InvalidArgumentError('give at least one HOST:PORT');
  for (const e of list) if (!/^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$/.test(e)) throw new InvalidArgumentError(`"${e}" is not HOST:PORT`);
  return list;
}

/** A node does not choose its labels: they decide where tasks and provider keys go. */
function refuseLabels(): never {
  throw new InvalidArgumentError('a node\'s labels come from its join token (fleetctl token create --labels k=v,...) or an operator (fleetctl node label NODE k=v); the node cannot choose them');
}

function parseSlots(text: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError(`"${text}" is not a whole number`);
  return Number(text);
}

function parseMetricsListenFlag(text: string): string | null {
  try {
    return parseMetricsListen('--metrics-listen', text);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function parseModelCalls(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= MAX_CONCURRENT_CALLS)) throw new InvalidArgumentError(`"${text}" is not a whole number from 1 to ${MAX_CONCURRENT_CALLS} (Cline makes one call at a time: 2 leaves room for its retries)`);
  return n;
}

const program = new Command('fleet-node-agent')
  .description('Fleet node agent: runs attempts in Docker for the control plane')
  .requiredOption('--control-plane <endpoints>', 'control plane HOST:PORT, comma-separated for several replicas', parseEndpoints, process.env.FLEET_CONTROL_PLANE ? parseEndpoints(process.env.FLEET_CONTROL_PLANE) : undefined)
  .option('--join-token <token>', 'join token (first start only; env FLEET_JOIN_TOKEN; prefer --join-token-file: argv is visible to every user)', process.env.FLEET_JOIN_TOKEN)
  .option('--join-token-file <file>', 'file holding the join token (first start only; env FLEET_JOIN_TOKEN_FILE); removed once the node is enrolled', process.env.FLEET_JOIN_TOKEN_FILE)
  .option('--data-dir <dir>', 'data directory (identity, journal)', process.env.FLEET_DATA_DIR ?? '/var/lib/fleet/node-agent')
  .option('--name <name>', 'node name', os.hostname())
  .addOption(new Option('--labels <k=v,...>').hideHelp().argParser(refuseLabels))
  .option('--slots <n>', 'attempts this node runs at once', parseSlots, os.cpus().length)
  .option('--docker-host <url>', 'Docker engine (default: DOCKER_HOST, then /var/run/docker.sock)')
  .addOption(new Option('--image-pull <policy>', 'pull images the node lacks ("missing") or never ("never")').choices(['missing', 'never']).default('missing'))
  .option('--drain-on-stop', 'on SIGTERM, drain before stopping (otherwise a second SIGTERM within 3s does)')
  .option('--drain-timeout <duration>', 'how long a drain on stop lets attempts run before stopping them', (t: string) => {
    try {
      return parseDuration('--drain-timeout', t);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  }, 240_000)
  .addOption(
    new Option('--metrics-listen <host:port|off>', 'Prometheus /metrics, /healthz and /readyz over plain HTTP; "off" for none')
      .env('FLEET_METRICS_LISTEN')
      .default('127.0.0.1:7702')
      .argParser(parseMetricsListenFlag),
  )
  .option('--model-calls-per-attempt <n>', 'model calls one Cline attempt may have in flight at once; more get HTTP 429', parseModelCalls, DEFAULT_CONCURRENT_CALLS)
  .option('--min-free-disk <size>', 'below this much free space on the data dir or Docker\'s, the node takes no new work (e.g. 2g)', (t: string) => {
    try {
      return parseSize('--min-free-disk', t);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  }, DEFAULT_MIN_FREE_DISK_BYTES)
  .option('--repo-cache-max-bytes <size>', 'bound on the warm repository mirrors under the data dir, least recently used evicted first (e.g. 10g); 0 disables the cache and every Cline attempt clones from the origin', (t: string) => {
    try {
      return parseSize('--repo-cache-max-bytes', t);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  }, DEFAULT_REPO_CACHE_MAX_BYTES)
  .showHelpAfterError();

program.parse();
const opts = program.opts<{ controlPlane: string[]; joinToken?: string; joinTokenFile?: string; dataDir: string; name: string; slots: number; dockerHost?: string; imagePull: PullPolicy; drainOnStop?: boolean; drainTimeout: number; minFreeDisk: number; repoCacheMaxBytes: number; modelCallsPerAttempt: number; metricsListen: string | null }>();
const log = createLogger('node-agent');
/** The self-check fails when the event loop was blocked this long (heartbeats are due every 5s). */
const LOOP_BLOCK_BOUND_MS = 5_000;
const SELF_CHECK_TIMEOUT_MS = 5_000;
/** How long a stopping agent waits for the removal of containers whose results were just acknowledged. */
const CLEANUP_ON_STOP_MS = 10_000;

function die(message: string): never {
  process.stderr.write(`fleet-node-agent: ${message}\n`);
  process.exit(1);
}

/** From --join-token-file (checked like any secret file) or --join-token; dies saying what to do when neither is given. */
function readJoinToken(): string {
  if (opts.joinTokenFile) {
    let text: string;
    try {
      const mode = statSync(opts.joinTokenFile).mode;
      if (mode & 0o077) die(`--join-token-file: ${opts.joinTokenFile} is readable by others (mode ${(mode & 0o777).toString(8)}): chmod 600 it`);
      text = readFileSync(opts.joinTokenFile, 'utf8').trim();
    } catch (err) {
      die(`--join-token-file: cannot read ${opts.joinTokenFile}: ${(err as Error).message}`);
    }
    if (!text) die(`--join-token-file: ${opts.joinTokenFile} is empty`);
    return text;
  }
  if (opts.joinToken) return opts.joinToken;
  die('this node is not enrolled yet: pass --join-token-file (an admin makes a token with "fleetctl token create")');
}

async function main(): Promise<void> {
  let info;
  try {
    info = validateNodeInfo({ name: opts.name, labels: {}, slots: opts.slots, hostname: os.hostname(), agentVersion: AGENT_VERSION });
  } catch (err) {
    if (err instanceof ValidationError) die(`--${err.field.replace(/\[.*/, '')}: ${err.message.slice(err.field.length + 2)}`);
    throw err;
  }
  const dataDir = resolve(opts.dataDir);
  // Each Cline attempt's gateway socket lives under the data dir, and unix socket paths are capped at 107 bytes.
  const longestSocket = Buffer.byteLength(gatewaySocketPath(join(dataDir, 'attempts'), 'att_0000000000000000000'));
  if (longestSocket > MAX_UNIX_SOCKET_PATH_BYTES) {
    die(`--data-dir: "${dataDir}" is too long: gateway sockets under it would be ${longestSocket} bytes, over the ${MAX_UNIX_SOCKET_PATH_BYTES} unix sockets allow; choose a shorter path`);
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const stopping = new AbortController();

  // The parts as they come up, for the metrics and health endpoints (served before they exist: enrolling may take a while).
  const parts: { credentials?: NodeCredentials; journal?: Journal; agent?: NodeAgent; session?: Session; repoCache?: RepoCache } = {};
  const metrics = new AgentMetrics(newRegistry(), AGENT_VERSION, {
    runningAttempts: () => parts.agent?.runningAttempts ?? 0,
    outboxEvents: () => parts.journal?.outboxSize() ?? 0,
    oldestOutboxAtMs: () => parts.journal?.oldestOutboxAtMs() ?? null,
    journalDegraded: () => parts.journal?.degraded ?? false,
    sessionConnected: () => parts.session?.state === 'connected',
    selfCheckOk: () => watchdog.last.ok,
    certificateExpiresAtMs: () => parts.credentials?.expiresAtMs ?? 0,
    repoCacheBytes: () => parts.repoCache?.bytes() ?? 0,
    repoCacheRepos: () => parts.repoCache?.keys().length ?? 0,
  });

  // Under systemd: pinged from the start (enrolling may wait for the control plane), with more checks as the parts come up.
  const manager = ServiceManager.fromEnv(log);
  const { watchdogMs } = systemdEnv();
  const loopLag = new EventLoopLag(LOOP_BLOCK_BOUND_MS);
  let status = 'starting';
  const watchdog = new Watchdog(
    manager,
    [loopLag],
    {
      intervalMs: pingIntervalMs(watchdogMs),
      checkTimeoutMs: SELF_CHECK_TIMEOUT_MS,
      status: () => status,
      onChange: (problems) => {
        metrics.selfCheckChanged(problems);
        recordSelfCheckSafely(dataDir, problems);
      },
    },
    log,
  );
  const metricsServer = new MetricsServer(
    {
      registry: metrics.registry,
      healthy: () => healthVerdict(watchdog.last),
      ready: () => readyVerdict(parts.session?.state, parts.agent?.dockerHealth, status, parts.session?.refusal),
    },
    log,
  );
  if (opts.metricsListen) {
    try {
      await metricsServer.start(opts.metricsListen);
    } catch (err) {
      die((err as Error).message);
    }
  }
  loopLag.start();
  watchdog.start();
  // Test hook: with FLEET_AGENT_FAULT=hang-on-sigusr2, SIGUSR2 blocks the event loop for good (the watchdog's test).
  if (process.env.FLEET_AGENT_FAULT === 'hang-on-sigusr2') {
    process.on('SIGUSR2', () => {
      process.stderr.write('fleet-node-agent: fault injected: the event loop blocks now\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    });
  }
  const previousExit = takePreviousExit(dataDir);
  if (previousExit) {
    const how = `${previousExit.result}${previousExit.exitStatus ? ` (${previousExit.exitCode} ${previousExit.exitStatus})` : ''}`;
    if (previousExit.result === 'success') log.info({ previousExit }, `the previous run ended: ${how}`);
    else log.warn({ previousExit }, `the previous run ended: ${how}${previousExit.selfCheckProblems ? `; its self-check was failing: ${previousExit.selfCheckProblems}` : ''}`);
  }

  let identity;
  try {
    identity = loadIdentity(dataDir);
  } catch (err) {
    if (err instanceof IdentityError) die(err.message);
    throw err;
  }
  if (!identity) {
    const joinToken = readJoinToken();
    log.info({ endpoints: opts.controlPlane }, 'enrolling');
    status = `enrolling with ${opts.controlPlane.join(',')}`;
    void manager.status(status);
    identity = await enroll(opts.controlPlane, joinToken, info, log, stopping.signal);
    saveIdentity(dataDir, identity);
    log.info({ nodeId: identity.nodeId }, 'enrolled');
    // The token is spent (or may enroll others): it has no business staying on this machine.
    if (opts.joinTokenFile) {
      try {
        rmSync(opts.joinTokenFile, { force: true });
        log.info({ path: opts.joinTokenFile }, 'join token file removed');
      } catch (err) {
        log.warn({ path: opts.joinTokenFile, err: (err as Error).message }, 'cannot remove the join token file: remove it by hand');
      }
    }
  }
  // Enrolled: a join token file left behind (a crash right after enrolling, an installer run again) goes.
  if (opts.joinTokenFile && existsSync(opts.joinTokenFile)) {
    rmSync(opts.joinTokenFile, { force: true });
    log.info({ path: opts.joinTokenFile }, 'join token file removed: this node is enrolled');
  }
  const credentials = new NodeCredentials(dataDir, identity);
  parts.credentials = credentials;
  if (credentials.expiresAtMs <= Date.now()) {
    die(
      `the node certificate expired at ${new Date(credentials.expiresAtMs).toISOString()} (the agent was stopped past its renewal): ` +
        `enroll again with a new join token: remove ${identityPath(dataDir)} and start with --join-token`,
    );
  }

  let journal: Journal;
  try {
    journal = new Journal(join(dataDir, 'journal.sqlite'));
  } catch (err) {
    if (err instanceof JournalKeyError) die(err.message);
    throw err;
  }
  parts.journal = journal;
  if (previousExit) previousExit.restartRequestId = journal.getMeta(RESTART_REQUEST_KEY) ?? '';
  const runtime = new DockerRuntime(opts.dockerHost, opts.imagePull, metrics);
  const permits = new ProviderPermits(log.child({ nodeId: identity.nodeId, component: 'llm-gateway' }));
  const teamBudgets = new TeamBudgets(log.child({ nodeId: identity.nodeId, component: 'llm-gateway' }));
  const gateway = new LlmGateway(log.child({ nodeId: identity.nodeId, component: 'llm-gateway' }), { maxConcurrentCalls: opts.modelCallsPerAttempt, observer: metrics, permits, teams: teamBudgets });
  // The warm repository cache: the agent's alone (0700, never mounted), one agent per data dir.
  let repoCache: RepoCache | null = null;
  if (opts.repoCacheMaxBytes > 0) {
    repoCache = await RepoCache.open({ dir: join(dataDir, 'repo-cache'), maxBytes: opts.repoCacheMaxBytes, log: log.child({ nodeId: identity.nodeId, component: 'repo-cache' }), observer: metrics });
    parts.repoCache = repoCache;
    log.info({ repos: repoCache.keys().length, bytes: repoCache.bytes(), maxBytes: opts.repoCacheMaxBytes }, 'repository cache opened');
  }
  const agent = new NodeAgent(
    { nodeId: identity.nodeId, ...info },
    runtime,
    journal,
    systemClock,
    log.child({ nodeId: identity.nodeId }),
    { gateway, attemptsDir: join(dataDir, 'attempts'), repoCache },
    { dataDir, minFreeDiskBytes: opts.minFreeDisk },
    metrics,
  );
  parts.agent = agent;
  watchdog.add({ name: 'journal', problem: (now) => journal.commitProblem(now) }, agent.measurements);
  await agent.start();
  let shutdown: Shutdown | undefined;
  const session = new Session(opts.controlPlane, credentials, agent, journal, log, (message) => {
    // Refused (revoked, or its certificate expired): it can report nothing
    // from now on, so its containers stop here rather than run unwatched
    // while the control plane gives their tasks to other nodes.
    log.fatal({ reason: message }, 'stopping: the control plane refused this node; stopping its containers');
    process.stderr.write(`fleet-node-agent: ${message}\n`);
    void agent
      .stopAllAndWait(`node ${info.name} was refused by the control plane`, CUTOFF_STOP_GRACE_MS)
      .catch(() => {})
      .finally(() => process.exit(1));
  }, {
    previousExit,
    onRestart: (order) => {
      const answer = (accepted: boolean, reason: string) => ({ requestId: order.requestId, accepted, reason });
      // Only a service manager brings the agent back: without one, a restart would be a stop.
      if (!manager.supervised && !process.env.INVOCATION_ID) {
        log.warn({ restartId: order.requestId }, 'restart request refused: this agent does not run under systemd');
        return { answer: answer(false, 'the agent does not run under systemd, so nothing would start it again: restart it with whatever runs it') };
      }
      if (shutdown?.state !== 'running') return { answer: answer(false, 'the agent is already stopping') };
      journal.setMeta(RESTART_REQUEST_KEY, order.requestId);
      log.info({ restartId: order.requestId, drain: order.drain }, order.drain ? 'restart requested: draining first' : 'restart requested');
      return { answer: answer(true, order.drain ? 'draining, then restarting' : 'restarting'), then: () => shutdown?.restart(order.drain) };
    },
    onReconnect: () => metrics.sessionReconnected(),
    permits,
    teamBudgets,
    // Plainly, for whoever reads the unit's journal or runs the agent by hand: what to upgrade.
    onRefused: (endpoint, reason) => process.stderr.write(`fleet-node-agent: the control plane at ${endpoint} refuses this agent: ${reason}\n`),
  });
  parts.session = session;
  session.start();
  watchdog.add(session.heartbeats, { name: 'outbox', problem: (now) => session.outboxProblem(now) });
  status = `node ${info.name}: journal open, Docker ${agent.dockerHealth.healthy ? 'answering' : `not answering (${agent.dockerHealth.error})`}`;
  const describe = () =>
    session.refusal
      ? `node ${info.name}: refused by the control plane: ${session.refusal}`
      : `node ${info.name}: session ${session.state}, ${agent.runningAttempts} attempt(s) running, Docker ${agent.dockerHealth.healthy ? 'healthy' : 'unhealthy'}`;
  await manager.ready(status);
  status = describe();
  setInterval(() => {
    status = describe();
  }, 5_000).unref();
  log.info({ nodeId: identity.nodeId, name: info.name, slots: info.slots, dockerHealthy: agent.dockerHealth.healthy }, 'node agent started');

  shutdown = new Shutdown(Boolean(opts.drainOnStop), {
    stopping: (how) => void manager.stopping(how),
    drain: async () => {
      session.heartbeatSoon();
      await agent.drain(opts.drainTimeout, DEFAULT_STOP_GRACE_MS);
    },
    unacknowledged: () => journal.outboxSize(),
    close: async () => {
      // First: a scrape must not read the journal once it is closed.
      await metricsServer.stop();
      watchdog.stop();
      loopLag.stop();
      stopping.abort();
      await session.stop();
      // The last acknowledgements' containers go before the journal closes (their removal marks them done in it).
      await agent.settled(CLEANUP_ON_STOP_MS);
      agent.stop();
      await gateway.closeAll();
      journal.close();
    },
    exit: (code) => process.exit(code),
  }, log);
  shutdown.install();
}

/** The reason is kept for the next process; a disk that refuses it must not take the agent down. */
function recordSelfCheckSafely(dataDir: string, problems: string[]): void {
  try {
    recordSelfCheck(dataDir, problems);
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'cannot record the self-check\'s problems for the next start');
  }
}

main().catch((err: unknown) => {
  if (err instanceof FatalError) die(err.message);
  log.fatal({ err }, 'node agent failed');
  die((err as Error).message);
});

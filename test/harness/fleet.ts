/**
 * A whole fleet on this machine for a test: a private nats-server (or the
 * embedded default), the control plane and node agents as child processes
 * running the built binaries, and fleetctl run as a real process.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { CliError } from '../../cli/src/client.js';
import { createCa } from '../../common/pki.js';
import { buildProgram } from '../../cli/src/program.js';
import { freePort, startNats, TestNatsCluster, type TestNats } from './nats.js';
import { TestProcess } from './process.js';
import { BIN, requireBuild, requireDocker } from './requirements.js';

export interface AgentSpec {
  name: string;
  labels?: Record<string, string>;
  slots?: number;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ContainerLife {
  attemptId: string;
  nodeId: string;
  startNs: bigint;
  dieNs: bigint | null;
}

export interface AgentOptions {
  extraArgs?: string[];
  /** Default: a directory of the fleet's own. */
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Runs the agent inside this network namespace (see netns.ts). */
  netns?: string;
  /** The control plane address as this agent sees it. */
  server?: string;
  /** Another build's fleet-node-agent (default: this checkout's; see `buildWith`). */
  bin?: string;
}

export interface Agent {
  spec: AgentSpec;
  process: TestProcess;
  nodeId: string;
  dataDir: string;
  options: AgentOptions;
}

const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const NODE_LABEL = 'io.cline-fleet.node';

export class TestFleet {
  readonly dir = mkdtempSync(join(tmpdir(), 'fleet-test-'));
  nats: TestNats | undefined;
  natsCluster: TestNatsCluster | undefined;
  /** Every replica; `controlPlane` is the first. */
  readonly controlPlanes: Array<TestProcess | undefined> = [];
  readonly ports: number[] = [];
  /** All replicas' addresses, comma-separated: what agents and fleetctl are given. */
  server = '';
  port = 0;
  listenHost = '127.0.0.1';
  controlPlaneArgs: string[] = [];
  /** The fleet-control-plane replicas (re)start from: another build's, for version-skew tests (see `buildWith`). */
  controlPlaneBin = BIN.controlPlane;
  readonly agents: Agent[] = [];
  /** Several replicas share a CA made here; one replica makes its own in its data dir, as in production. */
  sharedCa: { cert: string; key: string } | undefined;
  /** The secrets key every replica seals provider keys with: replicas of one fleet share it, as they share the CA. */
  private readonly secretsKey = randomBytes(32).toString('hex');
  docker!: Docker;
  readonly startedAt = new Date();

  static async start(options: {
    agents: AgentSpec[];
    embedded?: boolean;
    controlPlaneArgs?: string[];
    listenHost?: string;
    /** Control-plane replicas (default 1). */
    replicas?: number;
    /** nats-servers in a JetStream cluster (default: one standalone server). */
    natsCluster?: number;
    /** The cluster is the secured three-node example: TLS, an nkey user, mutual TLS between routes. */
    natsSecure?: boolean;
    /** Where the standalone nats-server keeps its JetStream store (default: in the fleet's dir). */
    natsStoreDir?: string;
  }): Promise<TestFleet> {
    const fleet = new TestFleet();
    try {
      requireBuild();
      fleet.docker = await requireDocker();
      if (options.natsCluster) fleet.natsCluster = await TestNatsCluster.start(fleet.dir, options.natsCluster, options.natsSecure);
      else if (!options.embedded) fleet.nats = await startNats(fleet.dir, options.natsStoreDir);
      fleet.listenHost = options.listenHost ?? '127.0.0.1';
      fleet.controlPlaneArgs = options.controlPlaneArgs ?? [];
      const replicas = options.replicas ?? 1;
      if (replicas > 1) fleet.sharedCa = await fleet.makeCa('ca');
      for (let i = 0; i < replicas; i++) fleet.ports.push(await freePort());
      await Promise.all(fleet.ports.map((_, i) => fleet.startControlPlane(i)));
      for (const spec of options.agents) await fleet.addAgent(spec);
    } catch (err) {
      await fleet.stop();
      throw err;
    }
    return fleet;
  }

  /** A CA of this test's own, in DIR/NAME/ca.{crt,key}; a second one stands for another fleet's. */
  async makeCa(name: string): Promise<{ cert: string; key: string }> {
    const dir = join(this.dir, name);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const ca = await createCa(`test ${name}`, 86_400_000);
    const paths = { cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') };
    writeFileSync(paths.cert, ca.certPem);
    writeFileSync(paths.key, ca.keyPem, { mode: 0o600 });
    return paths;
  }

  /** The fleet CA fleetctl and raw clients verify the control plane against. */
  get caFile(): string {
    return this.sharedCa?.cert ?? join(this.dir, 'control-plane', 'tls', 'ca.crt');
  }

  get caPem(): string {
    return readFileSync(this.caFile, 'utf8');
  }

  get controlPlane(): TestProcess | undefined {
    return this.controlPlanes[0];
  }

  /** Starts (or restarts, on the same port) control-plane replica `i`. */
  async startControlPlane(i = 0, extraArgs: string[] = []): Promise<TestProcess> {
    if (this.ports[i] === undefined) this.ports[i] = await freePort();
    const suffix = i === 0 ? '' : `-${i + 1}`;
    const args = [this.controlPlaneBin, '--listen', `${this.listenHost}:${this.ports[i]}`, '--data-dir', join(this.dir, `control-plane${suffix}`), '--heartbeat-interval', '1s', '--disconnected-after', '5s', '--down-after', '10s', '--stop-margin', '4s', '--cancel-grace', '2s'];
    if (this.nats) args.push('--nats', this.nats.url);
    if (this.natsCluster) args.push('--nats', this.natsCluster.urls.join(','), '--replicas', String(this.natsCluster.nodes.length));
    if (this.natsCluster?.access) args.push('--nats-creds', this.natsCluster.access.seedFile, '--nats-ca', this.natsCluster.access.caFile);
    if (this.sharedCa) args.push('--tls-ca-cert', this.sharedCa.cert, '--tls-ca-key', this.sharedCa.key);
    // The test's own flags last: they win.
    args.push(...this.controlPlaneArgs, ...extraArgs);
    const cp = new TestProcess(`control-plane${suffix}`, process.execPath, args, join(this.dir, `control-plane${suffix}.log`), { FLEET_ADMIN_TOKEN: ADMIN_TOKEN, FLEET_LOG_LEVEL: 'debug', FLEET_SECRETS_KEY: this.secretsKey });
    this.controlPlanes[i] = cp;
    await cp.waitForLog('control plane ready', 60_000);
    this.port = this.ports[0]!;
    this.server = this.ports.map((p) => `127.0.0.1:${p}`).join(',');
    return cp;
  }

  /** The replica holding the leader lease, by its log (the last leadership change each logged). */
  leaderIndex(): number {
    return this.controlPlanes.findIndex((cp) => {
      if (!cp || cp.child.exitCode !== null || cp.child.signalCode !== null) return false;
      const changes = cp.logLines().filter((l) => l.msg === 'leadership acquired' || l.msg === 'leadership lost');
      return changes.at(-1)?.msg === 'leadership acquired';
    });
  }

  async addAgent(spec: AgentSpec, options: AgentOptions = {}): Promise<Agent> {
    // A node's labels come from its join token, never from the node.
    const labels = Object.entries(spec.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    const token = await this.fleetctl(['token', 'create', ...(labels ? ['--labels', labels] : [])]);
    if (token.code !== 0) throw new Error(`token create failed: ${token.stderr}`);
    const agent: Agent = { spec, process: undefined as unknown as TestProcess, nodeId: '', dataDir: options.dataDir ?? join(this.dir, `agent-${spec.name}`), options };
    await this.launchAgent(agent, token.stdout.trim());
    this.agents.push(agent);
    return agent;
  }

  /**
   * Starts the agent again on its data dir (no join token: it is enrolled);
   * `waitForSession: false` returns once it has started, for an agent the
   * control plane is to refuse.
   */
  async restartAgent(agent: Agent, env: NodeJS.ProcessEnv = {}, waitForSession = true): Promise<void> {
    await this.launchAgent(agent, undefined, env, waitForSession);
  }

  private async launchAgent(agent: Agent, joinToken: string | undefined, env: NodeJS.ProcessEnv = {}, waitForSession = true): Promise<void> {
    const { spec, options } = agent;
    const args = [options.bin ?? BIN.nodeAgent, '--control-plane', options.server ?? this.server, '--data-dir', agent.dataDir, '--name', spec.name, '--slots', String(spec.slots ?? 4), '--image-pull', 'never', ...(options.extraArgs ?? [])];
    if (joinToken) args.push('--join-token', joinToken);
    const [command, argv] = options.netns ? ['ip', ['netns', 'exec', options.netns, process.execPath, ...args]] : [process.execPath, args];
    agent.process = new TestProcess(`agent ${spec.name}`, command, argv, join(this.dir, `agent-${spec.name}.log`), { ...options.env, ...env });
    // Enrolling tries again after a 10 s handshake timeout and a backoff: room for one retry
    // (a first connection over a fresh veth pair has been seen to stall under load).
    try {
      const started = await agent.process.waitForLog('node agent started', 45_000);
      agent.nodeId = String(started.nodeId);
      if (waitForSession) await agent.process.waitForLog('control plane session open');
    } catch (err) {
      // An agent that did not come up is not left running: it would keep the test file from exiting.
      await agent.process.stop('SIGKILL');
      throw err;
    }
  }

  agent(name: string): Agent {
    const found = this.agents.find((a) => a.spec.name === name);
    if (!found) throw new Error(`no agent ${name}`);
    return found;
  }

  /** Runs the real fleetctl binary. */
  fleetctl(args: string[], options: { token?: string; input?: string; caFile?: string } = {}): Promise<CliResult> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN.fleetctl, '--server', this.server, ...args], {
        env: { ...process.env, FLEET_TOKEN: options.token ?? ADMIN_TOKEN, FLEET_SERVER: '', FLEET_CA_FILE: options.caFile ?? this.caFile, FLEET_CONFIG: join(this.dir, 'fleetctl.json') },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      // 'close', not 'exit': the pipes may still hold output when the process has exited.
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  /**
   * fleetctl's own program with `-o json`, run in this process: the same
   * commands and actions as the binary, without starting Node for every
   * poll. On two cores, tests polling through spawned processes spent more
   * CPU starting fleetctl than the fleet spent running their tasks. What a
   * test checks about the binary itself (exit codes, stderr) uses `fleetctl`.
   */
  async json<T>(args: string[]): Promise<T> {
    return JSON.parse(await this.run([...args, '-o', 'json'])) as T;
  }

  /** fleetctl's program in this process (see `json`): its standard output, or an error with what it said. */
  async run(args: string[]): Promise<string> {
    let stdout = '';
    let stderr = '';
    const { program, context } = buildProgram({ out: (t) => (stdout += t), err: (t) => (stderr += t) }, { FLEET_CONFIG: join(this.dir, 'fleetctl.json') });
    try {
      await program.parseAsync(['--server', this.server, '--token', ADMIN_TOKEN, '--ca-file', this.caFile, ...args], { from: 'user' });
    } catch (err) {
      throw new Error(`fleetctl ${args.slice(0, 4).join(' ')} failed: ${err instanceof CliError ? err.message : (err as Error).message}${stderr ? ` (${stderr.trim()})` : ''}`);
    } finally {
      context()?.client().close();
    }
    return stdout;
  }

  get adminToken(): string {
    return ADMIN_TOKEN;
  }

  /** Engines besides the machine's that agents of this fleet use (private ones, for engine faults). */
  readonly extraEngines: Docker[] = [];

  private get engines(): Docker[] {
    return [this.docker, ...this.extraEngines];
  }

  /** Fleet containers on this fleet's nodes, running or not, on every engine the fleet uses. */
  async containers(): Promise<Docker.ContainerInfo[]> {
    const ids = this.agents.map((a) => a.nodeId);
    if (ids.length === 0) return [];
    const lists = await Promise.all(this.engines.map((d) => d.listContainers({ all: true, filters: { label: [NODE_LABEL] } }).catch(() => [])));
    return lists.flat().filter((c) => ids.includes(c.Labels[NODE_LABEL] ?? ''));
  }

  /** Start and die times of the task's containers, from Docker's own event log. */
  async containerLifetimes(taskId: string): Promise<ContainerLife[]> {
    return (await this.allContainerLifetimes()).get(taskId) ?? [];
  }

  /** Every fleet container's start and die times since this fleet started, by task. */
  async allContainerLifetimes(): Promise<Map<string, ContainerLife[]>> {
    let text = '';
    for (const engine of this.engines) {
      // `until` now: a time in the future would keep the stream open until then.
      const stream = (await engine
        .getEvents({
          since: Math.floor(this.startedAt.getTime() / 1000),
          until: Math.ceil(Date.now() / 1000),
          filters: { type: ['container'], event: ['start', 'die'], label: ['io.cline-fleet.task'] },
        })
        .catch(() => null)) as unknown as NodeJS.ReadableStream | null;
      if (stream) for await (const chunk of stream) text += chunk.toString();
      text += '\n';
    }
    const byContainer = new Map<string, ContainerLife & { taskId: string }>();
    for (const line of text.split('\n').filter(Boolean)) {
      const e = JSON.parse(line) as { id: string; status: string; timeNano: number | string; Actor: { Attributes: Record<string, string> } };
      const a = e.Actor.Attributes;
      const entry = byContainer.get(e.id) ?? { taskId: a['io.cline-fleet.task'] ?? '', attemptId: a['io.cline-fleet.attempt'] ?? '', nodeId: a[NODE_LABEL] ?? '', startNs: 0n, dieNs: null };
      if (e.status === 'start') entry.startNs = BigInt(e.timeNano);
      if (e.status === 'die') entry.dieNs = BigInt(e.timeNano);
      byContainer.set(e.id, entry);
    }
    const byTask = new Map<string, ContainerLife[]>();
    for (const { taskId, ...life } of [...byContainer.values()].sort((a, b) => (a.startNs < b.startNs ? -1 : 1))) {
      byTask.set(taskId, [...(byTask.get(taskId) ?? []), life]);
    }
    return byTask;
  }

  async stop(): Promise<void> {
    await Promise.all(this.agents.map((a) => a.process?.stop('SIGKILL')));
    await Promise.all(this.controlPlanes.map((cp) => cp?.stop()));
    await this.nats?.stop();
    await this.natsCluster?.stop();
    if (this.docker) for (const c of await this.containers().catch(() => [])) await this.docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
    if (!process.env.FLEET_TEST_KEEP) rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

export interface TaskJson {
  id: string;
  state: string;
  message: string;
  attempts: Array<{ id: string; nodeId: string; state: string; exitCode: number | null; error: string; containerId: string; startedAt: string | null; finishedAt: string | null; queuedMs?: number }>;
}

export async function getTask(fleet: TestFleet, id: string): Promise<TaskJson> {
  return fleet.json<TaskJson>(['task', 'get', id]);
}

export async function submitTask(fleet: TestFleet, args: string[], command: string[]): Promise<string> {
  const result = await fleet.fleetctl(['task', 'submit', '--image', 'fleet-test/busybox:1', ...args, '--', ...command]);
  if (result.code !== 0) throw new Error(`submit failed (${result.code}): ${result.stderr}`);
  return result.stdout.trim();
}

export async function untilState(fleet: TestFleet, id: string, states: string[], timeoutMs = 60_000): Promise<TaskJson> {
  return eventually(`task ${id} to reach ${states.join('|')}`, async () => {
    const task = await getTask(fleet, id);
    return states.includes(task.state) ? task : undefined;
  }, timeoutMs);
}

/** Invariant 2 from Docker's own clock: no two containers of the task were alive at once. */
export async function assertNoOverlap(fleet: TestFleet, taskId: string): Promise<number> {
  return checkNoOverlap(taskId, await fleet.containerLifetimes(taskId));
}

/** The same for many tasks, from one read of Docker's event log; returns containers per task. */
export async function assertNoOverlapAll(fleet: TestFleet, taskIds: string[]): Promise<Map<string, number>> {
  const all = await fleet.allContainerLifetimes();
  return new Map(taskIds.map((id) => [id, checkNoOverlap(id, all.get(id) ?? [])]));
}

function checkNoOverlap(taskId: string, lives: ContainerLife[]): number {
  for (let i = 1; i < lives.length; i++) {
    const before = lives[i - 1]!;
    if (before.dieNs === null || before.dieNs > lives[i]!.startNs) {
      throw new Error(`attempts ${before.attemptId} and ${lives[i]!.attemptId} of ${taskId} overlapped: ${JSON.stringify(lives, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`);
    }
  }
  return lives.length;
}

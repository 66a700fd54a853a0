/**
 * A whole fleet on this machine for a test: a private nats-server (or the
 * embedded default), the control plane and node agents as child processes
 * running the built binaries, and fleetctl run as a real process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { startNats, type TestNats } from './nats.js';
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

export interface Agent {
  spec: AgentSpec;
  process: TestProcess;
  nodeId: string;
  dataDir: string;
}

const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const NODE_LABEL = 'io.cline-fleet.node';

export class TestFleet {
  readonly dir = mkdtempSync(join(tmpdir(), 'fleet-test-'));
  nats: TestNats | undefined;
  controlPlane: TestProcess | undefined;
  server = '';
  readonly agents: Agent[] = [];
  docker!: Docker;

  static async start(options: { agents: AgentSpec[]; embedded?: boolean; controlPlaneArgs?: string[] }): Promise<TestFleet> {
    const fleet = new TestFleet();
    try {
      requireBuild();
      fleet.docker = await requireDocker();
      if (!options.embedded) fleet.nats = await startNats(fleet.dir);
      await fleet.startControlPlane(options.controlPlaneArgs ?? []);
      for (const spec of options.agents) await fleet.addAgent(spec);
    } catch (err) {
      await fleet.stop();
      throw err;
    }
    return fleet;
  }

  async startControlPlane(extraArgs: string[] = []): Promise<void> {
    const args = [BIN.controlPlane, '--listen', '127.0.0.1:0', '--data-dir', join(this.dir, 'control-plane'), '--heartbeat-interval', '1s', '--disconnected-after', '5s', '--cancel-grace', '2s', ...extraArgs];
    if (this.nats) args.push('--nats', this.nats.url);
    this.controlPlane = new TestProcess('control-plane', process.execPath, args, join(this.dir, 'control-plane.log'), { FLEET_ADMIN_TOKEN: ADMIN_TOKEN, FLEET_LOG_LEVEL: 'debug' });
    const ready = await this.controlPlane.waitForLog('control plane ready');
    this.server = `127.0.0.1:${ready.port}`;
  }

  async addAgent(spec: AgentSpec, extraArgs: string[] = []): Promise<Agent> {
    const token = await this.fleetctl(['token', 'create']);
    if (token.code !== 0) throw new Error(`token create failed: ${token.stderr}`);
    const dataDir = join(this.dir, `agent-${spec.name}`);
    const labels = Object.entries(spec.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    const args = [BIN.nodeAgent, '--control-plane', this.server, '--join-token', token.stdout.trim(), '--data-dir', dataDir, '--name', spec.name, '--slots', String(spec.slots ?? 4), '--image-pull', 'never', ...extraArgs];
    if (labels) args.push('--labels', labels);
    const process_ = new TestProcess(`agent ${spec.name}`, process.execPath, args, join(this.dir, `agent-${spec.name}.log`));
    const started = await process_.waitForLog('node agent started');
    await process_.waitForLog('control plane session open');
    const agent = { spec, process: process_, nodeId: String(started.nodeId), dataDir };
    this.agents.push(agent);
    return agent;
  }

  /** Runs the real fleetctl binary. */
  fleetctl(args: string[], options: { token?: string; input?: string } = {}): Promise<CliResult> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN.fleetctl, '--server', this.server, ...args], {
        env: { ...process.env, FLEET_TOKEN: options.token ?? ADMIN_TOKEN, FLEET_SERVER: '' },
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

  async json<T>(args: string[]): Promise<T> {
    const result = await this.fleetctl([...args, '-o', 'json']);
    if (result.code !== 0) throw new Error(`fleetctl ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }

  get adminToken(): string {
    return ADMIN_TOKEN;
  }

  /** Fleet containers on this fleet's nodes, running or not. */
  async containers(): Promise<Docker.ContainerInfo[]> {
    const ids = this.agents.map((a) => a.nodeId);
    if (ids.length === 0) return [];
    const all = await this.docker.listContainers({ all: true, filters: { label: [NODE_LABEL] } });
    return all.filter((c) => ids.includes(c.Labels[NODE_LABEL] ?? ''));
  }

  async stop(): Promise<void> {
    await Promise.all(this.agents.map((a) => a.process.stop()));
    await this.controlPlane?.stop();
    await this.nats?.stop();
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
  attempts: Array<{ id: string; nodeId: string; state: string; exitCode: number | null; startedAt: string | null; finishedAt: string | null }>;
}

/** A private nats-server per test file: its own port (-p -1) and its own store dir. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestProcess } from './process.js';
import { requireBinary } from './requirements.js';

export interface TestNats {
  url: string;
  process: TestProcess;
  stop(): Promise<void>;
}

/** `storeDir`: where JetStream keeps its store (default: under `dir`), e.g. a small tmpfs. */
export async function startNats(dir: string, storeDir = join(dir, 'nats-store')): Promise<TestNats> {
  requireBinary('nats-server', 'apt-get install -y nats-server');
  const portsDir = join(dir, 'nats-ports');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(portsDir, { recursive: true });
  const process = new TestProcess('nats-server', 'nats-server', ['-a', '127.0.0.1', '-p', '-1', '-js', '-sd', storeDir, '--ports_file_dir', portsDir], join(dir, 'nats.log'));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const file = readdirSync(portsDir).find((f) => f.endsWith('.ports'));
    if (file) {
      const url = (JSON.parse(readFileSync(join(portsDir, file), 'utf8')) as { nats: string[] }).nats[0]!;
      return { url, process, stop: async () => void (await process.stop()) };
    }
    if (process.child.exitCode !== null) break;
    await sleep(50);
  }
  await process.stop('SIGKILL');
  throw new Error(`nats-server did not start:\n${process.text}`);
}

/** A free loopback port (bound then released: fine for servers started right after). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export interface ClusterNode {
  name: string;
  port: number;
  clusterPort: number;
  url: string;
  process: TestProcess | undefined;
}

/**
 * A JetStream cluster of `size` nats-servers on loopback, each with its own
 * store dir, so replication (R3) and the loss of a server can be tested.
 */
export class TestNatsCluster {
  readonly nodes: ClusterNode[] = [];

  private constructor(private readonly dir: string) {}

  static async start(dir: string, size = 3): Promise<TestNatsCluster> {
    requireBinary('nats-server', 'apt-get install -y nats-server');
    const cluster = new TestNatsCluster(dir);
    for (let i = 1; i <= size; i++) {
      const port = await freePort();
      const clusterPort = await freePort();
      cluster.nodes.push({ name: `nats-${i}`, port, clusterPort, url: `nats://127.0.0.1:${port}`, process: undefined });
    }
    for (const node of cluster.nodes) cluster.launch(node);
    await Promise.all(cluster.nodes.map((n) => n.process!.waitForText('Server is ready')));
    return cluster;
  }

  get urls(): string[] {
    return this.nodes.map((n) => n.url);
  }

  private launch(node: ClusterNode): void {
    const routes = this.nodes.filter((n) => n !== node).map((n) => `nats://127.0.0.1:${n.clusterPort}`).join(',');
    node.process = new TestProcess(node.name, 'nats-server', [
      '-a', '127.0.0.1', '-p', String(node.port), '-js', '-sd', join(this.dir, node.name),
      '--cluster_name', 'fleet-test', '--cluster', `nats://127.0.0.1:${node.clusterPort}`, '--routes', routes, '-n', node.name,
    ], join(this.dir, `${node.name}.log`));
  }

  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.node(name).process?.stop(signal);
  }

  async restart(name: string): Promise<void> {
    const node = this.node(name);
    await node.process?.stop('SIGKILL');
    this.launch(node);
    await node.process!.waitForText('Server is ready');
  }

  node(name: string): ClusterNode {
    const found = this.nodes.find((n) => n.name === name);
    if (!found) throw new Error(`no nats node ${name}`);
    return found;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.process?.stop()));
  }
}

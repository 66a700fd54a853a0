/** A private nats-server per test file: its own port (-p -1) and its own store dir. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nkeys, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestProcess } from './process.js';
import { requireBinary, ROOT } from './requirements.js';

const EXAMPLE_DIR = join(ROOT, 'installers', 'examples', 'three-node');

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
    const url = readPortsFile(portsDir);
    if (url) return { url, process, stop: async () => void (await process.stop()) };
    if (process.child.exitCode !== null) break;
    await sleep(50);
  }
  await process.stop('SIGKILL');
  throw new Error(`nats-server did not start:\n${process.text}`);
}

/**
 * A private nats-server and a client connected to it for the length of `body`;
 * afterwards the client is closed, the server stopped and its directory removed,
 * whether `body` succeeded or not.
 */
export async function withNats<T>(name: string, body: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), `fleet-test-${name}-`));
  try {
    const nats = await startNats(dir);
    try {
      const nc = await connect({ servers: nats.url });
      try {
        return await body(nc);
      } finally {
        await nc.close();
      }
    } finally {
      await nats.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The client URL from nats-server's ports file, or undefined until it is
 * there and whole: the server creates the file and then writes it, so a
 * read in between sees it empty or cut short (seen once under CI's load).
 */
function readPortsFile(portsDir: string): string | undefined {
  const file = readdirSync(portsDir).find((f) => f.endsWith('.ports'));
  if (!file) return undefined;
  try {
    return (JSON.parse(readFileSync(join(portsDir, file), 'utf8')) as { nats?: string[] }).nats?.[0];
  } catch {
    return undefined;
  }
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

/** What a control plane needs to reach a secured cluster: its nkey seed file and the servers' CA. */
export interface NatsClientAccess {
  seedFile: string;
  caFile: string;
}

/**
 * The secured three-node example (`installers/examples/three-node/nats-N.conf`)
 * rendered for loopback: its addresses, paths and nkey replaced, nothing else.
 * Debian 12's nats-server (2.9) predates `sync_interval`, which is dropped.
 */
export function renderExampleConf(index: number, nodes: ClusterNode[], dir: string, controlPlaneNkey: string): string {
  const example = readFileSync(join(EXAMPLE_DIR, `nats-${index}.conf`), 'utf8');
  const node = nodes[index - 1]!;
  let conf = example
    .replace(/^listen: 0\.0\.0\.0:4222$/m, `listen: 127.0.0.1:${node.port}`)
    .replace(/^http: .*$/m, '')
    .replace(/\/etc\/nats\/tls\//g, `${join(dir, 'tls')}/`)
    .replace(/UCONTROLPLANEPUBLICKEYX+/, controlPlaneNkey)
    .replace(/store_dir: \/var\/lib\/nats\/jetstream/, `store_dir: ${join(dir, node.name)}`)
    .replace(/^\s*sync_interval: always$/m, '')
    .replace(/listen: 0\.0\.0\.0:6222/, `listen: 127.0.0.1:${node.clusterPort}`);
  for (const [i, n] of nodes.entries()) conf = conf.replace(`nats-route://fleet-nats-${i + 1}:6222`, `nats-route://127.0.0.1:${n.clusterPort}`);
  return conf;
}

/** A CA and one certificate for every server (serverAuth and clientAuth: routes are mutual TLS), made with openssl. */
export function makeNatsCertificates(tlsDir: string): void {
  mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
  const run = (args: string[], input?: string) => {
    const r = spawnSync('openssl', args, { cwd: tlsDir, input, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`);
  };
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=test nats CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  writeFileSync(join(tlsDir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf']);
}

/**
 * A JetStream cluster of `size` nats-servers on loopback, each with its own
 * store dir, so replication (R3) and the loss of a server can be tested.
 * `secure`: the three-node example's configuration (TLS everywhere, an nkey
 * user with narrow permissions, mutual TLS between routes).
 */
export class TestNatsCluster {
  readonly nodes: ClusterNode[] = [];
  access: NatsClientAccess | undefined;
  private nkeyPublic = '';

  private constructor(private readonly dir: string) {}

  static async start(dir: string, size = 3, secure = false): Promise<TestNatsCluster> {
    requireBinary('nats-server', 'apt-get install -y nats-server');
    const cluster = new TestNatsCluster(dir);
    if (secure) {
      if (size !== 3) throw new Error('the secured example has three servers');
      makeNatsCertificates(join(dir, 'tls'));
      const user = nkeys.createUser();
      const seedFile = join(dir, 'control-plane.nk');
      writeFileSync(seedFile, new TextDecoder().decode(user.getSeed()), { mode: 0o600 });
      cluster.nkeyPublic = user.getPublicKey();
      cluster.access = { seedFile, caFile: join(dir, 'tls', 'ca.crt') };
    }
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
    if (this.access) {
      const confFile = join(this.dir, `${node.name}.conf`);
      writeFileSync(confFile, renderExampleConf(this.nodes.indexOf(node) + 1, this.nodes, this.dir, this.nkeyPublic));
      node.process = new TestProcess(node.name, 'nats-server', ['-c', confFile], join(this.dir, `${node.name}.log`));
      return;
    }
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

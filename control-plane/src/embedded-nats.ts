/**
 * The embedded default: with no --nats, the control plane runs its own
 * nats-server child (JetStream on, storage in the data dir, a free loopback
 * port) and stops it when it stops. Its pid is kept in a file so that a
 * control plane killed without warning does not leave it behind for good:
 * the next start stops it first.
 *
 * It is not open to every local user: its one user is an nkey whose seed is
 * made on the first start in DATA_DIR/nats/control-plane.nk (0600); the
 * server's configuration holds only the public key. The client port stays on
 * loopback and no cluster port is opened.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { nkeys } from '@nats-io/nats-core';
import type { Logger } from '../../common/logger.js';
import type { NatsAccess } from './store/nats-access.js';

const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

export class NatsServerMissingError extends Error {
  constructor() {
    super('nats-server is not installed (or not on PATH). Install it with: sudo apt-get install -y nats-server (Debian/Ubuntu), ' + 'or pass --nats URL to use an existing NATS JetStream server.');
    this.name = 'NatsServerMissingError';
  }
}

export function natsServerVersion(binary = 'nats-server'): string | null {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return out.error || out.status !== 0 ? null : out.stdout.trim();
}

export interface EmbeddedNats {
  url: string;
  /** How the control plane logs in. */
  access: NatsAccess;
  stop(): Promise<void>;
}

/** The control plane's nkey seed (made once, 0600) and the server configuration naming its public key. */
function embeddedAuth(dir: string): { seedFile: string; configFile: string } {
  const seedFile = join(dir, 'control-plane.nk');
  if (!existsSync(seedFile)) {
    const user = nkeys.createUser();
    writeFileSync(seedFile, new TextDecoder().decode(user.getSeed()) + '\n', { mode: 0o600, flag: 'wx' });
  }
  chmodSync(seedFile, 0o600);
  const seed = readFileSync(seedFile, 'utf8').trim();
  const publicKey = nkeys.fromSeed(new TextEncoder().encode(seed)).getPublicKey();
  const configFile = join(dir, 'nats-server.conf');
  writeFileSync(configFile, `# Written by the control plane on every start.\nauthorization {\n  users: [\n    { nkey: ${publicKey} }\n  ]\n}\n`, { mode: 0o600 });
  return { seedFile, configFile };
}

function isNatsServer(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('nats-server');
  } catch {
    return false;
  }
}

async function stopStale(pidFile: string, log: Logger): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (Number.isInteger(pid) && pid > 0 && isNatsServer(pid)) {
    log.warn({ pid }, 'stopping a nats-server left behind by an earlier run');
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 50 && isNatsServer(pid); i++) await sleep(100);
    if (isNatsServer(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(pidFile, { force: true });
}

export async function startEmbeddedNats(dataDir: string, log: Logger, binary = 'nats-server'): Promise<EmbeddedNats> {
  if (!natsServerVersion(binary)) throw new NatsServerMissingError();
  const dir = join(dataDir, 'nats');
  const portsDir = join(dir, 'ports');
  const pidFile = join(dir, 'nats-server.pid');
  mkdirSync(portsDir, { recursive: true, mode: 0o700 });
  await stopStale(pidFile, log);
  for (const f of readdirSync(portsDir)) rmSync(join(portsDir, f), { force: true });
  const auth = embeddedAuth(dir);

  const child: ChildProcess = spawn(
    binary,
    ['-c', auth.configFile, '-a', '127.0.0.1', '-p', '-1', '-js', '-sd', join(dir, 'jetstream'), '--ports_file_dir', portsDir, '-n', 'fleet-embedded', '-P', pidFile],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4096);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const deadline = Date.now() + READY_TIMEOUT_MS;
  let url: string | undefined;
  while (!url && Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nats-server exited with code ${child.exitCode}: ${stderr.trim()}`);
    const file = readdirSync(portsDir).find((f) => f.endsWith('.ports'));
    if (file) {
      // nats-server creates the file and then writes it: a read in between
      // sees it empty or cut short, which is "not yet", not an error.
      try {
        url = (JSON.parse(readFileSync(join(portsDir, file), 'utf8')) as { nats?: string[] }).nats?.[0];
      } catch {
        url = undefined;
      }
    }
    if (!url) await sleep(50);
  }
  if (!url) {
    child.kill('SIGKILL');
    throw new Error(`nats-server did not start within ${READY_TIMEOUT_MS}ms: ${stderr.trim()}`);
  }
  writeFileSync(pidFile, String(child.pid));
  log.info({ url, natsPid: child.pid }, 'embedded nats-server started');

  return {
    url,
    access: { credsFile: auth.seedFile },
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
      rmSync(pidFile, { force: true });
      log.info('embedded nats-server stopped');
    },
  };
}

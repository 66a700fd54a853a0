/**
 * A private Docker engine for one test: its own data root, exec root (and so
 * its own containerd), socket and bridge, beside the machine's engine, which
 * the rest of the suite keeps using. Stopping and starting it is what an
 * `apt upgrade` of docker.io does to a node.
 *
 * Two things learnt the hard way: dockerd 20.10 started with `--bridge none`
 * (or `default-address-pools` without live-restore) deletes the host's
 * `docker0` whoever owns it, breaking the machine's engine; so the engine gets
 * a bridge of its own, made here, on an address range nothing else uses.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import { MissingRequirement } from './requirements.js';

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 60_000;

export class TestDockerd {
  /** Short: containerd's socket lives under it, and unix socket paths are capped at 107 bytes. */
  readonly dir = mkdtempSync('/tmp/fd-');
  readonly socket = join(this.dir, 'docker.sock');
  readonly host = `unix://${this.socket}`;
  readonly docker = new Docker({ socketPath: this.socket });
  private readonly bridge = `fdbr${randomBytes(3).toString('hex')}`;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(private liveRestore: boolean) {}

  static async start(options: { liveRestore: boolean }): Promise<TestDockerd> {
    if (spawnSync('dockerd', ['--version']).status !== 0) throw new MissingRequirement('dockerd is not installed: apt-get install -y docker.io (or run .ci/run)');
    if (process.getuid?.() !== 0) throw new MissingRequirement('a private Docker engine needs root');
    const engine = new TestDockerd(options.liveRestore);
    try {
      const subnet = 1 + (randomBytes(1)[0]! % 250);
      execFileSync('ip', ['link', 'add', engine.bridge, 'type', 'bridge'], { stdio: 'pipe' });
      execFileSync('ip', ['addr', 'add', `10.214.${subnet}.1/24`, 'dev', engine.bridge], { stdio: 'pipe' });
      execFileSync('ip', ['link', 'set', engine.bridge, 'up'], { stdio: 'pipe' });
      await engine.up();
    } catch (err) {
      await engine.destroy();
      throw err;
    }
    return engine;
  }

  /** Starts the engine (again), with live-restore as asked. */
  async up(liveRestore = this.liveRestore): Promise<void> {
    this.liveRestore = liveRestore;
    const config = join(this.dir, 'daemon.json');
    writeFileSync(config, JSON.stringify(liveRestore ? { 'live-restore': true } : {}));
    const child = spawn(
      'dockerd',
      [
        '--config-file', config,
        '--data-root', join(this.dir, 'data'),
        '--exec-root', join(this.dir, 'exec'),
        '--pidfile', join(this.dir, 'docker.pid'),
        '-H', this.host,
        '--bridge', this.bridge,
        '--iptables=false',
        '--ip-masq=false',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
    );
    let log = '';
    child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`the private dockerd exited at start:\n${log}`);
      if (await this.docker.ping().then(() => true, () => false)) return;
      await sleep(100);
    }
    throw new Error(`the private dockerd did not answer within ${START_TIMEOUT_MS}ms:\n${log}`);
  }

  /** Stops the engine as a package upgrade does: SIGTERM, and waits for it to exit. */
  async down(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    child.kill('SIGTERM');
    await Promise.race([this.exited, sleep(STOP_TIMEOUT_MS)]);
    if (child.exitCode === null) child.kill('SIGKILL');
    await this.exited;
    // A killed engine leaves its pid file, which stops the next start.
    rmSync(join(this.dir, 'docker.pid'), { force: true });
  }

  /** An engine restart: down, then up again (with other settings, if asked). */
  async restart(liveRestore = this.liveRestore): Promise<void> {
    await this.down();
    await this.up(liveRestore);
  }

  /** Copies an image from the machine's engine into this one. */
  async loadFrom(source: Docker, image: string, as?: string): Promise<void> {
    const tar = join(this.dir, 'image.tar');
    const out = await source.getImage(image).get();
    const chunks: Buffer[] = [];
    for await (const c of out as unknown as AsyncIterable<Buffer>) chunks.push(c);
    writeFileSync(tar, Buffer.concat(chunks));
    const loaded = await this.docker.loadImage(tar);
    for await (const _ of loaded as unknown as AsyncIterable<Buffer>) {
      // drain the progress stream
    }
    rmSync(tar, { force: true });
    if (as) {
      const colon = as.lastIndexOf(':');
      await this.docker.getImage(image).tag({ repo: as.slice(0, colon), tag: as.slice(colon + 1) });
      await this.docker.getImage(image).remove();
    }
  }

  /** Everything gone: containers, the engine, its mounts, its bridge, its files. */
  async destroy(): Promise<void> {
    // Containers of a live-restore engine outlive it: bring it back to remove them.
    if (this.child && this.child.exitCode !== null && this.liveRestore) await this.up().catch(() => {});
    if (this.child && this.child.exitCode === null) {
      const all = await this.docker.listContainers({ all: true }).catch(() => []);
      for (const c of all) await this.docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
      await this.down();
    }
    // An engine that did not stop cleanly leaves its data root and overlays mounted.
    const mounts = existsSync('/proc/mounts') ? readFileSync('/proc/mounts', 'utf8') : '';
    const ours = mounts
      .split('\n')
      .map((line) => line.split(' ')[1] ?? '')
      .filter((path) => path.startsWith(this.dir))
      .sort((a, b) => b.length - a.length);
    for (const path of ours) spawnSync('umount', ['-l', path]);
    spawnSync('ip', ['link', 'del', this.bridge]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

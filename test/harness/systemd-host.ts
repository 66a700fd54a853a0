/**
 * A machine with systemd as PID 1, for the tests that install and run the
 * daemons exactly as on a customer machine: a container of the image
 * `scripts/build-systemd-image.sh` builds, booted with `/sbin/init`.
 *
 * This machine refuses `docker run --privileged`; what systemd needs is
 * CAP_SYS_ADMIN, no seccomp filter, the host's cgroup tree and tmpfs on
 * /run. The agent inside uses the host's Docker through its socket, so the
 * agent's data directory is mounted at the same path inside and outside:
 * the host's dockerd resolves the bind mounts the agent asks for.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const SYSTEMD_IMAGE = 'fleet-test/systemd:1';
/** Where the installed agent keeps its state (the unit's StateDirectory), inside and outside. */
export const AGENT_DATA_DIR = '/var/lib/fleet/node-agent';
/** Marks a data directory this harness made, so that it never removes one it did not. */
const MARKER = '.fleet-systemd-test';
const ROOT = resolve(import.meta.dirname, '../..');

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
  return new Promise((resolvePromise) => {
    const child = execFile(file, args, { encoding: 'utf8', timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Fails loudly (with what to do) when this machine cannot host the test. */
export function requireSystemdImage(): void {
  const inspect = spawnSync('docker', ['image', 'inspect', SYSTEMD_IMAGE], { encoding: 'utf8' });
  if (inspect.status !== 0) throw new Error(`the image ${SYSTEMD_IMAGE} is missing: build it with scripts/build-systemd-image.sh (scripts/setup.sh does)`);
}

/** The agent's data dir on the host: made fresh, refused if something not ours is there. */
function freshDataDir(): void {
  if (existsSync(AGENT_DATA_DIR)) {
    const entries = readdirSync(AGENT_DATA_DIR);
    if (entries.length > 0 && !entries.includes(MARKER)) {
      throw new Error(`${AGENT_DATA_DIR} exists on this machine and was not made by this test: a real node agent's state? Move it away to run the systemd tests`);
    }
    rmSync(AGENT_DATA_DIR, { recursive: true, force: true });
  }
  mkdirSync(AGENT_DATA_DIR, { recursive: true, mode: 0o700 });
  writeFileSync(join(AGENT_DATA_DIR, MARKER), 'made by test/harness/systemd-host.ts; removed after the test\n');
}

export class SystemdHost {
  private constructor(readonly name: string) {}

  /** Boots a container with systemd and waits until the system is running. */
  static async boot(): Promise<SystemdHost> {
    requireSystemdImage();
    freshDataDir();
    const name = `fleet-systemd-test-${process.pid}`;
    await run('docker', ['rm', '-f', name]);
    const mounts = ['-v', '/var/run/docker.sock:/var/run/docker.sock', '-v', `${AGENT_DATA_DIR}:${AGENT_DATA_DIR}`, '-v', `${ROOT}:/src:ro`];
    // A checkout whose node_modules is a link (a git worktree) needs the target at the same path.
    const modules = join(ROOT, 'node_modules');
    if (lstatSync(modules).isSymbolicLink()) {
      const target = realpathSync(modules);
      mounts.push('-v', `${target}:${target}:ro`);
    }
    const started = await run('docker', [
      'run', '-d', '--name', name, '--hostname', 'fleet-systemd-test',
      '--cap-add', 'SYS_ADMIN', '--security-opt', 'seccomp=unconfined', '--cgroupns=host',
      '-v', '/sys/fs/cgroup:/sys/fs/cgroup:rw', '--tmpfs', '/run', '--tmpfs', '/run/lock',
      ...mounts, SYSTEMD_IMAGE, '/sbin/init',
    ]);
    if (started.code !== 0) throw new Error(`docker run ${SYSTEMD_IMAGE}: ${started.stderr.trim()}`);
    const host = new SystemdHost(name);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const state = (await host.exec(['systemctl', 'is-system-running'])).stdout.trim();
      if (state === 'running' || state === 'degraded') break;
      if (Date.now() > deadline) throw new Error(`systemd did not finish booting (state "${state}"): ${(await host.exec(['systemctl', '--failed', '--no-legend'])).stdout}`);
      await sleep(300);
    }
    // The host's docker group, as on a machine where docker.io is installed: the agent's unit joins it.
    const gid = statSync('/var/run/docker.sock').gid;
    await host.must(['groupadd', '-g', String(gid), 'docker']);
    return host;
  }

  exec(command: string[], options: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    const env = Object.entries(options.env ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    return run('docker', ['exec', ...(options.input !== undefined ? ['-i'] : []), ...env, this.name, ...command], options);
  }

  async must(command: string[], options: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {}): Promise<string> {
    const result = await this.exec(command, options);
    if (result.code !== 0) throw new Error(`${command.join(' ')} exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
    return result.stdout;
  }

  /** Unit properties (`systemctl show`). */
  async show(unit: string, ...properties: string[]): Promise<Record<string, string>> {
    const out = await this.must(['systemctl', 'show', unit, ...properties.map((p) => `--property=${p}`)]);
    return Object.fromEntries(out.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  }

  async mainPid(unit: string): Promise<number> {
    return Number((await this.show(unit, 'MainPID')).MainPID);
  }

  /** The unit's journal as plain lines (messages only). */
  async journal(unit: string): Promise<string[]> {
    return (await this.must(['journalctl', '--no-pager', '-o', 'cat', '-u', unit])).split('\n');
  }

  /** fleetctl inside, against the installed control plane, as its admin. */
  fleetctl(args: string[]): Promise<ExecResult> {
    return this.exec(['node', '/opt/cline-fleet/dist/cli/src/main.js', ...args], {
      env: { FLEET_SERVER: '127.0.0.1:7700', FLEET_TOKEN_FILE: '/var/lib/fleet/control-plane/admin.token', FLEET_CA_FILE: '/var/lib/fleet/control-plane/tls/ca.crt' },
    });
  }

  async fleetctlJson<T>(args: string[]): Promise<T> {
    const result = await this.fleetctl([...args, '--output', 'json']);
    if (result.code !== 0) throw new Error(`fleetctl ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
    return JSON.parse(result.stdout) as T;
  }

  async destroy(): Promise<void> {
    await run('docker', ['rm', '-f', this.name]);
    rmSync(AGENT_DATA_DIR, { recursive: true, force: true });
  }
}

/**
 * ContainerRuntime: what the agent needs from a container engine, and the
 * Docker implementation behind it (dockerode). The attempt runner depends on
 * the interface only.
 */
import Docker from 'dockerode';
import { FleetError } from '../../common/errors.js';
import { dockerSince, LogFrameParser, timestampNanos, type LogEntry } from './docker-log-frames.js';

export const LABELS = {
  managed: 'io.cline-fleet.managed',
  task: 'io.cline-fleet.task',
  attempt: 'io.cline-fleet.attempt',
  node: 'io.cline-fleet.node',
} as const;

export interface ContainerSpec {
  name: string;
  image: string;
  command: string[];
  env: Record<string, string>;
  workingDir: string;
  cpus: number;
  memoryBytes: number;
  pidsLimit: number;
  labels: Record<string, string>;
  /** "uid:gid"; default: the image's user. */
  user?: string;
  mounts?: Array<{ source: string; target: string; readOnly: boolean }>;
  /** Default: Docker's bridge. "none" leaves only loopback. */
  networkMode?: string;
  entrypoint?: string[];
}

export interface FleetContainer {
  id: string;
  taskId: string;
  attemptId: string;
  running: boolean;
}

export interface ContainerState {
  running: boolean;
  exitCode: number;
  oomKilled: boolean;
}

/** The engine could not do what was asked: an infrastructure failure, not the task's. */
export class RuntimeError extends FleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE', message, options);
  }
}

export class ImageMissingError extends FleetError {
  constructor(readonly image: string, detail: string) {
    super('FAILED_PRECONDITION', `image ${image} is not present on this node and could not be pulled (${detail}); load it with "docker load" or make a registry reachable`);
  }
}

export interface ContainerRuntime {
  ping(): Promise<void>;
  ensureImage(image: string): Promise<void>;
  create(spec: ContainerSpec): Promise<string>;
  start(id: string): Promise<void>;
  /** Resolves with the exit state once the container stops. */
  wait(id: string): Promise<ContainerState>;
  /** Calls `onOutput` for each entry after `afterTimestamp` ('' = all) until the container's output ends. */
  followLogs(id: string, afterTimestamp: string, onOutput: (entry: LogEntry) => void): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(id: string, graceMs: number): Promise<void>;
  remove(id: string): Promise<void>;
  inspect(id: string): Promise<ContainerState | null>;
  list(nodeId: string): Promise<FleetContainer[]>;
}

const PULL_TIMEOUT_MS = 120_000;
const DEFAULT_PIDS_LIMIT = 4096;

function statusCode(err: unknown): number | undefined {
  return (err as { statusCode?: number })?.statusCode;
}

/** `missing`: pull an image the node lacks; `never`: only run images already loaded (air-gapped sites). */
export type PullPolicy = 'missing' | 'never';

export class DockerRuntime implements ContainerRuntime {
  readonly docker: Docker;

  constructor(
    dockerHost?: string,
    private readonly pullPolicy: PullPolicy = 'missing',
  ) {
    this.docker = new Docker(dockerOptions(dockerHost));
  }

  private wrap<T>(what: string, p: Promise<T>): Promise<T> {
    return p.catch((err: unknown) => {
      throw new RuntimeError(`docker ${what}: ${(err as Error)?.message ?? err}`, { cause: err });
    });
  }

  async ping(): Promise<void> {
    await this.wrap('ping', this.docker.ping());
  }

  async ensureImage(image: string): Promise<void> {
    try {
      await this.docker.getImage(image).inspect();
      return;
    } catch (err) {
      if (statusCode(err) !== 404) throw new RuntimeError(`docker image inspect ${image}: ${(err as Error).message}`, { cause: err });
    }
    if (this.pullPolicy === 'never') throw new ImageMissingError(image, 'the pull policy is "never"');
    try {
      await this.pull(image);
    } catch (err) {
      throw new ImageMissingError(image, (err as Error).message.split('\n')[0]!.slice(0, 300));
    }
  }

  private async pull(image: string): Promise<void> {
    const stream = await this.docker.pull(image);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`pull timed out after ${PULL_TIMEOUT_MS}ms`)), PULL_TIMEOUT_MS);
      this.docker.modem.followProgress(stream, (err) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      });
    });
  }

  async create(spec: ContainerSpec): Promise<string> {
    const container = await this.wrap(
      'create',
      this.docker.createContainer({
        name: spec.name,
        Image: spec.image,
        Cmd: spec.command,
        ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
        ...(spec.user ? { User: spec.user } : {}),
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
        Labels: spec.labels,
        Tty: false,
        AttachStdin: false,
        OpenStdin: false,
        HostConfig: {
          // An init process reaps zombies and forwards SIGTERM, so a stop is
          // graceful even for programs that do not handle signals as PID 1.
          Init: true,
          NanoCpus: Math.round(spec.cpus * 1e9),
          Memory: spec.memoryBytes,
          PidsLimit: spec.pidsLimit || DEFAULT_PIDS_LIMIT,
          SecurityOpt: ['no-new-privileges:true'],
          CapDrop: ['ALL'],
          AutoRemove: false,
          RestartPolicy: { Name: 'no' },
          LogConfig: { Type: 'json-file', Config: { 'max-size': '50m', 'max-file': '2' } },
          ...(spec.mounts ? { Binds: spec.mounts.map((m) => `${m.source}:${m.target}:${m.readOnly ? 'ro' : 'rw'}`) } : {}),
          ...(spec.networkMode ? { NetworkMode: spec.networkMode } : {}),
        },
      }),
    );
    return container.id;
  }

  async start(id: string): Promise<void> {
    await this.wrap('start', this.docker.getContainer(id).start());
  }

  async wait(id: string): Promise<ContainerState> {
    await this.wrap('wait', this.docker.getContainer(id).wait());
    const state = await this.inspect(id);
    if (!state) throw new RuntimeError(`container ${id} vanished while running`);
    return state;
  }

  async followLogs(id: string, afterTimestamp: string, onOutput: (entry: LogEntry) => void): Promise<void> {
    const raw = (await this.wrap(
      'logs',
      this.docker.getContainer(id).logs({ follow: true, stdout: true, stderr: true, timestamps: true, since: dockerSince(afterTimestamp) as unknown as number }),
    )) as unknown as NodeJS.ReadableStream;
    const parser = new LogFrameParser();
    // `since` has whole-entry resolution at best: drop what was seen already.
    const after = timestampNanos(afterTimestamp);
    raw.on('data', (chunk: Buffer) => {
      for (const entry of parser.push(chunk)) {
        if (after > 0n && entry.timestamp && timestampNanos(entry.timestamp) <= after) continue;
        onOutput(entry);
      }
    });
    await new Promise<void>((resolve) => {
      raw.on('end', resolve);
      raw.on('close', resolve);
      raw.on('error', resolve);
    });
  }

  async stop(id: string, graceMs: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: Math.max(0, Math.ceil(graceMs / 1000)) });
    } catch (err) {
      // 304: already stopped; 404: already gone. Both are what we wanted.
      if (statusCode(err) !== 304 && statusCode(err) !== 404) throw new RuntimeError(`docker stop: ${(err as Error).message}`, { cause: err });
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (err) {
      if (statusCode(err) !== 404) throw new RuntimeError(`docker rm: ${(err as Error).message}`, { cause: err });
    }
  }

  async inspect(id: string): Promise<ContainerState | null> {
    try {
      const info = await this.docker.getContainer(id).inspect();
      return { running: info.State.Running, exitCode: info.State.ExitCode, oomKilled: info.State.OOMKilled };
    } catch (err) {
      if (statusCode(err) === 404) return null;
      throw new RuntimeError(`docker inspect: ${(err as Error).message}`, { cause: err });
    }
  }

  async list(nodeId: string): Promise<FleetContainer[]> {
    const containers = await this.wrap('ps', this.docker.listContainers({ all: true, filters: { label: [`${LABELS.node}=${nodeId}`] } }));
    return containers.map((c) => ({
      id: c.Id,
      taskId: c.Labels[LABELS.task] ?? '',
      attemptId: c.Labels[LABELS.attempt] ?? '',
      running: c.State === 'running',
    }));
  }
}

/** DOCKER_HOST forms: unix:///path, tcp://host:port, or a bare socket path. */
export function dockerOptions(host: string | undefined): Docker.DockerOptions {
  const value = host ?? process.env.DOCKER_HOST ?? '';
  if (value === '') return { socketPath: '/var/run/docker.sock' };
  if (value.startsWith('unix://')) return { socketPath: value.slice('unix://'.length) };
  if (value.startsWith('/')) return { socketPath: value };
  const url = new URL(value.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port || 2375), protocol: 'http' };
}

/**
 * ContainerRuntime: what the agent needs from a container engine, and the
 * Docker implementation behind it (dockerode). The attempt runner depends on
 * the interface only.
 */
import http from 'node:http';
import os from 'node:os';
import { inspect } from 'node:util';
import Docker from 'dockerode';
import { FleetError } from '../../common/errors.js';
import { normalizeImageRef } from '../../common/model.js';
import { dockerSince, LogFrameParser, timestampNanos, type LogEntry } from './docker-log-frames.js';

export const LABELS = {
  managed: 'io.cline-fleet.managed',
  task: 'io.cline-fleet.task',
  attempt: 'io.cline-fleet.attempt',
  node: 'io.cline-fleet.node',
} as const;

/** The writable /tmp a read-only-root container gets (it counts against the container's memory). */
const READ_ONLY_ROOT_TMP_BYTES = 256 * 1024 * 1024;

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
  /** A read-only root file system, with a writable tmpfs at /tmp. */
  readOnlyRoot?: boolean;
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
  /** It was started at some point (a created container that never ran was not). */
  started: boolean;
  exitCode: number;
  oomKilled: boolean;
}

/** The engine could not do what was asked: an infrastructure failure, not the task's. */
export class RuntimeError extends FleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE', message, options);
  }
}

/**
 * What an engine failure says about the engine (see `engineFault`):
 * `unavailable`, it is not there (stopped, restarting); `internal`, it is
 * there but failing.
 */
export type EngineFault = 'unavailable' | 'internal';

export class EngineError extends RuntimeError {
  constructor(
    readonly fault: EngineFault,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The image is not on the node: `pulled` says whether a pull was tried (and failed) or the node never pulls. */
/** A container of that name exists already (HTTP 409 on create). */
export class ContainerNameTakenError extends RuntimeError {
  constructor(
    readonly containerName: string,
    message: string,
  ) {
    super(message);
  }
}

export class ImageMissingError extends FleetError {
  constructor(
    readonly image: string,
    readonly pulled: boolean,
    detail: string,
  ) {
    super('FAILED_PRECONDITION', `image ${image} is not present on this node and could not be pulled (${detail}); load it with "docker load" or make a registry reachable`);
  }
}

/** Connection errors that mean nobody is answering on the engine's socket (or the answer was cut off). */
const UNAVAILABLE_CODES: ReadonlySet<string> = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTCONN']);

/** The engine (or the file system under it) is out of space: the node's condition, not the task's. */
export function isDiskFull(err: unknown): boolean {
  return /no space left on device/i.test((err as Error)?.message ?? '');
}

/**
 * The agent's one table of engine errors, by what they say about the engine:
 * - no socket, connection refused or cut (ENOENT, ECONNREFUSED, ECONNRESET,
 *   "socket hang up", "aborted"): the engine is stopped or restarting, as
 *   during an `apt upgrade` of docker.io: `unavailable`;
 * - an HTTP 5xx answer: the engine is there but failing, typically while it
 *   shuts down ("the client connection is closing", "failed to update
 *   store"): `internal`;
 * - anything else (a 4xx: no such image or container, a name conflict) is
 *   about the request, not the engine: null, and the caller decides.
 */
export function engineFault(err: unknown): EngineFault | null {
  const e = err as { code?: string; statusCode?: number; message?: string } | undefined;
  if (e?.code && UNAVAILABLE_CODES.has(e.code)) return 'unavailable';
  if (/socket hang up|^aborted$/.test(e?.message ?? '')) return 'unavailable';
  if ((e?.statusCode ?? 0) >= 500) return 'internal';
  return null;
}

/** What the engine says about itself. */
export interface EngineInfo {
  /** Containers keep running while the engine restarts (`"live-restore": true` in daemon.json). */
  liveRestore: boolean;
  /** Where the engine keeps its images and containers, for the disk check. */
  rootDir: string;
}

export interface ContainerRuntime {
  /** `never`: only images already on the node run (air-gapped sites). */
  readonly pullPolicy: PullPolicy;
  ping(): Promise<void>;
  info(): Promise<EngineInfo>;
  /** Normalized references of the images the engine holds (at most `limit`). */
  images(limit: number): Promise<string[]>;
  ensureImage(image: string): Promise<void>;
  create(spec: ContainerSpec): Promise<string>;
  start(id: string): Promise<void>;
  /** Resolves with the exit state once the container stops; EngineError if the engine goes away meanwhile. */
  wait(id: string): Promise<ContainerState>;
  /** Whether something sent the container a kill signal (a stop, the engine shutting down) since `sinceMs`. */
  killedSince(id: string, sinceMs: number): Promise<boolean>;
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

/**
 * The engine calls DockerRuntime makes, by the short name its errors give
 * them (`docker ps: ...`). A fixed set: metrics label by it.
 */
export const DOCKER_OPS = ['ping', 'info', 'image ls', 'image inspect', 'pull', 'create', 'start', 'wait', 'events', 'logs', 'stop', 'rm', 'inspect', 'ps'] as const;
export type DockerOp = (typeof DOCKER_OPS)[number];

/** Told of every engine call once it has ended: whether the engine did what was asked, and how long it took. */
export interface DockerCallObserver {
  dockerCall(op: DockerOp, ok: boolean, seconds: number): void;
}

/**
 * The HTTP agent of engine calls, which prints as its name. docker-modem
 * (5.0.7) formats every request's options for its debug log with
 * `util.inspect(options, { showHidden: true, depth: null })` whether or not
 * that log is on, and the options hold the agent: with a plain agent that
 * walked every socket it held, each with its parser and buffers, on every
 * call. Under a chaos run it took 40 to 70% of a core per agent and blocked
 * the event loop for seconds, long enough for a node to be judged lost.
 */
export class EngineAgent extends http.Agent {
  [inspect.custom](): string {
    return 'EngineAgent';
  }
}

export class DockerRuntime implements ContainerRuntime {
  /** The engine's CPU count from its last `info` (asked at start and with each heartbeat); this machine's until then. */
  private engineCpus = os.cpus().length;
  readonly docker: Docker;

  constructor(
    dockerHost?: string,
    readonly pullPolicy: PullPolicy = 'missing',
    private readonly observer?: DockerCallObserver,
  ) {
    // No kept-alive connections: an engine shutting down still serves
    // requests on connections it already has, so a stale one would hide that
    // the engine is going away; a new connection per call finds out at once.
    this.docker = new Docker({ ...dockerOptions(dockerHost), agent: new EngineAgent({ keepAlive: false }) } as Docker.DockerOptions);
  }

  /** Our error for a failed engine call: an EngineError when it says something about the engine. */
  private failure(what: string, err: unknown): RuntimeError {
    const message = `docker ${what}: ${(err as Error)?.message ?? err}`;
    const fault = engineFault(err);
    return fault ? new EngineError(fault, message, { cause: err }) : new RuntimeError(message, { cause: err });
  }

  private wrap<T>(what: DockerOp, p: Promise<T>): Promise<T> {
    return this.timed(
      what,
      p.catch((err: unknown) => {
        throw this.failure(what, err);
      }),
    );
  }

  /**
   * Reports one engine call to the observer when it settles. `call` is the
   * whole of it, answers the caller takes as success included (a 404 on
   * remove, a 304 on stop): only what reaches the caller as an error counts
   * as one.
   */
  private timed<T>(op: DockerOp, call: Promise<T>): Promise<T> {
    const observer = this.observer;
    if (!observer) return call;
    const started = performance.now();
    const done = (ok: boolean) => observer.dockerCall(op, ok, (performance.now() - started) / 1000);
    return call.then(
      (value) => {
        done(true);
        return value;
      },
      (err: unknown) => {
        done(false);
        throw err;
      },
    );
  }

  async ping(): Promise<void> {
    await this.wrap('ping', this.docker.ping());
  }

  async info(): Promise<EngineInfo> {
    const info = (await this.wrap('info', this.docker.info())) as { LiveRestoreEnabled?: boolean; DockerRootDir?: string; NCPU?: number };
    if (Number(info.NCPU) > 0) this.engineCpus = Number(info.NCPU);
    return { liveRestore: Boolean(info.LiveRestoreEnabled), rootDir: String(info.DockerRootDir ?? '') };
  }

  async images(limit: number): Promise<string[]> {
    const list = await this.wrap('image ls', this.docker.listImages());
    const refs = new Set<string>();
    for (const image of list) {
      for (const ref of [...(image.RepoTags ?? []), ...(image.RepoDigests ?? [])]) {
        if (!ref.includes('<none>')) refs.add(normalizeImageRef(ref));
        if (refs.size >= limit) return [...refs];
      }
    }
    return [...refs];
  }

  async ensureImage(image: string): Promise<void> {
    const present = await this.timed(
      'image inspect',
      this.docker
        .getImage(image)
        .inspect()
        .then(
          () => true,
          (err: unknown) => {
            if (statusCode(err) !== 404) throw this.failure(`image inspect ${image}`, err);
            return false;
          },
        ),
    );
    if (present) return;
    if (this.pullPolicy === 'never') throw new ImageMissingError(image, false, 'the pull policy is "never"');
    try {
      await this.timed('pull', this.pull(image));
    } catch (err) {
      // Only an engine that is not there says something about the engine: a
      // registry it cannot reach or a name it cannot find comes back as a 5xx too.
      if (engineFault(err) === 'unavailable' || isDiskFull(err)) throw this.failure(`pull ${image}`, err);
      throw new ImageMissingError(image, true, (err as Error).message.split('\n')[0]!.slice(0, 300));
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
    const creating = this.docker
      .createContainer({
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
          // Docker refuses a limit above the engine's CPU count: a 2-CPU default must still run on a 1-CPU node.
          NanoCpus: Math.round(Math.min(spec.cpus, this.engineCpus) * 1e9),
          Memory: spec.memoryBytes,
          PidsLimit: spec.pidsLimit || DEFAULT_PIDS_LIMIT,
          SecurityOpt: ['no-new-privileges:true'],
          CapDrop: ['ALL'],
          AutoRemove: false,
          RestartPolicy: { Name: 'no' },
          LogConfig: { Type: 'json-file', Config: { 'max-size': '50m', 'max-file': '2' } },
          ...(spec.mounts ? { Binds: spec.mounts.map((m) => `${m.source}:${m.target}:${m.readOnly ? 'ro' : 'rw'}`) } : {}),
          ...(spec.networkMode ? { NetworkMode: spec.networkMode } : {}),
          ...(spec.readOnlyRoot ? { ReadonlyRootfs: true, Tmpfs: { '/tmp': `rw,nosuid,nodev,size=${READ_ONLY_ROOT_TMP_BYTES}` } } : {}),
        },
      })
      .catch((err: unknown) => {
        if (statusCode(err) === 409) throw new ContainerNameTakenError(spec.name, `docker create: ${(err as Error).message}`);
        throw this.failure('create', err);
      });
    const container = await this.timed('create', creating);
    return container.id;
  }

  async start(id: string): Promise<void> {
    await this.wrap('start', this.docker.getContainer(id).start());
  }

  /**
   * The wait call as a stream: dockerode's plain wait() never settles when a
   * live-restore engine stops under it (the 200 headers have come, and a
   * dropped connection is not reported), so this one listens for the cut.
   */
  async wait(id: string): Promise<ContainerState> {
    await this.timed('wait', new Promise<void>((resolve, reject) => {
      const dial = { path: `/containers/${id}/wait?`, method: 'POST', isStream: true, options: {}, statusCodes: { 200: true, 404: 'no such container', 500: 'server error' } };
      this.docker.modem.dial(dial, (err: unknown, res: unknown) => {
        if (err) return reject(this.failure('wait', err));
        const stream = res as http.IncomingMessage;
        let done = false;
        stream.on('data', () => {});
        stream.on('end', () => {
          done = true;
          resolve();
        });
        stream.on('error', (e) => reject(this.failure('wait', e)));
        stream.on('close', () => {
          if (!done) reject(new EngineError('unavailable', 'docker wait: the engine closed the connection before the container stopped'));
        });
      });
    }));
    const state = await this.inspect(id);
    if (!state) throw new RuntimeError(`container ${id} vanished while running`);
    // Never an outcome for a container that still runs: a wait cut short is the engine's hiccup, and is waited again.
    if (state.running) throw new EngineError('unavailable', 'docker wait: the answer came while the container still runs');
    return state;
  }

  async killedSince(id: string, sinceMs: number): Promise<boolean> {
    // Timed whole: the stream is part of the answer, and ends at `until`.
    return this.timed('events', this.killEvents(id, sinceMs));
  }

  private async killEvents(id: string, sinceMs: number): Promise<boolean> {
    // `until` now: a time in the future would keep the stream open until then.
    const stream = (await this.docker
      .getEvents({ since: Math.floor(sinceMs / 1000) - 1, until: Math.ceil(Date.now() / 1000), filters: { container: [id], event: ['kill'] } })
      .catch((err: unknown) => {
        throw this.failure('events', err);
      })) as unknown as NodeJS.ReadableStream;
    let text = '';
    try {
      for await (const chunk of stream) text += chunk.toString();
    } catch (err) {
      throw this.failure('events', err);
    }
    return text.trim() !== '';
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
    await this.timed(
      'stop',
      this.docker
        .getContainer(id)
        .stop({ t: Math.max(0, Math.ceil(graceMs / 1000)) })
        .catch((err: unknown) => {
          // 304: already stopped; 404: already gone. Both are what we wanted.
          if (statusCode(err) !== 304 && statusCode(err) !== 404) throw this.failure('stop', err);
        }),
    );
  }

  async remove(id: string): Promise<void> {
    await this.timed(
      'rm',
      this.docker
        .getContainer(id)
        .remove({ force: true, v: true })
        .catch((err: unknown) => {
          if (statusCode(err) !== 404) throw this.failure('rm', err);
        }),
    );
  }

  async inspect(id: string): Promise<ContainerState | null> {
    return this.timed(
      'inspect',
      this.docker
        .getContainer(id)
        .inspect()
        .then(
          (info): ContainerState => ({ running: info.State.Running, started: !info.State.StartedAt.startsWith('0001-'), exitCode: info.State.ExitCode, oomKilled: info.State.OOMKilled }),
          (err: unknown) => {
            if (statusCode(err) === 404) return null;
            throw this.failure('inspect', err);
          },
        ),
    );
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

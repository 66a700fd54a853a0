/**
 * One node's session on this replica: the control-plane end of
 * NodeService.Connect. Delivery is level-triggered: on hello and on every
 * change of a task placed on this node, the session compares what the node
 * should run (stored state) with what it has sent or the node has said it
 * runs, and sends Assign or Cancel. A lost message is never a lost task,
 * because the next hello reconciles again.
 *
 * Events are handled one at a time, in order, and acknowledged cumulatively
 * only after their effect is stored; an error ends the session without an ack,
 * so the agent resends them on its next connection.
 */
import { randomUUID } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { FleetError, NotFoundError, PermissionError, ValidationError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { AttemptOutcomeState, Task } from '../../common/model.js';
import { attemptStateFromProto, failureKindFromProto, progressFromProto, specToProto } from '../../common/proto-convert.js';
import { ATTEMPT_REASONS, RESULT_LIMITS } from '../../common/task-spec.js';
import type { AttemptReason, TaskResult } from '../../common/model.js';
import type { Providers } from './providers.js';
import { errorMessage } from '../../common/errors.js';
import type { AttemptEvent__Output } from '../../proto/gen/fleet/v1/AttemptEvent.js';
import type { ControlMessage } from '../../proto/gen/fleet/v1/ControlMessage.js';
import type { NodeMessage__Output } from '../../proto/gen/fleet/v1/NodeMessage.js';
import { toGrpcStatus } from './grpc-status.js';
import { validateNodeInfo } from '../../common/node-info.js';
import type { Nodes } from './nodes.js';
import type { LogStore } from './store/log-store.js';
import type { TaskIndex } from './task-index.js';
import { desiredOnNode, StaleAttemptError, type AttemptOutcome } from './task-state.js';
import type { Tasks } from './tasks.js';

export const HELLO_TIMEOUT_MS = 10_000;
export const DEFAULT_CANCEL_GRACE_MS = 10_000;
const OUTCOMES: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'LOST']);
const MAX_OUTPUT_CHUNK_BYTES = 1024 * 1024;

export interface SessionDeps {
  tasks: Tasks;
  index: TaskIndex;
  nodes: Nodes;
  logs: LogStore;
  log: Logger;
  providers: Providers;
  heartbeatIntervalMs: number;
  stopAfterDisconnectMs: number;
  cancelGraceMs: number;
}

type Call = grpc.ServerDuplexStream<NodeMessage__Output, ControlMessage>;

export class NodeSession {
  readonly sessionId = randomUUID();
  private readonly sent = new Map<string, 'run' | 'stop'>();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private unsubscribe: (() => void) | undefined;
  private readonly log: Logger;

  constructor(
    readonly nodeId: string,
    private readonly call: Call,
    private readonly deps: SessionDeps,
  ) {
    this.log = deps.log.child({ nodeId, sessionId: this.sessionId });
  }

  /** Runs the session until the stream ends. */
  async run(): Promise<void> {
    const ended = new Promise<void>((resolve) => {
      this.call.on('end', resolve);
      this.call.on('error', resolve);
      this.call.on('close', resolve);
      this.call.on('cancelled', resolve);
    });
    const helloTimer = setTimeout(() => this.fail(new ValidationError('hello', `not received within ${HELLO_TIMEOUT_MS}ms`)), HELLO_TIMEOUT_MS);
    let greeted = false;
    this.call.on('data', (message: NodeMessage__Output) => {
      if (!greeted) {
        if (message.msg !== 'hello' || !message.hello) {
          this.fail(new ValidationError('msg', 'the first message of a session must be hello'));
          return;
        }
        greeted = true;
        clearTimeout(helloTimer);
      } else if (message.msg === 'hello') {
        // One hello per session: a second would subscribe and reconcile again.
        this.fail(new ValidationError('msg', 'hello was already sent on this session; reconnect to say it again'));
        return;
      }
      this.enqueue(() => this.handle(message));
    });
    await ended;
    clearTimeout(helloTimer);
    this.closed = true;
    this.unsubscribe?.();
    if (greeted) {
      await this.queue.catch(() => {});
      await this.deps.nodes.sessionClosed(this.nodeId, this.sessionId).catch((err: unknown) => this.log.warn({ err }, 'node status not updated'));
    }
    this.log.info('node session closed');
  }

  /** Ends the session from our side, e.g. when another session of the node arrives. */
  close(): void {
    if (!this.closed) this.call.end();
  }

  private enqueue(work: () => Promise<void>): void {
    this.queue = this.queue.then(work).catch((err: unknown) => this.fail(err));
  }

  private fail(err: unknown): void {
    if (this.closed) return;
    this.closed = true;
    // Store errors are UNAVAILABLE already; the agent reconnects and resends.
    const e = err instanceof FleetError ? err : new FleetError('UNAVAILABLE', (err as Error)?.message ?? String(err));
    this.log.warn({ err: e.message }, 'node session ended with an error');
    this.call.emit('error', toGrpcStatus(e, this.log));
  }

  private send(message: ControlMessage): void {
    if (!this.closed) this.call.write(message);
  }

  private async handle(message: NodeMessage__Output): Promise<void> {
    switch (message.msg) {
      case 'hello':
        return this.onHello(message.hello!);
      case 'heartbeat': {
        const hb = message.heartbeat!;
        const r = hb.resources;
        await this.deps.nodes.heartbeat(this.nodeId, {
          resources: {
            cpus: r?.cpus ?? 0,
            loadPercent: r?.loadPercent ?? 0,
            memoryTotalBytes: r?.memoryTotalBytes ?? 0,
            memoryUsedBytes: r?.memoryUsedBytes ?? 0,
            diskTotalBytes: r?.diskTotalBytes ?? 0,
            diskUsedBytes: r?.diskUsedBytes ?? 0,
          },
          dockerHealthy: hb.dockerHealthy,
          dockerError: String(hb.dockerError ?? '').slice(0, 1024),
          fleetContainers: Math.max(0, Number(hb.fleetContainers) || 0),
          draining: hb.draining,
        });
        // Stored: the agent may count this as contact (see stop-after-disconnect).
        this.send({ heartbeatAck: { serverTimeMs: Date.now() } });
        return;
      }
      case 'event':
        await this.onEvent(message.event!);
        this.send({ ack: { seq: message.event!.seq } });
        return;
      default:
        throw new ValidationError('msg', 'unknown message');
    }
  }

  private async onHello(hello: NonNullable<NodeMessage__Output['hello']>): Promise<void> {
    const info = validateNodeInfo(hello);
    await this.deps.nodes.hello(this.nodeId, this.sessionId, info);
    this.send({ welcome: { nodeId: this.nodeId, heartbeatIntervalMs: this.deps.heartbeatIntervalMs, stopAfterDisconnectMs: this.deps.stopAfterDisconnectMs } });
    this.log.info({ nodeName: info.name, activeAttempts: hello.activeAttemptIds.length }, 'node session open');
    // Reconcile: what the node runs that it should not is stopped; what it
    // should run and does not is sent.
    const reported = new Set(hello.activeAttemptIds);
    for (const attemptId of reported) this.sent.set(attemptId, 'run');
    const wanted = new Set<string>();
    for (const task of this.deps.index.onNode(this.nodeId)) {
      const desired = desiredOnNode(task, this.nodeId);
      if (desired.kind !== 'none') wanted.add(desired.attempt.id);
      this.deliver(task);
    }
    for (const attemptId of reported) {
      if (!wanted.has(attemptId)) this.sendCancel('', attemptId, 'the attempt is no longer current');
    }
    this.unsubscribe = this.deps.index.onChange((task) => this.deliver(task));
  }

  private deliver(task: Task): void {
    const desired = desiredOnNode(task, this.nodeId);
    if (desired.kind === 'none' || this.sent.get(desired.attempt.id) === desired.kind) return;
    this.sent.set(desired.attempt.id, desired.kind);
    if (desired.kind === 'run') {
      if (task.spec.cline) void this.assignCline(task, desired.attempt.id);
      else this.send({ assign: { taskId: task.id, attemptId: desired.attempt.id, spec: specToProto(task.spec) } });
      this.log.debug({ taskId: task.id, attemptId: desired.attempt.id }, 'assign sent');
    } else {
      this.sendCancel(task.id, desired.attempt.id, task.message);
    }
  }

  /**
   * A Cline attempt carries its provider's key to the node's gateway. If the
   * provider is gone (or this replica cannot decrypt it) the Assign goes
   * without one and the agent fails the attempt as a provider_error.
   */
  private async assignCline(task: Task, attemptId: string): Promise<void> {
    const provider = await this.deps.providers.grant(task.spec.cline!.provider).catch((err: unknown) => {
      this.log.warn({ taskId: task.id, attemptId, provider: task.spec.cline!.provider, err: errorMessage(err) }, 'provider not granted');
      return null;
    });
    // A cancel sent while the provider was read goes first; the agent must not get the attempt after it.
    if (this.sent.get(attemptId) !== 'run') return;
    this.send({ assign: { taskId: task.id, attemptId, spec: specToProto(task.spec), ...(provider ? { provider } : {}) } });
  }

  private sendCancel(taskId: string, attemptId: string, reason: string): void {
    this.sent.set(attemptId, 'stop');
    this.send({ cancel: { taskId, attemptId, reason, graceMs: this.deps.cancelGraceMs } });
    this.log.info({ taskId, attemptId, reason }, 'cancel sent');
  }

  private async onEvent(event: AttemptEvent__Output): Promise<void> {
    const { taskId, attemptId } = event;
    try {
      switch (event.kind) {
        case 'started':
          await this.deps.tasks.started(this.nodeId, taskId, attemptId, String(event.started?.containerId ?? '').slice(0, 128));
          return;
        case 'output':
          await this.onOutput(event);
          return;
        case 'progress':
          await this.deps.tasks.progress(this.nodeId, taskId, attemptId, progressFromProto(event.progress));
          return;
        case 'finished': {
          const patch = event.finished?.patch ?? Buffer.alloc(0);
          if (patch.length > RESULT_LIMITS.patchBytes) throw new ValidationError('event.finished.patch', `is ${patch.length} bytes; the limit is ${RESULT_LIMITS.patchBytes}`);
          const outcome = this.outcome(event, patch.length);
          await this.deps.tasks.finished(this.nodeId, taskId, attemptId, outcome, outcome.result && patch.length > 0 ? patch : undefined);
          this.sent.delete(attemptId);
          // Only failures to run at all count against the node: not lost or
          // stopped attempts, which say nothing about the node's health.
          await this.deps.nodes.recordAttemptResult(this.nodeId, outcome.state === 'FAILED' && outcome.failureKind === 'INFRASTRUCTURE');
          return;
        }
        default:
          throw new ValidationError('event.kind', 'unknown event');
      }
    } catch (err) {
      // Refused reports are acknowledged (resending cannot make them right)
      // and the attempt is told to stop; anything else ends the session unacknowledged.
      if (err instanceof StaleAttemptError || err instanceof NotFoundError) {
        this.log.warn({ taskId, attemptId, event: event.kind }, 'report from a stale attempt refused');
        if (event.kind !== 'finished') this.sendCancel(taskId, attemptId, 'the attempt is no longer current');
        return;
      }
      if (err instanceof PermissionError || err instanceof ValidationError) {
        this.log.warn({ taskId, attemptId, event: event.kind, err: err.message }, 'report refused');
        return;
      }
      throw err;
    }
  }

  private async onOutput(event: AttemptEvent__Output): Promise<void> {
    const data = event.output?.data ?? Buffer.alloc(0);
    if (data.length > MAX_OUTPUT_CHUNK_BYTES) throw new ValidationError('event.output.data', `chunk is ${data.length} bytes; the limit is ${MAX_OUTPUT_CHUNK_BYTES}`);
    const task = this.deps.index.get(event.taskId) ?? (await this.deps.tasks.getVersioned(event.taskId))?.value;
    if (!task) throw new NotFoundError(`task ${event.taskId} not found`);
    const attempt = task.attempts.find((a) => a.id === event.attemptId);
    if (!attempt) throw new StaleAttemptError(task.id, event.attemptId);
    if (attempt.nodeId !== this.nodeId) throw new PermissionError(`attempt ${event.attemptId} does not belong to node ${this.nodeId}`);
    await this.deps.logs.append(
      {
        taskId: event.taskId,
        attemptId: event.attemptId,
        stream: event.output?.stream === 'LOG_STREAM_STDERR' ? 'stderr' : 'stdout',
        data,
        atMs: event.atMs,
      },
      `${event.attemptId}.${event.seq}`,
    );
  }

  private outcome(event: AttemptEvent__Output, patchBytes: number): AttemptOutcome {
    const f = event.finished;
    const state = attemptStateFromProto(f?.state ?? '');
    if (!OUTCOMES.has(state)) throw new ValidationError('event.finished.state', `"${f?.state}" is not an outcome`);
    const kind = failureKindFromProto(f?.failureKind ?? '');
    const reason = String(f?.reason ?? '');
    if (reason !== '' && !(ATTEMPT_REASONS as readonly string[]).includes(reason)) {
      throw new ValidationError('event.finished.reason', `"${reason.slice(0, 40)}" is not a known reason (${ATTEMPT_REASONS.join(', ')})`);
    }
    const result = state === 'SUCCEEDED' && f?.result ? this.result(event.attemptId, f.result, patchBytes) : undefined;
    return {
      state: state as AttemptOutcomeState,
      ...(f?.exitCode === undefined || f?.exitCode === null ? {} : { exitCode: f.exitCode }),
      error: String(f?.error ?? '').slice(0, 4096),
      ...(kind ? { failureKind: kind } : {}),
      ...(reason ? { reason: reason as AttemptReason } : {}),
      ...(f?.progress || f?.result?.usage ? { progress: progressFromProto(f.progress ?? f.result?.usage) } : {}),
      ...(result ? { result } : {}),
    };
  }

  /** The patch's size is what arrived, not what the node says. */
  private result(attemptId: string, r: NonNullable<NonNullable<AttemptEvent__Output['finished']>['result']>, patchBytes: number): TaskResult {
    const baseCommit = String(r.baseCommit ?? '');
    if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(baseCommit)) throw new ValidationError('event.finished.result.base_commit', 'must be a full commit id');
    return {
      attemptId,
      summary: String(r.summary ?? '').slice(0, RESULT_LIMITS.summaryChars),
      verified: Boolean(r.verified),
      baseCommit,
      patchBytes,
      filesChanged: Math.max(0, Math.floor(Number(r.filesChanged) || 0)),
      finishReason: String(r.finishReason ?? '').slice(0, 64),
      usage: progressFromProto(r.usage),
    };
  }
}

/** The sessions this replica holds; a node that reconnects here replaces its old session. */
export class SessionRegistry {
  private readonly sessions = new Map<string, NodeSession>();

  add(session: NodeSession): void {
    this.sessions.get(session.nodeId)?.close();
    this.sessions.set(session.nodeId, session);
  }

  remove(session: NodeSession): void {
    if (this.sessions.get(session.nodeId) === session) this.sessions.delete(session.nodeId);
  }

  get count(): number {
    return this.sessions.size;
  }

  closeAll(): void {
    for (const session of this.sessions.values()) session.close();
  }
}

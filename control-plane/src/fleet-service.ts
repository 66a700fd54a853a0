/**
 * FleetService: the operator's API. Handlers validate, call the domain
 * services and convert; every error leaves through `toGrpcStatus`.
 */
import * as grpc from '@grpc/grpc-js';
import { ValidationError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { isTaskActive, type NodeRecord, type Task, type TaskSpec, type TaskState } from '../../common/model.js';
import { decodeTaskSpec, decodeTaskState, encodeLogChunk, encodeNode, encodeResult, encodeTask } from '../../common/wire/index.js';
import type { FleetServiceHandlers } from '../../proto/gen/fleet/v1/FleetService.js';
import type { ClusterStatus } from '../../proto/gen/fleet/v1/ClusterStatus.js';
import type { LogChunk } from '../../proto/gen/fleet/v1/LogChunk.js';
import type { Node as NodeMsg } from '../../proto/gen/fleet/v1/Node.js';
import type { Task as TaskMsg } from '../../proto/gen/fleet/v1/Task.js';
import type { Admin } from './admin-auth.js';
import { drainDeadlineMs } from './drain/drain.js';
import { toGrpcStatus } from './grpc-status.js';
import type { JoinTokens } from './join-tokens.js';
import type { Nodes } from './nodes.js';
import { checkProviderName, compileProviderInput, providerToProto, type Providers } from './providers.js';
import type { KvRecords } from './store/kv-records.js';
import type { JoinTokenRecord } from './store/records.js';
import type { JoinToken } from '../../proto/gen/fleet/v1/JoinToken.js';
import type { LogStore } from './store/log-store.js';
import type { TaskIndex } from './task-index.js';
import { checkTaskId, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, type Tasks } from './tasks.js';

export interface FleetServiceDeps {
  admin: Admin;
  tasks: Tasks;
  taskRecords: KvRecords<Task>;
  index: TaskIndex;
  nodes: Nodes;
  joinTokens: JoinTokens;
  logs: LogStore;
  log: Logger;
  clusterStatus: () => Promise<ClusterStatus>;
  providers: Providers;
  /** The image of Cline tasks submitted without one. */
  clineImage: string;
}

/** Fills in what the control plane decides for a submission: a Cline task's image; and checks its provider exists. */
async function prepareSpec(deps: FleetServiceDeps, spec: TaskSpec): Promise<TaskSpec> {
  if (!spec.cline) return spec;
  await deps.providers.require(spec.cline.provider);
  return spec.image ? spec : { ...spec, image: deps.clineImage };
}

function parseStates(states: readonly unknown[]): Set<TaskState> {
  return new Set(states.map((s, i) => decodeTaskState(`states[${i}]`, s)));
}

/** Wraps a unary handler: admin check, then the body; errors converted once. */
function unary<Req, Res>(deps: FleetServiceDeps, body: (req: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    (async () => {
      deps.admin.check(call.metadata);
      return body(call.request);
    })().then(
      (res) => callback(null, res),
      (err: unknown) => callback(toGrpcStatus(err, deps.log) as grpc.ServiceError),
    );
  };
}

function joinTokenToProto(r: JoinTokenRecord): JoinToken {
  return { tokenId: r.id, createdAtMs: r.createdAtMs, expiresAtMs: r.expiresAtMs, maxUses: r.maxUses, uses: r.uses };
}

export function fleetServiceHandlers(deps: FleetServiceDeps): FleetServiceHandlers {
  const { tasks, log } = deps;
  return {
    SubmitTask: unary(deps, async (req) => encodeTask(await tasks.submit(await prepareSpec(deps, decodeTaskSpec(req.spec))))),
    GetTaskResult: unary(deps, async (req) => {
      const { task, patch } = await tasks.result(checkTaskId('task_id', req.taskId), Boolean(req.includePatch));
      return { result: encodeResult(task.result!), patch: patch ?? Buffer.alloc(0) };
    }),
    SetProvider: unary(deps, async (req) => providerToProto(await deps.providers.set(compileProviderInput(req)))),
    ListProviders: unary(deps, async () => ({ providers: (await deps.providers.list()).map(providerToProto) })),
    DeleteProvider: unary(deps, async (req) => providerToProto(await deps.providers.delete(checkProviderName('name', String(req.name ?? ''))))),
    GetTask: unary(deps, async (req) => encodeTask(await tasks.get(checkTaskId('task_id', req.taskId)))),
    CancelTask: unary(deps, async (req) => {
      const reason = String(req.reason ?? '');
      if (reason.length > 1024) throw new ValidationError('reason', 'must be at most 1024 characters');
      return encodeTask(await tasks.cancel(checkTaskId('task_id', req.taskId), reason));
    }),
    ListTasks: unary(deps, async (req) => {
      const states = parseStates(req.states ?? []);
      const limit = Number(req.limit ?? 0);
      if (!Number.isInteger(limit) || limit < 0 || limit > MAX_LIST_LIMIT) throw new ValidationError('limit', `must be between 0 and ${MAX_LIST_LIMIT}, got ${req.limit}`);
      return { tasks: (await tasks.list(states, limit || DEFAULT_LIST_LIMIT)).map(encodeTask) };
    }),
    ListNodes: unary(deps, async () => ({ nodes: deps.nodes.all().map((n) => encodeNode(n, deps.index.activeAttemptsOn(n.id))) })),
    CreateJoinToken: unary(deps, async (req) => {
      const { token, record } = await deps.joinTokens.create(Number(req.ttlMs ?? 0), Number(req.maxUses ?? 0));
      log.info({ tokenId: record.id, expiresAtMs: record.expiresAtMs, maxUses: record.maxUses }, 'join token created');
      return { token, tokenId: record.id, expiresAtMs: record.expiresAtMs, maxUses: record.maxUses };
    }),
    ListJoinTokens: unary(deps, async () => ({ tokens: (await deps.joinTokens.list()).map(joinTokenToProto) })),
    RevokeJoinToken: unary(deps, async (req) => {
      const record = await deps.joinTokens.revoke(String(req.tokenId ?? ''));
      log.info({ tokenId: record.id }, 'join token revoked');
      return joinTokenToProto(record);
    }),
    RevokeNode: unary(deps, async (req) => {
      const node = deps.nodes.resolve(nodeRef(req.node));
      const updated = await deps.nodes.revoke(node.id);
      return encodeNode(updated, deps.index.activeAttemptsOn(node.id));
    }),
    CordonNode: unary(deps, async (req) => {
      const node = deps.nodes.resolve(nodeRef(req.node));
      const reason = String(req.reason ?? '').slice(0, 512) || 'cordoned by an operator';
      const updated = await deps.nodes.cordon(node.id, 'OPERATOR', reason);
      log.info({ nodeId: node.id, reason }, 'node cordoned');
      return encodeNode(updated, deps.index.activeAttemptsOn(node.id));
    }),
    UncordonNode: unary(deps, async (req) => {
      const node = deps.nodes.resolve(nodeRef(req.node));
      const updated = await deps.nodes.uncordon(node.id, 'OPERATOR');
      log.info({ nodeId: node.id }, 'node uncordoned');
      return encodeNode(updated, deps.index.activeAttemptsOn(node.id));
    }),
    DrainNode: unary(deps, async (req) => {
      const node = deps.nodes.resolve(nodeRef(req.node));
      const deadlineMs = drainDeadlineMs(req.deadlineMs);
      const updated = await deps.nodes.drain(node.id, deadlineMs);
      log.info({ nodeId: node.id, deadlineMs }, 'node drain requested');
      return encodeNode(updated, deps.index.activeAttemptsOn(node.id));
    }),
    GetClusterStatus: unary(deps, async () => deps.clusterStatus()),
    WatchNode: (call) => {
      void streamNode(deps, call).catch((err: unknown) => call.emit('error', toGrpcStatus(err, log)));
    },
    WatchTask: (call) => {
      void streamTask(deps, call).catch((err: unknown) => call.emit('error', toGrpcStatus(err, log)));
    },
    GetTaskLogs: (call) => {
      void streamLogs(deps, call).catch((err: unknown) => call.emit('error', toGrpcStatus(err, log)));
    },
  };
}

function nodeRef(text: unknown): string {
  const ref = String(text ?? '');
  if (ref === '' || ref.length > 128) throw new ValidationError('node', 'give a node id or name');
  return ref;
}

/** The node now, then each change, until its drain (if any) is complete. */
async function streamNode(deps: FleetServiceDeps, call: grpc.ServerWritableStream<{ node: string }, NodeMsg>): Promise<void> {
  deps.admin.check(call.metadata);
  const node = deps.nodes.resolve(nodeRef(call.request.node));
  const controller = callSignal(call);
  await new Promise<void>((resolve) => {
    const send = (n: NodeRecord) => {
      call.write(encodeNode(n, deps.index.activeAttemptsOn(n.id)));
      if (n.drain?.state !== 'DRAINING') finish();
    };
    const unsubscribe = deps.nodes.onChange((n) => n.id === node.id && send(n));
    const finish = () => {
      unsubscribe();
      resolve();
    };
    controller.signal.addEventListener('abort', finish);
    send(deps.nodes.resolve(node.id));
  });
  if (!controller.signal.aborted) call.end();
}

/** Aborted when the client goes away. */
function callSignal(call: grpc.ServerWritableStream<unknown, unknown>): AbortController {
  const controller = new AbortController();
  call.on('cancelled', () => controller.abort());
  call.on('close', () => controller.abort());
  return controller;
}

/** Resolves when the task has ended for good (terminal, and its last attempt over), or the client went away. */
function untilSettled(deps: FleetServiceDeps, taskId: string, signal: AbortSignal, onTask: (t: Task) => void): Promise<void> {
  return deps.taskRecords.follow(taskId, signal, (task) => {
    onTask(task);
    return isTaskActive(task);
  });
}

async function streamTask(deps: FleetServiceDeps, call: grpc.ServerWritableStream<{ taskId: string }, TaskMsg>): Promise<void> {
  deps.admin.check(call.metadata);
  const taskId = checkTaskId('task_id', call.request.taskId);
  await deps.tasks.get(taskId);
  const controller = callSignal(call);
  await untilSettled(deps, taskId, controller.signal, (task) => call.write(encodeTask(task)));
  call.end();
}

async function streamLogs(deps: FleetServiceDeps, call: grpc.ServerWritableStream<{ taskId: string; follow: boolean }, LogChunk>): Promise<void> {
  deps.admin.check(call.metadata);
  const taskId = checkTaskId('task_id', call.request.taskId);
  const task = await deps.tasks.get(taskId);
  const controller = callSignal(call);
  let lastSeq = 0;
  const send = async (options: { follow: boolean; signal: AbortSignal; afterSeq?: number }) => {
    for await (const chunk of deps.logs.read(taskId, options)) {
      lastSeq = chunk.seq;
      call.write(encodeLogChunk(chunk));
    }
  };
  if (call.request.follow && isTaskActive(task)) {
    // Follow until the task settles. An agent sends output before the
    // finished report, so once the task has settled one last read drains it.
    const follow = new AbortController();
    const onClientGone = () => follow.abort();
    controller.signal.addEventListener('abort', onClientGone);
    const following = send({ follow: true, signal: follow.signal });
    await untilSettled(deps, taskId, controller.signal, () => {});
    follow.abort();
    await following;
    controller.signal.removeEventListener('abort', onClientGone);
    if (controller.signal.aborted) return;
  }
  await send({ follow: false, signal: controller.signal, afterSeq: lastSeq });
  call.end();
}

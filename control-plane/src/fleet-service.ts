/**
 * FleetService: the operator's API. Handlers validate, call the domain
 * services and convert; every error leaves through `toGrpcStatus`.
 */
import * as grpc from '@grpc/grpc-js';
import { NotFoundError, ValidationError } from '../../common/errors.js';
import { MAX_NODE_LABELS, MAX_SLOTS as MAX_NODE_SLOTS } from '../../common/node-info.js';
import { validateLabels } from '../../common/task-spec.js';
import type { Logger } from '../../common/logger.js';
import { isTaskActive, normalizeImageRef, type NodeRecord, type Task, type TaskSpec, type TaskState } from '../../common/model.js';
import type { Rollout } from '../../common/rollout.js';
import { decodeRolloutAction, decodeStartRollout, encodeRollout } from '../../common/wire/rollout.js';
import type { Rollout as RolloutMsg } from '../../proto/gen/fleet/v1/Rollout.js';
import { decodeTaskSpec, decodeTaskState, encodeLogChunk, encodeNode, encodeResult, encodeTask } from '../../common/wire/index.js';
import type { FleetServiceHandlers } from '../../proto/gen/fleet/v1/FleetService.js';
import type { ClusterStatus } from '../../proto/gen/fleet/v1/ClusterStatus.js';
import type { LogChunk } from '../../proto/gen/fleet/v1/LogChunk.js';
import type { Node as NodeMsg } from '../../proto/gen/fleet/v1/Node.js';
import type { Task as TaskMsg } from '../../proto/gen/fleet/v1/Task.js';
import { checkAccessTokenName, type AccessTokens } from './access/access-tokens.js';
import type { Caller, Gate } from './access/gate.js';
import { FLEET_POLICY, type FleetMethod } from './access/policy.js';
import { parseRole, requireRole, scopeOf, sees } from './access/roles.js';
import type { AuditLog } from './store/audit-log.js';
import { applyTaskDefaults, type TaskDefaults } from './task-defaults.js';
import type { AccessTokenRecord, TeamRecord } from './store/records.js';
import type { Teams } from './teams.js';
import { checkTeamName } from '../../common/teams.js';
import { PermissionError } from '../../common/errors.js';
import type { Team as TeamMsg } from '../../proto/gen/fleet/v1/Team.js';
import type { AccessToken } from '../../proto/gen/fleet/v1/AccessToken.js';
import type { AuditEntry as AuditEntryMsg } from '../../proto/gen/fleet/v1/AuditEntry.js';
import { drainDeadlineMs } from './drain/drain.js';
import { checkPoolName, compilePoolInput, poolToProto } from './autoscale/pool.js';
import type { Pools } from './autoscale/pools.js';
import { codeName, toGrpcStatus } from './grpc-status.js';
import type { JoinTokens } from './join-tokens.js';
import { lastContactMs, type ReplicaContact } from './node-health.js';
import { restartUnderWay } from './node-state.js';
import { bool, count, int, text } from '../../common/wire/fields.js';
import type { Nodes } from './nodes.js';
import { checkForgeName, compileForgeInput, forgeToProto, type Forges } from './forges.js';
import { checkProviderName, compileProviderInput, providerToProto, withProviderSelector, type Providers } from './providers.js';
import type { ProviderRates } from './provider-rates.js';
import type { KvRecords, Versioned } from './store/kv-records.js';
import type { JoinTokenRecord } from './store/records.js';
import type { JoinToken } from '../../proto/gen/fleet/v1/JoinToken.js';
import type { LogStore } from './store/log-store.js';
import { serveStream, type OpenStreams } from './open-streams.js';
import { recordHoldsImage, type Rollouts } from './rollouts.js';
import type { TaskIndex } from './task-index.js';
import { checkTaskId, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, type Tasks } from './tasks.js';

export interface FleetServiceDeps {
  gate: Gate;
  accessTokens: AccessTokens;
  audit: AuditLog;
  tasks: Tasks;
  taskRecords: KvRecords<Task>;
  index: TaskIndex;
  /** When this replica last heard from each replica (node liveness, see node-health.ts). */
  replicaContact: ReplicaContact;
  nodes: Nodes;
  joinTokens: JoinTokens;
  logs: LogStore;
  log: Logger;
  clusterStatus: () => Promise<ClusterStatus>;
  providers: Providers;
  /** Forges that receive delivered results. */
  forges: Forges;
  /** Teams: their settings and what they spent. */
  teams: Teams;
  /** Rate-limited providers' windows, for the usage `provider list` shows. */
  rates: Pick<ProviderRates, 'window'>;
  /** The image of Cline tasks submitted without one: the last promoted rollout's, or --cline-image. */
  clineImage: () => string;
  rollouts: Rollouts;
  /** What plain tasks get when their submitter did not say. */
  taskDefaults: TaskDefaults;
  /** The streams being served, to end when the replica stops. */
  streams?: OpenStreams;
  /** Autoscaling pools (their settings and what the leader decided). */
  pools: Pools;
  /** The replica was started with --autoscale-hook (shown with each pool). */
  autoscaleHook: boolean;
  /** Told of each call answered: method, status code's name, seconds (null for streams). */
  answered?: (method: string, code: string, seconds: number | null) => void;
}

/**
 * The team a submission is for: a scoped caller's own (a task for another
 * team is refused), else the one it names, which must exist.
 */
async function submissionTeam(deps: FleetServiceDeps, caller: Caller, spec: TaskSpec): Promise<TaskSpec> {
  const asked = spec.team ?? '';
  if (caller.team && asked && asked !== caller.team) {
    throw new PermissionError(`access token "${caller.name}" is scoped to team "${caller.team}": it cannot submit tasks for team "${asked}" (leave out --team, or use a token of that team)`);
  }
  const team = caller.team || asked;
  if (!team) return spec;
  await deps.teams.require(team);
  return { ...spec, team };
}

/** A node as a caller scoped to a team sees it: without the keys of the repositories it holds (other teams' work, by a guessable hash). */
function nodeFor(caller: Caller, node: NodeMsg): NodeMsg {
  return caller.team ? { ...node, repoKeys: [] } : node;
}

/** The task, if the caller may see it; a task of another team is "not found" to a scoped caller (its existence is not told). */
function visible(caller: Caller, task: Task): Task {
  if (!sees(caller, task.spec.team)) throw new NotFoundError(`task ${task.id} not found`);
  return task;
}

async function visibleTask(deps: FleetServiceDeps, caller: Caller, taskId: string): Promise<Task> {
  return visible(caller, await deps.tasks.get(taskId));
}

/** Tasks waiting, per team: one pass over the queue for a whole listing. */
function pendingByTeam(deps: FleetServiceDeps): Map<string, number> {
  const counts = new Map<string, number>();
  for (const task of deps.index.pending()) if (task.spec.team) counts.set(task.spec.team, (counts.get(task.spec.team) ?? 0) + 1);
  return counts;
}

/** A team as the API shows it, with its usage as this replica sees it. */
function teamToProto(deps: FleetServiceDeps, t: TeamRecord, pendingOf: Map<string, number> = pendingByTeam(deps)): TeamMsg {
  const now = Date.now();
  const spent = deps.teams.spentOn(t.name, now);
  const pending = pendingOf.get(t.name) ?? 0;
  return {
    name: t.name,
    maxRunning: t.maxRunning,
    dailyTokens: t.dailyTokens,
    dailyCostUsd: t.dailyCostUsd,
    weight: t.weight,
    createdAtMs: t.createdAtMs,
    updatedAtMs: t.updatedAtMs,
    updatedBy: t.updatedBy,
    usage: { running: deps.index.activeAttemptsOfTeam(t.name), pending, day: spent.day, tokensToday: spent.tokens, costUsdToday: spent.costUsd, blocked: deps.teams.blocked(t.name, now) ?? '' },
  };
}

/** Fills in what the control plane decides for a submission: a Cline task's image; and checks its provider (and forge) exist. */
async function prepareSpec(deps: FleetServiceDeps, spec: TaskSpec): Promise<TaskSpec> {
  if (!spec.cline) return applyTaskDefaults(spec, deps.taskDefaults);
  const provider = await deps.providers.require(spec.cline.provider);
  if (spec.cline.delivery) await deps.forges.require(spec.cline.delivery.forge, spec.cline.repoUrl);
  return { ...spec, image: spec.image || deps.clineImage(), nodeSelector: withProviderSelector(spec.nodeSelector, provider) };
}

function parseStates(states: readonly unknown[]): Set<TaskState> {
  return new Set(states.map((s, i) => decodeTaskState(`states[${i}]`, s)));
}

/**
 * Wraps a unary handler: the caller authenticated and authorized for
 * `method`, a changing call audited before and after (`resultTarget` names
 * what it made when the request could not), then the body; errors
 * converted once.
 */
function unary<Req, Res>(deps: FleetServiceDeps, method: FleetMethod, body: (req: Req, caller: Caller) => Promise<Res>, resultTarget?: (res: Res) => string): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const started = performance.now();
    (async () => {
      const caller = await deps.gate.admit(call, method);
      if (!FLEET_POLICY[method].mutates) return body(call.request, caller);
      return deps.gate.audited(caller, method, call.request as Record<string, unknown>, async () => {
        const response = await body(call.request, caller);
        return { response, target: resultTarget?.(response) };
      });
    })().then(
      (res) => {
        deps.answered?.(method, 'OK', (performance.now() - started) / 1000);
        callback(null, res);
      },
      (err: unknown) => {
        const status = toGrpcStatus(err, deps.log);
        deps.answered?.(method, codeName(status.code), (performance.now() - started) / 1000);
        callback(status as grpc.ServiceError);
      },
    );
  };
}

function joinTokenToProto(r: JoinTokenRecord): JoinToken {
  return { tokenId: r.id, createdAtMs: r.createdAtMs, expiresAtMs: r.expiresAtMs, maxUses: r.maxUses, uses: r.uses, labels: r.labels ?? {}, maxSlots: r.maxSlots ?? 0 };
}

function accessTokenToProto(r: AccessTokenRecord): AccessToken {
  return { name: r.name, role: scopeOf(r)?.role ?? r.role, createdAtMs: r.createdAtMs, expiresAtMs: r.expiresAtMs, createdBy: r.createdBy, revokedAtMs: r.revokedAtMs, rotatedAtMs: r.rotatedAtMs, team: r.team ?? '' };
}

/** Labels decide which nodes receive a provider's key: giving them is an admin's act. */
function labelsNeedAdmin(caller: Caller, labels: Record<string, string>, removed: readonly string[] = []): void {
  if (Object.keys(labels).length > 0 || removed.length > 0) requireRole(caller, 'admin', 'give nodes labels (labels decide which nodes receive a provider\'s key)');
}

/** A rollout as the API shows it, with how many ready nodes hold its canary as this replica sees them. */
function rolloutToProto(deps: FleetServiceDeps, r: Rollout): RolloutMsg {
  const canary = normalizeImageRef(r.image);
  const ready = deps.nodes.all().filter((n) => !n.revokedAtMs && n.status === 'READY');
  return encodeRollout(r, { ready: ready.filter((n) => recordHoldsImage(n, canary)).length, total: ready.length });
}

const MAX_ROLLOUTS_LISTED = 200;

/** Every call but the backup ones (`backup-service.ts`). */
export function fleetServiceHandlers(deps: FleetServiceDeps): Pick<FleetServiceHandlers, Exclude<FleetMethod, 'CreateBackup' | 'RestoreBackup'>> {
  const { tasks, log } = deps;
  return {
    SubmitTask: unary(deps, 'SubmitTask', async (req, caller) => encodeTask(await tasks.submit(await prepareSpec(deps, await submissionTeam(deps, caller, decodeTaskSpec(req.spec))))), (task) => task.id ?? ''),
    GetTaskResult: unary(deps, 'GetTaskResult', async (req, caller) => {
      const taskId = checkTaskId('task_id', req.taskId);
      await visibleTask(deps, caller, taskId);
      const { task, patch } = await tasks.result(taskId, Boolean(req.includePatch));
      return { result: encodeResult(task.result!), patch: patch ?? Buffer.alloc(0) };
    }),
    StartRollout: unary(deps, 'StartRollout', async (req, caller) => rolloutToProto(deps, await deps.rollouts.begin(decodeStartRollout(req), caller.name)), (r) => r.id ?? ''),
    GetRollout: unary(deps, 'GetRollout', async () => {
      const { rollout, fleetImage } = await deps.rollouts.get();
      if (!rollout) throw new NotFoundError(`no rollout has been started; the fleet's Cline image is ${fleetImage} (start one: fleetctl rollout start --cline-image IMAGE)`);
      return { rollout: rolloutToProto(deps, rollout), fleetImage };
    }),
    ListRollouts: unary(deps, 'ListRollouts', async (req) => {
      const limit = int('limit', req.limit, 0, MAX_ROLLOUTS_LISTED) || 20;
      return { rollouts: (await deps.rollouts.list(limit)).map((r) => rolloutToProto(deps, r)) };
    }),
    ChangeRollout: unary(deps, 'ChangeRollout', async (req, caller) => {
      const action = decodeRolloutAction(req.action);
      if (action === 'promote' || action === 'resume') requireRole(caller, 'admin', `${action} rollouts (only pausing and aborting are an operator's)`);
      return rolloutToProto(deps, await deps.rollouts.act(action, text('reason', req.reason, 500), caller.name));
    }),
    SetProvider: unary(deps, 'SetProvider', async (req) => {
      const p = await deps.providers.set(compileProviderInput(req));
      return providerToProto(p, deps.rates.window(p.name));
    }),
    ListProviders: unary(deps, 'ListProviders', async () => {
      const list = await deps.providers.list();
      return { providers: list.map((p) => providerToProto(p, deps.rates.window(p.name))) };
    }),
    DeleteProvider: unary(deps, 'DeleteProvider', async (req) => providerToProto(await deps.providers.delete(checkProviderName('name', String(req.name ?? ''))))),
    SetForge: unary(deps, 'SetForge', async (req) => forgeToProto(await deps.forges.set(compileForgeInput(req)))),
    ListForges: unary(deps, 'ListForges', async () => ({ forges: (await deps.forges.list()).map(forgeToProto) })),
    DeleteForge: unary(deps, 'DeleteForge', async (req) => forgeToProto(await deps.forges.delete(checkForgeName('name', String(req.name ?? ''))))),
    DeliverTask: unary(deps, 'DeliverTask', async (req, caller) => {
      const taskId = checkTaskId('task_id', req.taskId);
      await visibleTask(deps, caller, taskId);
      return encodeTask(await tasks.redeliver(taskId));
    }),
    GetTask: unary(deps, 'GetTask', async (req, caller) => encodeTask(await visibleTask(deps, caller, checkTaskId('task_id', req.taskId)))),
    CancelTask: unary(deps, 'CancelTask', async (req, caller) => {
      const reason = String(req.reason ?? '');
      if (reason.length > 1024) throw new ValidationError('reason', 'must be at most 1024 characters');
      const taskId = checkTaskId('task_id', req.taskId);
      // A task's team never changes: seen now, it is the caller's to cancel.
      await visibleTask(deps, caller, taskId);
      return encodeTask(await tasks.cancel(taskId, reason));
    }),
    SetTeam: unary(deps, 'SetTeam', async (req, caller) => {
      const name = checkTeamName('name', req.name);
      return teamToProto(deps, await deps.teams.set(name, { maxRunning: req.maxRunning, dailyTokens: req.dailyTokens, dailyCostUsd: req.dailyCostUsd, weight: req.weight }, caller.name));
    }),
    ListTeams: unary(deps, 'ListTeams', async (_req, caller) => {
      const pending = pendingByTeam(deps);
      return { teams: deps.teams.list().filter((t) => sees(caller, t.name)).map((t) => teamToProto(deps, t, pending)) };
    }),
    GetTeam: unary(deps, 'GetTeam', async (req, caller) => {
      const name = checkTeamName('name', req.name);
      if (!sees(caller, name)) throw new NotFoundError(`team "${name}" not found`);
      return teamToProto(deps, await deps.teams.get(name));
    }),
    ListTasks: unary(deps, 'ListTasks', async (req, caller) => {
      const states = parseStates(req.states ?? []);
      const limit = Number(req.limit ?? 0);
      if (!Number.isInteger(limit) || limit < 0 || limit > MAX_LIST_LIMIT) throw new ValidationError('limit', `must be between 0 and ${MAX_LIST_LIMIT}, got ${req.limit}`);
      const pageToken = String(req.pageToken ?? '');
      if (pageToken !== '') checkTaskId('page_token', pageToken);
      const asked = String(req.team ?? '') === '' ? '' : checkTeamName('team', req.team);
      if (caller.team && asked && asked !== caller.team) throw new PermissionError(`access token "${caller.name}" is scoped to team "${caller.team}": it cannot list team "${asked}"'s tasks`);
      const page = await tasks.list(states, limit || DEFAULT_LIST_LIMIT, pageToken, caller.team || asked);
      return { tasks: page.tasks.map(encodeTask), nextPageToken: page.next };
    }),
    // "Last heartbeat" is the last contact the fleet knows of: most heartbeats are vouched for by their replica, not written.
    ListNodes: unary(deps, 'ListNodes', async (_req, caller) => ({
      nodes: byName(deps.nodes.all()).map((n) => nodeFor(caller, encodeNode({ ...n, lastHeartbeatMs: Math.min(Date.now(), lastContactMs(n, deps.replicaContact)) }, deps.index.activeAttemptsOn(n.id)))),
    })),
    CreateJoinToken: unary(
      deps,
      'CreateJoinToken',
      async (req, caller) => {
        const labels = validateLabels('labels', req.labels ?? {}, MAX_NODE_LABELS);
        labelsNeedAdmin(caller, labels);
        const { token, record } = await deps.joinTokens.create(Number(req.ttlMs ?? 0), Number(req.maxUses ?? 0), labels, Number(req.maxSlots ?? 0));
        log.info({ tokenId: record.id, expiresAtMs: record.expiresAtMs, maxUses: record.maxUses, labels, maxSlots: record.maxSlots, by: caller.name }, 'join token created');
        return { token, tokenId: record.id, expiresAtMs: record.expiresAtMs, maxUses: record.maxUses };
      },
      (res) => res.tokenId ?? '',
    ),
    UpdateNode: unary(deps, 'UpdateNode', async (req, caller) => {
      const node = deps.nodes.resolve(nodeRef(req.node));
      const set = validateLabels('set_labels', req.setLabels ?? {}, MAX_NODE_LABELS);
      // A key to remove is checked as a label key (the value is a placeholder).
      const removed = (req.removeLabels ?? []).map((k, i) => Object.keys(validateLabels(`remove_labels[${i}]`, { [String(k)]: 'x' }, 1))[0]!);
      labelsNeedAdmin(caller, set, removed);
      const maxSlots = Number(req.maxSlots ?? 0);
      if (!Number.isInteger(maxSlots) || maxSlots < 0 || maxSlots > MAX_NODE_SLOTS) throw new ValidationError('max_slots', `must be between 1 and ${MAX_NODE_SLOTS} (0: unchanged), got ${req.maxSlots}`);
      if (Object.keys(set).length === 0 && removed.length === 0 && maxSlots === 0) throw new ValidationError('set_labels', 'nothing to change: give labels to set or remove, or max_slots');
      const updated = await deps.nodes.setByOperator(node.id, { set, removed, maxSlots });
      log.info({ nodeId: node.id, set, removed, maxSlots, by: caller.name }, 'node changed by an operator');
      return encodeNode(updated, deps.index.activeAttemptsOn(node.id));
    }),
    CreateAccessToken: unary(deps, 'CreateAccessToken', async (req, caller) => {
      const name = checkAccessTokenName('name', req.name);
      const role = parseRole('role', req.role);
      const team = String(req.team ?? '') === '' ? '' : checkTeamName('team', req.team);
      if (team) await deps.teams.require(team);
      const { token, record } = await deps.accessTokens.create(name, role, Number(req.ttlMs ?? 0), caller.name, team);
      return { token, accessToken: accessTokenToProto(record) };
    }),
    ListAccessTokens: unary(deps, 'ListAccessTokens', async () => ({ tokens: (await deps.accessTokens.list()).map(accessTokenToProto) })),
    RevokeAccessToken: unary(deps, 'RevokeAccessToken', async (req, caller) => accessTokenToProto(await deps.accessTokens.revoke(checkAccessTokenName('name', req.name), caller.name))),
    RotateAccessToken: unary(deps, 'RotateAccessToken', async (req, caller) => {
      const { token, record } = await deps.accessTokens.rotate(checkAccessTokenName('name', req.name), caller.name);
      return { token, accessToken: accessTokenToProto(record) };
    }),
    WhoAmI: unary(deps, 'WhoAmI', async (_req, caller) => accessTokenToProto(await deps.accessTokens.get(caller.name))),
    ListAudit: (call) => serveStream(deps, 'ListAudit', call, (signal) => streamAudit(deps, call, signal)),
    ListJoinTokens: unary(deps, 'ListJoinTokens', async () => ({ tokens: (await deps.joinTokens.list()).map(joinTokenToProto) })),
    RevokeJoinToken: unary(deps, 'RevokeJoinToken', async (req) => {
      const record = await deps.joinTokens.revoke(String(req.tokenId ?? ''));
      log.info({ tokenId: record.id }, 'join token revoked');
      return joinTokenToProto(record);
    }),
    RevokeNode: unary(deps, 'RevokeNode', async (req) => {
      const node = deps.nodes.resolve(nodeRef(req.node));
      const updated = await deps.nodes.revoke(node.id);
      return encodeNode(updated, deps.index.activeAttemptsOn(node.id));
    }),
    CordonNode: unary(deps, 'CordonNode', async (req) => {
      const node = deps.nodes.resolve(nodeRef(req.node));
      const reason = String(req.reason ?? '').slice(0, 512) || 'cordoned by an operator';
      const updated = await deps.nodes.cordon(node.id, 'OPERATOR', reason);
      log.info({ nodeId: node.id, reason }, 'node cordoned');
      return encodeNode(updated, deps.index.activeAttemptsOn(node.id));
    }),
    UncordonNode: unary(deps, 'UncordonNode', async (req) => {
      const node = deps.nodes.resolve(nodeRef(req.node));
      const updated = await deps.nodes.uncordon(node.id, 'OPERATOR');
      log.info({ nodeId: node.id }, 'node uncordoned');
      return encodeNode(updated, deps.index.activeAttemptsOn(node.id));
    }),
    DrainNode: unary(deps, 'DrainNode', async (req) => {
      const node = deps.nodes.resolve(nodeRef(req.node));
      const deadlineMs = drainDeadlineMs(req.deadlineMs);
      const updated = await deps.nodes.drain(node.id, deadlineMs);
      log.info({ nodeId: node.id, deadlineMs }, 'node drain requested');
      return encodeNode(updated, deps.index.activeAttemptsOn(node.id));
    }),
    RestartNode: unary(deps, 'RestartNode', async (req, caller) => {
      const node = deps.nodes.resolve(nodeRef(req.node));
      const updated = await deps.nodes.requestRestart(node.id, bool('drain', req.drain), caller.name);
      log.info({ nodeId: node.id, restartId: updated.restartRequest?.id, drain: updated.restartRequest?.drain, by: caller.name }, 'node restart requested');
      return encodeNode(updated, deps.index.activeAttemptsOn(node.id));
    }),
    GetClusterStatus: unary(deps, 'GetClusterStatus', async () => deps.clusterStatus()),
    SetAutoscalePool: unary(deps, 'SetAutoscalePool', async (req) => poolToProto(await deps.pools.set(compilePoolInput(req)), deps.autoscaleHook)),
    DeleteAutoscalePool: unary(deps, 'DeleteAutoscalePool', async (req) => poolToProto(await deps.pools.delete(checkPoolName('name', req.name)), deps.autoscaleHook)),
    ListAutoscalePools: unary(deps, 'ListAutoscalePools', async (req) => {
      const pools = req.name ? [deps.pools.get(checkPoolName('name', req.name))] : deps.pools.all();
      return { pools: pools.map((p) => poolToProto(p, deps.autoscaleHook)) };
    }),
    WatchNode: (call) => serveStream(deps, 'WatchNode', call, (signal) => streamNode(deps, call, signal)),
    WatchTask: (call) => serveStream(deps, 'WatchTask', call, (signal) => streamTask(deps, call, signal)),
    GetTaskLogs: (call) => serveStream(deps, 'GetTaskLogs', call, (signal) => streamLogs(deps, call, signal)),
  };
}

function byName(nodes: NodeRecord[]): NodeRecord[] {
  return nodes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function nodeRef(text: unknown): string {
  const ref = String(text ?? '');
  if (ref === '' || ref.length > 128) throw new ValidationError('node', 'give a node id or name');
  return ref;
}

/** The node now, then each change, until its drain (if any) is complete. */
async function streamNode(deps: FleetServiceDeps, call: grpc.ServerWritableStream<{ node: string }, NodeMsg>, signal: AbortSignal): Promise<void> {
  const caller = await deps.gate.admit(call, 'WatchNode');
  const node = deps.nodes.resolve(nodeRef(call.request.node));
  if (signal.aborted) return;
  await new Promise<void>((resolve) => {
    const send = (n: NodeRecord) => {
      call.write(nodeFor(caller, encodeNode(n, deps.index.activeAttemptsOn(n.id))));
      // Streams while a drain or a restart is under way.
      if (n.drain?.state !== 'DRAINING' && !restartUnderWay(n, Date.now())) finish();
    };
    const unsubscribe = deps.nodes.onChange((n) => n.id === node.id && send(n));
    const finish = () => {
      unsubscribe();
      resolve();
    };
    signal.addEventListener('abort', finish);
    send(deps.nodes.resolve(node.id));
  });
  if (!signal.aborted) call.end();
}

/**
 * The task now, then each change, from this replica's live view (no watch of
 * its own per call); resolves when the task has ended for good (terminal,
 * and its last attempt over), or the client went away. Changes are passed on
 * in revision order, each once.
 */
async function untilSettled(deps: FleetServiceDeps, taskId: string, signal: AbortSignal, onTask: (t: Task) => void): Promise<void> {
  let lastRevision = 0;
  let settle!: () => void;
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const pass = (versioned: Versioned<Task>) => {
    if (signal.aborted || versioned.revision <= lastRevision) return;
    lastRevision = versioned.revision;
    onTask(versioned.value);
    if (!isTaskActive(versioned.value)) settle();
  };
  // Listening first, then reading: a change between the two is not missed, and the revision drops the repeat.
  const unsubscribe = deps.index.onTaskChange(taskId, pass);
  signal.addEventListener('abort', settle, { once: true });
  if (signal.aborted) settle();
  try {
    const current = await deps.taskRecords.get(taskId);
    if (!current) throw new NotFoundError(`task ${taskId} not found`);
    pass(current);
    await settled;
  } finally {
    unsubscribe();
    signal.removeEventListener('abort', settle);
  }
}

async function streamTask(deps: FleetServiceDeps, call: grpc.ServerWritableStream<{ taskId: string }, TaskMsg>, signal: AbortSignal): Promise<void> {
  const caller = await deps.gate.admit(call, 'WatchTask');
  const taskId = checkTaskId('task_id', call.request.taskId);
  await visibleTask(deps, caller, taskId);
  await untilSettled(deps, taskId, signal, (task) => call.write(encodeTask(task)));
  if (!signal.aborted) call.end();
}

/**
 * The task's log chunks in order, each with its place in the log stream;
 * `after_seq` resumes a stream that was cut off (its replica went away)
 * after the last chunk the client received, on any replica.
 */
async function streamLogs(deps: FleetServiceDeps, call: grpc.ServerWritableStream<{ taskId: string; follow: boolean; afterSeq?: number }, LogChunk>, signal: AbortSignal): Promise<void> {
  const caller = await deps.gate.admit(call, 'GetTaskLogs');
  const taskId = checkTaskId('task_id', call.request.taskId);
  // The request's fields first (bad input is named before anything is looked up), then whether the caller may see the task.
  const afterSeq = count('after_seq', call.request.afterSeq);
  if (afterSeq > 0) {
    const last = await deps.logs.lastSeq();
    if (afterSeq > last) throw new ValidationError('after_seq', `${afterSeq} is past the end of the log stream (its last chunk is ${last}): give the seq of a chunk this fleet sent, or 0 for the whole log`);
  }
  const task = await visibleTask(deps, caller, taskId);
  // Headers go out now, before any chunk: a client that resumed knows it is connected again even while the task is quiet.
  call.sendMetadata(new grpc.Metadata());
  let lastSeq = afterSeq;
  const send = async (options: { follow: boolean; signal: AbortSignal }) => {
    for await (const chunk of deps.logs.read(taskId, { ...options, afterSeq: lastSeq })) {
      if (signal.aborted) break;
      lastSeq = chunk.seq;
      call.write(encodeLogChunk(chunk));
    }
  };
  if (call.request.follow && isTaskActive(task)) {
    // Follow until the task settles. An agent sends output before the
    // finished report, so once the task has settled one last read drains it.
    const follow = new AbortController();
    const onClientGone = () => follow.abort();
    signal.addEventListener('abort', onClientGone);
    const following = send({ follow: true, signal: follow.signal });
    await untilSettled(deps, taskId, signal, () => {});
    follow.abort();
    await following;
    signal.removeEventListener('abort', onClientGone);
    if (signal.aborted) return;
  }
  await send({ follow: false, signal });
  if (!signal.aborted) call.end();
}

/** The latest time a JavaScript Date can hold. */
const MAX_TIME_MS = 8_640_000_000_000_000;

/** Audit entries from a time, of one actor or all; with `follow`, new ones as they are written. */
async function streamAudit(deps: FleetServiceDeps, call: grpc.ServerWritableStream<{ sinceMs: number; actor: string; follow: boolean; afterSeq?: number; afterIndex?: number }, AuditEntryMsg>, signal: AbortSignal): Promise<void> {
  await deps.gate.admit(call, 'ListAudit');
  const sinceMs = Number(call.request.sinceMs ?? 0);
  if (!Number.isInteger(sinceMs) || sinceMs < 0 || sinceMs > MAX_TIME_MS) throw new ValidationError('since_ms', `must be a time in milliseconds since 1970 (0: everything kept), got ${call.request.sinceMs}`);
  const actor = call.request.actor ? checkAccessTokenName('actor', call.request.actor) : '';
  const after = { seq: count('after_seq', call.request.afterSeq), index: count('after_index', call.request.afterIndex) };
  if (after.seq === 0 && after.index > 0) throw new ValidationError('after_index', 'is an entry\'s place in the message after_seq names: give after_seq too');
  if (after.seq > 0) {
    const last = await deps.audit.lastSeq();
    if (after.seq > last) throw new ValidationError('after_seq', `${after.seq} is past the end of the audit trail (its last message is ${last}): give the seq of an entry this fleet sent, or 0`);
  }
  // Headers now: a client that resumed knows it is connected again before the next entry is written.
  call.sendMetadata(new grpc.Metadata());
  for await (const entry of deps.audit.read({ sinceMs, actor, follow: Boolean(call.request.follow), signal, after })) {
    if (signal.aborted) break;
    call.write(entry);
  }
  if (!signal.aborted) call.end();
}

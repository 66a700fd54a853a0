/**
 * The node session (NodeService.Connect) on the wire: what a node says
 * (hello, heartbeats, attempt events) and what the control plane says
 * (welcome, assign, cancel, acks). Each side encodes what it sends and
 * decodes what it receives with the pairs below, and nowhere else.
 */
import type { AttemptEvent as AttemptEventMsg, AttemptEvent__Output } from '../../proto/gen/fleet/v1/AttemptEvent.js';
import type { AttemptFinished__Output } from '../../proto/gen/fleet/v1/AttemptFinished.js';
import type { Assign__Output } from '../../proto/gen/fleet/v1/Assign.js';
import type { Cancel__Output } from '../../proto/gen/fleet/v1/Cancel.js';
import type { DeclinedAttempt__Output } from '../../proto/gen/fleet/v1/DeclinedAttempt.js';
import type { ControlMessage as ControlMessageMsg, ControlMessage__Output } from '../../proto/gen/fleet/v1/ControlMessage.js';
import type { Heartbeat__Output } from '../../proto/gen/fleet/v1/Heartbeat.js';
import type { Hello__Output } from '../../proto/gen/fleet/v1/Hello.js';
import type { PreviousExit__Output } from '../../proto/gen/fleet/v1/PreviousExit.js';
import type { RestartAnswer__Output } from '../../proto/gen/fleet/v1/RestartAnswer.js';
import type { PermitAsk__Output } from '../../proto/gen/fleet/v1/PermitAsk.js';
import type { TeamSpend__Output } from '../../proto/gen/fleet/v1/TeamSpend.js';
import type { NodeMessage as NodeMessageMsg, NodeMessage__Output } from '../../proto/gen/fleet/v1/NodeMessage.js';
import type { ProviderGrant as ProviderGrantMsg, ProviderGrant__Output } from '../../proto/gen/fleet/v1/ProviderGrant.js';
import type { Welcome__Output } from '../../proto/gen/fleet/v1/Welcome.js';
import { ValidationError } from '../errors.js';
import { checkId } from '../ids.js';
import {
  ATTEMPT_OUTCOME_STATES,
  isNodeReason,
  normalizeImageRef,
  NODE_REASONS,
  type AttemptEvent,
  type DeclinedAttempt,
  type AttemptOutcome,
  type Assignment,
  type CancelOrder,
  type ControlMessage,
  type HeartbeatReport,
  type Hello,
  type NodeMessage,
  type PreviousExit,
  type ProviderEndpoint,
  type PermitRequest,
  type ProviderGrant,
  type RestartAnswer,
  type TeamSpendReport,
  type Welcome,
} from '../model.js';
import { checkTeamName } from '../teams.js';
import { validateNodeInfo } from '../node-info.js';
import { MAX_PERMITS_ASKED } from '../rate-window.js';
import { REPO_KEY_HEX_CHARS, REPO_KEY_PATTERN } from '../repo-key.js';
import { checkImage, MAX_PROVIDER_FALLBACKS, PROVIDER_LIMITS, RESULT_LIMITS, SPEC_LIMITS } from '../task-spec.js';
import { decodeFailureKind, decodeLogStream, encodeAttemptState, encodeFailureKind, encodeLogStream } from './enums.js';
import { bool, bytes, count, enumName, int, listOf, num, required, str, strings, text } from './fields.js';
import { decodeResources, encodeResources, MAX_CONDITION_CHARS } from './node.js';
import { decodeProgress, decodeReason, decodeResult, decodeTaskSpec, encodeProgress, encodeResult, encodeTaskSpec, INT32_MAX, INT32_MIN } from './task.js';

/** One output chunk; the agent sends at most 64 KiB. */
export const MAX_OUTPUT_CHUNK_BYTES = 1024 * 1024;
const MAX_ID_CHARS = 128;
const MAX_ERROR_CHARS = 4096;
const MAX_ACTIVE_ATTEMPTS = 100_000;
/** Images a node that does not pull reports, at most (the first, in Docker's order). */
export const MAX_IMAGES = 512;
/** Images a control plane asks a node to fetch ahead, and a node reports holding of them, at most. */
export const MAX_PREFETCH = 8;
/** Repository keys a node reports holding, at most (a 10 GiB cache of small repositories stays well under). */
export const MAX_REPO_KEYS = 4096;
/** Declined attempts one heartbeat carries, at most. */
export const MAX_DECLINED = 1_000;
/** A certificate or a CSR in PEM: a few KB at most. */
export const MAX_PEM_CHARS = 16_384;
const UINT32_MAX = 0xffff_ffff;
/** A protocol version is a uint32 on the wire. */
const MAX_PROTOCOL = UINT32_MAX;
/** What a failing self-check found, as a restarted agent reports it. */
export const MAX_SELF_CHECK_CHARS = 500;
/** A permit's validity or a wait before asking again, at most (a day: beyond any provider's window). */
const MAX_PERMIT_WAIT_MS = 86_400_000;

// ---------------------------------------------------------------------------
// Node → control plane

export function encodeNodeMessage(m: NodeMessage): NodeMessageMsg {
  switch (m.kind) {
    case 'hello':
      return { hello: { ...m.hello } };
    case 'heartbeat': {
      const { images, prefetched, repoKeys, ...heartbeat } = m.heartbeat;
      return {
        heartbeat: {
          ...heartbeat,
          resources: encodeResources(heartbeat.resources),
          images: images ?? [],
          imagesChanged: images !== null,
          prefetchedImages: prefetched,
          repoKeys: repoKeys ?? [],
          repoKeysChanged: repoKeys !== null,
        },
      };
    }
    case 'event':
      return { event: encodeAttemptEvent(m.event) };
    case 'renew':
      return { renew: { csrPem: m.csrPem } };
    case 'restart-answer':
      return { restartAnswer: { ...m.answer } };
    case 'permit-ask':
      return { permitAsk: { ...m.ask } };
    case 'team-spend':
      return { teamSpend: { entries: m.report.entries.map((e) => ({ ...e })), reportId: m.report.reportId } };
  }
}

export function decodeNodeMessage(m: NodeMessage__Output): NodeMessage {
  switch (m.msg) {
    case 'hello':
      return { kind: 'hello', hello: decodeHello(required('hello', m.hello)) };
    case 'heartbeat':
      return { kind: 'heartbeat', heartbeat: decodeHeartbeat(required('heartbeat', m.heartbeat)) };
    case 'event':
      return { kind: 'event', event: decodeAttemptEvent(required('event', m.event)) };
    case 'renew':
      return { kind: 'renew', csrPem: str('renew.csr_pem', required('renew', m.renew).csrPem, MAX_PEM_CHARS) };
    case 'restartAnswer':
      return { kind: 'restart-answer', answer: decodeRestartAnswer(required('restart_answer', m.restartAnswer)) };
    case 'permitAsk':
      return { kind: 'permit-ask', ask: decodePermitAsk(required('permit_ask', m.permitAsk)) };
    case 'teamSpend':
      return { kind: 'team-spend', report: decodeTeamSpend(required('team_spend', m.teamSpend)) };
    default:
      throw new ValidationError('msg', 'unknown message: expected hello, heartbeat, event, renew, restart_answer, permit_ask or team_spend');
  }
}

/** Tokens one ask may report: far above what a minute of calls uses. */
const MAX_REPORTED_TOKENS = 1e12;

export function decodePermitAsk(a: PermitAsk__Output): PermitRequest {
  return {
    provider: str('permit_ask.provider', a.provider, PROVIDER_LIMITS.nameChars),
    want: int('permit_ask.want', a.want, 0, MAX_PERMITS_ASKED),
    tokens: int('permit_ask.tokens', a.tokens, 0, MAX_REPORTED_TOKENS),
    throttled: int('permit_ask.throttled', a.throttled, 0, MAX_PERMITS_ASKED),
    askId: int('permit_ask.ask_id', a.askId, 0, UINT32_MAX),
  };
}

/** Attempts one spend report names, at most (a node runs fewer at once; the rest go in the next). */
export const MAX_SPEND_ENTRIES = 256;
/** Teams whose spent budgets one message tells a node of, at most (a node hears only of teams it ran). */
export const MAX_SPENT_TEAMS = 1024;
/** Dollars one report may carry, at most. */
const MAX_REPORTED_COST_USD = 1e9;

export function decodeTeamSpend(r: TeamSpend__Output): TeamSpendReport {
  const entries = listOf('team_spend.entries', r.entries, MAX_SPEND_ENTRIES).map((e, i) => ({
    taskId: checkId(`team_spend.entries[${i}].task_id`, str(`team_spend.entries[${i}].task_id`, e.taskId, MAX_ID_CHARS), 'task'),
    attemptId: checkId(`team_spend.entries[${i}].attempt_id`, str(`team_spend.entries[${i}].attempt_id`, e.attemptId, MAX_ID_CHARS), 'att'),
    tokens: int(`team_spend.entries[${i}].tokens`, e.tokens, 0, MAX_REPORTED_TOKENS),
    costUsd: num(`team_spend.entries[${i}].cost_usd`, e.costUsd, 0, MAX_REPORTED_COST_USD),
  }));
  if (new Set(entries.map((e) => e.attemptId)).size !== entries.length) throw new ValidationError('team_spend.entries', 'names an attempt twice: one entry per attempt');
  return { entries, reportId: int('team_spend.report_id', r.reportId, 0, UINT32_MAX) };
}

/** A restart request id: the control plane's own shape (`rst_…`). */
function restartId(field: string, value: unknown, optional = false): string {
  const id = str(field, value, MAX_ID_CHARS);
  return optional && id === '' ? id : checkId(field, id, 'rst');
}

export function decodeRestartAnswer(a: RestartAnswer__Output): RestartAnswer {
  return { requestId: restartId('restart_answer.request_id', a.requestId), accepted: bool('restart_answer.accepted', a.accepted), reason: text('restart_answer.reason', a.reason, MAX_ERROR_CHARS) };
}

/** systemd's words for how a process ended: short, plain. */
const EXIT_WORD = /^[A-Za-z0-9+-]{0,32}$/;

function exitWord(field: string, value: unknown): string {
  const word = str(field, value, 32);
  if (!EXIT_WORD.test(word)) throw new ValidationError(field, `"${word}" is not a systemd result word`);
  return word;
}

function decodePreviousExit(p: PreviousExit__Output): PreviousExit {
  return {
    result: exitWord('hello.previous_exit.result', p.result) || 'unknown',
    exitCode: exitWord('hello.previous_exit.exit_code', p.exitCode),
    exitStatus: exitWord('hello.previous_exit.exit_status', p.exitStatus),
    selfCheckProblems: text('hello.previous_exit.self_check_problems', p.selfCheckProblems, MAX_SELF_CHECK_CHARS),
    atMs: count('hello.previous_exit.at_ms', p.atMs),
    restartRequestId: restartId('hello.previous_exit.restart_request_id', p.restartRequestId, true),
  };
}

export function decodeHello(h: Hello__Output): Hello {
  return {
    ...validateNodeInfo(h),
    activeAttemptIds: strings('hello.active_attempt_ids', h.activeAttemptIds, MAX_ACTIVE_ATTEMPTS, MAX_ID_CHARS),
    previousExit: h.previousExit ? decodePreviousExit(h.previousExit) : null,
    protocolVersion: int('hello.protocol_version', h.protocolVersion, 0, MAX_PROTOCOL),
  };
}

export function decodeHeartbeat(h: Heartbeat__Output): HeartbeatReport {
  return {
    resources: decodeResources('heartbeat.resources', h.resources),
    freeSlots: count('heartbeat.free_slots', h.freeSlots),
    dockerHealthy: bool('heartbeat.docker_healthy', h.dockerHealthy),
    dockerError: text('heartbeat.docker_error', h.dockerError, MAX_CONDITION_CHARS),
    fleetContainers: count('heartbeat.fleet_containers', h.fleetContainers),
    draining: bool('heartbeat.draining', h.draining),
    diskPressure: text('heartbeat.disk_pressure', h.diskPressure, MAX_CONDITION_CHARS),
    declined: listOf('heartbeat.declined', h.declined, MAX_DECLINED).map((d, i) => decodeDeclined(`heartbeat.declined[${i}]`, d)),
    imagesOnly: bool('heartbeat.images_only', h.imagesOnly),
    images: bool('heartbeat.images_changed', h.imagesChanged) ? strings('heartbeat.images', h.images, MAX_IMAGES, SPEC_LIMITS.imageChars + 80) : null,
    prefetched: strings('heartbeat.prefetched_images', h.prefetchedImages ?? [], MAX_PREFETCH, SPEC_LIMITS.imageChars + 80).map(normalizeImageRef),
    repoKeys: h.repoKeysChanged ? decodeRepoKeys(h.repoKeys ?? []) : null,
  };
}

/** Repository keys as a node reports them: 24 hex digits each, sorted, no repeats. */
function decodeRepoKeys(keys: unknown): string[] {
  const list = strings('heartbeat.repo_keys', keys, MAX_REPO_KEYS, REPO_KEY_HEX_CHARS);
  list.forEach((k, i) => {
    if (!REPO_KEY_PATTERN.test(k)) throw new ValidationError(`heartbeat.repo_keys[${i}]`, `"${k.slice(0, 40)}" is not a repository key (24 lowercase hex digits)`);
  });
  return [...new Set(list)].sort();
}

function decodeDeclined(field: string, d: DeclinedAttempt__Output): DeclinedAttempt {
  const reason = decodeReason(`${field}.reason`, d.reason);
  if (!isNodeReason(reason)) throw new ValidationError(`${field}.reason`, `"${d.reason}" is not a node reason (${NODE_REASONS.join(', ')})`);
  return {
    taskId: str(`${field}.task_id`, d.taskId, MAX_ID_CHARS),
    attemptId: str(`${field}.attempt_id`, d.attemptId, MAX_ID_CHARS),
    reason,
    error: text(`${field}.error`, d.error, MAX_ERROR_CHARS),
  };
}

export function encodeAttemptEvent(e: AttemptEvent): AttemptEventMsg {
  const base = { seq: e.seq, taskId: e.taskId, attemptId: e.attemptId, atMs: e.atMs };
  switch (e.kind) {
    case 'started':
      return { ...base, started: { containerId: e.containerId } };
    case 'output':
      return { ...base, output: { stream: encodeLogStream(e.stream), data: Buffer.from(e.data) } };
    case 'progress':
      return { ...base, progress: encodeProgress(e.progress) };
    case 'finished': {
      const o = e.outcome;
      return {
        ...base,
        finished: {
          state: encodeAttemptState(o.state),
          ...(o.exitCode === undefined ? {} : { exitCode: o.exitCode }),
          error: o.error,
          failureKind: encodeFailureKind(o.failureKind),
          reason: o.reason ?? '',
          ...(o.result ? { result: encodeResult(o.result) } : {}),
          ...(e.patch.length > 0 ? { patch: Buffer.from(e.patch) } : {}),
          ...(o.progress ? { progress: encodeProgress(o.progress) } : {}),
        },
      };
    }
  }
}

/** Which attempt an event is about: readable even when the rest of the event is not. */
export function decodeEventRef(e: AttemptEvent__Output): { seq: number; taskId: string; attemptId: string } {
  return {
    seq: count('event.seq', e.seq),
    taskId: str('event.task_id', e.taskId, MAX_ID_CHARS),
    attemptId: str('event.attempt_id', e.attemptId, MAX_ID_CHARS),
  };
}

export function decodeAttemptEvent(e: AttemptEvent__Output): AttemptEvent {
  const base = { ...decodeEventRef(e), atMs: count('event.at_ms', e.atMs) };
  switch (e.kind) {
    case 'started':
      return { ...base, kind: 'started', containerId: str('event.started.container_id', e.started?.containerId, MAX_ID_CHARS) };
    case 'output':
      return {
        ...base,
        kind: 'output',
        stream: decodeLogStream('event.output.stream', e.output?.stream),
        data: bytes('event.output.data', e.output?.data, MAX_OUTPUT_CHUNK_BYTES),
      };
    case 'progress':
      return { ...base, kind: 'progress', progress: decodeProgress('event.progress', e.progress) };
    case 'finished': {
      const f = required('event.finished', e.finished);
      const patch = bytes('event.finished.patch', f.patch, RESULT_LIMITS.patchBytes);
      return { ...base, kind: 'finished', outcome: decodeOutcome(f, base.attemptId, patch.length), patch };
    }
    default:
      throw new ValidationError('event.kind', 'unknown event: expected started, output, progress or finished');
  }
}

/** The patch's size is what arrived, not what the node says. */
function decodeOutcome(f: AttemptFinished__Output, attemptId: string, patchBytes: number): AttemptOutcome {
  const state = enumName('event.finished.state', f.state, 'ATTEMPT_STATE_', ATTEMPT_OUTCOME_STATES, 'an outcome');
  const failureKind = decodeFailureKind('event.finished.failure_kind', f.failureKind);
  const reason = decodeReason('event.finished.reason', f.reason);
  const progress = f.progress ?? f.result?.usage;
  const result = state === 'SUCCEEDED' && f.result ? decodeResult('event.finished.result', f.result, attemptId, patchBytes) : undefined;
  return {
    state,
    ...(f.exitCode === undefined || f.exitCode === null ? {} : { exitCode: int('event.finished.exit_code', f.exitCode, INT32_MIN, INT32_MAX) }),
    error: text('event.finished.error', f.error, MAX_ERROR_CHARS),
    ...(failureKind ? { failureKind } : {}),
    ...(reason ? { reason } : {}),
    ...(progress ? { progress: decodeProgress('event.finished.progress', progress) } : {}),
    ...(result ? { result } : {}),
  };
}

// ---------------------------------------------------------------------------
// Control plane → node

export function encodeControlMessage(m: ControlMessage): ControlMessageMsg {
  switch (m.kind) {
    case 'welcome':
      return { welcome: { ...m.welcome } };
    case 'assign': {
      const a = m.assign;
      return { assign: { taskId: a.taskId, attemptId: a.attemptId, spec: encodeTaskSpec(a.spec), ...(a.provider ? { provider: encodeGrant(a.provider) } : {}) } };
    }
    case 'cancel':
      return { cancel: { ...m.cancel } };
    case 'ack':
      return { ack: { seq: m.seq } };
    case 'heartbeat-ack':
      return { heartbeatAck: { serverTimeMs: m.serverTimeMs, prefetchImages: m.prefetchImages } };
    case 'certificate':
      return { certificate: { certificatePem: m.certificatePem } };
    case 'restart':
      return { restart: { ...m.restart } };
    case 'permit-grant':
      return { permitGrant: { ...m.grant } };
    case 'team-spend-ack':
      return { teamSpendAck: { reportId: m.reportId, uncountedAttempts: m.uncountedAttempts } };
    case 'team-budgets':
      return { teamBudgets: { spent: { ...m.spent } } };
  }
}

export function decodeControlMessage(m: ControlMessage__Output): ControlMessage {
  switch (m.msg) {
    case 'welcome':
      return { kind: 'welcome', welcome: decodeWelcome(required('welcome', m.welcome)) };
    case 'assign':
      return { kind: 'assign', assign: decodeAssign(required('assign', m.assign)) };
    case 'cancel':
      return { kind: 'cancel', cancel: decodeCancel(required('cancel', m.cancel)) };
    case 'ack':
      return { kind: 'ack', seq: count('ack.seq', required('ack', m.ack).seq) };
    case 'heartbeatAck': {
      const ack = required('heartbeat_ack', m.heartbeatAck);
      return {
        kind: 'heartbeat-ack',
        serverTimeMs: count('heartbeat_ack.server_time_ms', ack.serverTimeMs),
        // A hint: an entry this agent cannot read is left out, never the ack (it is what keeps the node in contact).
        prefetchImages: (Array.isArray(ack.prefetchImages) ? ack.prefetchImages : []).slice(0, MAX_PREFETCH).filter((image): image is string => {
          try {
            checkImage('heartbeat_ack.prefetch_images', String(image));
            return typeof image === 'string';
          } catch {
            return false;
          }
        }),
      };
    }
    case 'certificate':
      return { kind: 'certificate', certificatePem: str('certificate.certificate_pem', required('certificate', m.certificate).certificatePem, MAX_PEM_CHARS) };
    case 'restart': {
      const r = required('restart', m.restart);
      return { kind: 'restart', restart: { requestId: restartId('restart.request_id', r.requestId), drain: bool('restart.drain', r.drain) } };
    }
    case 'permitGrant': {
      const g = required('permit_grant', m.permitGrant);
      return {
        kind: 'permit-grant',
        grant: {
          provider: str('permit_grant.provider', g.provider, PROVIDER_LIMITS.nameChars),
          granted: int('permit_grant.granted', g.granted, 0, MAX_PERMITS_ASKED),
          validForMs: int('permit_grant.valid_for_ms', g.validForMs, 0, MAX_PERMIT_WAIT_MS),
          retryAfterMs: int('permit_grant.retry_after_ms', g.retryAfterMs, 0, MAX_PERMIT_WAIT_MS),
          why: text('permit_grant.why', g.why, MAX_ERROR_CHARS),
          askId: int('permit_grant.ask_id', g.askId, 0, UINT32_MAX),
          uncounted: bool('permit_grant.uncounted', g.uncounted),
        },
      };
    }
    case 'teamSpendAck': {
      const a = required('team_spend_ack', m.teamSpendAck);
      return { kind: 'team-spend-ack', reportId: int('team_spend_ack.report_id', a.reportId, 0, UINT32_MAX), uncountedAttempts: strings('team_spend_ack.uncounted_attempts', a.uncountedAttempts, MAX_SPEND_ENTRIES, MAX_ID_CHARS) };
    }
    case 'teamBudgets': {
      const spent = required('team_budgets', m.teamBudgets).spent ?? {};
      const names = Object.keys(spent);
      if (names.length > MAX_SPENT_TEAMS) throw new ValidationError('team_budgets.spent', `at most ${MAX_SPENT_TEAMS} teams, got ${names.length}`);
      return { kind: 'team-budgets', spent: Object.fromEntries(names.map((team) => [checkTeamName('team_budgets.spent', team), text(`team_budgets.spent["${team}"]`, spent[team], MAX_ERROR_CHARS)])) };
    }
    default:
      throw new ValidationError('msg', 'unknown message: expected welcome, assign, cancel, ack, heartbeat_ack, certificate, restart, permit_grant, team_spend_ack or team_budgets');
  }
}

function decodeWelcome(w: Welcome__Output): Welcome {
  return {
    nodeId: str('welcome.node_id', w.nodeId, MAX_ID_CHARS),
    heartbeatIntervalMs: count('welcome.heartbeat_interval_ms', w.heartbeatIntervalMs),
    stopAfterDisconnectMs: count('welcome.stop_after_disconnect_ms', w.stopAfterDisconnectMs),
    protocolVersion: int('welcome.protocol_version', w.protocolVersion, 0, MAX_PROTOCOL),
  };
}

/**
 * Which attempt an Assign is about: readable even when its spec is not, so
 * the node can refuse it. The ids must be the control plane's own shape: the
 * node makes directories and container names of them.
 */
export function decodeAssignRef(a: Assign__Output): { taskId: string; attemptId: string } {
  return {
    taskId: checkId('assign.task_id', str('assign.task_id', a.taskId, MAX_ID_CHARS), 'task'),
    attemptId: checkId('assign.attempt_id', str('assign.attempt_id', a.attemptId, MAX_ID_CHARS), 'att'),
  };
}

function decodeAssign(a: Assign__Output): Assignment {
  const ref = decodeAssignRef(a);
  const spec = decodeTaskSpec(a.spec);
  return { ...ref, spec, provider: spec.cline && a.provider ? decodeGrant('assign.provider', a.provider) : null };
}

function decodeCancel(c: Cancel__Output): CancelOrder {
  const taskId = str('cancel.task_id', c.taskId, MAX_ID_CHARS);
  return {
    // Empty when the control plane knows only the attempt (one a hello listed that is no longer current).
    taskId: taskId === '' ? '' : checkId('cancel.task_id', taskId, 'task'),
    attemptId: checkId('cancel.attempt_id', str('cancel.attempt_id', c.attemptId, MAX_ID_CHARS), 'att'),
    reason: text('cancel.reason', c.reason, MAX_ERROR_CHARS),
    graceMs: count('cancel.grace_ms', c.graceMs),
  };
}

export function encodeGrant(g: ProviderGrant): ProviderGrantMsg {
  return { ...g, rateLimited: Boolean(g.rateLimited), fallbacks: (g.fallbacks ?? []).map((f) => ({ name: f.name, baseUrl: f.baseUrl, model: f.model, apiKey: f.apiKey, rateLimited: Boolean(f.rateLimited) })) };
}

function decodeEndpoint(field: string, g: ProviderGrant__Output): ProviderEndpoint {
  return {
    name: str(`${field}.name`, g.name, PROVIDER_LIMITS.nameChars),
    baseUrl: str(`${field}.base_url`, g.baseUrl, PROVIDER_LIMITS.baseUrlChars),
    model: str(`${field}.model`, g.model, PROVIDER_LIMITS.modelChars),
    apiKey: str(`${field}.api_key`, g.apiKey, PROVIDER_LIMITS.apiKeyChars),
    ...(bool(`${field}.rate_limited`, g.rateLimited) ? { rateLimited: true } : {}),
  };
}

/** A grant and its fallbacks, one level deep (a fallback's own fallbacks are never used). */
export function decodeGrant(field: string, g: ProviderGrant__Output): ProviderGrant {
  const fallbacks = g.fallbacks ?? [];
  if (fallbacks.length > MAX_PROVIDER_FALLBACKS) throw new ValidationError(`${field}.fallbacks`, `at most ${MAX_PROVIDER_FALLBACKS}, got ${fallbacks.length}`);
  return { ...decodeEndpoint(field, g), ...(fallbacks.length > 0 ? { fallbacks: fallbacks.map((f, i) => decodeEndpoint(`${field}.fallbacks[${i}]`, f)) } : {}) };
}

/** Nodes on the wire: what `node list` shows, and the resources a heartbeat reports. */
import type { Node as NodeMsg, Node__Output } from '../../proto/gen/fleet/v1/Node.js';
import type { NodeResources as NodeResourcesMsg, NodeResources__Output } from '../../proto/gen/fleet/v1/NodeResources.js';
import type { AgentRestart__Output } from '../../proto/gen/fleet/v1/AgentRestart.js';
import type { NodeRestartRequest__Output } from '../../proto/gen/fleet/v1/NodeRestartRequest.js';
import { ValidationError } from '../errors.js';
import { EMPTY_RESOURCES, RESTART_STATES, type AgentRestart, type NodeRecord, type NodeResources, type NodeSummary, type RestartRequest } from '../model.js';
import { decodeCordonSource, decodeDrainState, decodeNodeStatus, encodeCordonSource, encodeDrainState, encodeNodeStatus } from './enums.js';
import { bool, count, int, listOf, num, str, stringMap, text, strings } from './fields.js';

const MAX_CPUS = 1_000_000;
/** A node condition's description (disk pressure, a Docker error). */
export const MAX_CONDITION_CHARS = 1024;
const MAX_LOAD_PERCENT = 1e6;

export function encodeResources(r: NodeResources): NodeResourcesMsg {
  return { ...r };
}

export function decodeResources(field: string, r: NodeResources__Output | null | undefined): NodeResources {
  if (!r) return { ...EMPTY_RESOURCES };
  return {
    cpus: int(`${field}.cpus`, r.cpus, 0, MAX_CPUS),
    loadPercent: num(`${field}.load_percent`, r.loadPercent, 0, MAX_LOAD_PERCENT),
    memoryTotalBytes: count(`${field}.memory_total_bytes`, r.memoryTotalBytes),
    memoryUsedBytes: count(`${field}.memory_used_bytes`, r.memoryUsedBytes),
    diskTotalBytes: count(`${field}.disk_total_bytes`, r.diskTotalBytes),
    diskUsedBytes: count(`${field}.disk_used_bytes`, r.diskUsedBytes),
  };
}

/** The session bookkeeping and the image list stay in the control plane. */
export function encodeNode(n: NodeRecord, activeAttempts: number): NodeMsg {
  return {
    id: n.id,
    name: n.name,
    labels: n.labels,
    slots: n.slots,
    maxSlots: n.maxSlots,
    status: encodeNodeStatus(n.status),
    enrolledAtMs: n.enrolledAtMs,
    lastHeartbeatMs: n.lastHeartbeatMs,
    resources: encodeResources(n.resources),
    activeAttempts,
    agentVersion: n.agentVersion,
    hostname: n.hostname,
    dockerHealthy: n.dockerHealthy,
    dockerError: n.dockerError,
    cordoned: Boolean(n.cordon),
    cordonReason: n.cordon?.reason ?? '',
    cordonedBy: encodeCordonSource(n.cordon?.by),
    cordonedAtMs: n.cordon?.atMs ?? 0,
    drain: n.drain
      ? { state: encodeDrainState(n.drain.state), requestedAtMs: n.drain.requestedAtMs, deadlineMs: n.drain.deadlineMs, completedAtMs: n.drain.completedAtMs }
      : { state: encodeDrainState(undefined), requestedAtMs: 0, deadlineMs: 0, completedAtMs: 0 },
    fleetContainers: n.fleetContainers ?? 0,
    infraFailureStreak: n.infraFailureStreak ?? 0,
    diskPressure: n.diskPressure ?? '',
    imagesOnly: n.imagesOnly ?? false,
    imageCount: n.images?.length ?? 0,
    repoKeys: n.repoKeys ?? [],
    revokedAtMs: n.revokedAtMs,
    certificateExpiresAtMs: n.certificateExpiresAtMs,
    ...(n.restartRequest ? { restartRequest: { ...n.restartRequest } } : {}),
    restarts: (n.restarts ?? []).map((r) => ({ ...r })),
  };
}

function decodeRestartRequest(r: NodeRestartRequest__Output): RestartRequest {
  const state = RESTART_STATES.find((s) => s === r.state);
  if (!state) throw new ValidationError('restart_request.state', `"${String(r.state).slice(0, 40)}" is not one of ${RESTART_STATES.join(', ')}`);
  return {
    id: str('restart_request.id', r.id, 128),
    drain: bool('restart_request.drain', r.drain),
    requestedAtMs: count('restart_request.requested_at_ms', r.requestedAtMs),
    requestedBy: text('restart_request.requested_by', r.requestedBy, 256),
    state,
    reason: text('restart_request.reason', r.reason, 4096),
    completedAtMs: count('restart_request.completed_at_ms', r.completedAtMs),
  };
}

function decodeAgentRestart(field: string, r: AgentRestart__Output): AgentRestart {
  return {
    atMs: count(`${field}.at_ms`, r.atMs),
    result: text(`${field}.result`, r.result, 32),
    exitStatus: text(`${field}.exit_status`, r.exitStatus, 32),
    selfCheckProblems: text(`${field}.self_check_problems`, r.selfCheckProblems, 1024),
    requested: bool(`${field}.requested`, r.requested),
  };
}

export function decodeNode(n: Node__Output): NodeSummary {
  const cordonedBy = decodeCordonSource('cordoned_by', n.cordonedBy);
  const drainState = decodeDrainState('drain.state', n.drain?.state);
  return {
    id: str('id', n.id, 128),
    name: str('name', n.name, 128),
    labels: stringMap('labels', n.labels),
    slots: count('slots', n.slots),
    maxSlots: count('max_slots', n.maxSlots),
    status: decodeNodeStatus('status', n.status),
    enrolledAtMs: count('enrolled_at_ms', n.enrolledAtMs),
    lastHeartbeatMs: count('last_heartbeat_ms', n.lastHeartbeatMs),
    resources: decodeResources('resources', n.resources),
    activeAttempts: count('active_attempts', n.activeAttempts),
    agentVersion: text('agent_version', n.agentVersion, 64),
    hostname: text('hostname', n.hostname, 255),
    dockerHealthy: bool('docker_healthy', n.dockerHealthy),
    dockerError: text('docker_error', n.dockerError, 1024),
    cordon: bool('cordoned', n.cordoned) ? { by: cordonedBy ?? 'OPERATOR', reason: str('cordon_reason', n.cordonReason), atMs: count('cordoned_at_ms', n.cordonedAtMs) } : null,
    drain: drainState
      ? { state: drainState, requestedAtMs: count('drain.requested_at_ms', n.drain?.requestedAtMs), deadlineMs: count('drain.deadline_ms', n.drain?.deadlineMs), completedAtMs: count('drain.completed_at_ms', n.drain?.completedAtMs) }
      : null,
    fleetContainers: count('fleet_containers', n.fleetContainers),
    infraFailureStreak: count('infra_failure_streak', n.infraFailureStreak),
    diskPressure: text('disk_pressure', n.diskPressure, MAX_CONDITION_CHARS),
    imagesOnly: bool('images_only', n.imagesOnly),
    imageCount: count('image_count', n.imageCount),
    repoKeys: strings('repo_keys', n.repoKeys ?? [], 4096, 64),
    revokedAtMs: count('revoked_at_ms', n.revokedAtMs),
    certificateExpiresAtMs: count('certificate_expires_at_ms', n.certificateExpiresAtMs),
    restartRequest: n.restartRequest ? decodeRestartRequest(n.restartRequest) : null,
    restarts: listOf('restarts', n.restarts, 100).map((r, i) => decodeAgentRestart(`restarts[${i}]`, r)),
  };
}

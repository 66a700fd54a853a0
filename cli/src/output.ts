/** How the CLI shows tasks and nodes: tables for people, JSON for scripts. */
import { formatBytes, formatDuration } from '../../common/duration.js';
import type { AgentProgress, NodeSummary, ServedBy, Task } from '../../common/model.js';
import { safeText } from './safe-text.js';

export type OutputFormat = 'table' | 'json';

export function taskView(t: Task) {
  return {
    id: t.id,
    state: t.state,
    message: t.message,
    image: t.spec.image,
    command: t.spec.command,
    team: t.spec.team ?? '',
    createdAt: new Date(t.createdAtMs).toISOString(),
    updatedAt: new Date(t.updatedAtMs).toISOString(),
    ...(t.notBeforeMs ? { notBefore: new Date(t.notBeforeMs).toISOString() } : {}),
    taskFailures: t.taskFailures,
    infraFailures: t.infraFailures,
    spec: t.spec,
    attempts: t.attempts.map((a) => ({
      id: a.id,
      nodeId: a.nodeId,
      state: a.state,
      exitCode: a.exitCode ?? null,
      error: a.error,
      containerId: a.containerId,
      assignedAt: a.assignedAtMs ? new Date(a.assignedAtMs).toISOString() : null,
      startedAt: a.startedAtMs ? new Date(a.startedAtMs).toISOString() : null,
      finishedAt: a.finishedAtMs ? new Date(a.finishedAtMs).toISOString() : null,
      reason: a.reason ?? '',
      ...(a.queuedMs === undefined ? {} : { queuedMs: a.queuedMs }),
      ...(a.progress ? { progress: a.progress } : {}),
      image: a.image || t.spec.image,
      ...(a.rolloutId ? { rolloutId: a.rolloutId, rolloutArm: a.rolloutArm } : {}),
    })),
    ...(t.result ? { result: t.result } : {}),
    ...(t.delivery ? { delivery: { ...t.delivery, deliveredAt: t.delivery.deliveredAtMs ? new Date(t.delivery.deliveredAtMs).toISOString() : null } } : {}),
  };
}

export function nodeView(n: NodeSummary) {
  return {
    id: n.id,
    name: n.name,
    status: n.status,
    labels: n.labels,
    slots: n.slots,
    maxSlots: n.maxSlots,
    activeAttempts: n.activeAttempts,
    lastHeartbeat: n.lastHeartbeatMs ? new Date(n.lastHeartbeatMs).toISOString() : null,
    dockerHealthy: n.dockerHealthy,
    dockerError: n.dockerError,
    cordoned: n.cordon !== null,
    cordonReason: n.cordon?.reason ?? '',
    cordonedBy: n.cordon?.by ?? '',
    drain: n.drain ? { state: n.drain.state, deadline: new Date(n.drain.deadlineMs).toISOString(), completedAt: n.drain.completedAtMs ? new Date(n.drain.completedAtMs).toISOString() : null } : null,
    fleetContainers: n.fleetContainers,
    infraFailureStreak: n.infraFailureStreak,
    diskPressure: n.diskPressure,
    imagesOnly: n.imagesOnly,
    imageCount: n.imageCount,
    repoKeys: n.repoKeys,
    revokedAt: n.revokedAtMs ? new Date(n.revokedAtMs).toISOString() : null,
    certificateExpiresAt: n.certificateExpiresAtMs ? new Date(n.certificateExpiresAtMs).toISOString() : null,
    hostname: n.hostname,
    agentVersion: n.agentVersion,
    resources: n.resources,
    restartRequest: n.restartRequest
      ? { ...n.restartRequest, requestedAt: new Date(n.restartRequest.requestedAtMs).toISOString(), completedAt: n.restartRequest.completedAtMs ? new Date(n.restartRequest.completedAtMs).toISOString() : null }
      : null,
    restarts: n.restarts.map((r) => ({ at: new Date(r.atMs).toISOString(), result: r.result, exitStatus: r.exitStatus, selfCheckProblems: r.selfCheckProblems, requested: r.requested })),
  };
}

/** Every cell is cleaned of escape sequences and control characters: nodes and containers wrote some of them. */
export function table(headers: string[], raw: string[][]): string {
  const rows = raw.map((r) => r.map(safeText));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

function age(ms: number, now: number): string {
  return ms ? formatDuration(Math.max(0, now - ms)) : '-';
}

export function tasksTable(tasks: Task[], now = Date.now()): string {
  return table(
    ['ID', 'STATE', 'IMAGE', 'ATTEMPTS', 'AGE', 'MESSAGE'],
    tasks.map((t) => [t.id, t.state, t.spec.image, String(t.attempts.length), age(t.createdAtMs, now), t.message]),
  );
}

/** What a plain task's container is allowed: network, limits, user, root file system. */
function sandbox(t: Task): string {
  const r = t.spec.resources;
  return [
    `network ${t.spec.network ?? 'bridge'}`,
    r.memoryBytes ? `memory ${formatBytes(r.memoryBytes)}` : 'no memory limit',
    r.cpus ? `${r.cpus} CPUs` : 'no CPU limit',
    t.spec.user ? `user ${t.spec.user}` : "the image's user",
    t.spec.readOnlyRoot ? 'read-only root' : 'writable root',
  ].join(', ');
}

export function taskDetails(t: Task): string {
  const cline = t.spec.cline;
  // What runs: a Cline run on a repository, or an image and a command.
  const what = cline
    ? [
        `Agent:     cline (${t.spec.image})`,
        `Repo:      ${cline.repoUrl}${cline.ref ? `#${cline.ref}` : ''}`,
        `Prompt:    ${oneLine(cline.prompt, 100)}`,
        `Provider:  ${cline.provider}${Number(cline.maxTokens) ? `, at most ${cline.maxTokens} tokens` : ''}${cline.maxCostUsd ? `, at most $${cline.maxCostUsd}` : ''}`,
        ...(cline.delivery ? [`Deliver:   ${cline.delivery.mode === 'pr' ? 'pull request' : 'branch'} to forge ${cline.delivery.forge}${cline.delivery.branch ? `, branch ${cline.delivery.branch}` : ''}`] : []),
      ]
    : [`Image:     ${t.spec.image}`, `Command:   ${JSON.stringify(t.spec.command)}`, `Runs with: ${sandbox(t)}`];
  const lines = [
    `ID:        ${t.id}`,
    `State:     ${t.state}`,
    `Message:   ${t.message}`,
    ...(t.spec.team ? [`Team:      ${t.spec.team}`] : []),
    ...what,
    `Created:   ${new Date(t.createdAtMs).toISOString()}`,
    `Failures:  ${t.taskFailures} task, ${t.infraFailures} infrastructure`,
  ];
  if (t.attempts.length > 0) {
    lines.push('Attempts:');
    const rows = t.attempts.map((a) => {
      const row = [a.id, a.nodeId, a.queuedMs === undefined ? '-' : formatDuration(a.queuedMs), a.state, a.exitCode === undefined ? '-' : String(a.exitCode)];
      if (cline) row.push(a.reason || '-', progressText(a.progress), a.rolloutArm === 'canary' ? `canary ${a.image}` : '-');
      return [...row, a.error];
    });
    const headers = cline ? ['ID', 'NODE', 'QUEUED', 'STATE', 'EXIT', 'REASON', 'PROGRESS', 'IMAGE', 'ERROR'] : ['ID', 'NODE', 'QUEUED', 'STATE', 'EXIT', 'ERROR'];
    lines.push(...table(headers, rows).trimEnd().split('\n').map((l) => `  ${l}`));
  }
  // Who answered the model calls: a fallback provider serving is worth seeing.
  const served = t.attempts.filter((x) => x.progress?.servedBy?.length).map((x) => `${x.id}: ${servedText(x.progress!.servedBy!)}`);
  if (served.length > 0) lines.push('Served by:', ...served.map((l) => `  ${l}`));
  if (t.result) lines.push(`Result:    ${oneLine(t.result.summary, 200) || '(no summary)'}; ${t.result.patchBytes} byte patch (fleetctl task result ${t.id} --patch FILE)`);
  const d = t.delivery;
  if (d) {
    const where = d.commit ? `branch ${d.branch} at ${d.commit.slice(0, 12)} (onto ${d.baseBranch})` : 'nothing pushed yet';
    const pr = d.prUrl ? `; pull request #${d.prNumber} ${d.prUrl}${d.prExisted ? ' (found open)' : ''}` : '';
    const how = d.deliveredAtMs ? `delivered ${new Date(d.deliveredAtMs).toISOString()}` : `${d.tries} tr${d.tries === 1 ? 'y' : 'ies'}${d.error ? `, last: ${oneLine(d.error, 300)}` : ''}`;
    lines.push(`Delivery:  ${where}${pr}; ${how}`);
  }
  return safeText(lines.join('\n') + '\n');
}

/** `k=v,k2=v2`: labels and selectors as flags take them. */
export function labelsText(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
}

/** READY, READY,CORDONED, READY,DRAINING(2 left, 4m to deadline), READY,DISK-PRESSURE,CORDONED(auto), DOWN,DRAINED … */
export function nodeState(n: NodeSummary, now = Date.now()): string {
  const parts: string[] = [n.status];
  if (n.revokedAtMs) return `${n.status},REVOKED`;
  if (n.diskPressure) parts.push('DISK-PRESSURE');
  if (n.drain?.state === 'DRAINING') {
    const left = Math.max(0, Number(n.drain.deadlineMs) - now);
    parts.push(`DRAINING(${n.activeAttempts} left, ${left > 0 ? `${formatDuration(left)} to deadline` : 'deadline passed'})`);
  } else if (n.drain?.state === 'DRAINED') parts.push('DRAINED');
  else if (n.cordon) parts.push(n.cordon.by === 'AUTO' ? 'CORDONED(auto)' : 'CORDONED');
  if (n.restartRequest?.state === 'REQUESTED' || n.restartRequest?.state === 'RESTARTING') parts.push(`RESTART-${n.restartRequest.state}`);
  return parts.join(',');
}

export function nodesTable(nodes: NodeSummary[], now = Date.now()): string {
  return table(
    ['ID', 'NAME', 'STATUS', 'SLOTS', 'LABELS', 'LOAD', 'MEMORY', 'DOCKER', 'HEARTBEAT'],
    nodes.map((n) => [
      n.id,
      n.name,
      nodeState(n, now),
      `${n.activeAttempts}/${n.slots}`,
      labelsText(n.labels) || '-',
      `${n.resources.loadPercent.toFixed(0)}%`,
      n.resources.memoryTotalBytes ? `${formatBytes(n.resources.memoryUsedBytes)}/${formatBytes(n.resources.memoryTotalBytes)}` : '-',
      n.dockerHealthy ? 'ok' : n.dockerError ? 'unreachable' : '-',
      n.lastHeartbeatMs ? `${age(n.lastHeartbeatMs, now)} ago` : 'never',
    ]),
  );
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** "openai/gpt-x 12 calls, backup/other 3 calls" */
function servedText(servedBy: readonly ServedBy[]): string {
  return servedBy.map((x) => `${x.provider}/${x.model} ${x.calls} call${x.calls === 1 ? '' : 's'}`).join(', ');
}

/** "3 iter, 1200/300 tok, $0.0123, last: run_commands […]" */
function progressText(p: AgentProgress | undefined): string {
  if (!p) return '-';
  const cost = p.costUsd ? `, $${p.costUsd.toFixed(4)}` : '';
  return `${p.iterations} iter, ${p.inputTokens}/${p.outputTokens} tok${cost}`;
}

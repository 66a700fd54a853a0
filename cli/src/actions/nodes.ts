import { formatDuration } from '../../../common/duration.js';
import { repoKey } from '../../../common/repo-key.js';
import type { NodeSummary } from '../../../common/model.js';
import { CliError } from '../client.js';
import type { Context } from '../context.js';
import { labelsText, nodesTable, nodeState, nodeView } from '../output.js';

export async function listNodes(ctx: Context): Promise<void> {
  const nodes = await ctx.client().listNodes();
  ctx.out(ctx.format === 'json' ? JSON.stringify(nodes.map(nodeView), null, 2) + '\n' : nodesTable(nodes));
}

/**
 * One node in detail. The repositories it holds warm are keys (a hash of the
 * normalized URL: URLs may hold credentials); `--repo URL` says whether the
 * node holds that one, computing its key here.
 */
export async function getNode(ctx: Context, ref: string, repoUrl?: string): Promise<void> {
  const nodes = await ctx.client().listNodes();
  const node = nodes.find((n) => n.id === ref) ?? nodes.find((n) => n.name === ref);
  if (!node) throw new CliError(`no node "${ref.slice(0, 80)}"`, 1);
  const key = repoUrl ? repoKey(repoUrl) : undefined;
  if (ctx.format === 'json') {
    ctx.out(JSON.stringify({ ...nodeView(node), ...(key ? { repo: { key, warm: node.repoKeys.includes(key) } } : {}) }, null, 2) + '\n');
    return;
  }
  const lines = [
    `${node.name} (${node.id}) ${nodeState(node)}${node.cordon?.reason ? `: ${node.cordon.reason}` : ''}`,
    `slots: ${node.activeAttempts}/${node.slots} (at most ${node.maxSlots})`,
    `labels: ${labelsText(node.labels) || '(none)'}`,
    `agent: ${node.agentVersion} on ${node.hostname}`,
    `docker: ${node.dockerHealthy ? 'ok' : node.dockerError || 'not answering'}`,
    `warm repositories: ${node.repoKeys.length}${node.repoKeys.length ? ` (${node.repoKeys.join(', ')})` : ''}`,
  ];
  if (key) lines.push(`repository ${key}: ${node.repoKeys.includes(key) ? 'warm on this node' : 'not on this node'}`);
  ctx.out(lines.join('\n') + '\n');
}

function printNode(ctx: Context, node: NodeSummary): void {
  ctx.out(ctx.format === 'json' ? JSON.stringify(nodeView(node), null, 2) + '\n' : `${node.name} (${node.id}) ${nodeState(node)}${node.cordon?.reason ? `: ${node.cordon.reason}` : ''}\n`);
}

export async function cordonNode(ctx: Context, node: string, reason: string): Promise<void> {
  printNode(ctx, await ctx.client().cordonNode({ node, reason }));
}

export async function uncordonNode(ctx: Context, node: string): Promise<void> {
  printNode(ctx, await ctx.client().uncordonNode({ node, reason: '' }));
}

/**
 * `k=v` sets a label, `k-` removes it (kubectl's form); `maxSlots` (0: unchanged) sets the ceiling.
 */
export async function labelNode(ctx: Context, node: string, changes: string[], maxSlots: number): Promise<void> {
  const setLabels: Record<string, string> = {};
  const removeLabels: string[] = [];
  for (const change of changes) {
    if (change.endsWith('-') && !change.includes('=')) removeLabels.push(change.slice(0, -1));
    else {
      const eq = change.indexOf('=');
      if (eq <= 0) throw new CliError(`"${change.slice(0, 80)}" is neither KEY=VALUE (set) nor KEY- (remove)`, 2);
      setLabels[change.slice(0, eq)] = change.slice(eq + 1);
    }
  }
  const updated = await ctx.client().updateNode({ node, setLabels, removeLabels, maxSlots });
  if (ctx.format === 'json') ctx.out(JSON.stringify(nodeView(updated), null, 2) + '\n');
  else ctx.out(`${updated.name} (${updated.id}): labels ${labelsText(updated.labels) || '(none)'}; slots ${updated.slots} of at most ${updated.maxSlots}\n`);
}

export async function revokeNode(ctx: Context, node: string): Promise<void> {
  const revoked = await ctx.client().revokeNode({ node });
  printNode(ctx, revoked);
  if (ctx.format !== 'json') ctx.err(`its sessions are closed; its ${revoked.activeAttempts} attempt(s) are requeued once it is judged DOWN (after --down-after), by when its agent, if it runs, has stopped them\n`);
}

/**
 * Asks the node's agent to restart itself; with `wait`, shows the request's
 * progress until a new agent process has said hello (or the agent refused).
 */
export async function restartNode(ctx: Context, node: string, drain: boolean, wait: boolean): Promise<void> {
  const asked = await ctx.client().restartNode({ node, drain });
  const id = asked.restartRequest?.id ?? '';
  if (!wait) {
    printNode(ctx, asked);
    if (ctx.format !== 'json') ctx.err(`restart ${id} requested${drain ? ' (draining first)' : ''}; fleetctl node list shows its progress\n`);
    return;
  }
  ctx.err(`restart ${id} of ${asked.name} requested${drain ? ' (draining first)' : ''}\n`);
  let last = asked;
  let lastLine = '';
  for await (const n of ctx.client().watchNode({ node: asked.id }, ctx.err)) {
    last = n;
    const r = n.restartRequest;
    const line = r?.id === id ? `${r.state}${r.reason ? `: ${r.reason}` : ''}${r.state === 'RESTARTING' && r.drain ? ` (${n.activeAttempts} attempt(s) on the node)` : ''}` : 'replaced by another request';
    if (line !== lastLine) ctx.err(`  ${new Date().toISOString()} ${line}\n`);
    lastLine = line;
  }
  printNode(ctx, last);
  const outcome = last.restartRequest?.id === id ? last.restartRequest.state : 'REPLACED';
  if (outcome === 'REFUSED') throw new CliError(`the agent refused to restart: ${last.restartRequest?.reason}`, 1);
  if (outcome !== 'DONE') throw new CliError(`the restart did not complete (${outcome}): see fleetctl node list and the agent's journal (journalctl -u fleet-node-agent)`, 1);
}

/** Starts a drain; with `wait`, shows its progress until no fleet container is left on the node. */
export async function drainNode(ctx: Context, node: string, deadlineMs: number, wait: boolean): Promise<void> {
  const started = await ctx.client().drainNode({ node, deadlineMs });
  if (!wait) {
    printNode(ctx, started);
    return;
  }
  ctx.err(`draining ${started.name}: ${started.activeAttempts} attempt(s) running, deadline in ${formatDuration(Math.max(0, (started.drain?.deadlineMs ?? 0) - Date.now()))}\n`);
  let last = started;
  let lastLine = '';
  for await (const n of ctx.client().watchNode({ node: started.id }, ctx.err)) {
    last = n;
    const line = `${nodeState(n)}, ${n.fleetContainers} container(s) on the node`;
    if (line !== lastLine) ctx.err(`  ${new Date().toISOString()} ${line}\n`);
    lastLine = line;
  }
  printNode(ctx, last);
}

import { table } from '../output.js';
import type { Context } from '../context.js';

function count<T>(items: T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}

export async function fleetStatus(ctx: Context): Promise<void> {
  const client = ctx.client();
  const [nodes, { tasks }] = await Promise.all([client.listNodes(), client.listTasks({ states: [], limit: 10_000 })]);
  const nodesByStatus = count(nodes, (n) => n.status);
  const tasksByState = count(tasks, (t) => t.state);
  const slots = nodes.reduce((s, n) => s + (n.status === 'READY' ? n.slots : 0), 0);
  const busy = nodes.reduce((s, n) => s + n.activeAttempts, 0);
  if (ctx.format === 'json') {
    ctx.out(JSON.stringify({ servers: client.servers, nodes: nodesByStatus, tasks: tasksByState, slots: { ready: slots, busy } }, null, 2) + '\n');
    return;
  }
  ctx.out(`Control plane: ${client.servers.join(', ')}\n`);
  ctx.out(`Slots:         ${busy} busy of ${slots} on READY nodes\n\n`);
  ctx.out(table(['NODES', 'COUNT'], Object.entries(nodesByStatus).map(([k, v]) => [k, String(v)])) + '\n');
  ctx.out(table(['TASKS', 'COUNT'], Object.entries(tasksByState).map(([k, v]) => [k, String(v)])));
}

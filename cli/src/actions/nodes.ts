import type { Context } from '../context.js';
import { nodesTable, nodeView } from '../output.js';

export async function listNodes(ctx: Context): Promise<void> {
  const { nodes } = await ctx.client().listNodes();
  ctx.out(ctx.format === 'json' ? JSON.stringify(nodes.map(nodeView), null, 2) + '\n' : nodesTable(nodes));
}

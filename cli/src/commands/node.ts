import { Command } from 'commander';
import type { Context } from '../context.js';
import { listNodes } from '../actions/nodes.js';

export function nodeCommand(ctx: () => Context): Command {
  const node = new Command('node').description('inspect nodes');
  node
    .command('list')
    .description('list nodes with status, slots in use, load and Docker health')
    .action(async () => listNodes(ctx()));
  return node;
}

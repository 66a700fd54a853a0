import { Command } from 'commander';
import { durationFlag, wholeNumber } from './flags.js';
import type { Context } from '../context.js';
import { cordonNode, drainNode, getNode, labelNode, listNodes, restartNode, revokeNode, uncordonNode } from '../actions/nodes.js';

export function nodeCommand(ctx: () => Context): Command {
  const node = new Command('node').description('inspect, cordon, drain, restart and revoke nodes');
  node
    .command('list')
    .description('list nodes with status, slots in use, load and Docker health')
    .action(async () => listNodes(ctx()));
  node
    .command('get')
    .description('one node in detail, with the repositories it holds warm (as keys: a hash of each URL, never the URL)')
    .argument('<node>', 'node id or name')
    .option('--repo <url>', 'say whether the node holds this repository warm')
    .action(async (ref: string, o) => getNode(ctx(), ref, o.repo));
  node
    .command('cordon')
    .description('take no new work on a node; running attempts go on')
    .argument('<node>', 'node id or name')
    .option('--reason <text>', 'why, for the record', '')
    .action(async (ref: string, o) => cordonNode(ctx(), ref, o.reason));
  node
    .command('uncordon')
    .description('return a node to service (lifts a cordon, a drain, or the circuit breaker)')
    .argument('<node>', 'node id or name')
    .action(async (ref: string) => uncordonNode(ctx(), ref));
  node
    .command('drain')
    .description('take no new work; stop what still runs at the deadline and requeue it elsewhere')
    .argument('<node>', 'node id or name')
    .option('--deadline <duration>', 'how long running attempts may go on (default 1h)', durationFlag('--deadline'))
    .option('--wait', 'show progress until no fleet container is left on the node')
    .action(async (ref: string, o) => drainNode(ctx(), ref, o.deadline ?? 0, Boolean(o.wait)));
  node
    .command('restart')
    .description("restart the node's agent (under systemd): its containers keep running and the new process adopts them")
    .argument('<node>', 'node id or name')
    .option('--drain', 'drain first: no new work; running attempts may finish until the agent\'s drain timeout, the rest are requeued')
    .option('--wait', 'show progress until the new agent process has said hello')
    .action(async (ref: string, o) => restartNode(ctx(), ref, Boolean(o.drain), Boolean(o.wait)));
  node
    .command('label')
    .description('set (k=v) or remove (k-) a node\'s labels, or its slot ceiling; a node cannot choose either itself')
    .argument('<node>', 'node id or name')
    .argument('[changes...]', 'k=v to set, k- to remove')
    .option('--max-slots <n>', 'the most slots the node may offer', wholeNumber('--max-slots', 1))
    .action(async (ref: string, changes: string[], o) => labelNode(ctx(), ref, changes, o.maxSlots ?? 0));
  node
    .command('revoke')
    .description("revoke a node for good: its certificates are refused, its sessions close, its attempts are requeued as a lost node's")
    .argument('<node>', 'node id or name')
    .action(async (ref: string) => revokeNode(ctx(), ref));
  return node;
}

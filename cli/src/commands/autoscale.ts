/** `fleetctl autoscale …`: pools of nodes the leader sizes to their work, and what it decided. */
import { Command } from 'commander';
import type { Context } from '../context.js';
import { deleteAutoscalePool, listAutoscalePools, setAutoscalePool, showAutoscaleStatus } from '../actions/autoscale.js';
import { durationFlag, labelList, wholeNumber } from './flags.js';

export function autoscaleCommand(ctx: () => Context): Command {
  const autoscale = new Command('autoscale').description('autoscaling pools: node counts from the queue, and the hook that adds and removes machines');
  autoscale
    .command('set')
    .description('create or change a pool: fleetctl autoscale set POOL --selector k=v --min N --max N')
    .argument('<pool>', 'pool name (lower-case letters, digits, "-" and "_")')
    .requiredOption('--selector <k=v,...>', "the pool's nodes: those with all these labels", labelList('--selector'), {})
    .requiredOption('--min <n>', 'fewest nodes the pool keeps', wholeNumber('--min', 0))
    .requiredOption('--max <n>', 'most nodes the pool may have', wholeNumber('--max', 1))
    .option('--scale-up-cooldown <duration>', 'after asking for more nodes, wait this long before asking again (default 1m)', durationFlag('--scale-up-cooldown'))
    .option('--scale-down-cooldown <duration>', 'a surplus must last this long (and as long since a scale-up) before idle nodes are drained (default 10m)', durationFlag('--scale-down-cooldown'))
    .action(async (name: string, o) => setAutoscalePool(ctx(), { name, selector: o.selector, minNodes: o.min, maxNodes: o.max, scaleUpCooldownMs: o.scaleUpCooldown ?? 0, scaleDownCooldownMs: o.scaleDownCooldown ?? 0 }));
  autoscale
    .command('list')
    .description('list pools with their selector, bounds and cooldowns')
    .action(async () => listAutoscalePools(ctx()));
  autoscale
    .command('status')
    .description('what the leader decided for each pool (current, desired, why) and its hook\'s last call')
    .argument('[pool]', 'one pool (default: all)')
    .action(async (name: string | undefined) => showAutoscaleStatus(ctx(), name ?? ''));
  autoscale
    .command('delete')
    .description('delete a pool; nodes its scale-in drained stay drained until uncordoned')
    .argument('<pool>', 'pool name')
    .action(async (name: string) => deleteAutoscalePool(ctx(), name));
  return autoscale;
}

import { Command } from 'commander';
import { durationFlag, labelList, wholeNumber } from './flags.js';
import type { Context } from '../context.js';
import { createToken, listTokens, revokeToken } from '../actions/tokens.js';

export function tokenCommand(ctx: () => Context): Command {
  const token = new Command('token').description('join tokens for enrolling nodes');
  token
    .command('create')
    .description('create a join token; give it to fleet-node-agent --join-token')
    .option('--ttl <duration>', 'how long it is valid (default 1h, at most 7d)', durationFlag('--ttl'))
    .option('--uses <n>', 'how many nodes may enroll with it (default 1, at most 1000)', wholeNumber('--uses', 1))
    .option('--labels <k=v,...>', 'the labels of every node enrolled with it (an admin\'s to give: labels decide where provider keys go)', labelList('--labels'), {})
    .option('--max-slots <n>', 'the most slots such a node may offer (default: what it offers when it enrolls)', wholeNumber('--max-slots', 1))
    .action(async (o) => createToken(ctx(), o.ttl ?? 0, o.uses ?? 0, o.labels, o.maxSlots ?? 0));
  token
    .command('list')
    .description('list join tokens (never their secrets): uses, expiry')
    .action(async () => listTokens(ctx()));
  token
    .command('revoke')
    .description('revoke a join token: it enrolls no node from now on (nodes enrolled with it stay)')
    .argument('<token-id>', 'the token id (join_…), as token list shows it')
    .action(async (id: string) => revokeToken(ctx(), id));
  return token;
}

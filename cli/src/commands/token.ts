import { Command } from 'commander';
import { durationFlag, wholeNumber } from './flags.js';
import type { Context } from '../context.js';
import { createToken } from '../actions/tokens.js';

export function tokenCommand(ctx: () => Context): Command {
  const token = new Command('token').description('join tokens for enrolling nodes');
  token
    .command('create')
    .description('create a join token; give it to fleet-node-agent --join-token')
    .option('--ttl <duration>', 'how long it is valid (default 24h)', durationFlag('--ttl'))
    .option('--uses <n>', 'how many nodes may enroll with it (default 1)', wholeNumber('--uses', 1))
    .action(async (o) => createToken(ctx(), o.ttl ?? 0, o.uses ?? 0));
  return token;
}

import { Command } from 'commander';
import { parseDuration } from '../../../common/duration.js';
import { ValidationError } from '../../../common/errors.js';
import { CliError } from '../client.js';
import type { Context } from '../context.js';
import { createToken } from '../actions/tokens.js';

export function tokenCommand(ctx: () => Context): Command {
  const token = new Command('token').description('join tokens for enrolling nodes');
  token
    .command('create')
    .description('create a join token; give it to fleet-node-agent --join-token')
    .option('--ttl <duration>', 'how long it is valid (default 24h)', (t: string) => {
      try {
        return parseDuration('--ttl', t);
      } catch (err) {
        throw new CliError((err as ValidationError).message, 2);
      }
    })
    .option('--uses <n>', 'how many nodes may enroll with it (default 1)', (t: string) => {
      if (!/^\d+$/.test(t) || Number(t) < 1) throw new CliError(`--uses: must be a whole number of at least 1, got "${t}"`, 2);
      return Number(t);
    })
    .action(async (o) => createToken(ctx(), o.ttl ?? 0, o.uses ?? 0));
  return token;
}

import { Command } from 'commander';
import type { Context } from '../context.js';
import { fleetStatus } from '../actions/status.js';

export function statusCommand(ctx: () => Context): Command {
  return new Command('status').description('fleet overview: nodes by status, tasks by state').action(async () => fleetStatus(ctx()));
}

/** `fleetctl team …`: teams, their share of the slots, running limits and daily budgets. */
import { Command } from 'commander';
import { ValidationError } from '../../../common/errors.js';
import { TEAM_LIMITS } from '../../../common/teams.js';
import type { Context } from '../context.js';
import { getTeam, listTeams, setTeam } from '../actions/teams.js';
import { flagValue, wholeNumber } from './flags.js';

const decimal = (flag: string) =>
  flagValue(flag, (field, text) => {
    if (!/^\d+(\.\d+)?$/.test(text.trim())) throw new ValidationError(field, `"${text.slice(0, 40)}" is not a number`);
    return Number(text);
  });

export function teamCommand(ctx: () => Context): Command {
  const team = new Command('team').description('teams: tasks submitted with --team share their team\'s slice of the fleet (weight, running limit, daily budgets)');
  team
    .command('set')
    .description('create a team or change what is given (the rest keeps its value): fleetctl team set NAME --weight 2 --max-running 10 --daily-tokens 5000000')
    .argument('<name>', 'team name: lower-case letters, digits, "-" and "_"')
    .option('--max-running <n>', 'its tasks running at once, at most (0: no limit)', wholeNumber('--max-running', 0, TEAM_LIMITS.maxRunning))
    .option('--daily-tokens <n>', 'tokens its Cline tasks may use per UTC day, fleet-wide (0: no budget)', wholeNumber('--daily-tokens', 0, TEAM_LIMITS.dailyTokens))
    .option('--daily-cost <usd>', 'dollars its Cline tasks may spend per UTC day, fleet-wide (0: no budget)', decimal('--daily-cost'))
    .option('--weight <w>', 'its share of the slots against other teams with work waiting (default 1; 2 gets twice what 1 gets)', decimal('--weight'))
    .action(async (name: string, o) => setTeam(ctx(), name, { maxRunning: o.maxRunning, dailyTokens: o.dailyTokens, dailyCostUsd: o.dailyCost, weight: o.weight }));
  team
    .command('list')
    .description('list teams with what they run and spent today (a token scoped to a team sees its own)')
    .action(async () => listTeams(ctx()));
  team
    .command('get')
    .description('one team: its settings, what it runs and waits for, and what it spent today')
    .argument('<name>', 'team name')
    .action(async (name: string) => getTeam(ctx(), name));
  return team;
}

/** Team actions for `fleetctl team …`. */
import type { Team__Output } from '../../../proto/gen/fleet/v1/Team.js';
import type { Context } from '../context.js';
import { table } from '../output.js';

export interface TeamFlags {
  maxRunning?: number;
  dailyTokens?: number;
  dailyCostUsd?: number;
  weight?: number;
}

const view = (t: Team__Output) => ({
  name: t.name,
  weight: t.weight,
  maxRunning: t.maxRunning,
  dailyTokens: Number(t.dailyTokens),
  dailyCostUsd: t.dailyCostUsd,
  running: t.usage?.running ?? 0,
  pending: t.usage?.pending ?? 0,
  day: t.usage?.day ?? '',
  tokensToday: Number(t.usage?.tokensToday ?? 0),
  costUsdToday: t.usage?.costUsdToday ?? 0,
  blocked: t.usage?.blocked ?? '',
  updatedAt: new Date(Number(t.updatedAtMs)).toISOString(),
  updatedBy: t.updatedBy,
});

const limit = (n: number, unit = '') => (n > 0 ? `${unit}${n}` : 'none');

export async function setTeam(ctx: Context, name: string, flags: TeamFlags): Promise<void> {
  const t = await ctx.client().setTeam({ name, ...flags });
  ctx.out(
    ctx.format === 'json'
      ? JSON.stringify(view(t), null, 2) + '\n'
      : `team ${t.name} set: weight ${t.weight}, max running ${limit(t.maxRunning)}, daily tokens ${limit(Number(t.dailyTokens))}, daily cost ${limit(t.dailyCostUsd, '$')}\n` +
          `submit its tasks with: fleetctl task submit --team ${t.name} …; give it a token of its own with: fleetctl access-token create NAME --role submitter --team ${t.name}\n`,
  );
}

export async function listTeams(ctx: Context): Promise<void> {
  const { teams } = await ctx.client().listTeams();
  if (ctx.format === 'json') {
    ctx.out(JSON.stringify(teams.map(view), null, 2) + '\n');
    return;
  }
  if (teams.length === 0) {
    ctx.out('no teams; an admin makes one with: fleetctl team set NAME [--weight W] [--max-running N] [--daily-tokens N] [--daily-cost USD]\n');
    return;
  }
  ctx.out(
    table(
      ['NAME', 'WEIGHT', 'RUNNING', 'PENDING', 'MAX RUNNING', 'TOKENS TODAY', 'COST TODAY', 'BLOCKED'],
      teams.map((t) => {
        const v = view(t);
        return [v.name, String(v.weight), String(v.running), String(v.pending), limit(v.maxRunning), `${v.tokensToday}${v.dailyTokens ? ` / ${v.dailyTokens}` : ''}`, `$${v.costUsdToday.toFixed(4)}${v.dailyCostUsd ? ` / $${v.dailyCostUsd}` : ''}`, v.blocked ? 'yes' : '-'];
      }),
    ),
  );
}

export async function getTeam(ctx: Context, name: string): Promise<void> {
  const t = await ctx.client().getTeam({ name });
  const v = view(t);
  if (ctx.format === 'json') {
    ctx.out(JSON.stringify(v, null, 2) + '\n');
    return;
  }
  ctx.out(
    [
      `Team:          ${v.name}`,
      `Weight:        ${v.weight}`,
      `Max running:   ${limit(v.maxRunning)}`,
      `Daily tokens:  ${limit(v.dailyTokens)}`,
      `Daily cost:    ${limit(v.dailyCostUsd, '$')}`,
      `Running:       ${v.running}`,
      `Pending:       ${v.pending}`,
      `Spent ${v.day}: ${v.tokensToday} tokens, $${v.costUsdToday.toFixed(4)}`,
      `Blocked:       ${v.blocked || 'no'}`,
      `Updated:       ${v.updatedAt} by ${v.updatedBy}`,
    ].join('\n') + '\n',
  );
}

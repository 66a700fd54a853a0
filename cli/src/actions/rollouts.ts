/** Rollout actions for `fleetctl rollout …`. */
import { formatDuration } from '../../../common/duration.js';
import { failureRate, type ArmStats, type RolloutAction } from '../../../common/rollout.js';
import type { RolloutView } from '../../../common/wire/rollout.js';
import type { StartRolloutRequest } from '../../../proto/gen/fleet/v1/StartRolloutRequest.js';
import type { Context } from '../context.js';
import { table } from '../output.js';
import { safeText } from '../safe-text.js';

const time = (ms: number) => (ms ? new Date(ms).toISOString() : '-');

function stats(s: ArmStats): string {
  if (s.attempts === 0) return 'no attempts yet';
  const reasons = Object.entries(s.failedByReason).sort(([, a], [, b]) => b - a).map(([r, n]) => `${r} ${n}`).join(', ');
  const perSuccess = s.succeeded > 0 ? `; a success takes ${formatDuration(s.successDurationMs / s.succeeded)}, ${Math.round(s.successTokens / s.succeeded)} tokens` : '';
  return `${s.attempts} attempts, ${(failureRate(s) * 100).toFixed(0)}% failed${reasons ? ` (${reasons})` : ''}${perSuccess}`;
}

export function rolloutDetails(r: RolloutView, fleetImage?: string): string {
  const lines = [
    `Rollout:   ${r.id}`,
    `State:     ${r.state}${r.state === 'PROGRESSING' || r.state === 'PAUSED' ? `, ${r.currentPercent}% of new Cline tasks on the canary (step ${r.stepIndex + 1} of ${r.steps.length}: ${r.steps.join(', ')})` : ''}`,
    `Why:       ${r.reason}`,
    `Canary:    ${r.image}`,
    `Baseline:  ${r.baselineImage}`,
    ...(fleetImage ? [`Fleet:     new Cline tasks get ${fleetImage}`] : []),
    `Nodes:     ${r.nodesReady} of ${r.nodesTotal} ready nodes hold the canary`,
    `Judged:    after ${r.minTasks} canary attempts; rolled back if its failure rate is more than ${(r.maxFailureIncrease * 100).toFixed(0)} points above the baseline's, or a success costs more than ${(1 + r.maxCostIncrease).toFixed(2)}× the time or tokens; each step watched ${formatDuration(r.stepIntervalMs)}`,
    `  canary:   ${stats(r.canary)}`,
    `  baseline: ${stats(r.baseline)}`,
    `Started:   ${time(r.createdAtMs)} by ${r.createdBy}`,
    ...(r.endedAtMs ? [`Ended:     ${time(r.endedAtMs)}`] : []),
    'History:',
    ...r.history.map((e) => `  ${time(e.atMs)}  ${e.what}`),
  ];
  return safeText(lines.join('\n') + '\n');
}

const json = (ctx: Context, value: unknown) => ctx.out(JSON.stringify(value, null, 2) + '\n');

export async function startRollout(ctx: Context, req: StartRolloutRequest): Promise<void> {
  const r = await ctx.client().startRollout(req);
  if (ctx.format === 'json') return json(ctx, r);
  ctx.out(safeText(`rollout ${r.id} started: ${r.currentPercent}% of new Cline tasks go to ${r.image} once nodes hold it (${r.nodesReady} of ${r.nodesTotal} do now); watch it with: fleetctl rollout status\n`));
}

export async function rolloutStatus(ctx: Context): Promise<void> {
  const { rollout, fleetImage } = await ctx.client().getRollout();
  if (ctx.format === 'json') return json(ctx, { ...rollout, fleetImage });
  ctx.out(rolloutDetails(rollout, fleetImage));
}

export async function rolloutHistory(ctx: Context, limit: number): Promise<void> {
  const rollouts = await ctx.client().listRollouts(limit);
  if (ctx.format === 'json') return json(ctx, rollouts);
  if (rollouts.length === 0) {
    ctx.out('no rollouts yet; start one with: fleetctl rollout start --cline-image IMAGE\n');
    return;
  }
  ctx.out(safeText(table(['ID', 'STATE', 'IMAGE', 'STARTED', 'ENDED', 'CANARY FAILED', 'WHY'], rollouts.map((r) => [r.id, r.state, r.image, time(r.createdAtMs), time(r.endedAtMs), `${r.canary.failed}/${r.canary.attempts}`, r.reason.slice(0, 120)]))));
}

export async function changeRollout(ctx: Context, action: RolloutAction, reason: string): Promise<void> {
  const r = await ctx.client().changeRollout(action, reason);
  if (ctx.format === 'json') return json(ctx, r);
  ctx.out(safeText(`rollout ${r.id}: ${r.state} (${r.reason})\n`));
}

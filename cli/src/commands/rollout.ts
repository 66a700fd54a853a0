/** `fleetctl rollout …`: canary rollouts of the fleet's Cline image. */
import { Command } from 'commander';
import { ValidationError } from '../../../common/errors.js';
import { DEFAULT_MAX_COST_INCREASE, DEFAULT_MAX_FAILURE_INCREASE, DEFAULT_MIN_TASKS, DEFAULT_STEPS, type RolloutAction } from '../../../common/rollout.js';
import { changeRollout, rolloutHistory, rolloutStatus, startRollout } from '../actions/rollouts.js';
import type { Context } from '../context.js';
import { durationFlag, flagValue, wholeNumber } from './flags.js';

/** `10,25,50,100`: whole percentages; the control plane checks that they rise and end at 100. */
const stepsFlag = flagValue('--steps', (field, text) =>
  text.split(',').map((part) => {
    const p = part.trim();
    if (!/^\d{1,3}$/.test(p)) throw new ValidationError(field, `"${part.slice(0, 20)}" is not a whole percentage (e.g. 10,25,50,100)`);
    return Number(p);
  }),
);

const fraction = (flag: string, max: number) =>
  flagValue(flag, (field, text) => {
    const n = Number(text.trim());
    if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n > max) throw new ValidationError(field, `"${text.slice(0, 20)}" must be a number from 0 to ${max}`);
    return n;
  });

export function rolloutCommand(ctx: () => Context): Command {
  const rollout = new Command('rollout').description('canary rollouts of the fleet\'s Cline image: a growing share of new Cline tasks, rolled back automatically if it does worse');
  rollout
    .command('start')
    .description('start sending a share of new Cline tasks to a new image, step by step (admins only)')
    .requiredOption('--cline-image <image>', 'the new image; nodes fetch it before any task is sent to it')
    .option('--steps <percentages>', `shares of new Cline tasks, rising, ending at 100 (reaching 100 promotes) (default ${DEFAULT_STEPS.join(',')})`, stepsFlag)
    .option('--step-interval <duration>', 'how long each step is watched before the next (default 10m)', durationFlag('--step-interval'))
    .option('--min-tasks <n>', `canary attempts needed before any decision (default ${DEFAULT_MIN_TASKS})`, wholeNumber('--min-tasks', 1))
    .option('--max-failure-increase <fraction>', `how much higher the canary's failure rate may be than the baseline's: 0.1 is ten points (default ${DEFAULT_MAX_FAILURE_INCREASE})`, fraction('--max-failure-increase', 1))
    .option('--max-cost-increase <fraction>', `how much longer a canary success may take, or how many more tokens it may use, than the baseline's: 0.5 is half again (default ${DEFAULT_MAX_COST_INCREASE})`, fraction('--max-cost-increase', 100))
    .action(async (o: { clineImage: string; steps?: number[]; stepInterval?: number; minTasks?: number; maxFailureIncrease?: number; maxCostIncrease?: number }) =>
      startRollout(ctx(), {
        image: o.clineImage,
        steps: o.steps ?? [],
        stepIntervalMs: o.stepInterval ?? 0,
        minTasks: o.minTasks ?? 0,
        ...(o.maxFailureIncrease === undefined ? {} : { maxFailureIncrease: o.maxFailureIncrease }),
        ...(o.maxCostIncrease === undefined ? {} : { maxCostIncrease: o.maxCostIncrease }),
      }),
    );
  rollout
    .command('status')
    .description('the rollout under way (or the last one): its step, the canary against the baseline, and why it is where it is')
    .action(async () => rolloutStatus(ctx()));
  rollout
    .command('history')
    .description('past rollouts, newest first')
    .option('--limit <n>', 'at most this many (default 20)', wholeNumber('--limit', 1))
    .action(async (o: { limit?: number }) => rolloutHistory(ctx(), o.limit ?? 20));
  const actions: Array<[RolloutAction, string]> = [
    ['pause', 'hold the canary at its share: no step forward until resumed (an automatic rollback still happens)'],
    ['resume', 'let a paused rollout step forward again; its step is watched anew (admins only)'],
    ['promote', 'make the canary the fleet\'s Cline image now, skipping the remaining steps (admins only)'],
    ['abort', 'stop the rollout: no new task goes to the canary; running ones finish'],
  ];
  for (const [action, description] of actions) {
    rollout
      .command(action)
      .description(description)
      .option('--reason <text>', 'why, for the rollout\'s history and the audit trail', '')
      .action(async (o: { reason: string }) => changeRollout(ctx(), action, o.reason));
  }
  return rollout;
}

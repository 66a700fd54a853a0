/** `fleetctl task …`: declares options and builds typed input for the actions. */
import { Command, Option } from 'commander';
import { parseSize } from '../../../common/duration.js';
import { durationFlag, flagValue, keyValue, selectors, wholeNumber } from './flags.js';
import { ValidationError } from '../../../common/errors.js';
import { TASK_STATES, type TaskState } from '../../../common/model.js';
import type { Context } from '../context.js';
import { cancelTask, followTaskLogs, getTask, listTasks, submitTask, type SubmitInput } from '../actions/tasks.js';
import { CliError } from '../client.js';

function cpus(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new CliError(`--cpus: must be a positive number (e.g. 0.5, 2), got "${text}"`, 2);
  return n;
}

function state(text: string, previous: TaskState[] = []): TaskState[] {
  const s = text.toUpperCase();
  if (!(TASK_STATES as readonly string[]).includes(s)) throw new CliError(`--state: "${text}" is not a task state (one of ${TASK_STATES.join(', ')})`, 2);
  return [...previous, s as TaskState];
}

export function taskCommand(ctx: () => Context): Command {
  const task = new Command('task').description('submit, inspect and cancel tasks');

  task
    .command('submit')
    .description('submit a task: fleetctl task submit --image IMAGE [options] -- CMD ARGS...')
    .requiredOption('--image <image>', 'container image to run')
    .option('--env <KEY=VALUE>', 'environment variable (repeatable)', keyValue('--env'), {})
    .option('--label-selector <k=v>', 'run only on nodes with this label (repeatable or comma-separated)', selectors, {})
    .option('--timeout <duration>', 'time limit per attempt (e.g. 30s, 10m, 2h)', durationFlag('--timeout'))
    .option('--retries <n>', 'retries after a failed attempt', wholeNumber('--retries', 0), 0)
    .option('--backoff <duration>', 'delay ceiling before the first retry (full jitter; default 1s)', durationFlag('--backoff'))
    .option('--max-backoff <duration>', 'largest delay between retries (default 5m)', durationFlag('--max-backoff'))
    .option('--backoff-multiplier <x>', 'growth of the delay per retry (default 2)', flagValue('--backoff-multiplier', (f, t) => {
      const n = Number(t);
      if (t.trim() === '' || !Number.isFinite(n)) throw new ValidationError(f, `"${t}" is not a number`);
      return n;
    }))
    .option('--final-exit-codes <codes>', 'exit codes that end the task at once, not retried (comma-separated)', flagValue('--final-exit-codes', (f, t) => {
      return t.split(',').map((c) => {
        if (!/^\d+$/.test(c.trim())) throw new ValidationError(f, `"${c}" is not an exit code`);
        return Number(c);
      });
    }))
    .option('--cpus <n>', 'CPU limit (fractions allowed)', cpus)
    .option('--memory <size>', 'memory limit (e.g. 512m, 2g)', flagValue('--memory', parseSize))
    .option('--workdir <path>', 'working directory in the container')
    .option('--priority <n>', 'higher runs first (-1000..1000)', flagValue('--priority', (f, t) => {
      if (!/^-?\d+$/.test(t)) throw new ValidationError(f, `"${t}" is not a whole number`);
      return Number(t);
    }), 0)
    .option('--idempotency-key <key>', 'a resubmission with the same key returns the first task')
    .option('--wait', 'follow the task and exit 0 only if it SUCCEEDED')
    .argument('<command...>', 'the command and its arguments (after --)')
    .action(async (command: string[], o) => {
      const input: SubmitInput = {
        image: o.image,
        command,
        env: o.env,
        nodeSelector: o.labelSelector,
        timeoutMs: o.timeout,
        retries: o.retries,
        backoffMs: o.backoff,
        maxBackoffMs: o.maxBackoff,
        backoffMultiplier: o.backoffMultiplier,
        nonRetryableExitCodes: o.finalExitCodes,
        cpus: o.cpus,
        memoryBytes: o.memory,
        workingDir: o.workdir,
        priority: o.priority,
        idempotencyKey: o.idempotencyKey,
        wait: Boolean(o.wait),
      };
      await submitTask(ctx(), input);
    });

  task
    .command('get')
    .description('show a task and its attempts')
    .argument('<id>', 'task id')
    .action(async (id: string) => getTask(ctx(), id));

  task
    .command('list')
    .description('list tasks, newest first')
    .option('--state <state>', `only tasks in this state (repeatable): ${TASK_STATES.join(', ')}`, state)
    .option('--limit <n>', 'at most this many', wholeNumber('--limit', 1), 100)
    .action(async (o) => listTasks(ctx(), o.state ?? [], o.limit));

  task
    .command('logs')
    .description("print a task's output (all attempts, in order)")
    .argument('<id>', 'task id')
    .addOption(new Option('-f, --follow', 'keep printing until the task ends'))
    .action(async (id: string, o) => followTaskLogs(ctx(), id, Boolean(o.follow)));

  task
    .command('cancel')
    .description('cancel a task in any state; a running container is stopped')
    .argument('<id>', 'task id')
    .option('--reason <text>', 'why, for the record', '')
    .action(async (id: string, o) => cancelTask(ctx(), id, o.reason));

  return task;
}

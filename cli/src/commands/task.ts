/** `fleetctl task …`: declares options and builds typed input for the actions. */
import { Command, Option } from 'commander';
import { parseSize } from '../../../common/duration.js';
import { durationFlag, flagValue, keyValue, selectors, taskIdFlag, wholeNumber } from './flags.js';
import { ValidationError } from '../../../common/errors.js';
import { TASK_STATES, type TaskState } from '../../../common/model.js';
import type { Context } from '../context.js';
import { readFileSync } from 'node:fs';
import { cancelTask, deliverTask, followTaskLogs, getTask, listTasks, submitTask, taskResult, type ClineInput, type SubmitInput } from '../actions/tasks.js';
import { CliError } from '../client.js';

function cpus(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new CliError(`--cpus: must be a positive number (e.g. 0.5, 2), got "${text}"`, 2);
  return n;
}

function clineInput(o: Record<string, string | number | undefined>): ClineInput {
  if (!o.repo) throw new CliError('--repo: is required with --agent cline (e.g. --repo https://git.example.com/app.git#main)', 2);
  if (o.prompt !== undefined && o.promptFile !== undefined) throw new CliError('--prompt and --prompt-file: give one of them, not both', 2);
  const hash = String(o.repo).lastIndexOf('#');
  return {
    repoUrl: hash >= 0 ? String(o.repo).slice(0, hash) : String(o.repo),
    ref: hash >= 0 ? String(o.repo).slice(hash + 1) : '',
    prompt: o.promptFile !== undefined ? readPrompt(String(o.promptFile)) : String(o.prompt ?? ''),
    provider: String(o.provider ?? ''),
    maxTokens: Number(o.maxTokens ?? 0),
    maxCostUsd: Number(o.maxCost ?? 0),
    stallTimeoutMs: Number(o.stallTimeout ?? 0),
    maxRepeatedToolCalls: Number(o.maxRepeatedToolCalls ?? 0),
    network: String(o.network ?? 'none'),
    deliver: String(o.deliver ?? 'patch'),
    forge: String(o.forge ?? ''),
    branch: String(o.branch ?? ''),
    prTitle: String(o.prTitle ?? ''),
  };
}

function readPrompt(path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err) {
    throw new CliError(`--prompt-file: cannot read ${path}: ${(err as Error).message}`, 2);
  }
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
    .description('submit a task: fleetctl task submit --image IMAGE [options] -- CMD ARGS...\n' +
      '           or a Cline run: fleetctl task submit --agent cline --repo URL[#REF] --prompt "…"')
    .option('--image <image>', 'container image to run (Cline tasks: the agent image; default: the control plane\'s)')
    .addOption(new Option('--agent <agent>', 'run a coding agent on a repository instead of a command').choices(['cline']))
    .option('--repo <url[#ref]>', 'Cline: repository to clone, with an optional branch, tag or commit after "#"')
    .option('--prompt <text>', 'Cline: what to do')
    .option('--prompt-file <path>', 'Cline: read the prompt from a file ("-" for standard input)')
    .option('--provider <name>', 'Cline: LLM provider (see fleetctl provider list)', 'default')
    .addOption(new Option('--deliver <how>', 'Cline: where the result goes: patch (kept with the task), branch (pushed as a commit to the forge\'s repository) or pr (and a pull request opened)').choices(['patch', 'branch', 'pr']))
    .option('--forge <name>', 'Cline with --deliver branch|pr: the forge that receives it (see fleetctl forge list)')
    .option('--branch <name>', 'Cline with --deliver branch|pr: the branch to push (default fleet/<task id>); an existing branch is never overwritten')
    .option('--pr-title <text>', 'Cline with --deliver pr: the pull request\'s title (default: from the prompt)')
    .option('--max-tokens <n>', 'Cline: input plus output tokens an attempt may spend', wholeNumber('--max-tokens', 1))
    .option('--max-cost <usd>', 'Cline: dollars an attempt may spend, where the provider reports cost', flagValue('--max-cost', (f, t) => {
      const n = Number(t);
      if (t.trim() === '' || !Number.isFinite(n) || n <= 0) throw new ValidationError(f, `must be a positive number of dollars, got "${t}"`);
      return n;
    }))
    .option('--stall-timeout <duration>', 'Cline: stop as stalled after this long without an event (default 5m)', durationFlag('--stall-timeout'))
    .option('--max-repeated-tool-calls <n>', 'Cline: stop as stalled after the same tool call this many times in a row (default 10)', wholeNumber('--max-repeated-tool-calls', 2))
    .addOption(new Option('--network <mode>', 'container network (default: the control plane\'s --task-default-network; Cline: none, the model is reachable either way)').choices(['none', 'bridge']))
    .option('--user <uid[:gid]>', 'run as this numeric user (plain tasks; default: the control plane\'s --task-user, else the image\'s)')
    .option('--read-only-root', 'a read-only root file system with a writable tmpfs at /tmp (plain tasks)')
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
    .option('--team <name>', 'the team it belongs to (fleetctl team list): its share of the slots, running limit and daily budgets; a token scoped to a team submits for it anyway')
    .option('--wait', 'follow the task and exit 0 only if it SUCCEEDED')
    .argument('[command...]', 'the command and its arguments (after --); none for --agent cline')
    .action(async (command: string[], o) => {
      if (o.agent !== 'cline' && (o.deliver || o.forge || o.branch || o.prTitle)) throw new CliError(`${o.deliver ? '--deliver' : o.forge ? '--forge' : o.branch ? '--branch' : '--pr-title'}: is for --agent cline`, 2);
      if (o.agent === 'cline' && (o.user || o.readOnlyRoot)) throw new CliError(`${o.user ? '--user' : '--read-only-root'}: is for plain tasks; a Cline task runs as the agent image's user`, 2);
      const input: SubmitInput = {
        ...(o.agent === 'cline' ? { cline: clineInput(o) } : {}),
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
        ...(o.agent === 'cline' ? {} : { network: o.network, user: o.user, readOnlyRoot: Boolean(o.readOnlyRoot) }),
        priority: o.priority,
        idempotencyKey: o.idempotencyKey,
        team: o.team,
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
    .option('--limit <n>', 'at most this many (a page)', wholeNumber('--limit', 1), 100)
    .option('--after <task-id>', 'the page after this task (fleetctl prints the command for the next page)', taskIdFlag('--after'), '')
    .option('--team <name>', 'only this team\'s tasks', '')
    .action(async (o) => listTasks(ctx(), o.state ?? [], o.limit, o.after, o.team));

  task
    .command('logs')
    .description("print a task's output (all attempts, in order)")
    .argument('<id>', 'task id')
    .addOption(new Option('-f, --follow', 'keep printing until the task ends'))
    .option('--raw', 'the bytes as written, escape sequences and control characters included (for a file, not a terminal)')
    .action(async (id: string, o) => followTaskLogs(ctx(), id, Boolean(o.follow), undefined, Boolean(o.raw)));

  task
    .command('result')
    .description("a Cline task's result: its summary and usage; --patch writes the patch")
    .argument('<id>', 'task id')
    .option('--patch <file>', 'write the patch to this file ("-" for standard output); apply it with git apply')
    .action(async (id: string, o) => taskResult(ctx(), id, o.patch));

  task
    .command('deliver')
    .description('deliver a Cline result again (branch or pull request) after its delivery failed, without running the agent again')
    .argument('<id>', 'task id')
    .option('--wait', 'follow the delivery and exit 0 only if it succeeded')
    .action(async (id: string, o) => deliverTask(ctx(), id, Boolean(o.wait)));

  task
    .command('cancel')
    .description('cancel a task in any state; a running container is stopped')
    .argument('<id>', 'task id')
    .option('--reason <text>', 'why, for the record', '')
    .action(async (id: string, o) => cancelTask(ctx(), id, o.reason));

  return task;
}

/** Task actions: do the work for `fleetctl task …`, given typed input. */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { ClineRenderer } from '../cline-render.js';
import { ValidationError } from '../../../common/errors.js';
import { isTerminal, type ClineSpec, type Task, type TaskState } from '../../../common/model.js';
import { compileTaskSpec } from '../../../common/task-spec.js';
import type { TaskSpec } from '../../../proto/gen/fleet/v1/TaskSpec.js';
import { CliError } from '../client.js';
import type { Context } from '../context.js';
import { taskDetails, tasksTable, taskView } from '../output.js';
import { safeBytes, safeText } from '../safe-text.js';

/** As typed on the command line: checked by compileTaskSpec, like the control plane does. */
/** A Cline spec as flags give it, in the wire's shape (the delivery as four plain fields). */
export type ClineInput = Omit<ClineSpec, 'network' | 'delivery'> & { network: string; deliver: string; forge: string; branch: string; prTitle: string };

export interface SubmitInput {
  image?: string;
  cline?: ClineInput;
  command: string[];
  env: Record<string, string>;
  nodeSelector: Record<string, string>;
  timeoutMs?: number;
  retries: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  backoffMultiplier?: number;
  nonRetryableExitCodes?: number[];
  cpus?: number;
  memoryBytes?: number;
  workingDir?: string;
  /** Plain tasks: "" or absent for the control plane's defaults. */
  network?: string;
  user?: string;
  readOnlyRoot?: boolean;
  priority: number;
  idempotencyKey?: string;
  /** The team ('' or absent: none, or the token's own). */
  team?: string;
  wait: boolean;
}

/** Wire field names in validation errors, as the flags that set them. */
const FLAG_FOR_FIELD: Array<[RegExp, (m: RegExpMatchArray) => string]> = [
  [/^spec\.image$/, () => '--image'],
  [/^spec\.command.*$/, () => 'command'],
  [/^spec\.env\["(.*)"\]$/, (m) => `--env ${m[1]}`],
  [/^spec\.env$/, () => '--env'],
  [/^spec\.timeout_ms$/, () => '--timeout'],
  [/^spec\.retry\.max_attempts$/, () => '--retries'],
  [/^spec\.retry\.initial_backoff_ms$/, () => '--backoff'],
  [/^spec\.retry\.max_backoff_ms$/, () => '--max-backoff'],
  [/^spec\.retry\.backoff_multiplier$/, () => '--backoff-multiplier'],
  [/^spec\.retry\.non_retryable_exit_codes.*$/, () => '--final-exit-codes'],
  [/^spec\.resources\.cpus$/, () => '--cpus'],
  [/^spec\.resources\.memory_bytes$/, () => '--memory'],
  [/^spec\.node_selector.*$/, () => '--label-selector'],
  [/^spec\.priority$/, () => '--priority'],
  [/^spec\.idempotency_key$/, () => '--idempotency-key'],
  [/^spec\.team$/, () => '--team'],
  [/^spec\.working_dir$/, () => '--workdir'],
  [/^spec\.cline\.repo_url$/, () => '--repo'],
  [/^spec\.cline\.ref$/, () => '--repo (after #)'],
  [/^spec\.cline\.prompt$/, () => '--prompt'],
  [/^spec\.cline\.provider$/, () => '--provider'],
  [/^spec\.cline\.max_tokens$/, () => '--max-tokens'],
  [/^spec\.cline\.max_cost_usd$/, () => '--max-cost'],
  [/^spec\.cline\.stall_timeout_ms$/, () => '--stall-timeout'],
  [/^spec\.cline\.max_repeated_tool_calls$/, () => '--max-repeated-tool-calls'],
  [/^spec\.cline\.network$/, () => '--network'],
  [/^spec\.cline\.deliver$/, () => '--deliver'],
  [/^spec\.cline\.forge$/, () => '--forge'],
  [/^spec\.cline\.branch$/, () => '--branch'],
  [/^spec\.cline\.pr_title$/, () => '--pr-title'],
  [/^spec\.network$/, () => '--network'],
  [/^spec\.user$/, () => '--user'],
  [/^spec\.read_only_root$/, () => '--read-only-root'],
];

export function flagError(err: ValidationError): CliError {
  const problem = err.message.slice(err.field.length + 2);
  for (const [pattern, flag] of FLAG_FOR_FIELD) {
    const m = err.field.match(pattern);
    if (m) return new CliError(`${flag(m)}: ${problem}`, 2);
  }
  return new CliError(err.message, 2);
}

export function buildSpec(input: SubmitInput): TaskSpec {
  const spec: TaskSpec = {
    image: input.image ?? '',
    ...(input.cline ? { cline: input.cline } : {}),
    command: input.command,
    env: input.env,
    nodeSelector: input.nodeSelector,
    timeoutMs: input.timeoutMs ?? 0,
    retry: {
      maxAttempts: input.retries + 1,
      initialBackoffMs: input.backoffMs ?? 0,
      maxBackoffMs: input.maxBackoffMs ?? 0,
      backoffMultiplier: input.backoffMultiplier ?? 0,
      nonRetryableExitCodes: input.nonRetryableExitCodes ?? [],
    },
    resources: { cpus: input.cpus ?? 0, memoryBytes: input.memoryBytes ?? 0 },
    workingDir: input.workingDir ?? '',
    network: input.network ?? '',
    user: input.user ?? '',
    readOnlyRoot: input.readOnlyRoot ?? false,
    priority: input.priority,
    team: input.team ?? '',
    // Always a key: a submission retried after a replica failed mid-call must not make a second task.
    idempotencyKey: input.idempotencyKey ?? `fleetctl-${randomUUID()}`,
  };
  // The same validation the control plane does, so a bad flag fails before any call.
  try {
    compileTaskSpec(spec);
  } catch (err) {
    if (err instanceof ValidationError) throw flagError(err);
    throw err;
  }
  return spec;
}

function print(ctx: Context, task: Task): void {
  ctx.out(ctx.format === 'json' ? JSON.stringify(taskView(task), null, 2) + '\n' : taskDetails(task));
}

export async function submitTask(ctx: Context, input: SubmitInput): Promise<void> {
  const spec = buildSpec(input);
  const client = ctx.client();
  const task = await client.submitTask({ spec });
  if (!input.wait) {
    ctx.out(ctx.format === 'json' ? JSON.stringify(taskView(task), null, 2) + '\n' : `${task.id}\n`);
    return;
  }
  ctx.err(`submitted ${task.id}; waiting for it to finish\n`);
  await waitAndExit(ctx, task.id);
}

/** --wait: follows the task to its end, prints it, and exits 0 only if it SUCCEEDED. */
async function waitAndExit(ctx: Context, taskId: string): Promise<void> {
  const final = await waitForTask(ctx, taskId);
  if (ctx.format === 'json') ctx.out(JSON.stringify(taskView(final), null, 2) + '\n');
  else ctx.out(`${final.id} ${final.state}${final.message ? `: ${final.message}` : ''}\n`);
  if (final.state !== 'SUCCEEDED') throw new CliError('', 1);
}

/**
 * Watches until the task is terminal, printing each state change. The watch
 * rides out its replica going away (a restart, a rolling upgrade): it
 * resumes on another, and what it ends with is the task's own outcome.
 */
export async function waitForTask(ctx: Context, taskId: string): Promise<Task> {
  const client = ctx.client();
  let lastLine = '';
  let last: Task | undefined;
  // A watch ends when the task has ended; one that ended otherwise (a control plane of another version) is made again.
  for (let watches = 0; ; watches++) {
    if (watches > 0) await new Promise((r) => setTimeout(r, 1_000));
    for await (const task of client.watchTask({ taskId }, ctx.err)) {
      last = task;
      const progress = task.spec.cline ? progressLine(task) : '';
      const line = `${task.state}: ${task.message}${progress ? ` (${progress})` : ''}`;
      if (line !== lastLine) ctx.err(`  ${new Date().toISOString()} ${line}\n`);
      lastLine = line;
      if (isTerminal(task.state)) return task;
    }
    if (last && isTerminal(last.state)) return last;
  }
}

/** A Cline attempt's progress in a few words, for --wait. */
function progressLine(task: Task): string {
  const p = task.attempts.at(-1)?.progress;
  if (!p || p.iterations === 0) return '';
  return `iteration ${p.iterations}, ${p.inputTokens} in / ${p.outputTokens} out tokens${p.costUsd ? `, $${p.costUsd.toFixed(4)}` : ''}${p.lastTool ? `, last: ${p.lastTool.slice(0, 60)}` : ''}`;
}

export async function deliverTask(ctx: Context, taskId: string, wait: boolean): Promise<void> {
  const task = await ctx.client().deliverTask({ taskId });
  if (!wait) {
    ctx.out(ctx.format === 'json' ? JSON.stringify(taskView(task), null, 2) + '\n' : `${task.id} ${task.state}: ${task.message}\n`);
    return;
  }
  ctx.err(`${task.id}: delivering again; waiting for it to finish\n`);
  await waitAndExit(ctx, task.id);
}

export async function getTask(ctx: Context, taskId: string): Promise<void> {
  print(ctx, await ctx.client().getTask({ taskId }));
}

export async function listTasks(ctx: Context, states: TaskState[], limit: number, after: string, team = ''): Promise<void> {
  const { tasks, next } = await ctx.client().listTasks({ states, limit, pageToken: after, team });
  ctx.out(ctx.format === 'json' ? JSON.stringify(tasks.map(taskView), null, 2) + '\n' : tasksTable(tasks));
  if (next && ctx.format !== 'json') ctx.err(`more: fleetctl task list --after ${next}${states.map((s) => ` --state ${s}`).join('')}${team ? ` --team ${team}` : ''} --limit ${limit}\n`);
}

export async function cancelTask(ctx: Context, taskId: string, reason: string): Promise<void> {
  const task = await ctx.client().cancelTask({ taskId, reason });
  ctx.out(ctx.format === 'json' ? JSON.stringify(taskView(task), null, 2) + '\n' : `${task.id} ${task.state}\n`);
}

/**
 * Plain tasks: their output as it was written, less escape sequences and
 * control characters (`raw` keeps them: for output piped to a file). Cline
 * tasks: readable lines made from Cline's events (stderr cleaned the same
 * way), or with -o json the raw events.
 */
export async function followTaskLogs(ctx: Context, taskId: string, follow: boolean, rawWrite: { stdout: (b: Buffer) => void; stderr: (b: Buffer) => void } = {
  stdout: (b) => process.stdout.write(b),
  stderr: (b) => process.stderr.write(b),
}, raw = false): Promise<void> {
  const write = raw ? rawWrite : { stdout: (b: Buffer) => rawWrite.stdout(safeBytes(b)), stderr: (b: Buffer) => rawWrite.stderr(safeBytes(b)) };
  const task = await ctx.client().getTask({ taskId });
  if (task.spec.cline) return followClineLogs(ctx, taskId, follow, write);
  for await (const chunk of ctx.client().taskLogs({ taskId, follow }, ctx.err)) {
    const data = Buffer.from(chunk.data);
    if (ctx.format === 'json') {
      ctx.out(JSON.stringify({ attemptId: chunk.attemptId, stream: chunk.stream, at: new Date(chunk.atMs).toISOString(), data: data.toString('utf8') }) + '\n');
    } else if (chunk.stream === 'stderr') write.stderr(data);
    else write.stdout(data);
  }
}

async function followClineLogs(ctx: Context, taskId: string, follow: boolean, write: { stdout: (b: Buffer) => void; stderr: (b: Buffer) => void }): Promise<void> {
  const renderers = new Map<string, ClineRenderer>();
  const emit = (lines: string[]) => lines.length > 0 && write.stdout(Buffer.from(lines.join('\n') + '\n'));
  for await (const chunk of ctx.client().taskLogs({ taskId, follow }, ctx.err)) {
    const data = Buffer.from(chunk.data);
    if (chunk.stream === 'stderr') write.stderr(data);
    else if (ctx.format === 'json') write.stdout(data);
    else {
      let renderer = renderers.get(chunk.attemptId);
      if (!renderer) {
        renderer = new ClineRenderer();
        renderers.set(chunk.attemptId, renderer);
        emit([`══ attempt ${chunk.attemptId} ══`]);
      }
      emit(renderer.push(data.toString('utf8')));
    }
  }
  for (const renderer of renderers.values()) emit(renderer.end());
}

/** Prints a Cline task's summary and usage; writes its patch where asked ("-": standard output, and the summary goes to stderr). */
export async function taskResult(ctx: Context, taskId: string, patchPath: string | undefined): Promise<void> {
  const { result, patch } = await ctx.client().taskResult({ taskId, includePatch: patchPath !== undefined });
  if (!result) throw new CliError(`task ${taskId} has no result`, 1);
  const usage = result.usage;
  const view = {
    taskId,
    attemptId: result.attemptId,
    summary: result.summary,
    verified: result.verified,
    baseCommit: result.baseCommit,
    patchBytes: Number(result.patchBytes),
    filesChanged: result.filesChanged,
    finishReason: result.finishReason,
    usage: { iterations: usage?.iterations ?? 0, inputTokens: Number(usage?.inputTokens ?? 0), outputTokens: Number(usage?.outputTokens ?? 0), costUsd: usage?.costUsd ?? 0 },
  };
  const text =
    ctx.format === 'json'
      ? JSON.stringify(view, null, 2) + '\n'
      : [
          `Summary:   ${safeText(result.summary) || '(none)'}`,
          `Verified:  ${result.verified ? 'yes (by Cline)' : 'no'}`,
          `Base:      ${result.baseCommit}`,
          `Patch:     ${view.patchBytes} bytes, ${result.filesChanged} file${result.filesChanged === 1 ? '' : 's'}${view.patchBytes === 0 ? ' (no change)' : ''}`,
          `Usage:     ${view.usage.iterations} iterations, ${view.usage.inputTokens} in / ${view.usage.outputTokens} out tokens, $${view.usage.costUsd.toFixed(4)}`,
        ].join('\n') + '\n';
  if (patchPath === '-') {
    ctx.err(text);
    process.stdout.write(Buffer.from(patch));
    return;
  }
  ctx.out(text);
  if (patchPath !== undefined) {
    try {
      writeFileSync(patchPath, Buffer.from(patch));
    } catch (err) {
      throw new CliError(`--patch: cannot write ${patchPath}: ${(err as Error).message}`, 1);
    }
    ctx.err(`patch written to ${patchPath}; apply it at ${result.baseCommit.slice(0, 12)} with: git apply ${patchPath}\n`);
  }
}

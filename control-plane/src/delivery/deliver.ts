/**
 * One delivery try of a Cline result: its commit pushed as a branch
 * (`git-push.ts`), then, for `--deliver pr`, the pull (merge) request found
 * or opened through the forge's API (`forge-api.ts`). Everything it does is
 * idempotent: the same commit every time, and a request found by its branch
 * before one is opened, so a try repeated after any failure, or run twice at
 * once by two replicas, ends in one branch and one request.
 */
import type { Task } from '../../../common/model.js';
import { withoutCredentials } from '../../../common/repo-key.js';
import { isForgeRepository, type ForgeAccess } from '../forges.js';
import type { DeliveryMade } from '../task-state.js';
import { ensurePullRequest, ForgeError, gitCredentials } from './forge-api.js';
import { DeliveryError, pushResult } from './git-push.js';

const TITLE_CHARS = 72;
const COMMIT_SUMMARY_CHARS = 4_000;

/** Text from a container (Cline's summary) as a commit or request may carry it: no control characters but newlines and tabs. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
}

export function deliveryTitle(task: Task): string {
  const given = task.spec.cline?.delivery?.prTitle ?? '';
  if (given !== '') return given;
  const first = printable(task.spec.cline?.prompt ?? '').split('\n').map((l) => l.trim()).find(Boolean) ?? 'changes';
  const title = `Cline: ${first}`;
  return title.length > TITLE_CHARS ? `${title.slice(0, TITLE_CHARS - 1)}…` : title;
}

export function deliveryBranch(task: Task): string {
  return task.spec.cline?.delivery?.branch || `fleet/${task.id}`;
}

/** The commit's message: the title, Cline's summary, and which task and attempt made it. */
export function commitMessage(task: Task): string {
  const result = task.result!;
  const summary = printable(result.summary).trim();
  const body = summary.length > COMMIT_SUMMARY_CHARS ? `${summary.slice(0, COMMIT_SUMMARY_CHARS)}\n[summary truncated]` : summary;
  return `${deliveryTitle(task)}\n\n${body ? `${body}\n\n` : ''}Fleet-Task: ${task.id}\nFleet-Attempt: ${result.attemptId}\n`;
}

function requestBody(task: Task): string {
  const result = task.result!;
  const summary = printable(result.summary).trim() || '(Cline gave no summary.)';
  return `${summary}\n\n---\nMade by Cline on the fleet: task \`${task.id}\`, attempt \`${result.attemptId}\`, ${result.filesChanged} file(s) changed from \`${result.baseCommit.slice(0, 12)}\`${result.verified ? ', verified by its own checks' : ''}.`;
}

/**
 * The repository's path on the forge (owner/name, or group/…/name): its URL,
 * plain and under the forge's repository prefix (`isForgeRepository`), less
 * that prefix and ".git".
 */
export function repoPathOnForge(forge: { gitUrl: string }, repoUrl: string): string {
  const path = isForgeRepository(forge, repoUrl) ? new URL(repoUrl).pathname.slice(new URL(forge.gitUrl).pathname.length).replace(/\/$/, '').replace(/\.git$/, '') : '';
  if (path.split('/').length < 2) {
    throw new DeliveryError(`cannot tell the repository's owner and name from ${withoutCredentials(repoUrl)}: expected a plain ${forge.gitUrl}OWNER/NAME.git`, false);
  }
  return path;
}

export interface TryOptions {
  /** Where scratch repositories go. */
  workRoot?: string;
  /** The try's end: every git it runs is killed. */
  signal?: AbortSignal;
  /** Asked before anything is pushed or opened: false when the task moved on (a cancel, another replica). */
  stillWanted?: () => boolean;
}

/** Runs one try. Throws DeliveryError (with whether to try again) carrying what it had made. */
export async function deliverResult(task: Task, patch: Buffer, forge: ForgeAccess, options: TryOptions = {}): Promise<DeliveryMade> {
  const cline = task.spec.cline;
  const result = task.result;
  if (!cline?.delivery || !result) throw new DeliveryError(`task ${task.id} has no result to deliver`, false);
  const finished = task.attempts.find((a) => a.id === result.attemptId)?.finishedAtMs ?? task.updatedAtMs;
  const repo = repoPathOnForge(forge, cline.repoUrl);
  const pushed = await pushResult(
    { repoUrl: cline.repoUrl, ref: cline.ref, baseCommit: result.baseCommit, patch, branch: deliveryBranch(task), message: commitMessage(task), timeSec: Math.floor(finished / 1000), baseBranch: task.delivery?.baseBranch ?? '' },
    gitCredentials(forge),
    { scope: forge.gitUrl, workRoot: options.workRoot, signal: options.signal, stillWanted: options.stillWanted },
  );
  const made: DeliveryMade = { branch: pushed.branch, commit: pushed.commit, baseBranch: pushed.baseBranch, prNumber: 0, prUrl: '', prExisted: false };
  if (cline.delivery.mode === 'branch') return made;
  if (options.stillWanted && !options.stillWanted()) {
    throw new DeliveryError('the task is no longer delivering (cancelled, or taken over by another replica): its branch was pushed, no pull request was opened', false, made);
  }
  try {
    const { pr, created } = await ensurePullRequest(forge, { repo, head: pushed.branch, base: pushed.baseBranch, title: deliveryTitle(task), body: requestBody(task), commit: pushed.commit });
    return { ...made, prNumber: pr.number, prUrl: pr.url, prExisted: !created };
  } catch (err) {
    if (err instanceof ForgeError) throw new DeliveryError(err.message, err.kind === 'unavailable', { branch: made.branch, commit: made.commit, baseBranch: made.baseBranch });
    throw err;
  }
}

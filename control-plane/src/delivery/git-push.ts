/**
 * Pushes a Cline result to its repository as one commit on a branch.
 *
 * The commit is made from the stored result alone: the patch applied to its
 * base commit, with a fixed author, committer, dates and message. Every try,
 * on any replica, makes the same commit id, so a retried (or doubled)
 * delivery pushes nothing new, and the branch never gets a different commit:
 * the push only creates the branch (`--force-with-lease=<branch>:`, "must not
 * exist"), and a branch that holds anything else is refused, never moved.
 *
 * Only what the push needs is fetched: the base commit's commit and trees
 * (`--depth=1 --filter=blob:none`), and the blobs the patch touches, fetched
 * on demand. A server without partial clone sends the base tree whole.
 *
 * The token goes only as an HTTP header in the environment of the git
 * processes (never in argv, a URL or a file), to the repository's own URL:
 * redirects are not followed, no credential helper or user configuration is
 * read, and only http(s) is allowed.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withoutCredentials } from '../../../common/repo-key.js';

const GIT_TIMEOUT_MS = 5 * 60_000;
const GIT_OUTPUT_LIMIT_BYTES = 16 * 1024 * 1024;

/** A try failed: why, whether another try may work, and what it had made by then. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** What the try had made before it failed (a pushed branch when the pull request failed). */
    readonly made: { branch?: string; commit?: string; baseBranch?: string } = {},
  ) {
    super(message);
  }
}

export interface CommitPlan {
  /** The repository, with no credentials in it. */
  repoUrl: string;
  /** The task's ref ('' = the default branch): the pull request's base when it is a branch. */
  ref: string;
  baseCommit: string;
  patch: Buffer;
  branch: string;
  message: string;
  /** The commit's author and committer time, in whole seconds (the result's). */
  timeSec: number;
  /** The base branch an earlier try chose ('' on the first). */
  baseBranch?: string;
}

export interface PushedBranch {
  branch: string;
  commit: string;
  /** The branch a pull request targets: the task's ref if it is a branch, else the repository's default branch. */
  baseBranch: string;
  /** The branch held this commit already (an earlier try pushed it). */
  alreadyThere: boolean;
}

const AUTHOR = { name: 'Cline (fleet)', email: 'cline@fleet.invalid' };

interface Git {
  run(args: string[], extraEnv?: Record<string, string>): Promise<string>;
}

/** A git that did not finish in time: its whole process group is killed (git leaves helpers that hold its pipes). */
class GitKilled extends Error {
  readonly killed = true;
  constructor(readonly stderr: string) {
    super('git was stopped');
  }
}

/**
 * Runs git in its own process group, so that a timeout or the try's end
 * kills git and its helpers (git-remote-https, a lazy fetch's git) alike:
 * otherwise a helper holding the pipes keeps the call from ever returning.
 */
function runGit(args: string[], env: Record<string, string>, cwd: string, signal: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let stopped = false;
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Gone already.
      }
    };
    const stop = () => {
      if (stopped) return;
      stopped = true;
      killGroup();
    };
    const timer = setTimeout(stop, GIT_TIMEOUT_MS);
    signal?.addEventListener('abort', stop, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > GIT_OUTPUT_LIMIT_BYTES) stop();
      else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.reduce((n, b) => n + b.length, 0) < 64 * 1024) err.push(chunk);
    });
    const done = (code: number | null, failure?: Error) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', stop);
      const stderr = Buffer.concat(err).toString('utf8');
      if (stopped) reject(new GitKilled(stderr));
      else if (failure) reject(Object.assign(failure, { stderr }));
      else if (code !== 0) reject(Object.assign(new Error(`git ${args[0]} exited with code ${code}`), { stderr }));
      else resolve(Buffer.concat(out).toString('utf8'));
    };
    child.on('error', (e) => done(null, e));
    // When git exits, helpers it left behind (which would hold its pipes open, and the answer with them) go too; the answer is whole at "close".
    child.on('exit', killGroup);
    child.on('close', (code) => done(code));
  });
}

function gitIn(dir: string, auth: { username: string; password: string }, scope: string, signal: AbortSignal | undefined): Git {
  const basic = Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    // Nothing of the host's or the user's git configuration: no credential helper, no rewrites.
    HOME: dir,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '/bin/false',
    GIT_ALLOW_PROTOCOL: 'http:https',
    LC_ALL: 'C',
    GIT_CONFIG_COUNT: '5',
    // Scoped to the forge's repositories by git's own URL matching, besides the check made before.
    GIT_CONFIG_KEY_0: `http.${scope}.extraHeader`,
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
    // The header must not follow a redirect to another host.
    GIT_CONFIG_KEY_1: 'http.followRedirects',
    GIT_CONFIG_VALUE_1: 'false',
    GIT_CONFIG_KEY_2: 'core.hooksPath',
    GIT_CONFIG_VALUE_2: '/dev/null',
    // A server that trickles is cut off: under 1 KB/s for a minute.
    GIT_CONFIG_KEY_3: 'http.lowSpeedLimit',
    GIT_CONFIG_VALUE_3: '1000',
    GIT_CONFIG_KEY_4: 'http.lowSpeedTime',
    GIT_CONFIG_VALUE_4: '60',
  };
  return { run: (args, extraEnv = {}) => runGit(args, { ...env, GIT_DIR: dir, ...extraEnv }, dir, signal) };
}

/** git's own words for a failure: its last fatal/error/rejected line, without a URL's credentials. */
function gitSays(err: unknown): string {
  const stderr = String((err as { stderr?: string }).stderr ?? '');
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const useful = lines.filter((l) => /^(fatal|error|remote):|\[(remote )?rejected\]|declined/.test(l));
  const said = useful.at(-1) ?? lines.at(-1) ?? ((err as { killed?: boolean }).killed ? `git timed out after ${GIT_TIMEOUT_MS / 1000}s` : (err as Error).message);
  return withoutCredentials(said).slice(0, 400);
}

const REFUSED = /Authentication failed|could not read Username|HTTP (401|403)|The requested URL returned error: (401|403)|terminal prompts disabled|Permission.*denied|permission to .* denied/i;
const UNAVAILABLE = /Could not resolve host|Connection refused|Connection reset|timed out|Operation timed out|early EOF|RPC failed|returned error: (5\d\d|429)|HTTP (5\d\d|429)|unexpected disconnect|Failed to connect|the remote end hung up/i;
const MISSING = /not found|does not appear to be a git repository|returned error: 404|HTTP 404/i;

/** What a failed git command means for the delivery: the forge's refusal ends it; the forge or the network down is tried again. */
function classify(err: unknown, doing: string, repoUrl: string): DeliveryError {
  const said = gitSays(err);
  const where = withoutCredentials(repoUrl);
  if (REFUSED.test(said)) return new DeliveryError(`the forge refused the token ${doing} ${where} (${said}): check the forge's token and its permission to push (fleetctl forge set …)`, false);
  if (UNAVAILABLE.test(said) || (err as { killed?: boolean }).killed) return new DeliveryError(`the forge did not answer ${doing} ${where}: ${said}`, true);
  if (MISSING.test(said)) return new DeliveryError(`${where} was not found ${doing} it (${said}): does the forge's token see the repository?`, false);
  return new DeliveryError(`git failed ${doing} ${where}: ${said}`, true);
}

/** The remote's branches and where its HEAD points, from one ls-remote. */
async function remoteHeads(git: Git, repoUrl: string): Promise<{ heads: Map<string, string>; defaultBranch: string }> {
  let out: string;
  try {
    out = await git.run(['ls-remote', '--symref', 'origin', 'HEAD', 'refs/heads/*']);
  } catch (err) {
    throw classify(err, 'listing the branches of', repoUrl);
  }
  const heads = new Map<string, string>();
  let defaultBranch = '';
  for (const line of out.split('\n')) {
    const symref = /^ref: refs\/heads\/(\S+)\tHEAD$/.exec(line);
    if (symref) defaultBranch = symref[1]!;
    const head = /^([0-9a-f]{40,64})\trefs\/heads\/(\S+)$/.exec(line);
    if (head) heads.set(head[2]!, head[1]!);
  }
  return { heads, defaultBranch };
}

/**
 * Makes the result's commit and pushes it as `plan.branch`, unless the branch
 * holds it already. The scratch repository is a fresh directory (mode 0700)
 * under `options.workRoot`, removed afterwards.
 */
export interface PushOptions {
  /** The forge's repository prefix: the only URLs git sends the token to. */
  scope: string;
  /** Where the scratch repository goes (default: the system's temporary directory). */
  workRoot?: string;
  /** Ends the try: every git it runs is killed. */
  signal?: AbortSignal;
  /** Called before the push: false (the task moved on, a cancel) stops the try there. */
  stillWanted?: () => boolean;
}

export async function pushResult(plan: CommitPlan, auth: { username: string; password: string }, options: PushOptions): Promise<PushedBranch> {
  const dir = await mkdtemp(join(options.workRoot ?? tmpdir(), 'fleet-delivery-'));
  try {
    const git = gitIn(dir, auth, options.scope, options.signal);
    await git.run(['init', '--quiet', '--bare', dir]);
    await git.run(['remote', 'add', 'origin', plan.repoUrl]);
    const { heads, defaultBranch } = await remoteHeads(git, plan.repoUrl);
    const refBranch = plan.ref.replace(/^refs\/heads\//, '');
    // An earlier try's base stands: a pull request found by head and base must be looked for where it was opened.
    const baseBranch = plan.baseBranch || (refBranch !== '' && heads.has(refBranch) ? refBranch : defaultBranch);
    if (baseBranch === '') throw new DeliveryError(`cannot tell which branch of ${withoutCredentials(plan.repoUrl)} a pull request would target: the task's ref "${plan.ref}" is no branch, and the repository has no default branch`, false);
    if (plan.branch === baseBranch) throw new DeliveryError(`the branch to push, "${plan.branch}", is the base branch itself: submit with another --branch`, false);

    try {
      await git.run(['fetch', '--quiet', '--no-tags', '--depth=1', '--filter=blob:none', 'origin', plan.baseCommit]);
    } catch (err) {
      const said = gitSays(err);
      if (/not our ref|couldn't find remote ref|no such remote ref|unadvertised object/i.test(said)) {
        throw new DeliveryError(`the result's base commit ${plan.baseCommit.slice(0, 12)} is no longer on ${withoutCredentials(plan.repoUrl)} (${said}): its history was rewritten; run the task again`, false);
      }
      throw classify(err, 'fetching the base commit from', plan.repoUrl);
    }

    const patchFile = join(dir, 'result.patch');
    await writeFile(patchFile, plan.patch, { mode: 0o600 });
    const index = { GIT_INDEX_FILE: join(dir, 'delivery.index') };
    let tree: string;
    try {
      await git.run(['read-tree', plan.baseCommit], index);
      await git.run(['apply', '--cached', '--binary', '--whitespace=nowarn', patchFile], index);
      tree = (await git.run(['write-tree'], index)).trim();
    } catch (err) {
      // A lazy fetch of the blobs the patch touches can fail anywhere in git's output, or be stopped: the forge's fault, not the patch's.
      const stderr = String((err as { stderr?: string }).stderr ?? '');
      if ((err as { killed?: boolean }).killed || UNAVAILABLE.test(stderr) || /could not fetch .* from promisor remote/i.test(stderr)) {
        throw new DeliveryError(`the forge did not answer fetching the files the patch changes from ${withoutCredentials(plan.repoUrl)}: ${gitSays(err)}`, true);
      }
      throw new DeliveryError(`the stored patch does not apply to its base commit ${plan.baseCommit.slice(0, 12)}: ${gitSays(err)}`, false);
    }
    const when = `@${plan.timeSec} +0000`;
    const commit = (
      await git.run(['commit-tree', tree, '-p', plan.baseCommit, '-m', plan.message], {
        ...index,
        GIT_AUTHOR_NAME: AUTHOR.name,
        GIT_AUTHOR_EMAIL: AUTHOR.email,
        GIT_AUTHOR_DATE: when,
        GIT_COMMITTER_NAME: AUTHOR.name,
        GIT_COMMITTER_EMAIL: AUTHOR.email,
        GIT_COMMITTER_DATE: when,
      })
    ).trim();

    const there = heads.get(plan.branch);
    const made = { branch: plan.branch, commit, baseBranch };
    if (there === commit) return { ...made, alreadyThere: true };
    if (there !== undefined) throw occupied(plan.branch, there, commit);
    if (options.stillWanted && !options.stillWanted()) throw new DeliveryError('the task is no longer delivering (cancelled, or taken over by another replica): nothing was pushed', false, { commit, baseBranch });
    try {
      await git.run(['push', '--quiet', '--no-verify', `--force-with-lease=refs/heads/${plan.branch}:`, 'origin', `${commit}:refs/heads/${plan.branch}`]);
      return { ...made, alreadyThere: false };
    } catch (err) {
      // Another try (another replica) may have pushed the same commit meanwhile: that is this delivery done.
      const now = await remoteHeads(git, plan.repoUrl).catch(() => null);
      const found = now?.heads.get(plan.branch);
      if (found === commit) return { ...made, alreadyThere: true };
      if (found !== undefined) throw occupied(plan.branch, found, commit);
      // The server's reason is in its own lines ("remote: …", "! [remote rejected] … (…)"), before git's summary.
      const lines = String((err as { stderr?: string }).stderr ?? '').split('\n').map((l) => l.trim());
      const rejected = lines.filter((l) => /\[remote rejected\]|^remote: \S/.test(l));
      if (rejected.some((l) => /\[remote rejected\]|declined|protected/i.test(l))) {
        const why = withoutCredentials(rejected.slice(-3).join('; ')).slice(0, 400);
        throw new DeliveryError(`the forge refused the push to branch "${plan.branch}" (${why}): the branch may be protected; submit with another --branch or change the forge's rules, then fleetctl task deliver`, false);
      }
      throw classify(err, 'pushing to', plan.repoUrl);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function occupied(branch: string, there: string, commit: string): DeliveryError {
  return new DeliveryError(`branch "${branch}" exists already at ${there.slice(0, 12)}, which is not this result's commit ${commit.slice(0, 12)}: it is never overwritten; delete it or submit with another --branch`, false);
}

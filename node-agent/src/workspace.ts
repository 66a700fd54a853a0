/**
 * An attempt's workspace for Cline: the agent clones the repository itself
 * (with whatever git credentials the agent's host has; the container gets
 * none), checks out the ref, and after the run computes the change as a
 * patch against the base commit.
 *
 * Layout under the attempt's directory:
 *   base.git/    a bare clone: the agent's own, never mounted. With a warm
 *                repository cache (repo-cache.ts) it is a local clone of the
 *                node's mirror of the repository (hardlinked objects), made
 *                after a fetch into the mirror. The patch is
 *                computed with it as GIT_DIR, so nothing the container wrote
 *                into workspace/.git (hooks, config, fsmonitor) is ever read
 *                by a git the agent runs.
 *   workspace/   a checkout for the container (/workspace), owned by its user,
 *                with no remote (no URL, so no credentials inside).
 *   run/         the gateway socket and the prompt, mounted read-only at
 *                /run/fleet. The agent's own: the container can read and
 *                connect, never plant a link there for the agent to follow.
 *
 * Whatever the repository holds (symlinks to /etc/shadow included) is the
 * task's, and is handed over without ever following a link.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { chmod, lchown, lstat, mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FleetError } from '../../common/errors.js';
import { withoutCredentials } from '../../common/repo-key.js';
import { REMOTE_HEAD_REF, RepoFetchError, type RepoCache } from './repo-cache.js';

const CLONE_TIMEOUT_MS = 10 * 60_000;
const GIT_TIMEOUT_MS = 2 * 60_000;
const GIT_OUTPUT_LIMIT_BYTES = 64 * 1024 * 1024;
/** The agent image's user (uid and gid 1000, "cline"). */
export const IMAGE_UID = 1000;

/**
 * Who the container runs as. An agent running as root (a plain install, the
 * tests) hands the workspace to the image's own non-root user. An agent
 * running as an unprivileged user (the systemd unit's `fleet`) cannot chown,
 * so the container runs as that same user: it can write the workspace, and
 * the agent can read and remove what it wrote. Never root either way.
 */
export function containerUser(): { uid: number; gid: number } {
  const uid = process.getuid?.() ?? IMAGE_UID;
  const gid = process.getgid?.() ?? IMAGE_UID;
  return uid === 0 ? { uid: IMAGE_UID, gid: IMAGE_UID } : { uid, gid };
}

/** The repository or ref cannot be had: the task's own problem, told plainly (never with a URL's credentials). */
export class WorkspaceError extends FleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FAILED_PRECONDITION', withoutCredentials(message), options);
  }
}

export interface WorkspacePaths {
  root: string;
  baseGit: string;
  workspace: string;
  run: string;
}

export function workspacePaths(attemptDir: string): WorkspacePaths {
  return { root: attemptDir, baseGit: join(attemptDir, 'base.git'), workspace: join(attemptDir, 'workspace'), run: join(attemptDir, 'run') };
}

interface GitResult {
  stdout: Buffer;
  stderr: string;
}

/** Runs git with no prompts, no hooks, no system or user config surprises. */
function git(args: string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      ['-c', 'core.hooksPath=/dev/null', '-c', 'safe.directory=*', '-c', 'core.fsmonitor=false', ...args],
      {
        cwd: options.cwd,
        encoding: 'buffer',
        timeout: options.timeoutMs ?? GIT_TIMEOUT_MS,
        maxBuffer: GIT_OUTPUT_LIMIT_BYTES,
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '/bin/true', LC_ALL: 'C', ...options.env },
      },
      (err, stdout, stderr) => {
        if (err) reject(Object.assign(err, { stderr: stderr.toString() }));
        else resolve({ stdout, stderr: stderr.toString() });
      },
    );
  });
}

function lastLine(err: unknown): string {
  const stderr = String((err as { stderr?: string }).stderr ?? '');
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const useful = lines.filter((l) => /^(fatal|error):/.test(l));
  return (useful.at(-1) ?? lines.at(-1) ?? (err as Error).message).slice(0, 500);
}

export interface PreparedWorkspace {
  paths: WorkspacePaths;
  baseCommit: string;
}

/**
 * Clones `repoUrl` at `ref` ('' = the default branch) into a fresh attempt
 * directory: straight from the origin, or, with a repository cache, from
 * the node's mirror after a fetch into it.
 */
export async function prepareWorkspace(attemptDir: string, repoUrl: string, ref: string, owner = containerUser(), cache: RepoCache | null = null): Promise<PreparedWorkspace> {
  const paths = workspacePaths(attemptDir);
  await rm(attemptDir, { recursive: true, force: true });
  await mkdir(paths.run, { recursive: true, mode: 0o755 });
  // Whatever the umask: the container's user reads the prompt and connects to the socket through it.
  await chmod(paths.run, 0o755);
  const baseCommit = cache ? await cloneFromCache(cache, paths, repoUrl, ref) : await cloneFromOrigin(paths, repoUrl, ref);
  try {
    await git(['clone', '--quiet', '--no-hardlinks', '--no-checkout', '--', paths.baseGit, paths.workspace]);
    await git(['-C', paths.workspace, 'checkout', '--quiet', '--detach', baseCommit]);
    // No remote: its URL could carry credentials, and the container needs none.
    await git(['-C', paths.workspace, 'remote', 'remove', 'origin']);
    await git(['-C', paths.workspace, 'config', 'user.name', 'Cline (fleet)']);
    await git(['-C', paths.workspace, 'config', 'user.email', 'cline@fleet.invalid']);
  } catch (err) {
    throw new WorkspaceError(`cannot check out ${baseCommit.slice(0, 12)} of ${repoUrl}: ${lastLine(err)}`, { cause: err });
  }
  if (owner.uid !== process.getuid?.()) await chownTree(paths.workspace, owner);
  return { paths, baseCommit };
}

function noRef(repoUrl: string, ref: string, err: unknown): WorkspaceError {
  return new WorkspaceError(
    ref === '' ? `${repoUrl} has no default branch to check out (is it empty?)` : `ref "${ref}" is not a branch, tag or commit of ${repoUrl}`,
    { cause: err },
  );
}

async function resolveCommit(gitDir: string, spec: string): Promise<string> {
  return (await git(['--git-dir', gitDir, 'rev-parse', '--verify', '--quiet', '--end-of-options', `${spec}^{commit}`])).stdout.toString().trim();
}

/** Today's path (and the path with the cache off): a bare clone from the origin. */
async function cloneFromOrigin(paths: WorkspacePaths, repoUrl: string, ref: string): Promise<string> {
  try {
    await git(['clone', '--quiet', '--bare', '--', repoUrl, paths.baseGit], { timeoutMs: CLONE_TIMEOUT_MS });
  } catch (err) {
    throw new WorkspaceError(`cannot clone ${repoUrl}: ${lastLine(err)}`, { cause: err });
  }
  try {
    return await resolveCommit(paths.baseGit, ref === '' ? 'HEAD' : ref);
  } catch (err) {
    throw noRef(repoUrl, ref, err);
  }
}

/**
 * With the cache: fetch into the mirror (under its lock), resolve the ref
 * there, and clone base.git from it locally. A local clone copies the
 * mirror's whole object store (hardlinks where the filesystem allows), so
 * the resolved commit is in base.git even if it is on no branch. The
 * mirror has no remote URL; neither has base.git's origin (the mirror's
 * path), so no credential is written under the attempt either.
 */
async function cloneFromCache(cache: RepoCache, paths: WorkspacePaths, repoUrl: string, ref: string): Promise<string> {
  return cache.withMirror(repoUrl, ref === '', async (mirror) => {
    let commit: string;
    try {
      commit = await resolveCommit(mirror, ref === '' ? REMOTE_HEAD_REF : ref);
    } catch (err) {
      throw noRef(repoUrl, ref, err);
    }
    try {
      await git(['clone', '--quiet', '--bare', '--', mirror, paths.baseGit], { timeoutMs: CLONE_TIMEOUT_MS });
    } catch (err) {
      throw new WorkspaceError(`cannot clone ${repoUrl} from the node's mirror: ${lastLine(err)}`, { cause: err });
    }
    return commit;
  }).catch((err: unknown) => {
    if (err instanceof WorkspaceError) throw err;
    if (err instanceof RepoFetchError) {
      if (ref === '' && /couldn't find remote ref HEAD/i.test(err.stderr)) throw noRef(repoUrl, ref, err);
      throw new WorkspaceError(`cannot clone ${repoUrl}: ${lastLine(err)}`, { cause: err });
    }
    throw err;
  });
}

/**
 * Hands a checkout to the container's user without following a link: a
 * symlink is itself chowned (lchown), never its target, and only real
 * directories are entered (readdir's types come from the entries, not from
 * what they point at). Nothing else writes here before the container starts.
 */
async function chownTree(dir: string, owner: { uid: number; gid: number }): Promise<void> {
  await lchown(dir, owner.uid, owner.gid);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(path, owner);
    else await lchown(path, owner.uid, owner.gid);
  }
}

/**
 * Writes the prompt as a new file of the agent's: whatever was at its name
 * is unlinked (not followed), and the file is created exclusively without
 * following a link, then made readable by the container's user through its
 * own descriptor.
 */
export async function writePrompt(paths: WorkspacePaths, prompt: string): Promise<string> {
  const file = join(paths.run, 'prompt');
  await rm(file, { force: true });
  const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    await handle.writeFile(prompt);
    await handle.chmod(0o644);
  } finally {
    await handle.close();
  }
  return file;
}

/**
 * run/ as `prepareWorkspace` makes it: a directory of the agent's that no one
 * else may write. An attempt adopted from an older agent, which handed run/
 * to the container's user, gets it back before the gateway makes its socket
 * there again (a link in run/'s place is refused, not followed).
 */
export async function claimRunDir(paths: WorkspacePaths): Promise<void> {
  const found = await lstat(paths.run);
  if (!found.isDirectory()) throw new WorkspaceError(`${paths.run} is not a directory: the attempt's workspace was changed outside the agent`);
  const uid = process.getuid?.() ?? found.uid;
  const gid = process.getgid?.() ?? found.gid;
  if (found.uid !== uid || found.gid !== gid) await lchown(paths.run, uid, gid);
  // Its parent is the agent's, so what was just looked at is what is changed.
  if ((found.mode & 0o022) !== 0) await chmod(paths.run, 0o755);
}

export interface WorkspacePatch {
  patch: Buffer;
  filesChanged: number;
}

/**
 * Everything the run changed in the work tree (new, changed and deleted
 * files; .gitignore'd ones left out), as a binary-safe patch against the base
 * commit. Commits Cline made inside the container count too: the patch is
 * taken from the files, not from the container's history.
 */
export async function computePatch(paths: WorkspacePaths, baseCommit: string): Promise<WorkspacePatch> {
  const index = join(paths.root, 'patch.index');
  const env = { GIT_DIR: paths.baseGit, GIT_WORK_TREE: paths.workspace, GIT_INDEX_FILE: index };
  try {
    await git(['read-tree', baseCommit], { env });
    await git(['add', '--all', '--', '.'], { env, cwd: paths.workspace });
    const patch = (await git(['diff', '--cached', '--binary', '--full-index', '--no-color', '--no-ext-diff', '--no-textconv', baseCommit], { env })).stdout;
    const names = (await git(['diff', '--cached', '--name-only', '-z', baseCommit], { env })).stdout.toString().split('\0').filter(Boolean);
    return { patch, filesChanged: names.length };
  } catch (err) {
    throw new WorkspaceError(`cannot compute the patch: ${lastLine(err)}`, { cause: err });
  } finally {
    await rm(index, { force: true });
  }
}

export async function removeWorkspace(attemptDir: string): Promise<void> {
  await rm(attemptDir, { recursive: true, force: true });
}

/**
 * Warm repository caches: a bare mirror per repository under the agent's
 * data directory (`<data>/repo-cache/<key>.git`), fetched into before each
 * Cline attempt and cloned from locally, so a second task on a repository
 * downloads only what changed since the first.
 *
 * Security model (see workspace.ts for the attempt's side):
 * - The cache directory is the agent's (mode 0700) and is never mounted into
 *   a container. Attempts clone their base.git (also the agent's, never
 *   mounted) from a mirror with git's local clone, which hardlinks the
 *   object files when it can; the container's workspace/ is then cloned
 *   from base.git with --no-hardlinks, so nothing a container can write
 *   shares an inode with a mirror. Git never rewrites an object or pack file
 *   in place, and mirrors have gc.auto=0, so a hardlinked file is never
 *   changed under either side. No alternates are used: a workspace that
 *   borrowed objects from a mirror would break when the mirror is evicted.
 * - Credentials stay as today: git runs with the agent's host configuration
 *   and credential helpers. The URL is passed to each fetch and never stored
 *   in the mirror (no remote is configured), so a token in a URL's userinfo
 *   is not persisted on disk. Directory names, logs and heartbeats carry
 *   the key (common/repo-key.ts), never the URL.
 * - Every task's fetch goes to the origin, so a task whose credentials do
 *   not reach the repository fails as it would without the cache: the cache
 *   saves bytes, never an access check.
 *
 * Concurrency: one agent per data directory (its identity and journal are
 * there too), so an in-process lock per key is enough; no lock files. A
 * fetch (or the first clone) runs under the key's lock; the local clone
 * from the mirror runs outside it, counted as a user, and a mirror with
 * users (or waiters) is never evicted.
 *
 * Size: the mirrors together are kept under `maxBytes` by evicting the
 * least recently used (the mirror directory's mtime, touched on each use,
 * so the order survives a restart without an index file). A mirror bigger
 * than the whole budget is used once and evicted when its attempt has
 * cloned from it.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../common/logger.js';
import { repoKey, REPO_KEY_PATTERN, withoutCredentials } from '../../common/repo-key.js';

const FETCH_TIMEOUT_MS = 10 * 60_000;
const GIT_TIMEOUT_MS = 2 * 60_000;
/** The ref a mirror keeps the origin's default branch (HEAD) under. */
export const REMOTE_HEAD_REF = 'refs/fleet/remote-head';
/** What a mirror holds: branches and tags (what `git clone --bare` takes), not refs/pull/* and the like. */
const REFSPECS = ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'];
/** 10 GiB. */
export const DEFAULT_REPO_CACHE_MAX_BYTES = 10 * 1024 ** 3;

/** The metrics' side: counters told as things happen, gauges read at scrape time. */
export interface RepoCacheObserver {
  hit(): void;
  miss(): void;
  evicted(): void;
}

export const NO_OBSERVER: RepoCacheObserver = { hit: () => {}, miss: () => {}, evicted: () => {} };

/** A fetch or clone the origin refused or could not serve: the task's problem. */
export class RepoFetchError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface Entry {
  bytes: number;
  lastUsedMs: number;
  /** Holds a mirror on disk. */
  present: boolean;
  /** Attempts between asking for the mirror and having cloned from it (lock waiters included). */
  users: number;
}

export interface RepoCacheOptions {
  /** The cache's directory (created 0700). */
  dir: string;
  /** The mirrors' total size budget, bytes (> 0). */
  maxBytes: number;
  log: Logger;
  observer?: RepoCacheObserver;
  now?: () => number;
}

/**
 * Whether a failed fetch into an existing mirror points at the mirror itself
 * (corrupt objects or refs, not a repository) rather than at the origin or
 * the network. Only then is the mirror removed and cloned again: a network
 * blip must not cost a warm cache. Disk full is neither: it is left alone.
 */
export function isMirrorFault(stderr: string): boolean {
  if (/No space left on device|Disk quota exceeded/i.test(stderr)) return false;
  return /not a git repository|bad object|is corrupt|corrupt (loose|pack)|object file .* is empty|did not send all necessary objects|packfile .* cannot be accessed|bad config|broken link|missing (blob|tree|commit) |unable to read [0-9a-f]{40}|invalid (sha1 )?pointer|fatal: bad (ref|revision)|cannot lock ref|unable to (update|resolve) (local )?ref|index-pack failed|inflate: data stream error/i.test(
    stderr,
  );
}

/**
 * Which mirrors to evict, least recently used first, until the total is
 * within `maxBytes`. Mirrors with users are kept (and still counted).
 */
export function chooseEvictions(entries: ReadonlyMap<string, Pick<Entry, 'bytes' | 'lastUsedMs' | 'present' | 'users'>>, maxBytes: number): string[] {
  let total = 0;
  for (const e of entries.values()) if (e.present) total += e.bytes;
  if (total <= maxBytes) return [];
  const idle = [...entries].filter(([, e]) => e.present && e.users === 0).sort(([ka, a], [kb, b]) => a.lastUsedMs - b.lastUsedMs || (ka < kb ? -1 : 1));
  const out: string[] = [];
  for (const [key, e] of idle) {
    if (total <= maxBytes) break;
    out.push(key);
    total -= e.bytes;
  }
  return out;
}

/** Runs git with no prompts, no hooks, and the host's own credentials. */
function git(args: string[], timeoutMs = GIT_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', ...args],
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '/bin/true', LC_ALL: 'C' } },
      (err, stdout, stderr) => {
        if (err) reject(Object.assign(err, { stderr: String(stderr) }));
        else resolve(String(stdout));
      },
    );
  });
}

function stderrOf(err: unknown): string {
  return String((err as { stderr?: string }).stderr ?? (err as Error).message ?? err);
}

/** Bytes under a directory, links not followed (a mirror holds none; lstat makes sure). */
async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await treeBytes(path);
    else total += (await lstat(path).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

export class RepoCache {
  private readonly entries = new Map<string, Entry>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly observer: RepoCacheObserver;
  private readonly now: () => number;
  private evicting: Promise<void> = Promise.resolve();

  private constructor(private readonly options: RepoCacheOptions) {
    this.observer = options.observer ?? NO_OBSERVER;
    this.now = options.now ?? Date.now;
  }

  /**
   * Opens the cache: makes its directory the agent's alone, removes what a
   * crash left half-made, and learns the mirrors on disk (size, last use).
   */
  static async open(options: RepoCacheOptions): Promise<RepoCache> {
    if (!(options.maxBytes > 0)) throw new Error('repo cache: maxBytes must be positive (0 disables the cache: do not open one)');
    const cache = new RepoCache(options);
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    const found = await lstat(options.dir);
    if (!found.isDirectory()) throw new Error(`repo cache: ${options.dir} is not a directory`);
    await chmod(options.dir, 0o700);
    for (const entry of await readdir(options.dir, { withFileTypes: true })) {
      const path = join(options.dir, entry.name);
      const match = /^([0-9a-f]+)\.git$/.exec(entry.name);
      if (!entry.isDirectory() || !match || !REPO_KEY_PATTERN.test(match[1]!)) {
        // Half-made clones (.tmp-…), evictions cut short (.evict-…), anything else: not ours to keep.
        await rm(path, { recursive: true, force: true });
        continue;
      }
      const st = await stat(path);
      cache.entries.set(match[1]!, { bytes: await treeBytes(path), lastUsedMs: st.mtimeMs, present: true, users: 0 });
    }
    await cache.evict();
    return cache;
  }

  /** The keys of the repositories this node holds, sorted (for heartbeats). */
  keys(): string[] {
    return [...this.entries].filter(([, e]) => e.present).map(([k]) => k).sort();
  }

  /** The mirrors' total size, bytes. */
  bytes(): number {
    let total = 0;
    for (const e of this.entries.values()) if (e.present) total += e.bytes;
    return total;
  }

  mirrorPath(key: string): string {
    return join(this.options.dir, `${key}.git`);
  }

  /**
   * Brings the repository's mirror up to date with its origin (creating it
   * on first use), then runs `use` with the mirror's path: the caller clones
   * from it there. The mirror is not evicted while `use` runs. When
   * `withHead`, the origin's default branch is fetched to REMOTE_HEAD_REF.
   */
  async withMirror<T>(url: string, withHead: boolean, use: (mirror: string) => Promise<T>): Promise<T> {
    const key = repoKey(url);
    const entry = this.entry(key);
    entry.users += 1;
    try {
      const mirror = await this.locked(key, () => this.refresh(key, url, withHead));
      const result = await use(mirror);
      entry.lastUsedMs = this.now();
      const at = new Date(entry.lastUsedMs);
      await utimes(mirror, at, at).catch(() => {});
      return result;
    } finally {
      entry.users -= 1;
      if (!entry.present && entry.users === 0) this.entries.delete(key);
      await this.evict().catch((err) => this.options.log.warn({ err: String(err) }, 'repo cache eviction failed'));
    }
  }

  private entry(key: string): Entry {
    let e = this.entries.get(key);
    if (!e) {
      e = { bytes: 0, lastUsedMs: 0, present: false, users: 0 };
      this.entries.set(key, e);
    }
    return e;
  }

  /** Runs `fn` alone among those for the same key. */
  private locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => {});
    this.locks.set(key, tail);
    void tail.then(() => {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    });
    return run;
  }

  /** Under the key's lock: fetch into the mirror, or make it. */
  private async refresh(key: string, url: string, withHead: boolean): Promise<string> {
    const entry = this.entry(key);
    const mirror = this.mirrorPath(key);
    const present = await lstat(mirror).then((s) => s.isDirectory(), () => false);
    if (present) {
      try {
        await this.fetch(mirror, url, withHead);
        this.observer.hit();
        entry.present = true;
        entry.bytes = await treeBytes(mirror);
        this.options.log.info({ repoKey: key, bytes: entry.bytes }, 'repository mirror fetched');
        return mirror;
      } catch (err) {
        const stderr = stderrOf(err);
        if (!isMirrorFault(stderr)) throw new RepoFetchError(`fetch failed: ${stderr}`, stderr, { cause: err });
        this.options.log.warn({ repoKey: key, err: withoutCredentials(lastLine(stderr)) }, 'repository mirror is damaged: removing it and cloning again');
        await this.remove(key);
      }
    }
    // A new mirror is made aside and renamed into place: a crash leaves only a .tmp- directory, removed at the next start.
    const tmp = join(this.options.dir, `${key}.git.tmp-${randomBytes(6).toString('hex')}`);
    try {
      await git(['init', '--quiet', '--bare', tmp]);
      // No auto gc: a hardlinked pack must never be repacked away under a clone. No remote: the URL is not stored.
      await git(['--git-dir', tmp, 'config', 'gc.auto', '0']);
      await git(['--git-dir', tmp, 'config', 'core.logAllRefUpdates', 'false']);
      await this.fetch(tmp, url, withHead);
      await rename(tmp, mirror);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      const stderr = stderrOf(err);
      throw new RepoFetchError(`clone failed: ${stderr}`, stderr, { cause: err });
    }
    this.observer.miss();
    entry.present = true;
    entry.bytes = await treeBytes(mirror);
    entry.lastUsedMs = this.now();
    this.options.log.info({ repoKey: key, bytes: entry.bytes }, 'repository mirror made');
    return mirror;
  }

  private async fetch(mirror: string, url: string, withHead: boolean): Promise<void> {
    const refspecs = withHead ? [...REFSPECS, `+HEAD:${REMOTE_HEAD_REF}`] : REFSPECS;
    await git(['--git-dir', mirror, 'fetch', '--quiet', '--prune', '--no-tags', '--no-write-fetch-head', '--', url, ...refspecs], FETCH_TIMEOUT_MS);
  }

  /** Takes a mirror off disk: renamed aside first, so its name is free at once and a crash leaves no half-removed mirror. */
  private async remove(key: string): Promise<void> {
    const mirror = this.mirrorPath(key);
    const aside = join(this.options.dir, `${key}.git.evict-${randomBytes(6).toString('hex')}`);
    const entry = this.entries.get(key);
    if (entry) {
      entry.present = false;
      entry.bytes = 0;
    }
    await rename(mirror, aside).catch(() => {});
    await rm(aside, { recursive: true, force: true });
  }

  /** Evicts the least recently used idle mirrors until the total fits. One eviction round at a time. */
  evict(): Promise<void> {
    this.evicting = this.evicting.then(async () => {
      for (const key of chooseEvictions(this.entries, this.options.maxBytes)) {
        await this.locked(key, async () => {
          const e = this.entries.get(key);
          // Someone asked for it since: keep it.
          if (!e || e.users > 0 || !e.present) return;
          await this.remove(key);
          this.entries.delete(key);
          this.observer.evicted();
          this.options.log.info({ repoKey: key }, 'repository mirror evicted (least recently used)');
        });
      }
    });
    return this.evicting;
  }
}

function lastLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  return (lines.filter((l) => /^(fatal|error):/.test(l)).at(-1) ?? lines.at(-1) ?? '').slice(0, 500);
}

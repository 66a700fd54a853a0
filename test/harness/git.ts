/** Local git repositories for the tests that clone them (workspaces, Cline tasks). */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Runs git in `cwd` with a fixed author; returns its trimmed output. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' }).trim();
}

/** A new repository at `path` on branch main with `files` in one commit; returns the commit. */
export function makeRepo(path: string, files: Record<string, string>): string {
  mkdirSync(path, { recursive: true });
  git(path, 'init', '--quiet', '--initial-branch=main');
  for (const [name, content] of Object.entries(files)) writeFileSync(join(path, name), content);
  git(path, 'add', '.');
  git(path, 'commit', '--quiet', '-m', 'first');
  return git(path, 'rev-parse', 'HEAD');
}

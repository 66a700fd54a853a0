/**
 * Why the previous agent process ended, as the next one learns it at start.
 *
 * Two small files in the data directory (mode 0700, the fleet user's only;
 * a container never sees it: workspaces are mounted from `attempts/`):
 * - `last-exit`, written by the unit's ExecStopPost from systemd's own
 *   verdict: SERVICE_RESULT (success, exit-code, signal, core-dump,
 *   watchdog, ...), EXIT_CODE and EXIT_STATUS;
 * - `self-check-failing`, written by the agent when its self-check starts
 *   failing (the problems it found) and removed when it passes again.
 * Both are read once and removed; both are bounded and validated like any
 * input, and never followed through a link.
 */
import { closeSync, constants, fstatSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { PreviousExit } from '../../common/model.js';

export const LAST_EXIT_FILE = 'last-exit';
export const SELF_CHECK_FILE = 'self-check-failing';
const MAX_FILE_BYTES = 4096;
const MAX_REASON_CHARS = 500;

/** The file's text, or null when it is absent, a link, not a regular file, or too large. Removed either way. */
function take(path: string): { text: string; mtimeMs: number } | null {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.size > MAX_FILE_BYTES) return null;
    const buffer = Buffer.alloc(stat.size);
    const read = readSync(fd, buffer, 0, stat.size, 0);
    return { text: buffer.subarray(0, read).toString('utf8'), mtimeMs: stat.mtimeMs };
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
    try {
      rmSync(path, { force: true });
    } catch {
      // A directory is not removed (nor emptied): it is no verdict, and must not stop the start.
    }
  }
}

const WORD = /^[A-Za-z0-9+-]{1,32}$/;

/** Reads and removes what the previous process (and systemd) left; null on a first start or outside systemd with a clean stop. */
export function takePreviousExit(dataDir: string): PreviousExit | null {
  const lastExit = take(join(dataDir, LAST_EXIT_FILE));
  const failing = take(join(dataDir, SELF_CHECK_FILE));
  if (!lastExit && !failing) return null;
  const [result = '', exitCode = '', exitStatus = ''] = (lastExit?.text.trim() ?? '').split(/\s+/);
  const reason = (failing?.text ?? '').replace(/[^\x20-\x7e]+/g, ' ').trim().slice(0, MAX_REASON_CHARS);
  return {
    // Without systemd's verdict the process ended without a word: a crash, a kill, a power cut.
    result: WORD.test(result) ? result : 'unknown',
    exitCode: WORD.test(exitCode) ? exitCode : '',
    exitStatus: WORD.test(exitStatus) ? exitStatus : '',
    selfCheckProblems: reason,
    atMs: Math.round(lastExit?.mtimeMs ?? failing?.mtimeMs ?? Date.now()),
    restartRequestId: '',
  };
}

/** Keeps the self-check's problems where the next process finds them if this one is killed; none removes the file. */
export function recordSelfCheck(dataDir: string, problems: string[]): void {
  const path = join(dataDir, SELF_CHECK_FILE);
  if (problems.length === 0) {
    rmSync(path, { force: true });
    return;
  }
  const temporary = `${path}.${process.pid}.tmp`;
  rmSync(temporary, { force: true });
  const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, problems.join('; ').slice(0, MAX_REASON_CHARS));
  } finally {
    closeSync(fd);
  }
  // A rename replaces a link planted at `path`; it never writes through it.
  renameSync(temporary, path);
}

/**
 * Disk pressure: a node short of space on its data directory (the journal,
 * Cline workspaces) or on Docker's (images, container layers, logs) takes no
 * new work, says why in its heartbeats, and is cordoned by the control plane
 * until the space is back; what it runs goes on.
 */
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatBytes } from '../../common/duration.js';

/** Below this much free space (by default) a node is under disk pressure. */
export const DEFAULT_MIN_FREE_DISK_BYTES = 1024 ** 3;

/** Free bytes for an unprivileged user on the file system holding `path`, or null when nothing on the way up can be read. */
export async function freeBytes(path: string): Promise<number | null> {
  // Docker's root dir is often unreadable for the agent's user: its parent is on the same file system in the usual layout.
  for (let p = path; ; p = dirname(p)) {
    try {
      const s = await statfs(p);
      return Number(s.bavail) * Number(s.bsize);
    } catch {
      if (dirname(p) === p) return null;
    }
  }
}

export interface DiskCheck {
  /** What the directory is, for people: "data dir", "Docker's data root". */
  what: string;
  path: string;
  freeBytes: number | null;
}

/** Why the node is under disk pressure ('' when it is not), from the checks made. Pure. */
export function diskPressure(checks: readonly DiskCheck[], minFreeBytes: number): string {
  const short = checks.filter((c) => c.freeBytes !== null && c.freeBytes < minFreeBytes);
  return short.map((c) => `${c.what} ${c.path} has ${formatBytes(c.freeBytes!)} free (at least ${formatBytes(minFreeBytes)} wanted)`).join('; ');
}

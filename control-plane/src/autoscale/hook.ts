/**
 * The operator's autoscaling hook (`--autoscale-hook PATH`): an executable
 * the leader runs with one JSON document on stdin (`HookInput`) to add or
 * remove machines. Exit 0 is success; anything else, or no exit within the
 * timeout, is a failure the leader retries after a backoff.
 *
 * The hook runs with what it needs and nothing more: no arguments, an
 * environment of its own (PATH, LANG and the pool's name: never the
 * replica's, which may hold the admin token or the secrets key), `/` as its
 * working directory, in a process group of its own that a timeout kills
 * whole. What it writes is read up to a bound (a chatty hook cannot fill the
 * replica's memory); the end of its stderr explains a failure.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { ValidationError } from '../../../common/errors.js';
import type { HookResult, NodeRef } from './pool.js';

export const DEFAULT_HOOK_TIMEOUT_MS = 60_000;
/** After SIGTERM at the timeout, SIGKILL this much later. */
const KILL_GRACE_MS = 5_000;
/** Output read from each of stdout and stderr, at most; the rest is discarded. */
const MAX_OUTPUT_BYTES = 64 * 1024;
/** The end of stderr kept in a failure's error. */
const ERROR_TAIL_CHARS = 400;
const HOOK_PATH_ENV = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** What the hook reads on stdin (docs/operations.md, "Autoscaling"). */
export interface HookInput {
  /** The format's version: fields are only ever added. */
  version: 1;
  pool: string;
  selector: Record<string, string>;
  /** The pool's nodes now (enrolled, not revoked, not DOWN, not released before). */
  current: number;
  /** What the pool should have once the hook is done. */
  desired: number;
  minNodes: number;
  maxNodes: number;
  /** Drained nodes to take away (none during a scale-up); never one at work. */
  remove: NodeRef[];
  /** Why the leader wants this count. */
  reason: string;
  /** 1 for a first try; more after failures. */
  attempt: number;
}

export interface HookOutcome {
  result: HookResult;
  error: string;
  /** What the hook wrote to stdout (bounded): for the log. */
  stdout: string;
}

/** What the autoscaler calls; `ExecHook` runs the executable, tests use a fake. */
export interface AutoscaleHook {
  readonly timeoutMs: number;
  call(input: HookInput): Promise<HookOutcome>;
}

/**
 * The hook's path, checked at start so that a mistake stops the replica
 * rather than fails every call: absolute, a regular file (after links),
 * executable by this user, owned by root or this user, and writable by
 * nobody else (whoever can change the hook runs code as the control plane).
 * Returns the resolved path, which is what runs.
 */
export function checkHookPath(field: string, path: string): string {
  if (!isAbsolute(path)) throw new ValidationError(field, `must be an absolute path, got "${path.slice(0, 200)}"`);
  let real: string;
  try {
    real = realpathSync(path);
  } catch (err) {
    throw new ValidationError(field, `${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const st = statSync(real);
  if (!st.isFile()) throw new ValidationError(field, `${real} is not a regular file`);
  if ((st.mode & 0o022) !== 0) throw new ValidationError(field, `${real} is writable by its group or others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}): chmod go-w ${real}`);
  const uid = process.getuid?.() ?? 0;
  if (st.uid !== 0 && st.uid !== uid) throw new ValidationError(field, `${real} is owned by uid ${st.uid}: it must be owned by root or by the user the control plane runs as (uid ${uid})`);
  try {
    accessSync(real, constants.X_OK);
  } catch {
    throw new ValidationError(field, `${real} is not executable by this user: chmod u+x ${real}`);
  }
  return real;
}

/** Keeps the first `max` bytes of a stream. */
class Bounded {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  add(chunk: Buffer): void {
    const room = MAX_OUTPUT_BYTES - this.size;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (kept.length < chunk.length) this.truncated = true;
    this.chunks.push(kept);
    this.size += kept.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** One line, printable, its end kept: what a failure says of the hook's stderr. */
function tail(text: string): string {
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return flat.length > ERROR_TAIL_CHARS ? `…${flat.slice(-ERROR_TAIL_CHARS)}` : flat;
}

export class ExecHook implements AutoscaleHook {
  constructor(
    private readonly path: string,
    readonly timeoutMs: number = DEFAULT_HOOK_TIMEOUT_MS,
  ) {}

  call(input: HookInput): Promise<HookOutcome> {
    return new Promise((resolve) => {
      const stdout = new Bounded();
      const stderr = new Bounded();
      let timedOut = false;
      let settled = false;
      const finish = (outcome: HookOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(killer);
        resolve(outcome);
      };
      const child = spawn(this.path, [], {
        cwd: '/',
        env: { PATH: HOOK_PATH_ENV, LANG: 'C.UTF-8', FLEET_AUTOSCALE_POOL: input.pool },
        stdio: ['pipe', 'pipe', 'pipe'],
        // A group of its own, so that a timeout stops whatever the hook started too.
        detached: true,
      });
      let killer: NodeJS.Timeout | undefined;
      const signalGroup = (signal: NodeJS.Signals) => {
        try {
          if (child.pid) process.kill(-child.pid, signal);
        } catch {
          // Already gone.
        }
      };
      const timer = setTimeout(() => {
        timedOut = true;
        signalGroup('SIGTERM');
        killer = setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS);
      }, this.timeoutMs);
      child.stdout.on('data', (c: Buffer) => stdout.add(c));
      child.stderr.on('data', (c: Buffer) => stderr.add(c));
      child.on('error', (err) => finish({ result: 'FAILED', error: `the hook could not be started: ${err.message}`, stdout: '' }));
      child.on('close', (code, signal) => {
        const said = tail(stderr.text());
        const out = stdout.text();
        if (timedOut) return finish({ result: 'TIMED_OUT', error: `no exit within ${this.timeoutMs}ms: stopped${said ? `; stderr: ${said}` : ''}`, stdout: out });
        if (code === 0) return finish({ result: 'OK', error: '', stdout: out });
        finish({ result: 'FAILED', error: `${signal ? `killed by ${signal}` : `exit status ${code}`}${said ? `; stderr: ${said}` : ''}`, stdout: out });
      });
      // A hook that does not read its input is its own business: EPIPE is not a failure.
      child.stdin.on('error', () => {});
      child.stdin.end(JSON.stringify(input) + '\n');
    });
  }
}

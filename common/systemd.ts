/**
 * Talking to systemd's notify socket (sd_notify): READY=1, STOPPING=1,
 * WATCHDOG=1 and STATUS=. Node has no unix datagram sockets, and a native
 * module would need a compiler where the daemons are installed, so the
 * messages go through systemd's own `systemd-notify`, which waits until the
 * service manager has read each one (a barrier): the unit sets
 * `NotifyAccess=all` so that a message from this child process counts.
 *
 * Not under systemd (no NOTIFY_SOCKET: the demo, the tests, another init
 * system) every call is a no-op.
 */
import { execFile } from 'node:child_process';
import type { Logger } from './logger.js';

/** A notification that systemd has not taken within this long is given up (the next ping tries again). */
const NOTIFY_TIMEOUT_MS = 5_000;

export interface NotifyTarget {
  notify(assignments: string[]): Promise<void>;
}

/** What the environment says about the service manager and its watchdog. */
export interface SystemdEnv {
  /** The notify socket, or undefined when nobody listens. */
  socket: string | undefined;
  /** The watchdog's timeout for this process, or undefined when there is none. */
  watchdogMs: number | undefined;
}

export function systemdEnv(env: NodeJS.ProcessEnv = process.env, pid = process.pid): SystemdEnv {
  const socket = env.NOTIFY_SOCKET || undefined;
  const usec = Number(env.WATCHDOG_USEC);
  // WATCHDOG_PID names the process the watchdog is meant for: a child that inherited the variables is not it.
  const forUs = !env.WATCHDOG_PID || Number(env.WATCHDOG_PID) === pid;
  const watchdogMs = socket && forUs && Number.isFinite(usec) && usec > 0 ? Math.floor(usec / 1000) : undefined;
  return { socket, watchdogMs };
}

/** Sends through `systemd-notify` (see the file comment). */
export class SystemdNotify implements NotifyTarget {
  constructor(
    private readonly socket: string,
    private readonly binary = 'systemd-notify',
  ) {}

  notify(assignments: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      execFile(
        this.binary,
        assignments,
        // Only what systemd-notify needs: the daemon's secrets in its environment stay with the daemon.
        { env: { NOTIFY_SOCKET: this.socket, PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeout: NOTIFY_TIMEOUT_MS },
        (err, _stdout, stderr) => (err ? reject(new Error(`systemd-notify ${assignments.join(' ')}: ${stderr.trim() || err.message}`)) : resolve()),
      );
    });
  }
}

/** A status text as one line systemd shows (`systemctl status`). */
function statusLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 200);
}

/**
 * The daemon's side of the protocol. Failures are logged, never thrown: a
 * notify socket that went away must not take the daemon down with it (the
 * watchdog, if any, then restarts it, which is the right outcome).
 */
export class ServiceManager {
  private lastStatus = '';

  constructor(
    private readonly target: NotifyTarget | undefined,
    private readonly log: Logger,
  ) {}

  static fromEnv(log: Logger, env: NodeJS.ProcessEnv = process.env): ServiceManager {
    const { socket } = systemdEnv(env);
    return new ServiceManager(socket ? new SystemdNotify(socket) : undefined, log);
  }

  get supervised(): boolean {
    return this.target !== undefined;
  }

  ready(status: string): Promise<void> {
    this.lastStatus = statusLine(status);
    return this.send(['READY=1', `STATUS=${this.lastStatus}`, `MAINPID=${process.pid}`]);
  }

  stopping(status: string): Promise<void> {
    return this.send(['STOPPING=1', `STATUS=${statusLine(status)}`]);
  }

  /** A watchdog ping; the status goes along when it changed. */
  alive(status: string): Promise<void> {
    const line = statusLine(status);
    const changed = line !== this.lastStatus;
    this.lastStatus = line;
    return this.send(changed ? ['WATCHDOG=1', `STATUS=${line}`] : ['WATCHDOG=1']);
  }

  status(status: string): Promise<void> {
    const line = statusLine(status);
    if (line === this.lastStatus) return Promise.resolve();
    this.lastStatus = line;
    return this.send([`STATUS=${line}`]);
  }

  private async send(assignments: string[]): Promise<void> {
    if (!this.target) return;
    try {
      await this.target.notify(assignments);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not notify systemd');
    }
  }
}

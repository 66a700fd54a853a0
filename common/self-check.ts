/**
 * A daemon's check of its own health, and the watchdog that pings systemd
 * only while it passes. Alive is not enough (a process can exist with its
 * event loop blocked, or with a loop stuck on a call that never returns):
 * the checks ask whether the daemon still does its job.
 *
 * - The event loop has not been blocked beyond a bound (`EventLoopLag`).
 * - Each key loop made progress recently (`Progress`): an iteration that
 *   ends, with success or an error, is progress; a loop waiting on a call
 *   that never returns is not. A loop that has nothing to do (the leader's
 *   loops on a replica that does not lead) is paused and not judged.
 * - Checks given as functions (the journal can commit).
 *
 * A failing check skips one ping; systemd restarts the daemon only when the
 * checks fail for the whole WatchdogSec, so a passing blip is forgiven. A
 * check that itself does not answer within its bound counts as failing.
 * Outside systems the daemon depends on (JetStream, the control plane,
 * Docker being down) are not the daemon's health: a restart would not bring
 * them back, so they are reported, not checked here.
 */
import type { Logger } from './logger.js';
import type { ServiceManager } from './systemd.js';

export interface Check {
  readonly name: string;
  /** The problem, or null when healthy. */
  problem(nowMs: number): string | null | Promise<string | null>;
}

/** A loop that must complete an iteration at least every `maxSilenceMs` while active. */
export class Progress implements Check {
  private lastMs: number;
  private active: boolean;

  constructor(
    readonly name: string,
    public maxSilenceMs: number,
    private readonly now: () => number = Date.now,
    active = true,
  ) {
    this.lastMs = now();
    this.active = active;
  }

  /** An iteration ended (whatever its outcome). */
  beat(): void {
    this.lastMs = this.now();
  }

  /** The loop has work again: judged from now on. */
  resume(): void {
    if (!this.active) this.lastMs = this.now();
    this.active = true;
  }

  /** The loop has nothing to do (stopped, not leading): not judged. */
  pause(): void {
    this.active = false;
  }

  problem(nowMs: number): string | null {
    if (!this.active) return null;
    const silentMs = nowMs - this.lastMs;
    return silentMs > this.maxSilenceMs ? `${this.name}: no progress for ${Math.round(silentMs / 1000)}s (bound ${Math.round(this.maxSilenceMs / 1000)}s)` : null;
  }
}

/**
 * One operation at a time (a measurement, a leader's pass) that must not
 * outlast a bound: one that started and has not ended, with success or an
 * error, for longer is stuck (a call that never returns). Idle is healthy.
 */
export class InFlight implements Check {
  private sinceMs: number | undefined;

  constructor(
    readonly name: string,
    readonly boundMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Watches `operation` until it settles; returns it. */
  track<T>(operation: Promise<T>): Promise<T> {
    const since = (this.sinceMs = this.now());
    return operation.finally(() => {
      if (this.sinceMs === since) this.sinceMs = undefined;
    });
  }

  problem(nowMs: number): string | null {
    if (this.sinceMs === undefined) return null;
    const ms = nowMs - this.sinceMs;
    return ms > this.boundMs ? `${this.name}: running for ${Math.round(ms / 1000)}s without returning (bound ${Math.round(this.boundMs / 1000)}s)` : null;
  }
}

/**
 * How late a short timer fires: the longest the event loop was blocked
 * since the last check. A blocked loop also stops the pings themselves;
 * this catches a loop blocked again and again for less than WatchdogSec.
 */
export class EventLoopLag implements Check {
  readonly name = 'event loop';
  private timer: NodeJS.Timeout | undefined;
  private expectedMs = 0;
  private worstMs = 0;

  constructor(
    private readonly boundMs: number,
    private readonly sampleMs = 500,
  ) {}

  start(): void {
    this.expectedMs = Date.now() + this.sampleMs;
    this.timer ??= setInterval(() => {
      const now = Date.now();
      this.worstMs = Math.max(this.worstMs, now - this.expectedMs);
      this.expectedMs = now + this.sampleMs;
    }, this.sampleMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  problem(): string | null {
    const worst = this.worstMs;
    this.worstMs = 0;
    return worst > this.boundMs ? `event loop: blocked for ${(worst / 1000).toFixed(1)}s (bound ${(this.boundMs / 1000).toFixed(1)}s)` : null;
  }
}

export interface SelfCheckReport {
  ok: boolean;
  problems: string[];
  /** The names of the checks that failed. */
  failing: string[];
  atMs: number;
}

export interface WatchdogOptions {
  /** How often the checks run (and, while they pass, systemd is pinged). */
  intervalMs: number;
  /** A check that has not answered within this long fails. */
  checkTimeoutMs: number;
  /** One line for `systemctl status` while healthy. */
  status: () => string;
  /** Told when the checks start failing (with the problems) and when they pass again (empty). */
  onChange?: (problems: string[]) => void;
}

export class Watchdog {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private ticking = false;
  last: SelfCheckReport = { ok: true, problems: [], failing: [], atMs: 0 };
  /** When the checks started failing (the first failing run), while they fail. */
  private failingSinceMs = 0;

  private readonly checks: Check[];

  constructor(
    private readonly manager: ServiceManager,
    checks: readonly Check[],
    private readonly options: WatchdogOptions,
    private readonly log: Logger,
  ) {
    this.checks = [...checks];
  }

  /** More checks, as the parts they watch come up. */
  add(...checks: Check[]): void {
    this.checks.push(...checks);
  }

  start(): void {
    this.running = true;
    void this.tick();
    this.timer ??= setInterval(() => void this.tick(), this.options.intervalMs);
  }

  stop(): void {
    this.running = false;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Runs the checks; pings systemd if they all pass. Public for tests. */
  async tick(): Promise<SelfCheckReport> {
    if (this.ticking) return this.last;
    this.ticking = true;
    try {
      const report = await this.run();
      if (!this.running) return report;
      const was = this.last;
      this.last = report;
      if (report.ok) {
        await this.manager.alive(this.options.status());
        if (!was.ok) {
          this.log.info({ failedForMs: report.atMs - this.failingSinceMs }, 'self-check passes again');
          this.options.onChange?.([]);
        }
      } else {
        if (was.ok) this.failingSinceMs = report.atMs;
        await this.manager.status(`self-check failing: ${report.problems.join('; ')}`);
        // Said once when it starts failing, then again only if the problems change: the log stays readable.
        // By which checks fail, not their text: a "blocked for 31s" that becomes "for 41s" is the same failure.
        if (was.ok || was.failing.join('\n') !== report.failing.join('\n')) {
          this.log.error({ problems: report.problems }, 'self-check failing: not pinging the watchdog (systemd restarts this daemon if it goes on failing)');
          this.options.onChange?.(report.problems);
        }
      }
      return report;
    } finally {
      this.ticking = false;
    }
  }

  private async run(): Promise<SelfCheckReport> {
    const atMs = Date.now();
    // The checks as they are now: `add` may bring more while these run.
    const checks = [...this.checks];
    const answers = await Promise.all(checks.map((c) => this.within(c, atMs)));
    const failed = checks.map((check, i) => ({ check, text: answers[i] })).filter((f): f is { check: Check; text: string } => f.text !== null);
    // Each problem names its check (a check's own text may not).
    const problems = failed.map(({ check, text }) => (text.startsWith(`${check.name}:`) ? text : `${check.name}: ${text}`));
    return { ok: problems.length === 0, problems, failing: failed.map(({ check }) => check.name), atMs };
  }

  private async within(check: Check, nowMs: number): Promise<string | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`${check.name}: the check did not answer within ${Math.round(this.options.checkTimeoutMs / 1000)}s`), this.options.checkTimeoutMs);
    });
    try {
      return await Promise.race([Promise.resolve().then(() => check.problem(nowMs)), late]);
    } catch (err) {
      return `${check.name}: ${(err as Error).message}`;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The watchdog's interval: a quarter of systemd's timeout (one lost ping is forgiven), or `fallbackMs` without one. */
export function pingIntervalMs(watchdogMs: number | undefined, fallbackMs = 10_000): number {
  return watchdogMs ? Math.max(100, Math.floor(watchdogMs / 4)) : fallbackMs;
}

/**
 * The agent's half of invariant 2 (at most one attempt of a task runs): a
 * node cut off from every replica for longer than its stop-after-disconnect
 * stops its containers itself, because by then the control plane is about to
 * judge the node DOWN and run its tasks elsewhere. Contact is an
 * acknowledgement (of a heartbeat or an event) or a welcome: proof that the
 * control plane stored something of ours, not merely that a socket is open.
 *
 * Time and timers are injected (a clock and a two-method timer interface), so
 * the decision is tested with a fake clock; the namespace tests cover the
 * real network.
 */
import type { Clock } from '../../common/clock.js';

/** How often the watchdog looks; the stop happens at most this late. */
export const CUTOFF_CHECK_EVERY_MS = 250;

export interface IntervalTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const realTimers: IntervalTimers = {
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

export interface CutoffHandlers {
  /** Silent for longer than the bound: stop every attempt now. Called once per cut-off. */
  cutOff(silentMs: number): void;
  /** Contact came back after a cut-off. */
  restored(): void;
}

export class CutoffWatchdog {
  private lastContactMs = 0;
  private isCutOff = false;
  private handle: unknown;

  constructor(
    private stopAfterMs: number,
    private readonly handlers: CutoffHandlers,
    private readonly clock: Clock,
    private readonly timers: IntervalTimers = realTimers,
    private readonly checkEveryMs = CUTOFF_CHECK_EVERY_MS,
  ) {}

  get stopAfterDisconnectMs(): number {
    return this.stopAfterMs;
  }

  get cutOff(): boolean {
    return this.isCutOff;
  }

  /** Counting starts now: an agent that just started has had no chance of contact yet. */
  start(): void {
    this.lastContactMs = this.clock.now();
    this.handle ??= this.timers.setInterval(() => this.check(), this.checkEveryMs);
  }

  stop(): void {
    if (this.handle !== undefined) this.timers.clearInterval(this.handle);
    this.handle = undefined;
  }

  /** The control plane told us its bound (in its welcome). */
  setStopAfter(ms: number): void {
    this.stopAfterMs = ms;
  }

  /** Silent past the bound now (whether or not the watchdog has looked since). */
  silentTooLong(): boolean {
    return this.isCutOff || this.clock.now() - this.lastContactMs > this.stopAfterMs;
  }

  contact(): void {
    this.lastContactMs = this.clock.now();
    if (!this.isCutOff) return;
    this.isCutOff = false;
    this.handlers.restored();
  }

  check(): void {
    const silentMs = this.clock.now() - this.lastContactMs;
    if (this.isCutOff || silentMs <= this.stopAfterMs) return;
    this.isCutOff = true;
    this.handlers.cutOff(silentMs);
  }
}

/**
 * How the agent stops. The first SIGTERM (or SIGINT) stops it leaving its
 * containers running, for an upgrade or a restart: the next process adopts
 * them. A second signal within DRAIN_SIGNAL_WINDOW_MS (or --drain-on-stop)
 * drains first: no new work, running attempts may finish until the drain
 * deadline, the rest are stopped and requeued, results are flushed. Any
 * signal while draining exits at once (containers left for adoption).
 */
import type { Logger } from '../../common/logger.js';

export const DRAIN_SIGNAL_WINDOW_MS = 3_000;
/** How long a drained agent waits for the control plane to acknowledge its last results. */
const FLUSH_TIMEOUT_MS = 10_000;

export type ShutdownState = 'running' | 'deciding' | 'draining' | 'stopping';

export interface ShutdownHooks {
  /** Told once, when the agent decides to stop (and how): systemd hears STOPPING=1. */
  stopping?(how: string): void;
  drain(): Promise<void>;
  /** Events not yet acknowledged by the control plane. */
  unacknowledged(): number;
  /** Closes the session and the journal; containers are left running. */
  close(): Promise<void>;
  exit(code: number): void;
}

export class Shutdown {
  state: ShutdownState = 'running';
  private decideTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly drainOnStop: boolean,
    private readonly hooks: ShutdownHooks,
    private readonly log: Logger,
    private readonly windowMs = DRAIN_SIGNAL_WINDOW_MS,
  ) {}

  install(): void {
    process.on('SIGTERM', () => this.signal('SIGTERM'));
    process.on('SIGINT', () => this.signal('SIGINT'));
  }

  signal(name: string): void {
    switch (this.state) {
      case 'running':
        if (this.drainOnStop) return void this.drainThenStop(name);
        this.hooks.stopping?.('stopping; containers keep running for the next start to adopt');
        this.state = 'deciding';
        this.log.info({ signal: name, windowMs: this.windowMs }, 'stopping; send the signal again to drain first');
        this.decideTimer = setTimeout(() => void this.stop(0), this.windowMs);
        return;
      case 'deciding':
        clearTimeout(this.decideTimer);
        return void this.drainThenStop(name);
      case 'draining':
      case 'stopping':
        this.log.warn({ signal: name }, 'another signal: exiting now; containers are left for the next start to adopt');
        this.hooks.exit(130);
    }
  }

  /**
   * An operator asked for a restart (fleetctl node restart): stop as on a
   * first signal, containers left for the next process (or drain first);
   * the service manager starts the agent again. False when it is already
   * stopping.
   */
  restart(drain: boolean): boolean {
    if (this.state !== 'running') return false;
    if (drain) {
      void this.drainThenStop('restart request');
    } else {
      this.hooks.stopping?.('restarting at an operator\'s request; containers keep running for the next process to adopt');
      this.log.info('restarting at an operator\'s request');
      void this.stop(0);
    }
    return true;
  }

  private async drainThenStop(signal: string): Promise<void> {
    this.state = 'draining';
    this.hooks.stopping?.('draining before stop');
    this.log.info({ signal }, 'draining before stop');
    try {
      await this.hooks.drain();
      const deadline = Date.now() + FLUSH_TIMEOUT_MS;
      while (this.hooks.unacknowledged() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const left = this.hooks.unacknowledged();
      if (left > 0) this.log.warn({ events: left }, 'stopping with events not yet acknowledged; the next start sends them');
    } catch (err) {
      this.log.error({ err }, 'drain failed');
    }
    await this.stop(0);
  }

  private async stop(code: number): Promise<void> {
    if (this.state === 'stopping') return;
    this.state = 'stopping';
    await this.hooks.close().catch((err: unknown) => this.log.error({ err }, 'close failed'));
    this.log.info('node agent stopped');
    this.hooks.exit(code);
  }
}

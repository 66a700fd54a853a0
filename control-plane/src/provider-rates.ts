/**
 * Fleet-wide rate limits of providers (`provider set --max-rpm/--max-tpm`):
 * the permits node gateways ask for before each request to a rate-limited
 * provider, granted from one window per provider in the
 * `fleet_provider_rates` bucket (common/rate-window.ts says why the limit
 * holds). Any replica grants, by compare-and-set, so the window is one for
 * the fleet and survives a replica's death.
 *
 * On a replica, the asks of its nodes for one provider are served one
 * compare-and-set at a time: those that arrive meanwhile are summed into the
 * next, so a replica's writes to a window are bounded by the store's round
 * trip, not by the number of nodes asking. The leader's scheduler reads the
 * windows from a watch, to start no Cline attempt whose provider has no
 * headroom.
 */
import type { Clock } from '../../common/clock.js';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { PermitAnswer, PermitRequest } from '../../common/model.js';
import { EMPTY_WINDOW, grantPermits, headroomAt, isRateLimited, PERMIT_VALID_MS, RATE_BUCKET_MS, type Headroom, type RateWindow } from '../../common/rate-window.js';
import type { ProviderLimits } from './providers.js';
import type { KvRecords } from './store/kv-records.js';
import { KeyedView } from './store/keyed-view.js';

/** After a failed write (the store away), the asks are answered with none and asked again after this long. */
const RETRY_AFTER_STORE_ERROR_MS = 1_000;
/** Tries at one window, conflicts with other replicas' writes included, before a batch is answered with none (its nodes ask again). */
const WRITE_ATTEMPTS = 50;
/**
 * Taken off a permit's validity in the answer. The node counts the validity
 * from when it sent its ask, which is before the grant, so this is only for
 * the clocks of replicas that stamp the window (see docs/DESIGN.md).
 */
export const PERMIT_MARGIN_MS = 1_000;

interface Waiting {
  ask: PermitRequest;
  resolve: (answer: PermitAnswer) => void;
}

export interface RatesDeps {
  records: KvRecords<RateWindow>;
  limits: (provider: string) => ProviderLimits;
  clock: Clock;
  log: Logger;
  /** Told of each grant (metrics). */
  granted?: (provider: string, granted: number, wanted: number) => void;
}

export class ProviderRates {
  private readonly queues = new Map<string, Waiting[]>();
  private readonly busy = new Set<string>();
  private view: KeyedView<RateWindow> | undefined;

  constructor(private readonly deps: RatesDeps) {}

  /** Asks of this replica's nodes: answered once the window has counted them. */
  ask(ask: PermitRequest): Promise<PermitAnswer> {
    const limits = this.deps.limits(ask.provider);
    // Not limited (any more, or as this replica's view has it): all it wants, nothing counted, and no longer valid than a counted permit.
    if (!isRateLimited(limits)) {
      return Promise.resolve({ provider: ask.provider, granted: ask.want, validForMs: PERMIT_VALID_MS - PERMIT_MARGIN_MS, retryAfterMs: 0, why: '', askId: ask.askId, uncounted: false });
    }
    return new Promise((resolve) => {
      const queue = this.queues.get(ask.provider) ?? [];
      queue.push({ ask, resolve });
      this.queues.set(ask.provider, queue);
      if (!this.busy.has(ask.provider)) void this.drain(ask.provider);
    });
  }

  /** One compare-and-set for everything waiting on this provider, then the next, until none wait. */
  private async drain(provider: string): Promise<void> {
    this.busy.add(provider);
    try {
      for (let batch = this.take(provider); batch.length > 0; batch = this.take(provider)) await this.serve(provider, batch);
    } finally {
      this.busy.delete(provider);
    }
  }

  private take(provider: string): Waiting[] {
    const batch = this.queues.get(provider) ?? [];
    this.queues.delete(provider);
    return batch;
  }

  private async serve(provider: string, batch: Waiting[]): Promise<void> {
    const { clock, log } = this.deps;
    const sum = { want: 0, tokens: 0, throttled: 0 };
    for (const w of batch) {
      sum.want += w.ask.want;
      sum.tokens += w.ask.tokens;
      sum.throttled += w.ask.throttled;
    }
    const limits = this.deps.limits(provider);
    let granted = 0;
    let retryAtMs: number | null = null;
    let why = '';
    let now = clock.now();
    try {
      // Replicas that collide on one window retry after a random pause, 2 ms doubling to 64 ms (full jitter).
      const pauseMs = (conflicts: number) => Math.random() * Math.min(64, 2 ** conflicts);
      await this.deps.records.upsert(
        provider,
        (current) => {
          now = clock.now();
          const grant = grantPermits(provider, current ?? EMPTY_WINDOW, limits, sum, now);
          granted = grant.granted;
          retryAtMs = grant.retryAtMs;
          why = grant.why;
          return grant.window;
        },
        { attempts: WRITE_ATTEMPTS, pauseMs },
      );
    } catch (err) {
      log.warn({ provider, err: errorMessage(err) }, 'rate permits not granted: the store did not take the window');
      // The nodes keep their reports and send them again; the store's words stay in this replica's log.
      const why = `the control plane could not count permits for provider "${provider}" (its state store did not answer): asking again`;
      for (const w of batch) w.resolve({ provider, granted: 0, validForMs: 0, retryAfterMs: RETRY_AFTER_STORE_ERROR_MS, why, askId: w.ask.askId, uncounted: true });
      return;
    }
    this.deps.granted?.(provider, granted, sum.want);
    // In the order asked: the first node waiting longest gets served first.
    let left = granted;
    const retryAfterMs = retryAtMs === null ? 0 : Math.max(RATE_BUCKET_MS, (retryAtMs as number) - now);
    for (const w of batch) {
      const mine = Math.min(w.ask.want, left);
      left -= mine;
      w.resolve({ provider, granted: mine, validForMs: PERMIT_VALID_MS - PERMIT_MARGIN_MS, retryAfterMs: mine < w.ask.want ? retryAfterMs : 0, why: mine < w.ask.want ? why : '', askId: w.ask.askId, uncounted: false });
    }
  }

  /** Watches the windows for the scheduler; resolves once it holds them all. */
  async watch(): Promise<void> {
    this.view = new KeyedView(this.deps.records, this.deps.log);
    await this.view.start();
  }

  stop(): void {
    this.view?.stop();
  }

  /** What may be granted of a rate-limited provider now, as the watch last saw its window (null: not limited). */
  headroom(provider: string, now: number): Headroom | null {
    const limits = this.deps.limits(provider);
    if (!isRateLimited(limits)) return null;
    return headroomAt(provider, this.view?.get(provider) ?? EMPTY_WINDOW, limits, now);
  }

  /** The window as last watched: the usage figures the API shows. */
  window(provider: string): RateWindow | undefined {
    return this.view?.get(provider);
  }
}

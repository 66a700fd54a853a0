/**
 * The node's side of providers' fleet-wide rate limits: before each request
 * to a rate-limited provider (its grant says so), the gateway takes a permit
 * here. Permits come from the control plane over the session (PermitAsk,
 * PermitGrant; `control-plane/src/provider-rates.ts` grants them from the
 * fleet's window), each to be used within its validity; a call without one
 * waits, however long the window is full, instead of failing at the provider.
 *
 * One ask per provider is in flight at a time, for the calls waiting then;
 * the tokens the provider's calls used and the 429s it answered ride along,
 * so the fleet's window counts them. With no session, calls wait for one.
 * A permit's validity counts from when its ask was sent, which comes before
 * the grant, on a monotonic clock; an answer to an ask given up on (a late
 * one after a timeout) is not taken for another's.
 */
import type { Logger } from '../../common/logger.js';
import type { PermitAnswer, PermitRequest } from '../../common/model.js';
import { MAX_PERMITS_ASKED } from '../../common/rate-window.js';

/** An ask not answered in this long (a session that broke meanwhile) is made again. */
export const ASK_TIMEOUT_MS = 10_000;
/** The waits before asking again after "none now", within these bounds whatever the control plane says. */
const MIN_RETRY_MS = 250;
const MAX_RETRY_MS = 30_000;
/** Tokens and 429s are reported within this long when no call is waiting to carry them. */
const REPORT_AFTER_MS = 2_000;

/** Sends an ask on the open session; false when none is open. */
export type PermitSender = (ask: PermitRequest) => boolean;

interface Pool {
  /** Expiry times of the permits held, in the order they came. */
  permits: number[];
  waiters: Array<(ok: boolean) => void>;
  /** An ask is in flight, with these reports in it, sent at `sentAt`. */
  asking: { id: number; sentAt: number; tokens: number; throttled: number; timer: NodeJS.Timeout } | null;
  /** Reports not yet sent. */
  tokens: number;
  throttled: number;
  /** Asking again after the control plane said "none now" (`retrying`), or reporting soon. */
  timer: NodeJS.Timeout | undefined;
  retrying: boolean;
  /** What the calls wait for, as the control plane last said. */
  why: string;
}

/** What the gateway needs of the permits (tests give their own). */
export interface PermitSource {
  take(provider: string, signal: AbortSignal): Promise<boolean>;
  used(provider: string, tokens: number): void;
  throttled(provider: string): void;
  /** Why calls to this provider wait now ('' when none do, or no reason was given). */
  waitingFor(provider: string): string;
}

export class ProviderPermits implements PermitSource {
  private readonly pools = new Map<string, Pool>();
  private sender: PermitSender | undefined;
  private lastAskId = 0;

  constructor(
    private readonly log: Logger,
    /** Monotonic milliseconds: a permit's expiry must not move with the wall clock. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A session opened: asks go on it, starting with those of calls already waiting. */
  connect(sender: PermitSender): void {
    this.sender = sender;
    for (const [provider, pool] of this.pools) {
      if (pool.asking) this.lost(pool);
      this.ask(provider, pool, true);
    }
  }

  /** The session ended: asks in flight will not be answered; their reports go with the next. */
  disconnect(): void {
    this.sender = undefined;
    for (const pool of this.pools.values()) if (pool.asking) this.lost(pool);
  }

  /** A permit for one request: true once held, false if `signal` aborted the wait. */
  take(provider: string, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    const pool = this.pool(provider);
    if (this.spend(pool)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = (ok: boolean) => {
        signal.removeEventListener('abort', onAbort);
        resolve(ok);
      };
      const onAbort = () => {
        const i = pool.waiters.indexOf(waiter);
        if (i >= 0) pool.waiters.splice(i, 1);
        waiter(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      pool.waiters.push(waiter);
      this.ask(provider, pool);
    });
  }

  used(provider: string, tokens: number): void {
    if (!(tokens > 0)) return;
    const pool = this.pool(provider);
    pool.tokens += Math.round(tokens);
    this.reportSoon(provider, pool);
  }

  throttled(provider: string): void {
    const pool = this.pool(provider);
    pool.throttled++;
    // The fleet's limit should shrink before the next calls go: reported now.
    this.ask(provider, pool, true);
  }

  waitingFor(provider: string): string {
    const pool = this.pools.get(provider);
    return pool && pool.waiters.length > 0 ? pool.why : '';
  }

  /** The control plane's answer to this provider's ask. */
  answered(grant: PermitAnswer): void {
    const pool = this.pools.get(grant.provider);
    // An answer to an ask given up on: its permits were counted, but their validity cannot be trusted now.
    if (!pool?.asking || pool.asking.id !== grant.askId) return;
    const asked = pool.asking;
    clearTimeout(asked.timer);
    pool.asking = null;
    if (grant.uncounted) {
      pool.tokens += asked.tokens;
      pool.throttled += asked.throttled;
    }
    const expires = asked.sentAt + grant.validForMs;
    for (let i = 0; i < grant.granted; i++) pool.permits.push(expires);
    while (pool.waiters.length > 0 && this.spend(pool)) pool.waiters.shift()!(true);
    if (pool.waiters.length === 0) {
      pool.why = '';
      this.reportSoon(grant.provider, pool);
      return;
    }
    if (grant.why && grant.why !== pool.why) this.log.info({ provider: grant.provider, waiting: pool.waiters.length, why: grant.why }, 'model calls wait for the provider\'s fleet-wide rate limit');
    pool.why = grant.why;
    if (grant.granted > 0) return this.ask(grant.provider, pool, true);
    clearTimeout(pool.timer);
    pool.retrying = true;
    pool.timer = setTimeout(() => {
      // Spent, whether or not an ask can go now: a session that opens later asks at once.
      pool.timer = undefined;
      pool.retrying = false;
      this.ask(grant.provider, pool, true);
    }, Math.min(MAX_RETRY_MS, Math.max(MIN_RETRY_MS, grant.retryAfterMs)));
    pool.timer.unref();
  }

  private pool(provider: string): Pool {
    let pool = this.pools.get(provider);
    if (!pool) {
      pool = { permits: [], waiters: [], asking: null, tokens: 0, throttled: 0, timer: undefined, retrying: false, why: '' };
      this.pools.set(provider, pool);
    }
    return pool;
  }

  /** Uses a permit still valid, if one is held (expired ones are dropped: they were counted all the same). */
  private spend(pool: Pool): boolean {
    const now = this.now();
    while (pool.permits.length > 0 && pool.permits[0]! <= now) pool.permits.shift();
    if (pool.permits.length === 0) return false;
    pool.permits.shift();
    return true;
  }

  /**
   * Asks for the calls waiting, with the reports: unless an ask is in
   * flight, or (`now` false) the control plane said when to ask again.
   */
  private ask(provider: string, pool: Pool, now = false): void {
    if (pool.asking || !this.sender) return;
    if (pool.timer && pool.retrying && !now) return;
    const want = Math.min(MAX_PERMITS_ASKED, pool.waiters.length);
    if (want === 0 && pool.tokens === 0 && pool.throttled === 0) return;
    clearTimeout(pool.timer);
    pool.timer = undefined;
    pool.retrying = false;
    const id = (this.lastAskId = (this.lastAskId % 0xffff_ffff) + 1);
    const sentAt = this.now();
    if (!this.sender({ provider, want, tokens: pool.tokens, throttled: pool.throttled, askId: id })) return;
    const timer = setTimeout(() => {
      this.log.warn({ provider, waiting: pool.waiters.length }, 'no answer to a rate permit ask; asking again');
      this.lost(pool);
      this.ask(provider, pool, true);
    }, ASK_TIMEOUT_MS);
    timer.unref();
    pool.asking = { id, sentAt, tokens: pool.tokens, throttled: pool.throttled, timer };
    pool.tokens = 0;
    pool.throttled = 0;
  }

  /** An ask that will not be answered: its reports go with the next. */
  private lost(pool: Pool): void {
    if (!pool.asking) return;
    clearTimeout(pool.asking.timer);
    pool.tokens += pool.asking.tokens;
    pool.throttled += pool.asking.throttled;
    pool.asking = null;
  }

  private reportSoon(provider: string, pool: Pool): void {
    if (pool.timer || pool.asking || (pool.tokens === 0 && pool.throttled === 0)) return;
    pool.retrying = false;
    pool.timer = setTimeout(() => {
      pool.timer = undefined;
      this.ask(provider, pool);
    }, REPORT_AFTER_MS);
    pool.timer.unref();
  }
}

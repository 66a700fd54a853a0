/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential
 * Backoff And Jitter"): the delay before retry n is uniform in
 * [0, min(max, initial * multiplier^(n-1))]. Full jitter spreads a herd of
 * clients that failed together better than equal or decorrelated jitter.
 */

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  multiplier: number;
}

/** The ceiling of the delay before retry `retry` (1 = the first retry). */
export function backoffCeilingMs(policy: BackoffPolicy, retry: number): number {
  const exponent = Math.max(0, retry - 1);
  const ceiling = policy.initialMs * Math.pow(policy.multiplier, exponent);
  return Math.min(policy.maxMs, Number.isFinite(ceiling) ? ceiling : policy.maxMs);
}

/** `random` returns a number in [0, 1); injected so tests are deterministic. */
export function fullJitterDelayMs(policy: BackoffPolicy, retry: number, random: () => number = Math.random): number {
  return Math.floor(random() * backoffCeilingMs(policy, retry));
}

/**
 * Successive delays for a reconnect loop. A success resets it, so a client
 * that was connected for a while starts again from the initial delay.
 */
export class Backoff {
  private retry = 0;
  constructor(
    private readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    this.retry++;
    // A floor of a tenth of the initial delay keeps a tight loop from spinning.
    return Math.max(Math.floor(this.policy.initialMs / 10), fullJitterDelayMs(this.policy, this.retry, this.random));
  }

  reset(): void {
    this.retry = 0;
  }

  get retries(): number {
    return this.retry;
  }
}

/**
 * A provider's fleet-wide rate limits (`provider set --max-rpm N --max-tpm N`),
 * as one record the control plane changes by compare-and-set: what it granted
 * and what was used over the last minute, in one-second buckets.
 *
 * Node gateways call a rate-limited provider only with a permit, one per
 * request, which the control plane grants from this window and which the node
 * must use within `PERMIT_VALID_MS`. A permit counts from its grant, and the
 * window looks back a minute plus that validity, so that however late within
 * its validity a node uses a permit, the requests the provider sees in any
 * minute never pass the limit: in any minute (w, w + 60 s] of use, every
 * request was granted in (w − validity, w + 60 s], and the last grant in that
 * span counted all of them against the limit.
 *
 * Tokens are known only once a call has ended: nodes report them with their
 * next ask, and a provider whose tokens of the last minute reached --max-tpm
 * gets no new permit until they age out. So --max-tpm holds to within the
 * calls in flight when it is reached.
 *
 * Buckets are stamped with the clock of the replica that grants, so the
 * bound holds to within the replicas' clock skew (kept to milliseconds by
 * NTP on any sane fleet); a later clock's bucket may come first, and is kept
 * in order.
 *
 * The provider is the judge of its limits: when it answers 429 to a permitted
 * request anyway (another client shares the key, its limit is lower than the
 * operator said), the limit in force shrinks to three quarters, at most once
 * per `THROTTLE_GAP_MS`, and grows back by a tenth of the configured limit per
 * `RECOVER_STEP_MS` without one (additive increase, multiplicative decrease).
 * The recovery is a function of time, so it happens with no one asking.
 */

export const RATE_WINDOW_MS = 60_000;
/** How long a node may hold a permit before using it. */
export const PERMIT_VALID_MS = 10_000;
export const RATE_BUCKET_MS = 1_000;
/** The span of grants a new grant is checked against (see the file's comment). */
export const RATE_LOOKBACK_MS = RATE_WINDOW_MS + PERMIT_VALID_MS;
/** Permits one ask may want: a node asks for the calls it has waiting. */
export const MAX_PERMITS_ASKED = 1_000;
export const THROTTLE_FACTOR = 0.75;
export const THROTTLE_GAP_MS = 10_000;
export const RECOVER_STEP = 0.1;
export const RECOVER_STEP_MS = 15_000;
/** The limit in force never shrinks below this share of the configured one. */
export const MIN_FACTOR = 0.05;

export interface RateLimits {
  /** Requests a minute, fleet-wide (0: none). */
  maxRpm: number;
  /** Tokens (prompt and output) a minute, fleet-wide (0: none). */
  maxTpm: number;
}

export interface RateWindow {
  /** [bucket start (ms), requests granted, tokens used], oldest first, none older than the lookback. */
  buckets: Array<[number, number, number]>;
  /** The share of the limits in force just after the last 429 (1: none seen); it recovers with time. */
  throttledFactor: number;
  /** When the provider last answered 429 to a permitted request, as a node reported it (0: never). */
  throttledAtMs: number;
}

export const EMPTY_WINDOW: RateWindow = { buckets: [], throttledFactor: 1, throttledAtMs: 0 };

/** What a node reports and wants with one ask (several nodes' asks are summed). */
export interface PermitAsk {
  want: number;
  /** Tokens its calls used since its last ask. */
  tokens: number;
  /** Permitted requests the provider answered 429 since its last ask. */
  throttled: number;
}

export function isRateLimited(limits: RateLimits): boolean {
  return limits.maxRpm > 0 || limits.maxTpm > 0;
}

/** The share of the configured limits in force at `now`: below 1 for a while after a 429. */
export function factorAt(window: RateWindow, now: number): number {
  if (window.throttledFactor >= 1) return 1;
  const steps = Math.max(0, Math.floor((now - window.throttledAtMs) / RECOVER_STEP_MS));
  return Math.min(1, window.throttledFactor + steps * RECOVER_STEP);
}

/** The limits in force at `now` (0 stays "none"; a limit in force is at least 1). */
export function limitsAt(window: RateWindow, limits: RateLimits, now: number): RateLimits {
  const f = factorAt(window, now);
  const scale = (n: number) => (n > 0 ? Math.max(1, Math.floor(n * f)) : 0);
  return { maxRpm: scale(limits.maxRpm), maxTpm: scale(limits.maxTpm) };
}

/** Whether a bucket may hold a grant made within the lookback from `now`. */
function inLookback(bucketStart: number, now: number): boolean {
  return bucketStart + RATE_BUCKET_MS > now - RATE_LOOKBACK_MS;
}

/** Requests granted and tokens used within the lookback from `now`. */
export function usageAt(window: RateWindow, now: number): { requests: number; tokens: number } {
  let requests = 0;
  let tokens = 0;
  for (const [start, r, t] of window.buckets) {
    if (!inLookback(start, now)) continue;
    requests += r;
    tokens += t;
  }
  return { requests, tokens };
}

export interface Headroom {
  /** Requests that may be granted now (Infinity: no request limit). */
  requests: number;
  /** Why none may be, in an operator's words; '' when some may. */
  why: string;
  /** When some will be again, if none may be now (a grant ages out, or the limit grows back). */
  retryAtMs: number | null;
}

/** What may be granted at `now`, and if nothing, why and until when. */
export function headroomAt(provider: string, window: RateWindow, limits: RateLimits, now: number): Headroom {
  const inForce = limitsAt(window, limits, now);
  const used = usageAt(window, now);
  const throttled = inForce.maxRpm < limits.maxRpm || inForce.maxTpm < limits.maxTpm ? ' (lowered after the provider answered 429; it grows back)' : '';
  if (inForce.maxTpm > 0 && used.tokens >= inForce.maxTpm) {
    return { requests: 0, why: `provider "${provider}" used ${used.tokens} tokens in the last minute, its --max-tpm ${inForce.maxTpm}${throttled}: waiting for headroom`, retryAtMs: nextChangeAt(window, now, 'tokens') };
  }
  if (inForce.maxRpm === 0) return { requests: Infinity, why: '', retryAtMs: null };
  const requests = Math.max(0, inForce.maxRpm - used.requests);
  if (requests > 0) return { requests, why: '', retryAtMs: null };
  return { requests: 0, why: `provider "${provider}" was sent ${used.requests} requests in the last minute, its --max-rpm ${inForce.maxRpm}${throttled}: waiting for headroom`, retryAtMs: nextChangeAt(window, now, 'requests') };
}

/** When the oldest bucket holding any of `what` leaves the lookback, or the limit next grows back, whichever is first. */
function nextChangeAt(window: RateWindow, now: number, what: 'requests' | 'tokens'): number | null {
  const column = what === 'requests' ? 1 : 2;
  let at: number | null = null;
  // The earliest bucket, wherever it sits: replicas with clocks apart may have written them out of order.
  for (const b of window.buckets) {
    if (inLookback(b[0], now) && b[column] > 0) at = Math.min(at ?? Infinity, b[0] + RATE_BUCKET_MS + RATE_LOOKBACK_MS);
  }
  if (factorAt(window, now) < 1) {
    const steps = Math.floor((now - window.throttledAtMs) / RECOVER_STEP_MS) + 1;
    const grows = window.throttledAtMs + steps * RECOVER_STEP_MS;
    at = at === null ? grows : Math.min(at, grows);
  }
  return at;
}

export interface Grant {
  window: RateWindow;
  granted: number;
  /** When to ask again if fewer were granted than wanted (null: all were). */
  retryAtMs: number | null;
  why: string;
}

/**
 * One compare-and-set's worth: reports the asks' tokens and 429s, then grants
 * what the window allows of what they want. Pure: the caller stores `window`.
 */
export function grantPermits(provider: string, window: RateWindow, limits: RateLimits, ask: PermitAsk, now: number): Grant {
  const bucketStart = Math.floor(now / RATE_BUCKET_MS) * RATE_BUCKET_MS;
  const buckets = window.buckets.filter((b) => inLookback(b[0], now)).map((b) => [...b] as [number, number, number]);
  const current = (): [number, number, number] => {
    const found = buckets.find((b) => b[0] === bucketStart);
    if (found) return found;
    // In order of start, even when another replica's clock wrote a later bucket already.
    const made: [number, number, number] = [bucketStart, 0, 0];
    const after = buckets.findIndex((b) => b[0] > bucketStart);
    buckets.splice(after < 0 ? buckets.length : after, 0, made);
    return made;
  };
  // What the nodes report counts before what they want is weighed.
  if (ask.tokens > 0) current()[2] += ask.tokens;
  let next: RateWindow = { ...window, buckets };
  if (ask.throttled > 0 && now - window.throttledAtMs >= THROTTLE_GAP_MS) {
    next = { ...next, throttledFactor: Math.max(MIN_FACTOR, factorAt(window, now) * THROTTLE_FACTOR), throttledAtMs: now };
  } else if (next.throttledFactor < 1 && factorAt(next, now) >= 1) {
    next = { ...next, throttledFactor: 1 };
  }
  const headroom = headroomAt(provider, next, limits, now);
  const granted = Math.min(ask.want, headroom.requests);
  if (granted > 0) current()[1] += granted;
  if (granted >= ask.want) return { window: next, granted, retryAtMs: null, why: '' };
  const after = headroomAt(provider, next, limits, now);
  return { window: next, granted, retryAtMs: after.retryAtMs ?? now + RATE_BUCKET_MS, why: headroom.why || after.why };
}

import test from 'ava';
import fc from 'fast-check';
import {
  EMPTY_WINDOW,
  factorAt,
  grantPermits,
  headroomAt,
  limitsAt,
  PERMIT_VALID_MS,
  RATE_LOOKBACK_MS,
  RATE_WINDOW_MS,
  RECOVER_STEP_MS,
  THROTTLE_GAP_MS,
  usageAt,
  type RateWindow,
} from './rate-window.js';

const T0 = 1_800_000_000_000;

test('property: however late within its validity each permit is used, no minute of use holds more requests than --max-rpm', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 50 }),
      fc.array(
        fc.record({
          advanceMs: fc.integer({ min: 0, max: 8_000 }),
          want: fc.integer({ min: 0, max: 12 }),
          delays: fc.array(fc.integer({ min: 0, max: PERMIT_VALID_MS }), { minLength: 12, maxLength: 12 }),
          throttled: fc.integer({ min: 0, max: 2 }),
        }),
        { maxLength: 120 },
      ),
      (maxRpm, steps) => {
        let window: RateWindow = EMPTY_WINDOW;
        let now = T0;
        const uses: number[] = [];
        for (const step of steps) {
          now += step.advanceMs;
          const grant = grantPermits('p', window, { maxRpm, maxTpm: 0 }, { want: step.want, tokens: 0, throttled: step.throttled }, now);
          window = grant.window;
          if (grant.granted > step.want || grant.granted < 0) return false;
          for (let i = 0; i < grant.granted; i++) uses.push(now + step.delays[i]!);
        }
        uses.sort((a, b) => a - b);
        // Every minute (u - 60 s, u] ending at a use.
        for (let end = 0, start = 0; end < uses.length; end++) {
          while (uses[start]! <= uses[end]! - RATE_WINDOW_MS) start++;
          if (end - start + 1 > maxRpm) return false;
        }
        return true;
      },
    ),
    { numRuns: 300 },
  );
  t.pass('300 histories held the limit');
});

test('a full window grants nothing, says why and when to ask again; the grants age out after the lookback', (t) => {
  const limits = { maxRpm: 5, maxTpm: 0 };
  const first = grantPermits('openai', EMPTY_WINDOW, limits, { want: 8, tokens: 0, throttled: 0 }, T0);
  t.is(first.granted, 5);
  t.is(first.retryAtMs, T0 + 1_000 + RATE_LOOKBACK_MS, 'when the bucket of those five leaves the lookback');
  t.regex(first.why, /provider "openai" was sent 5 requests in the last minute, its --max-rpm 5: waiting for headroom/);
  const full = grantPermits('openai', first.window, limits, { want: 1, tokens: 0, throttled: 0 }, T0 + 30_000);
  t.is(full.granted, 0);
  t.is(usageAt(full.window, T0 + 30_000).requests, 5);
  const later = grantPermits('openai', full.window, limits, { want: 3, tokens: 0, throttled: 0 }, first.retryAtMs!);
  t.is(later.granted, 3);
  t.is(later.retryAtMs, null);
  t.deepEqual(later.window.buckets.map((b) => b[1]), [3], 'old buckets are dropped');
});

test('tokens reported reach --max-tpm: no permit until they age out, and the reason names the tokens', (t) => {
  const limits = { maxRpm: 0, maxTpm: 1_000 };
  const one = grantPermits('p', EMPTY_WINDOW, limits, { want: 1, tokens: 0, throttled: 0 }, T0);
  t.is(one.granted, 1, 'no request limit: only the tokens gate');
  const spent = grantPermits('p', one.window, limits, { want: 1, tokens: 1_200, throttled: 0 }, T0 + 5_000);
  t.is(spent.granted, 0);
  t.regex(spent.why, /used 1200 tokens in the last minute, its --max-tpm 1000/);
  t.is(spent.retryAtMs, T0 + 5_000 + 1_000 + RATE_LOOKBACK_MS);
  t.is(headroomAt('p', spent.window, limits, spent.retryAtMs!).requests, Infinity);
});

test('a 429 lowers the limit in force to three quarters (once per gap), and it grows back by a tenth per step', (t) => {
  const limits = { maxRpm: 100, maxTpm: 0 };
  const hit = grantPermits('p', EMPTY_WINDOW, limits, { want: 0, tokens: 0, throttled: 1 }, T0);
  t.is(limitsAt(hit.window, limits, T0).maxRpm, 75);
  const again = grantPermits('p', hit.window, limits, { want: 0, tokens: 0, throttled: 3 }, T0 + THROTTLE_GAP_MS - 1);
  t.is(limitsAt(again.window, limits, T0 + THROTTLE_GAP_MS - 1).maxRpm, 75, 'a burst of 429s from one overload counts once');
  const third = grantPermits('p', again.window, limits, { want: 0, tokens: 0, throttled: 1 }, T0 + THROTTLE_GAP_MS);
  t.is(limitsAt(third.window, limits, T0 + THROTTLE_GAP_MS).maxRpm, 56);
  const at = T0 + THROTTLE_GAP_MS;
  t.is(limitsAt(third.window, limits, at + RECOVER_STEP_MS).maxRpm, Math.floor(100 * (0.5625 + 0.1)));
  t.is(factorAt(third.window, at + 5 * RECOVER_STEP_MS), 1, 'back in full with no one asking');
  const h = headroomAt('p', { buckets: [[T0, 70, 0]], throttledFactor: 0.5625, throttledAtMs: at }, limits, at);
  t.is(h.requests, 0);
  t.regex(h.why, /its --max-rpm 56 \(lowered after the provider answered 429; it grows back\)/);
  t.is(h.retryAtMs, at + RECOVER_STEP_MS, 'the limit grows back before the grants age out');
});

test('a provider without limits grants all that is asked', (t) => {
  const g = grantPermits('p', EMPTY_WINDOW, { maxRpm: 0, maxTpm: 0 }, { want: 7, tokens: 10, throttled: 0 }, T0);
  t.is(g.granted, 7);
  t.is(g.retryAtMs, null);
});

test('a replica whose clock is behind writes its bucket in order, and the wake time is the earliest grant\'s', (t) => {
  const limits = { maxRpm: 3, maxTpm: 0 };
  const ahead = grantPermits('p', EMPTY_WINDOW, limits, { want: 2, tokens: 0, throttled: 0 }, T0 + 2_000);
  const behind = grantPermits('p', ahead.window, limits, { want: 2, tokens: 0, throttled: 0 }, T0);
  t.is(behind.granted, 1);
  t.deepEqual(behind.window.buckets.map((b) => b[0]), [T0, T0 + 2_000]);
  t.is(behind.retryAtMs, T0 + 1_000 + RATE_LOOKBACK_MS);
});

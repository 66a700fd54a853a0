import test from 'ava';
import { Backoff, backoffCeilingMs, fullJitterDelayMs } from './backoff.js';

const policy = { initialMs: 100, maxMs: 1_000, multiplier: 2 };

test('the ceiling grows exponentially and is capped', (t) => {
  t.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffCeilingMs(policy, n)), [100, 200, 400, 800, 1000, 1000]);
  t.is(backoffCeilingMs(policy, 10_000), 1000, 'no overflow for huge retry counts');
});

test('full jitter is uniform between zero and the ceiling', (t) => {
  t.is(fullJitterDelayMs(policy, 3, () => 0), 0);
  t.is(fullJitterDelayMs(policy, 3, () => 0.999999), 399);
  t.is(fullJitterDelayMs(policy, 3, () => 0.5), 200);
});

test('a herd of clients spreads out over the window', (t) => {
  let seed = 7;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const delays = Array.from({ length: 1000 }, () => fullJitterDelayMs({ initialMs: 5000, maxMs: 5000, multiplier: 2 }, 1, random));
  const buckets = [0, 0, 0, 0, 0];
  for (const d of delays) buckets[Math.floor(d / 1000)]!++;
  for (const count of buckets) t.true(count > 150 && count < 250, `bucket of ${count} is not uniform`);
});

test('Backoff resets after a success and never returns a zero-delay spin', (t) => {
  const b = new Backoff(policy, () => 0);
  t.is(b.next(), 10, 'floor of a tenth of the initial delay');
  b.next();
  t.is(b.retries, 2);
  b.reset();
  t.is(b.retries, 0);
  const top = new Backoff(policy, () => 0.999);
  t.deepEqual([top.next(), top.next(), top.next()], [99, 199, 399]);
});

test('a hundred agents reconnecting after a control plane restart spread over seconds', async (t) => {
  const { RECONNECT_BACKOFF } = await import('../node-agent/src/control-plane-client.js');
  const delays = Array.from({ length: 100 }, () => new Backoff(RECONNECT_BACKOFF).next()).sort((a, b) => a - b);
  t.true(delays.at(-1)! - delays[0]! >= 2_000, `first reconnects span only ${delays.at(-1)! - delays[0]!}ms`);
  const firstSecond = delays.filter((d) => d < 1_000).length;
  t.true(firstSecond < 60, `${firstSecond} of 100 agents reconnect in the first second`);
});

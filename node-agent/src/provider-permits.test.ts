import test from 'ava';
import { createLogger } from '../../common/logger.js';
import type { PermitRequest } from '../../common/model.js';
import { ProviderPermits } from './provider-permits.js';

const log = createLogger('test', 'silent');

function setup() {
  let now = 1_000_000;
  const asks: PermitRequest[] = [];
  const permits = new ProviderPermits(log, () => now);
  let open = true;
  permits.connect((ask) => {
    if (!open) return false;
    asks.push(ask);
    return true;
  });
  return {
    permits,
    asks,
    advance: (ms: number) => (now += ms),
    close: () => {
      open = false;
      permits.disconnect();
    },
    reopen: () => {
      open = true;
      permits.connect((ask) => {
        asks.push(ask);
        return true;
      });
    },
  };
}

const answer = (provider: string, granted: number, extra: { retryAfterMs?: number; why?: string; validForMs?: number } = {}) => ({ provider, granted, validForMs: extra.validForMs ?? 9_000, retryAfterMs: extra.retryAfterMs ?? 0, why: extra.why ?? '' });

test('calls wait for permits; one ask at a time carries the calls waiting then; a grant serves them in order', async (t) => {
  const { permits, asks } = setup();
  const order: number[] = [];
  const calls = [1, 2, 3].map((n) => permits.take('p', new AbortController().signal).then((ok) => (ok ? order.push(n) : 0)));
  t.deepEqual(asks, [{ provider: 'p', want: 1, tokens: 0, throttled: 0 }], 'the first call asked; the others wait for its answer');
  permits.answered(answer('p', 2));
  await Promise.all(calls.slice(0, 2));
  t.deepEqual(order, [1, 2]);
  t.deepEqual(asks[1], { provider: 'p', want: 1, tokens: 0, throttled: 0 }, 'granted some: the one left asks again at once');
  permits.answered(answer('p', 1));
  await calls[2];
  t.deepEqual(order, [1, 2, 3]);
});

test('"none now" is asked again after the control plane\'s wait, and the reason is kept while calls wait', async (t) => {
  const { permits, asks } = setup();
  const call = permits.take('p', new AbortController().signal);
  permits.answered(answer('p', 0, { retryAfterMs: 300, why: 'provider "p" was sent 30 requests in the last minute, its --max-rpm 30: waiting for headroom' }));
  t.regex(permits.waitingFor('p'), /its --max-rpm 30/);
  t.is(asks.length, 1);
  await new Promise((r) => setTimeout(r, 450));
  t.is(asks.length, 2, 'asked again after the wait');
  permits.answered(answer('p', 1));
  t.true(await call);
  t.is(permits.waitingFor('p'), '');
});

test('a permit past its validity is not used; a wait can be abandoned', async (t) => {
  const { permits, asks, advance } = setup();
  const first = permits.take('p', new AbortController().signal);
  permits.answered(answer('p', 2, { validForMs: 1_000 }));
  t.true(await first);
  advance(1_001);
  const stop = new AbortController();
  const second = permits.take('p', stop.signal);
  t.is(asks.length, 2, 'the spare permit expired: asked');
  stop.abort();
  t.false(await second);
});

test('tokens and 429s ride with the next ask; a 429 is reported at once; a session lost keeps what it did not deliver', async (t) => {
  const { permits, asks, close, reopen } = setup();
  permits.used('p', 1_234);
  permits.throttled('p');
  t.deepEqual(asks, [{ provider: 'p', want: 0, tokens: 1_234, throttled: 1 }]);
  // The session breaks before the answer: the report goes again on the next.
  close();
  permits.used('p', 6);
  reopen();
  t.deepEqual(asks[1], { provider: 'p', want: 0, tokens: 1_240, throttled: 1 });
  permits.answered(answer('p', 0));
  permits.used('p', 10);
  t.is(asks.length, 2, 'a report alone waits a little, to ride with the next ask');
  const call = permits.take('p', new AbortController().signal);
  t.deepEqual(asks[2], { provider: 'p', want: 1, tokens: 10, throttled: 0 });
  permits.answered(answer('p', 1));
  t.true(await call);
});

test('with no session, calls wait and ask once one opens', async (t) => {
  const { permits, asks, close, reopen } = setup();
  close();
  const call = permits.take('p', new AbortController().signal);
  t.is(asks.length, 0);
  reopen();
  t.deepEqual(asks, [{ provider: 'p', want: 1, tokens: 0, throttled: 0 }]);
  permits.answered(answer('p', 1));
  t.true(await call);
});

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
    answer: answerer(asks),
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

/** The answer to the last ask sent. */
function answerer(asks: PermitRequest[]) {
  return (provider: string, granted: number, extra: { retryAfterMs?: number; why?: string; validForMs?: number; uncounted?: boolean } = {}) => ({
    provider,
    granted,
    validForMs: extra.validForMs ?? 9_000,
    retryAfterMs: extra.retryAfterMs ?? 0,
    why: extra.why ?? '',
    askId: asks.at(-1)!.askId,
    uncounted: extra.uncounted ?? false,
  });
}

test('calls wait for permits; one ask at a time carries the calls waiting then; a grant serves them in order', async (t) => {
  const { permits, asks, answer } = setup();
  const order: number[] = [];
  const calls = [1, 2, 3].map((n) => permits.take('p', new AbortController().signal).then((ok) => (ok ? order.push(n) : 0)));
  t.like(asks, [{ provider: 'p', want: 1, tokens: 0, throttled: 0 }], 'the first call asked; the others wait for its answer');
  t.is(asks.length, 1);
  permits.answered(answer('p', 2));
  await Promise.all(calls.slice(0, 2));
  t.deepEqual(order, [1, 2]);
  t.like(asks[1], { provider: 'p', want: 1, tokens: 0, throttled: 0 }, 'granted some: the one left asks again at once');
  permits.answered(answer('p', 1));
  await calls[2];
  t.deepEqual(order, [1, 2, 3]);
});

test('"none now" is asked again after the control plane\'s wait, and the reason is kept while calls wait', async (t) => {
  const { permits, asks, answer } = setup();
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
  const { permits, asks, advance, answer } = setup();
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
  const { permits, asks, close, reopen, answer } = setup();
  permits.used('p', 1_234);
  permits.throttled('p');
  t.like(asks, [{ provider: 'p', want: 0, tokens: 1_234, throttled: 1 }]);
  // The session breaks before the answer: the report goes again on the next.
  close();
  permits.used('p', 6);
  reopen();
  t.like(asks[1], { provider: 'p', want: 0, tokens: 1_240, throttled: 1 });
  permits.answered(answer('p', 0));
  permits.used('p', 10);
  t.is(asks.length, 2, 'a report alone waits a little, to ride with the next ask');
  const call = permits.take('p', new AbortController().signal);
  t.like(asks[2], { provider: 'p', want: 1, tokens: 10, throttled: 0 });
  permits.answered(answer('p', 1));
  t.true(await call);
});

test('with no session, calls wait and ask once one opens', async (t) => {
  const { permits, asks, close, reopen, answer } = setup();
  close();
  const call = permits.take('p', new AbortController().signal);
  t.is(asks.length, 0);
  reopen();
  t.like(asks, [{ provider: 'p', want: 1, tokens: 0, throttled: 0 }]);
  permits.answered(answer('p', 1));
  t.true(await call);
});

test('a retry timer that fires while no session is open does not strand the calls: the next session asks at once', async (t) => {
  const { permits, asks, close, reopen, answer } = setup();
  const call = permits.take('p', new AbortController().signal);
  permits.answered(answer('p', 0, { retryAfterMs: 250 }));
  close();
  await new Promise((r) => setTimeout(r, 400));
  reopen();
  t.is(asks.length, 2, 'asked on the new session');
  permits.answered(answer('p', 1));
  t.true(await call);
});

test('a late answer to an ask given up on is not taken for the next; an uncounted answer sends its reports again; validity counts from the ask', async (t) => {
  const { permits, asks, answer, advance } = setup();
  permits.used('p', 50);
  const call = permits.take('p', new AbortController().signal);
  const first = asks[0]!;
  advance(5_000);
  // The session broke and came back: the ask is made again (with its reports), then the old answer arrives.
  permits.disconnect();
  permits.connect((ask) => (asks.push(ask), true));
  t.is(asks.length, 2);
  permits.answered({ provider: 'p', granted: 1, validForMs: 9_000, retryAfterMs: 0, why: '', askId: first.askId, uncounted: false });
  t.is(permits.waitingFor('p'), '', 'no reason recorded');
  t.like(asks[1], { want: 1, tokens: 50 });
  // The store failed: nothing counted, so the reports ride again.
  permits.answered(answer('p', 0, { uncounted: true, retryAfterMs: 250 }));
  await new Promise((r) => setTimeout(r, 400));
  t.like(asks[2], { want: 1, tokens: 50 });
  permits.answered(answer('p', 2, { validForMs: 1_000 }));
  t.true(await call);
  // The spare permit expires 1 s after its ask was sent, however late the answer came.
  advance(1_000);
  const next = permits.take('p', new AbortController().signal);
  t.is(asks.length, 4, 'the spare had expired: a new ask');
  permits.answered(answer('p', 1));
  t.true(await next);
});

import test from 'ava';
import { pino } from 'pino';
import { Prefetcher } from './prefetch.js';

const log = pino({ level: 'silent' });
const settle = () => new Promise((r) => setImmediate(r));

test('wanted images are fetched in the background, reported once held, retried after a failure, forgotten when no longer wanted', async (t) => {
  let now = 1_000;
  const calls: string[] = [];
  let fail = true;
  let release: () => void = () => {};
  const runtime = {
    ensureImage: (image: string) => {
      calls.push(image);
      if (image === 'slow:1') return new Promise<void>((r) => (release = r));
      return fail ? Promise.reject(new Error('no registry')) : Promise.resolve();
    },
  };
  const p = new Prefetcher(runtime, log, () => now);
  p.want(['canary:2', 'slow:1']);
  await settle();
  t.deepEqual(p.held(), [], 'the pull failed; the slow one is under way');
  p.refresh();
  t.deepEqual(calls, ['canary:2', 'slow:1'], 'no pull again before the retry delay, none twice at once');
  fail = false;
  now = 32_000;
  p.refresh();
  await settle();
  t.deepEqual(p.held(), ['canary:2']);
  release();
  await settle();
  t.deepEqual(p.held().sort(), ['canary:2', 'slow:1']);
  p.want(['canary:2']);
  t.deepEqual(p.held(), ['canary:2']);
  p.want([]);
  t.deepEqual(p.held(), []);
});

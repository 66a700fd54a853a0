import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { GroupCommit, recordsOf } from './group-commit.js';

/** A publish that records what it was given, and answers after `delayMs`. */
function recorder(delayMs = 0, fail?: Error) {
  const published: Array<{ key: string; records: unknown[]; atMs: number }> = [];
  const publish = async (key: string, payload: Uint8Array) => {
    published.push({ key, records: recordsOf(JSON.parse(new TextDecoder().decode(payload))), atMs: performance.now() });
    if (delayMs > 0) await sleep(delayMs);
    if (fail) throw fail;
  };
  return { published, publish };
}

test('without a linger, records of one turn go as one batch at the end of the turn, and one alone goes at once', async (t) => {
  const { published, publish } = recorder();
  const commit = new GroupCommit(publish, 'test');
  await Promise.all([commit.add('k', 1), commit.add('k', 2), commit.add('k', 3)]);
  t.deepEqual(published.map((p) => p.records), [[1, 2, 3]]);
  const alone = commit.add('k', 4);
  // The batch's end-of-turn callback was queued first: by the time this turn's next one runs, the record has gone.
  await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(published[1]?.records, [4], 'no timer stands between a record and its batch');
  await alone;
});

test('with a linger, records added within it go as one batch, and records added while it is in flight go in the next', async (t) => {
  const { published, publish } = recorder(50);
  const commit = new GroupCommit(publish, 'test', 1_000);
  const started = performance.now();
  const first = commit.add('k', 'a');
  await sleep(10);
  const second = commit.add('k', 'b');
  const other = commit.add('other', 'x');
  while (!published.some((p) => p.key === 'k')) await sleep(2);
  // 'a' and 'b' are being published now; 'c' waits for that round trip, not for another linger.
  const third = commit.add('k', 'c');
  await Promise.all([first, second, other, third]);
  t.deepEqual(
    published.filter((p) => p.key === 'k').map((p) => p.records),
    [['a', 'b'], ['c']],
  );
  t.deepEqual(published.filter((p) => p.key === 'other').map((p) => p.records), [['x']], 'keys never share a batch');
  const [a, c] = published.filter((p) => p.key === 'k');
  t.true(c!.atMs - a!.atMs < 900, `the second batch went after the first's round trip, without a linger of its own (${(c!.atMs - a!.atMs).toFixed(0)} ms)`);
  t.true(a!.atMs - started >= 990, `the first batch waited for the linger (${(a!.atMs - started).toFixed(0)} ms)`);
});

test('settle sends what lingers at once, and resolves when it is stored', async (t) => {
  const { published, publish } = recorder(5);
  const commit = new GroupCommit(publish, 'test', 60_000);
  const added = commit.add('k', 'late');
  const started = performance.now();
  await commit.settle();
  t.true(performance.now() - started < 1_000, 'not a minute');
  t.deepEqual(published.map((p) => p.records), [['late']]);
  await added;
  await commit.settle();
  t.is(published.length, 1, 'nothing left: settle again sends nothing');
});

test("a failed publish rejects every record of its batch, and the next batch goes on", async (t) => {
  const failing = recorder(0, new Error('jetstream is not answering'));
  const commit = new GroupCommit(failing.publish, 'test', 10);
  const results = await Promise.allSettled([commit.add('k', 1), commit.add('k', 2)]);
  t.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
  t.regex(String((results[0] as PromiseRejectedResult).reason), /not answering/);
  await t.throwsAsync(commit.add('k', 3), { message: /not answering/ });
  t.is(failing.published.length, 2);
});

import test from 'ava';
import { pino } from 'pino';
import { WaitReasons } from './wait-reasons.js';

const log = pino({ level: 'silent' });

/** A store whose writes land when the test says so; the class reason each task's class gives now. */
function rig(concurrency = 4) {
  const held: Array<{ taskId: string; why: string; land: () => void; fail: (err: Error) => void }> = [];
  const shown = new Map<string, string>();
  const reason = new Map<string, string>();
  let leading = true;
  let maxInFlight = 0;
  const reasons = new WaitReasons({
    write: (taskId, why) =>
      new Promise<void>((resolve, reject) => {
        held.push({ taskId, why, land: () => (shown.set(taskId, why), resolve()), fail: reject });
        maxInFlight = Math.max(maxInFlight, held.length);
      }),
    stillTrue: (taskId, why) => reason.get(taskId) === why,
    mayWrite: () => leading,
    log,
    concurrency,
    pauseMs: 50,
  });
  const landAll = async () => {
    while (held.length > 0) {
      for (const w of held.splice(0)) w.land();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { reasons, held, shown, reason, landAll, maxInFlight: () => maxInFlight, setLeading: (on: boolean) => (leading = on) };
}

function noteAll(r: ReturnType<typeof rig>, ids: string[], why: string): void {
  for (const id of ids) r.reason.set(id, why);
  r.reasons.note(new Map(ids.map((id) => [id, why])));
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `task_${i}`);

test('a thousand reasons are written a few at a time, all of them, oldest first', async (t) => {
  const r = rig(4);
  noteAll(r, ids(1000), 'no node with a healthy Docker engine');
  t.is(r.held.length, 4, 'only four in flight');
  t.deepEqual(r.held.map((w) => w.taskId), ids(4));
  t.is(r.reasons.pending, 996);
  await r.landAll();
  await r.reasons.idle();
  t.is(r.shown.size, 1000);
  t.is(r.maxInFlight(), 4);
  t.true([...r.shown.values()].every((why) => why === 'no node with a healthy Docker engine'));
});

test('a reason that goes away before its turn is never written; a newer one replaces the one not yet written', async (t) => {
  const r = rig(2);
  noteAll(r, ids(100), 'no node with a healthy Docker engine');
  // The engine came back: the class now waits for a slot, which the tasks' "waiting for a node" already says, so nothing is noted.
  for (const id of ids(100)) r.reason.set(id, 'every matching node is full');
  // Two tasks get a reason of their own meanwhile: noted again, in their old place, with the new reason.
  r.reason.set('task_50', 'team a is at its limit');
  r.reason.set('task_60', 'team a is at its limit');
  r.reasons.note(new Map([['task_50', 'team a is at its limit'], ['task_60', 'team a is at its limit']]));
  await r.landAll();
  await r.reasons.idle();
  // The two in flight when the reason changed landed with the old one (the scheduler, seeing them land, notes the new one).
  t.deepEqual(
    [...r.shown].sort(),
    [
      ['task_0', 'no node with a healthy Docker engine'],
      ['task_1', 'no node with a healthy Docker engine'],
      ['task_50', 'team a is at its limit'],
      ['task_60', 'team a is at its limit'],
    ],
  );
});

test('a task is written once at a time: a newer reason noted while its write is in flight waits for it, then lands last', async (t) => {
  const r = rig(4);
  noteAll(r, ['task_a'], 'first');
  t.is(r.held.length, 1);
  noteAll(r, ['task_a'], 'second');
  t.is(r.held.length, 1, 'no second write for the task while one is in flight');
  await r.landAll();
  await r.reasons.idle();
  t.is(r.shown.get('task_a'), 'second');
});

test('100,000 reasons noted, then dropped when their class changes: only those in flight are written', async (t) => {
  const r = rig(16);
  const many = ids(100_000);
  noteAll(r, many, 'no node with a healthy Docker engine');
  for (const id of many) r.reason.set(id, 'every matching node is full');
  const started = performance.now();
  await r.landAll();
  await r.reasons.idle();
  const ms = performance.now() - started;
  t.is(r.shown.size, 16, 'only the sixteen already in flight were written');
  t.log(`${ms.toFixed(0)} ms to drop 99,984 reasons`);
});

test('leadership lost or the queue replaced: what is due is dropped; a failed write, or a late lease renewal, pauses the lane, which then goes on', async (t) => {
  const r = rig(2);
  noteAll(r, ids(10), 'why');
  r.reasons.clear();
  t.is(r.reasons.pending, 0);
  await r.landAll();
  await r.reasons.idle();
  t.is(r.shown.size, 2, 'the two in flight landed; the eight due were dropped');

  noteAll(r, ids(10).map((id) => `${id}_b`), 'why');
  r.held.shift()!.fail(new Error('store unavailable'));
  await new Promise((resolve) => setImmediate(resolve));
  t.is(r.held.length, 1, 'paused after the failure: nothing new started');
  r.setLeading(false);
  await r.landAll();
  await r.reasons.idle();
  t.is(r.shown.size, 2 + 1);
  t.is(r.reasons.pending, 9, 'kept while it may not write, the failed one included');
  await new Promise((resolve) => setTimeout(resolve, 120));
  t.is(r.held.length, 0, 'still not leading: still paused');
  r.setLeading(true);
  await new Promise((resolve) => setTimeout(resolve, 120));
  await r.landAll();
  await r.reasons.idle();
  t.is(r.reasons.pending, 0);
  t.is(r.shown.size, 2 + 10, 'every one written once it may write again, the failed one too');
});

import test from 'ava';
import { CutoffWatchdog, type IntervalTimers } from './cutoff.js';

/** A clock and timers the test moves by hand. */
function harness(stopAfterMs = 20_000) {
  let now = 1_000_000;
  let tick: (() => void) | undefined;
  let intervalMs = 0;
  const timers: IntervalTimers = {
    setInterval: (fn, ms) => {
      tick = fn;
      intervalMs = ms;
      return 'handle';
    },
    clearInterval: () => {
      tick = undefined;
    },
  };
  const events: string[] = [];
  const dog = new CutoffWatchdog(stopAfterMs, { cutOff: (silentMs) => events.push(`cut-off after ${silentMs}ms`), restored: () => events.push('restored') }, { now: () => now }, timers, 250);
  const advance = (ms: number) => {
    for (let left = ms; left > 0; left -= intervalMs) {
      now += Math.min(intervalMs, left);
      tick?.();
    }
  };
  return { dog, events, advance, running: () => tick !== undefined };
}

test('contact within the bound never stops anything', (t) => {
  const { dog, events, advance } = harness();
  dog.start();
  for (let i = 0; i < 10; i++) {
    advance(15_000);
    dog.contact();
  }
  t.deepEqual(events, []);
  t.false(dog.cutOff);
});

test('silence longer than the bound stops once, at the first check past it', (t) => {
  const { dog, events, advance } = harness();
  dog.start();
  advance(20_000);
  t.deepEqual(events, [], 'exactly the bound is still in time');
  advance(250);
  t.deepEqual(events, ['cut-off after 20250ms']);
  advance(60_000);
  t.deepEqual(events, ['cut-off after 20250ms'], 'once per cut-off, however long it lasts');
  t.true(dog.cutOff);
});

test('contact after a cut-off restores, and a second silence stops again', (t) => {
  const { dog, events, advance } = harness(5_000);
  dog.start();
  advance(6_000);
  dog.contact();
  t.false(dog.cutOff);
  advance(5_000);
  t.deepEqual(events, ['cut-off after 5250ms', 'restored']);
  advance(500);
  t.deepEqual(events, ['cut-off after 5250ms', 'restored', 'cut-off after 5250ms']);
});

test('the bound the control plane sends replaces the one it started with', (t) => {
  const { dog, events, advance } = harness(20_000);
  dog.start();
  dog.setStopAfter(3_000);
  t.is(dog.stopAfterDisconnectMs, 3_000);
  advance(3_250);
  t.deepEqual(events, ['cut-off after 3250ms']);
});

test('counting starts at start, and stop ends the checks', (t) => {
  const { dog, events, advance, running } = harness(1_000);
  dog.start();
  t.true(running());
  dog.stop();
  t.false(running());
  advance(10_000);
  t.deepEqual(events, []);
});

test('silent past the bound is known at once, before the watchdog next looks (an overloaded process runs its timers late)', (t) => {
  let now = 0;
  const dog = new CutoffWatchdog(20_000, { cutOff: () => {}, restored: () => {} }, { now: () => now }, { setInterval: () => 'never fires', clearInterval: () => {} });
  dog.start();
  now = 20_000;
  t.false(dog.silentTooLong());
  now = 20_001;
  t.true(dog.silentTooLong(), 'no check ran, yet the silence is known');
  t.false(dog.cutOff, 'the watchdog itself has not looked');
  dog.contact();
  t.false(dog.silentTooLong());
});

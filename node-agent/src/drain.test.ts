import test from 'ava';
import { pino } from 'pino';
import { admitsWork, drain, drainStep } from './drain.js';

test('only a running agent takes new work', (t) => {
  t.true(admitsWork('running'));
  t.false(admitsWork('draining'));
  t.false(admitsWork('stopped'));
});

test('a drain waits for running attempts until its deadline, then stops the rest', (t) => {
  t.is(drainStep(0, 1_000, 5_000), 'done');
  t.is(drainStep(2, 4_999, 5_000), 'wait');
  t.is(drainStep(2, 5_000, 5_000), 'stop-the-rest');
  t.is(drainStep(0, 9_000, 5_000), 'done');
});

test('the drain loop lets attempts finish before the deadline and stops the rest once after it', async (t) => {
  let now = 0;
  let running = 3;
  const stops: string[] = [];
  const sleeps: number[] = [];
  const target = {
    nodeName: 'n1',
    running: () => running,
    stopAll: (reason: string, graceMs: number) => {
      stops.push(`${reason} (grace ${graceMs}ms)`);
    },
  };
  const sleep = async (ms: number) => {
    sleeps.push(ms);
    now += ms;
    if (now === 400) running = 1; // two finish on their own
    if (now >= 1_400 && stops.length > 0) running = 0; // the last is stopped
  };
  await drain(target, 1_000, 2_000, { now: () => now }, pino({ level: 'silent' }), sleep);
  t.deepEqual(stops, ['node n1 stopped after its drain deadline (grace 2000ms)'], 'stopped once, after the deadline');
  t.is(running, 0);
  t.true(now >= 1_000);
});

import test from 'ava';
import { UnavailableError } from '../../../common/errors.js';
import { Admission } from './admission.js';

test('at most N run at once, the rest wait in order, and past the queue callers are told to come back', async (t) => {
  const admission = new Admission(2, 2, 'node hellos');
  let running = 0;
  let peak = 0;
  const order: number[] = [];
  const gates: Array<() => void> = [];
  const job = (i: number) =>
    admission.run(async () => {
      running++;
      peak = Math.max(peak, running);
      order.push(i);
      await new Promise<void>((resolve) => gates.push(resolve));
      running--;
      return i;
    });
  const admitted = [0, 1, 2, 3].map(job);
  const refused = job(4);
  await t.throwsAsync(refused, { instanceOf: UnavailableError, message: /busy with 4 node hellos: try again/ });
  await new Promise((r) => setImmediate(r));
  t.deepEqual(order, [0, 1]);
  while (gates.length > 0 || order.length < 4) {
    gates.shift()?.();
    await new Promise((r) => setImmediate(r));
  }
  t.deepEqual(await Promise.all(admitted), [0, 1, 2, 3]);
  t.deepEqual(order, [0, 1, 2, 3], 'waiters are served first come, first served');
  t.is(peak, 2);
  t.is(await admission.run(async () => 'free again'), 'free again');
});

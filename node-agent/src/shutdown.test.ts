import test from 'ava';
import { pino } from 'pino';
import { Shutdown } from './shutdown.js';

function harness(drainOnStop: boolean, windowMs = 50) {
  const calls: string[] = [];
  let pending = 0;
  const exited = new Promise<number>((resolve) => {
    const shutdown = new Shutdown(
      drainOnStop,
      {
        drain: async () => {
          calls.push('drain');
          pending = 2;
          setTimeout(() => (pending = 0), 30);
        },
        unacknowledged: () => pending,
        close: async () => void calls.push('close'),
        exit: (code) => {
          calls.push(`exit ${code}`);
          resolve(code);
        },
      },
      pino({ level: 'silent' }),
      windowMs,
    );
    (harnessShutdown as Shutdown[]).push(shutdown);
  });
  return { calls, exited, shutdown: () => harnessShutdown.at(-1)! };
}
const harnessShutdown: Shutdown[] = [];

test('one SIGTERM stops without draining, after the window for a second', async (t) => {
  const h = harness(false);
  h.shutdown().signal('SIGTERM');
  t.is(h.shutdown().state, 'deciding');
  t.is(await h.exited, 0);
  t.deepEqual(h.calls, ['close', 'exit 0']);
});

test('a second SIGTERM within the window drains first and waits for acknowledgements', async (t) => {
  const h = harness(false, 1_000);
  h.shutdown().signal('SIGTERM');
  h.shutdown().signal('SIGTERM');
  t.is(h.shutdown().state, 'draining');
  t.is(await h.exited, 0);
  t.deepEqual(h.calls, ['drain', 'close', 'exit 0']);
});

test('--drain-on-stop drains on the first SIGTERM; a signal while draining exits at once', async (t) => {
  const h = harness(true);
  h.shutdown().signal('SIGTERM');
  t.is(h.shutdown().state, 'draining');
  h.shutdown().signal('SIGINT');
  t.is(await h.exited, 130);
  t.is(h.calls[0], 'drain');
});

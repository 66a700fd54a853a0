import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { type Check, EventLoopLag, InFlight, pingIntervalMs, Progress, Watchdog, type WatchdogOptions } from './self-check.js';
import { type NotifyTarget, ServiceManager } from './systemd.js';
import { logSink } from './testing/log-sink.js';

/** Stands in for the notify socket: records each notification's assignments, in order. */
class RecordingTarget implements NotifyTarget {
  readonly sent: string[][] = [];
  notify(assignments: string[]): Promise<void> {
    this.sent.push(assignments);
    return Promise.resolve();
  }
}


/** Polls until `condition` holds (the watchdog's own timers do the work). */
async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await sleep(5);
  }
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

// --- Progress -------------------------------------------------------------

test('Progress: a loop that beats is healthy; silent past its bound it is a problem naming the loop and the bound', (t) => {
  let now = 1_000;
  const loop = new Progress('outbox pump', 30_000, () => now);
  t.is(loop.problem(now + 30_000), null, 'exactly at the bound is still healthy');
  t.is(loop.problem(now + 45_000), 'outbox pump: no progress for 45s (bound 30s)');

  now = 40_000;
  loop.beat();
  t.is(loop.problem(60_000), null, 'a beat starts the silence again');
  t.is(loop.problem(71_000), 'outbox pump: no progress for 31s (bound 30s)');
});

test('Progress: a paused loop is not judged however long it is silent, nor one created paused', (t) => {
  let now = 0;
  const loop = new Progress('scheduling', 10_000, () => now);
  loop.pause();
  t.is(loop.problem(1_000_000), null);

  const notLeading = new Progress('retention', 10_000, () => now, false);
  t.is(notLeading.problem(1_000_000), null);
  now = 5;
  t.is(notLeading.problem(now), null);
});

test('Progress: resuming after a long pause judges from the resume, not from before the pause', (t) => {
  let now = 0;
  const loop = new Progress('scheduling', 10_000, () => now);
  loop.pause();
  now = 3_600_000;
  loop.resume();
  t.is(loop.problem(now + 9_000), null, 'the hour paused does not count');
  t.is(loop.problem(now + 12_000), 'scheduling: no progress for 12s (bound 10s)', 'silence after the resume does');
});

test('Progress: resume on a loop that is already active is not a beat', (t) => {
  let now = 0;
  const loop = new Progress('heartbeats', 10_000, () => now);
  now = 20_000;
  loop.resume();
  t.is(loop.problem(now), 'heartbeats: no progress for 20s (bound 10s)');
});

// --- InFlight -------------------------------------------------------------

test('InFlight: idle is healthy however long', (t) => {
  const op = new InFlight('measuring the node', 60_000, () => 0);
  t.is(op.problem(10 * 3_600_000), null);
});

test('InFlight: an operation that does not settle within the bound is a problem; settling clears it and passes its value through', async (t) => {
  let now = 0;
  const op = new InFlight('leader lease', 60_000, () => now);
  const { promise, resolve } = deferred<number>();
  const tracked = op.track(promise);
  t.is(op.problem(60_000), null, 'at the bound it is still within it');
  t.is(op.problem(75_000), 'leader lease: running for 75s without returning (bound 60s)');

  now = 80_000;
  resolve(42);
  t.is(await tracked, 42);
  t.is(op.problem(1_000_000), null);
});

test('InFlight: an operation that rejects is over too, and the rejection reaches the caller', async (t) => {
  const op = new InFlight('retention sweep', 1_000, () => 0);
  const { promise, reject } = deferred<void>();
  const tracked = op.track(promise);
  t.not(op.problem(5_000), null);
  reject(new Error('bucket gone'));
  await t.throwsAsync(tracked, { message: 'bucket gone' });
  t.is(op.problem(5_000), null);
});

test('InFlight: an older operation settling does not clear a newer one, which is judged from its own start', async (t) => {
  let now = 0;
  const op = new InFlight('scheduling pass', 60_000, () => now);
  const older = deferred<void>();
  const olderTracked = op.track(older.promise);
  now = 10_000;
  void op.track(new Promise<void>(() => {}));
  older.resolve();
  await olderTracked;
  t.is(op.problem(69_000), null, 'the newer one is 59s old');
  t.is(op.problem(71_000), 'scheduling pass: running for 61s without returning (bound 60s)');
});

// --- EventLoopLag ---------------------------------------------------------

test('EventLoopLag: a loop blocked for real beyond the bound is a problem once; the next call starts a new window', async (t) => {
  const lag = new EventLoopLag(100, 20);
  t.is(lag.problem(), null, 'nothing measured before it starts');
  lag.start();
  try {
    await sleep(50);
    const until = Date.now() + 300;
    while (Date.now() < until) {
      // Busy: no timer can fire.
    }
    // Let the late timer fire and measure how late it was.
    await sleep(60);
    const problem = lag.problem();
    const match = /^event loop: blocked for (\d+\.\d)s \(bound 0\.1s\)$/.exec(problem ?? '');
    t.truthy(match, `unexpected problem: ${problem}`);
    t.true(Number(match?.[1]) >= 0.2, `blocked for ${match?.[1]}s, expected about 0.3s`);
    t.is(lag.problem(), null, 'the worst lag is reset by each call');
  } finally {
    lag.stop();
  }
});

// --- Watchdog -------------------------------------------------------------

/** A watchdog over a real ServiceManager whose notify target records what it is sent. */
function watchdogWith(checks: Check[], options: Partial<WatchdogOptions> = {}) {
  const target = new RecordingTarget();
  const { log, lines } = logSink('info');
  const changes: string[][] = [];
  const watchdog = new Watchdog(
    new ServiceManager(target, log),
    checks,
    // A long interval by default: the test drives the ticks after start()'s first one.
    { intervalMs: 3_600_000, checkTimeoutMs: 1_000, status: () => 'serving', onChange: (problems) => changes.push(problems), ...options },
    log,
  );
  return { watchdog, target, lines, changes };
}

/** Starts it and waits for start()'s own first tick to have finished. */
async function started(watchdog: Watchdog): Promise<void> {
  watchdog.start();
  await until(() => watchdog.last.atMs !== 0);
  // The tick sets `last` before it notifies; let it finish.
  await new Promise((resolve) => setImmediate(resolve));
}

/** A check that fails while `failing` is set. */
function toggled(name: string, problem: string) {
  const state = { failing: false };
  const check: Check = { name, problem: () => (state.failing ? problem : null) };
  return { state, check };
}

const isPing = (assignments: string[]) => assignments.includes('WATCHDOG=1');

test('Watchdog: on its own timer, pings WATCHDOG=1 only while every check passes', async (t) => {
  const journal = toggled('journal', 'journal: the journal cannot commit: disk I/O error');
  const loop = toggled('heartbeats', 'heartbeats: no progress for 40s (bound 30s)');
  const { watchdog, target } = watchdogWith([journal.check, loop.check], { intervalMs: 20 });
  watchdog.start();
  try {
    await until(() => target.sent.filter(isPing).length >= 3);
    t.deepEqual(target.sent[0], ['WATCHDOG=1', 'STATUS=serving'], 'the first ping carries the status');
    t.deepEqual(target.sent[1], ['WATCHDOG=1'], 'an unchanged status is not resent');

    journal.state.failing = true;
    const failedAt = target.sent.length;
    await until(() => watchdog.last.problems.length > 0);
    await sleep(150); // several intervals, all failing
    const whileFailing = target.sent.slice(failedAt);
    t.deepEqual(whileFailing, [['STATUS=self-check failing: journal: the journal cannot commit: disk I/O error']], 'one status line, no ping');

    loop.state.failing = true;
    const bothAt = target.sent.length;
    await until(() => watchdog.last.problems.length === 2);
    await sleep(100);
    t.deepEqual(target.sent.slice(bothAt), [
      ['STATUS=self-check failing: journal: the journal cannot commit: disk I/O error; heartbeats: no progress for 40s (bound 30s)'],
    ]);

    journal.state.failing = false;
    loop.state.failing = false;
    const passesAt = target.sent.length;
    await until(() => target.sent.length >= passesAt + 2);
    t.deepEqual(target.sent.slice(passesAt, passesAt + 2), [['WATCHDOG=1', 'STATUS=serving'], ['WATCHDOG=1']], 'pings again, status restored');
  } finally {
    watchdog.stop();
  }
});

test('Watchdog: a failing check sends its problem as STATUS without WATCHDOG, logs it once, and the report says so', async (t) => {
  const journal = toggled('journal', 'the journal cannot commit: database is locked');
  journal.state.failing = true;
  const { watchdog, target, lines } = watchdogWith([journal.check, { name: 'event loop', problem: () => null }]);
  await started(watchdog);
  try {
    t.false(watchdog.last.ok);
    t.deepEqual(watchdog.last.problems, ['journal: the journal cannot commit: database is locked'], 'the problem is named after its check');
    t.deepEqual(watchdog.last.failing, ['journal']);
    const again = await watchdog.tick();
    t.false(again.ok);
    t.deepEqual(target.sent, [['STATUS=self-check failing: journal: the journal cannot commit: database is locked']], 'the unchanged status is not repeated');
    t.false(target.sent.some(isPing));
    const errors = lines.filter((l) => l.level === 50);
    t.is(errors.length, 1, 'said once while the problems stay the same');
    t.deepEqual(errors[0]?.problems, ['journal: the journal cannot commit: database is locked']);
  } finally {
    watchdog.stop();
  }
});

test('Watchdog: onChange is told the problems when it starts failing and when they change, and [] when it passes again', async (t) => {
  const journal = toggled('journal', 'journal: cannot commit');
  const docker = toggled('docker', 'docker: measuring for 200s');
  const { watchdog, target, changes, lines } = watchdogWith([journal.check, docker.check]);
  await started(watchdog);
  try {
    t.true(watchdog.last.ok);
    t.deepEqual(changes, [], 'passing from the start is no change');
    await watchdog.tick();
    t.deepEqual(changes, []);

    journal.state.failing = true;
    await watchdog.tick();
    t.deepEqual(changes, [['journal: cannot commit']]);
    await watchdog.tick();
    t.deepEqual(changes, [['journal: cannot commit']], 'the same problems again are not news');

    docker.state.failing = true;
    await watchdog.tick();
    t.deepEqual(changes.at(-1), ['journal: cannot commit', 'docker: measuring for 200s']);

    journal.state.failing = false;
    docker.state.failing = false;
    const report = await watchdog.tick();
    t.true(report.ok);
    t.deepEqual(changes.at(-1), []);
    t.is(changes.length, 3);
    t.deepEqual(target.sent.at(-1), ['WATCHDOG=1', 'STATUS=serving']);
    t.truthy(lines.find((l) => l.msg === 'self-check passes again'));

    await watchdog.tick();
    t.is(changes.length, 3, 'passing on is no change either');
  } finally {
    watchdog.stop();
  }
});

test('Watchdog: the recovery is logged with how long the checks failed, from the first failing run', async (t) => {
  const journal = toggled('journal', 'journal: cannot commit');
  journal.state.failing = true;
  const { watchdog, lines } = watchdogWith([journal.check]);
  await started(watchdog);
  try {
    const firstFailing = watchdog.last.atMs;
    await sleep(150);
    await watchdog.tick();
    await sleep(150);
    journal.state.failing = false;
    const passed = await watchdog.tick();
    const recovered = lines.find((l) => l.msg === 'self-check passes again');
    t.is(recovered?.failedForMs, passed.atMs - firstFailing);
  } finally {
    watchdog.stop();
  }
});

test('Watchdog: a check that never answers fails after checkTimeoutMs, and the others are still heard', async (t) => {
  const { watchdog, target } = watchdogWith(
    [
      { name: 'journal', problem: () => new Promise<string | null>(() => {}) },
      { name: 'event loop', problem: () => null },
      { name: 'docker', problem: () => Promise.resolve('docker: slow') },
    ],
    { checkTimeoutMs: 1_000 },
  );
  const startedAt = Date.now();
  await started(watchdog);
  try {
    const tookMs = Date.now() - startedAt;
    t.true(tookMs >= 950, `the tick ended after ${tookMs}ms, before the check's bound`);
    t.deepEqual(watchdog.last.problems, ['journal: the check did not answer within 1s', 'docker: slow']);
    t.false(target.sent.some(isPing));
  } finally {
    watchdog.stop();
  }
});

test('Watchdog: a check that throws, or rejects, fails with its message', async (t) => {
  const { watchdog, target } = watchdogWith([
    {
      name: 'journal',
      problem: () => {
        throw new Error('SQLITE_CORRUPT: database disk image is malformed');
      },
    },
    { name: 'docker', problem: () => Promise.reject(new Error('connect ENOENT /var/run/docker.sock')) },
  ]);
  await started(watchdog);
  try {
    t.false(watchdog.last.ok);
    t.deepEqual(watchdog.last.problems, ['journal: SQLITE_CORRUPT: database disk image is malformed', 'docker: connect ENOENT /var/run/docker.sock']);
    t.false(target.sent.some(isPing));
  } finally {
    watchdog.stop();
  }
});

test('Watchdog: add() brings more checks into the next run', async (t) => {
  const { watchdog, target, changes } = watchdogWith([]);
  await started(watchdog);
  try {
    t.true(watchdog.last.ok, 'no check is a pass');
    t.deepEqual(target.sent, [['WATCHDOG=1', 'STATUS=serving']]);
    const journal = toggled('journal', 'journal: cannot commit');
    watchdog.add({ name: 'event loop', problem: () => null }, journal.check);
    t.true((await watchdog.tick()).ok);
    journal.state.failing = true;
    const report = await watchdog.tick();
    t.false(report.ok);
    t.deepEqual(report.problems, ['journal: cannot commit']);
    t.deepEqual(changes, [['journal: cannot commit']]);
    t.deepEqual(target.sent, [['WATCHDOG=1', 'STATUS=serving'], ['WATCHDOG=1'], ['STATUS=self-check failing: journal: cannot commit']]);
  } finally {
    watchdog.stop();
  }
});

test('Watchdog: once stopped, a run pings nothing and is not kept', async (t) => {
  const { watchdog, target } = watchdogWith([{ name: 'event loop', problem: () => null }]);
  await started(watchdog);
  watchdog.stop();
  const sent = target.sent.length;
  const last = watchdog.last;
  const report = await watchdog.tick();
  t.true(report.ok);
  t.is(target.sent.length, sent, 'a stopping daemon does not ping');
  t.is(watchdog.last, last);
});

test('pingIntervalMs: a quarter of the watchdog timeout, at least 100ms, or the fallback without a watchdog', (t) => {
  t.is(pingIntervalMs(30_000), 7_500);
  t.is(pingIntervalMs(1_001), 250);
  t.is(pingIntervalMs(200), 100);
  t.is(pingIntervalMs(undefined), 10_000);
  t.is(pingIntervalMs(undefined, 2_000), 2_000);
  t.is(pingIntervalMs(0, 2_000), 2_000);
});

test('Watchdog: a failure whose text grows (seconds blocked, seconds silent) is logged once, not at every run', async (t) => {
  let seconds = 30;
  const { watchdog, lines } = watchdogWith([{ name: 'heartbeats', problem: () => `heartbeats: no progress for ${(seconds += 5)}s (bound 15s)` }]);
  await started(watchdog);
  try {
    await watchdog.tick();
    await watchdog.tick();
    t.regex(watchdog.last.problems[0]!, /^heartbeats: no progress for \d+s/);
    t.is(lines.filter((l) => l.level === 50).length, 1, 'the same check failing: said once');
  } finally {
    watchdog.stop();
  }
});

test('Watchdog: a check added while a run is under way does not confuse that run', async (t) => {
  let release!: () => void;
  const slow = { name: 'slow', problem: () => new Promise<string | null>((r) => (release = () => r('slow: failing'))) };
  const { watchdog } = watchdogWith([slow]);
  const run = watchdog.tick();
  await new Promise((r) => setImmediate(r));
  watchdog.add({ name: 'late', problem: () => 'late: failing' });
  release();
  const report = await run;
  t.deepEqual(report.problems, ['slow: failing'], 'the run judged the checks it began with');
  watchdog.stop();
});

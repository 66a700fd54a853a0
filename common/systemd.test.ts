import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import test from 'ava';
import { logSink } from './testing/log-sink.js';
import { type NotifyTarget, ServiceManager, SystemdNotify, systemdEnv } from './systemd.js';

/** Stands in for the notify socket: records each notification's assignments, in order. */
class RecordingTarget implements NotifyTarget {
  readonly sent: string[][] = [];
  notify(assignments: string[]): Promise<void> {
    this.sent.push(assignments);
    return Promise.resolve();
  }
}

// --- systemdEnv -----------------------------------------------------------

test('systemdEnv: without NOTIFY_SOCKET there is no socket and no watchdog, even with WATCHDOG_USEC', (t) => {
  t.deepEqual(systemdEnv({}, 100), { socket: undefined, watchdogMs: undefined });
  t.deepEqual(systemdEnv({ NOTIFY_SOCKET: '' }, 100), { socket: undefined, watchdogMs: undefined });
  t.deepEqual(systemdEnv({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '100' }, 100), { socket: undefined, watchdogMs: undefined });
});

test("systemdEnv: a watchdog meant for another process (WATCHDOG_PID) is not this one's", (t) => {
  const env = { NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '4242' };
  t.deepEqual(systemdEnv(env, 4243), { socket: '/run/systemd/notify', watchdogMs: undefined });
  t.deepEqual(systemdEnv({ ...env, WATCHDOG_PID: 'not-a-pid' }, 4243), { socket: '/run/systemd/notify', watchdogMs: undefined });
});

test('systemdEnv: a watchdog for this pid (or for nobody in particular) is its timeout in ms', (t) => {
  const env = { NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '4242' };
  t.deepEqual(systemdEnv(env, 4242), { socket: '/run/systemd/notify', watchdogMs: 30_000 });
  t.is(systemdEnv({ NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '2500999' }, 1).watchdogMs, 2_500, 'no WATCHDOG_PID: for us; rounded down');
  t.is(systemdEnv({ NOTIFY_SOCKET: '@/org/freedesktop/systemd1/notify' }, 1).socket, '@/org/freedesktop/systemd1/notify', 'an abstract socket is kept as given');
  for (const usec of ['0', '-5', 'abc', '']) {
    t.is(systemdEnv({ NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: usec }, 1).watchdogMs, undefined, `WATCHDOG_USEC=${usec}`);
  }
});

// --- ServiceManager -------------------------------------------------------

test('ServiceManager: without a target every call is a quiet no-op', async (t) => {
  const { log, lines } = logSink();
  const manager = new ServiceManager(undefined, log);
  t.false(manager.supervised);
  await t.notThrowsAsync(async () => {
    await manager.ready('starting');
    await manager.alive('serving');
    await manager.status('draining');
    await manager.stopping('stopping');
  });
  t.deepEqual(lines, []);
  t.false(ServiceManager.fromEnv(log, {}).supervised, 'no NOTIFY_SOCKET: not supervised');
  t.true(ServiceManager.fromEnv(log, { NOTIFY_SOCKET: '/run/systemd/notify' }).supervised);
});

test('ServiceManager: ready sends READY=1 with the status and this process as MAINPID; pings resend the status only when it changed', async (t) => {
  const target = new RecordingTarget();
  const manager = new ServiceManager(target, logSink().log);
  t.true(manager.supervised);
  await manager.ready('serving 3 nodes');
  await manager.alive('serving 3 nodes');
  await manager.alive('serving 4 nodes');
  await manager.stopping('draining');
  t.deepEqual(target.sent, [
    ['READY=1', 'STATUS=serving 3 nodes', `MAINPID=${process.pid}`],
    ['WATCHDOG=1'],
    ['WATCHDOG=1', 'STATUS=serving 4 nodes'],
    ['STOPPING=1', 'STATUS=draining'],
  ]);
});

test('ServiceManager: status sends a line only when it changed', async (t) => {
  const target = new RecordingTarget();
  const manager = new ServiceManager(target, logSink().log);
  await manager.status('enrolling');
  await manager.status('enrolling');
  await manager.status('serving');
  await manager.alive('serving');
  await manager.status('serving');
  await manager.status('enrolling');
  t.deepEqual(target.sent, [['STATUS=enrolling'], ['STATUS=serving'], ['WATCHDOG=1'], ['STATUS=enrolling']]);
});

test('ServiceManager: a status is flattened to one line of at most 200 characters', async (t) => {
  const target = new RecordingTarget();
  const manager = new ServiceManager(target, logSink().log);
  await manager.status('self-check failing:\njournal: locked\r\n\r\nheartbeats: silent\rend');
  await manager.status(`long ${'x'.repeat(300)}`);
  await manager.ready('a\nb');
  t.deepEqual(target.sent[0], ['STATUS=self-check failing: journal: locked heartbeats: silent end']);
  t.is(target.sent[1]?.[0], `STATUS=long ${'x'.repeat(195)}`);
  t.is(target.sent[2]?.[1], 'STATUS=a b');
  t.false(target.sent.flat().some((a) => /[\r\n]/.test(a)), 'no assignment holds a newline (it would be read as another assignment)');
});

test('ServiceManager: a target that rejects is logged as a warning, never thrown', async (t) => {
  const { log, lines } = logSink();
  const manager = new ServiceManager({ notify: () => Promise.reject(new Error('connect ECONNREFUSED /run/systemd/notify')) }, log);
  await t.notThrowsAsync(manager.ready('starting'));
  await t.notThrowsAsync(manager.alive('serving'));
  t.is(lines.length, 2);
  t.like(lines[0], { level: 40, msg: 'could not notify systemd', err: 'connect ECONNREFUSED /run/systemd/notify' });
});

// --- SystemdNotify, for real ----------------------------------------------

/*
 * Node has no unix datagram sockets; python3 does. The receiver binds an
 * AF_UNIX SOCK_DGRAM socket and prints each datagram as a JSON line.
 *
 * systemd-notify (systemd 252, as on Debian 12) sends the assignments, then
 * a second datagram "BARRIER=1" carrying the write end of a pipe
 * (SCM_RIGHTS), and waits until that fd is closed on the receiver's side:
 * systemd closes it once it has read everything before it. A receiver that
 * keeps the fd makes systemd-notify wait 5 s, send "ERRNO=110" and exit 1
 * ("Failed to invoke barrier: Connection timed out"); `--no-block` would
 * skip the barrier, but SystemdNotify does not use it (without the barrier
 * systemd may read the message after systemd-notify has exited and not know
 * which unit it came from). So the receiver takes ancillary data and closes
 * every fd it receives, as systemd does.
 */
const RECEIVER = `
import array, json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("LISTENING", flush=True)
size = array.array("i").itemsize
while True:
    data, ancillary, flags, addr = s.recvmsg(4096, socket.CMSG_SPACE(16 * size))
    fds = 0
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            received = array.array("i")
            received.frombytes(payload[: len(payload) - len(payload) % size])
            for fd in received:
                os.close(fd)
                fds += 1
    print(json.dumps({"data": data.decode("utf-8", "replace"), "fds": fds}), flush=True)
`;

const onPath = (binary: string) => spawnSync('sh', ['-c', `command -v ${binary}`]).status === 0;
const withTools = onPath('python3') && onPath('systemd-notify') ? test : test.skip;

interface Datagram {
  data: string;
  fds: number;
}

/** A python3 notify socket in a temp dir: what it received, and a way to wait for more. */
async function receiver(): Promise<{ socket: string; received: Datagram[]; next: (count: number) => Promise<void>; close: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'notify-'));
  const socket = join(dir, 'notify.sock');
  const child: ChildProcess = spawn('python3', ['-c', RECEIVER, socket], { stdio: ['ignore', 'pipe', 'inherit'] });
  const received: Datagram[] = [];
  let waiting: (() => void) | undefined;
  let listening!: () => void;
  const ready = new Promise<void>((resolve, reject) => {
    listening = resolve;
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the python receiver exited (${code})`)));
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line === 'LISTENING') return listening();
    received.push(JSON.parse(line) as Datagram);
    waiting?.();
  });
  await ready;
  return {
    socket,
    received,
    next: (count) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`received ${JSON.stringify(received)}, expected ${count} datagrams`)), 5_000);
        waiting = () => {
          if (received.length < count) return;
          clearTimeout(timer);
          resolve();
        };
        waiting();
      }),
    close: () => {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

withTools('SystemdNotify: systemd-notify delivers the assignments to the socket, in one datagram, and completes its barrier', async (t) => {
  const socket = await receiver();
  try {
    await new SystemdNotify(socket.socket).notify(['WATCHDOG=1']);
    await socket.next(2);
    t.true(socket.received[0]?.data.split('\n').includes('WATCHDOG=1'), JSON.stringify(socket.received));
    t.deepEqual(socket.received[1], { data: 'BARRIER=1', fds: 1 }, 'the barrier came with its fd, which the receiver closed');

    await new SystemdNotify(socket.socket).notify(['READY=1', 'STATUS=serving 3 nodes', `MAINPID=${process.pid}`]);
    await socket.next(4);
    t.deepEqual(socket.received[2]?.data.split('\n'), ['READY=1', 'STATUS=serving 3 nodes', `MAINPID=${process.pid}`]);
  } finally {
    socket.close();
  }
});

withTools('SystemdNotify: a socket nobody listens on is an error naming the message; through ServiceManager it is only logged', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'notify-'));
  try {
    const notify = new SystemdNotify(join(dir, 'absent.sock'));
    const err = await t.throwsAsync(notify.notify(['WATCHDOG=1']));
    t.regex(err?.message ?? '', /^systemd-notify WATCHDOG=1: .*No such file or directory/);

    const { log, lines } = logSink();
    await t.notThrowsAsync(new ServiceManager(notify, log).alive('serving'));
    t.like(lines[0], { level: 40, msg: 'could not notify systemd' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

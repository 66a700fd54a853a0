import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { LAST_EXIT_FILE, recordSelfCheck, SELF_CHECK_FILE, takePreviousExit } from './supervision.js';

function withDataDir(run: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'supervision-'));
  try {
    run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes `name` in `dir` with a known mtime (seconds since the epoch). */
function leave(dir: string, name: string, text: string | Buffer, mtimeS: number): void {
  writeFileSync(join(dir, name), text);
  utimesSync(join(dir, name), mtimeS, mtimeS);
}

test('takePreviousExit: systemd\'s verdict in last-exit is read, and the file removed', (t) => {
  withDataDir((dir) => {
    leave(dir, LAST_EXIT_FILE, 'watchdog killed ABRT\n', 1_800_000_000);
    t.deepEqual(takePreviousExit(dir), {
      result: 'watchdog',
      exitCode: 'killed',
      exitStatus: 'ABRT',
      selfCheckProblems: '',
      atMs: 1_800_000_000_000,
      restartRequestId: '',
    });
    t.false(existsSync(join(dir, LAST_EXIT_FILE)));
    t.is(takePreviousExit(dir), null, 'read once');
  });
});

test('takePreviousExit: with both files, the verdict and the self-check\'s problems; both removed', (t) => {
  withDataDir((dir) => {
    leave(dir, LAST_EXIT_FILE, 'exit-code exited 1', 1_800_000_100);
    leave(dir, SELF_CHECK_FILE, 'journal: the journal cannot commit: database is locked; heartbeats: no progress for 40s (bound 30s)', 1_800_000_000);
    t.deepEqual(takePreviousExit(dir), {
      result: 'exit-code',
      exitCode: 'exited',
      exitStatus: '1',
      selfCheckProblems: 'journal: the journal cannot commit: database is locked; heartbeats: no progress for 40s (bound 30s)',
      atMs: 1_800_000_100_000,
      restartRequestId: '',
    });
    t.deepEqual(readdirSync(dir), []);
  });
});

test('takePreviousExit: the self-check\'s file alone is an end without systemd\'s word (unknown), at its own time', (t) => {
  withDataDir((dir) => {
    leave(dir, SELF_CHECK_FILE, 'event loop: blocked for 12.0s (bound 5.0s)', 1_800_000_000);
    t.like(takePreviousExit(dir), { result: 'unknown', exitCode: '', exitStatus: '', selfCheckProblems: 'event loop: blocked for 12.0s (bound 5.0s)', atMs: 1_800_000_000_000 });
    t.deepEqual(readdirSync(dir), []);
  });
});

test('takePreviousExit: neither file is a first start or a clean stop (null)', (t) => {
  withDataDir((dir) => {
    t.is(takePreviousExit(dir), null);
    t.deepEqual(readdirSync(dir), []);
  });
});

test('takePreviousExit: what is not a plain word is not believed, and the problems are kept to printable text of bounded length', (t) => {
  withDataDir((dir) => {
    leave(dir, LAST_EXIT_FILE, `watchdog;reboot killed/9 ${'A'.repeat(33)} extra`, 1_800_000_000);
    leave(dir, SELF_CHECK_FILE, `journal\x1b[31m red\n\tlocked \u00e9t\u00e9 ${'x'.repeat(600)}`, 1_800_000_000);
    const previous = takePreviousExit(dir);
    t.like(previous, { result: 'unknown', exitCode: '', exitStatus: '' });
    t.is(previous?.selfCheckProblems.length, 500);
    t.true(previous?.selfCheckProblems.startsWith('journal [31m red locked  t  xxx'), previous?.selfCheckProblems);
    t.regex(previous?.selfCheckProblems ?? '', /^[\x20-\x7e]*$/);
    t.deepEqual(readdirSync(dir), []);
  });
});

test('takePreviousExit: an empty or binary last-exit says nothing (unknown)', (t) => {
  withDataDir((dir) => {
    leave(dir, LAST_EXIT_FILE, '', 1_800_000_000);
    t.like(takePreviousExit(dir), { result: 'unknown', exitCode: '', exitStatus: '', atMs: 1_800_000_000_000 });
    leave(dir, LAST_EXIT_FILE, Buffer.from([0xff, 0xfe, 0x00, 0x20, 0x01]), 1_800_000_000);
    t.like(takePreviousExit(dir), { result: 'unknown', exitCode: '', exitStatus: '' });
  });
});

test('takePreviousExit: an oversized file is ignored, and removed', (t) => {
  withDataDir((dir) => {
    leave(dir, LAST_EXIT_FILE, `watchdog killed ABRT${' '.repeat(5_000)}`, 1_800_000_000);
    t.is(takePreviousExit(dir), null, 'an oversized verdict alone is as if absent');
    t.deepEqual(readdirSync(dir), []);

    leave(dir, LAST_EXIT_FILE, 'watchdog killed ABRT', 1_800_000_000);
    leave(dir, SELF_CHECK_FILE, 'y'.repeat(4_097), 1_800_000_000);
    t.like(takePreviousExit(dir), { result: 'watchdog', selfCheckProblems: '' });
    t.deepEqual(readdirSync(dir), []);
  });
});

test('takePreviousExit: a last-exit that is a link is not followed: as if absent, the link removed, its target untouched', (t) => {
  withDataDir((dir) => {
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    const target = join(elsewhere, 'target');
    writeFileSync(target, 'watchdog killed ABRT');
    symlinkSync(target, join(dir, LAST_EXIT_FILE));
    t.is(takePreviousExit(dir), null);
    t.false(lstatExists(join(dir, LAST_EXIT_FILE)), 'the link is gone');
    t.is(readFileSync(target, 'utf8'), 'watchdog killed ABRT');

    // Beside a real self-check file, the link still says nothing.
    symlinkSync(target, join(dir, LAST_EXIT_FILE));
    leave(dir, SELF_CHECK_FILE, 'journal: locked', 1_800_000_000);
    t.like(takePreviousExit(dir), { result: 'unknown', selfCheckProblems: 'journal: locked' });
    t.false(lstatExists(join(dir, LAST_EXIT_FILE)));
    t.is(readFileSync(target, 'utf8'), 'watchdog killed ABRT');
  });
});

test('takePreviousExit: a last-exit that is a directory or a FIFO is not a regular file: as if absent, and the start goes on', (t) => {
  withDataDir((dir) => {
    mkdirSync(join(dir, LAST_EXIT_FILE));
    writeFileSync(join(dir, LAST_EXIT_FILE, 'inside'), 'watchdog killed ABRT');
    leave(dir, SELF_CHECK_FILE, 'journal: locked', 1_800_000_000);
    t.like(takePreviousExit(dir), { result: 'unknown', selfCheckProblems: 'journal: locked' });
    t.is(readFileSync(join(dir, LAST_EXIT_FILE, 'inside'), 'utf8'), 'watchdog killed ABRT', 'a directory is neither read nor emptied');
    rmSync(join(dir, LAST_EXIT_FILE), { recursive: true });

    // Opened without blocking: a FIFO nobody writes to does not hang the start.
    t.is(spawnSync('mkfifo', [join(dir, LAST_EXIT_FILE)]).status, 0);
    t.is(takePreviousExit(dir), null);
    t.false(lstatExists(join(dir, LAST_EXIT_FILE)), 'removed');
  });
});

function lstatExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

test('recordSelfCheck: the problems joined with "; ", readable by the agent\'s user only, and read back by the next start', (t) => {
  withDataDir((dir) => {
    recordSelfCheck(dir, ['journal: the journal cannot commit: database is locked', 'event loop: blocked for 6.2s (bound 5.0s)']);
    const path = join(dir, SELF_CHECK_FILE);
    t.is(readFileSync(path, 'utf8'), 'journal: the journal cannot commit: database is locked; event loop: blocked for 6.2s (bound 5.0s)');
    t.is(statSync(path).mode & 0o777, 0o600);
    t.deepEqual(readdirSync(dir), [SELF_CHECK_FILE], 'no temporary file is left');

    recordSelfCheck(dir, ['heartbeats: no progress for 40s (bound 30s)']);
    t.is(readFileSync(path, 'utf8'), 'heartbeats: no progress for 40s (bound 30s)', 'replaced, not appended');

    t.like(takePreviousExit(dir), { result: 'unknown', selfCheckProblems: 'heartbeats: no progress for 40s (bound 30s)' });
  });
});

test('recordSelfCheck: a link planted at its path is replaced, never written through', (t) => {
  withDataDir((dir) => {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n');
    const path = join(dir, SELF_CHECK_FILE);
    symlinkSync(victim, path);
    recordSelfCheck(dir, ['journal: locked']);
    t.false(lstatSync(path).isSymbolicLink());
    t.is(readFileSync(path, 'utf8'), 'journal: locked');
    t.is(readFileSync(victim, 'utf8'), 'precious\n');
  });
});

test('recordSelfCheck: no problems removes the file (and is fine without one)', (t) => {
  withDataDir((dir) => {
    recordSelfCheck(dir, ['journal: locked']);
    recordSelfCheck(dir, []);
    t.deepEqual(readdirSync(dir), []);
    t.notThrows(() => recordSelfCheck(dir, []));
    t.is(takePreviousExit(dir), null, 'a check that passed again leaves nothing for the next start');
  });
});

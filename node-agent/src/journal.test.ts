import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import Database from 'better-sqlite3';
import { Journal, type LlmGrantRecord } from './journal.js';
import { JournalKeyError } from './journal-key.js';

function withJournal(run: (j: Journal, path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'journal-'));
  try {
    const path = join(dir, 'journal.sqlite');
    const journal = new Journal(path);
    try {
      run(journal, path);
    } finally {
      journal.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('an attempt is accepted once; a resent assign is ignored', (t) => {
  withJournal((j) => {
    t.true(j.accept('att_1', 'task_1', '{}', 1));
    t.false(j.accept('att_1', 'task_1', '{}', 2));
    t.deepEqual(j.active().map((a) => a.attemptId), ['att_1']);
  });
});

test('events wait in the outbox until acknowledged, in order, and survive a reopen', (t) => {
  withJournal((j, path) => {
    j.accept('att_1', 'task_1', '{}', 1);
    j.started('att_1', 'task_1', 'c1', 2);
    j.output('att_1', 'task_1', 'stdout', Buffer.from('hi\n'), 3, '2026-11-26T20:00:00.5Z');
    t.true(j.finished('att_1', 'task_1', { state: 'SUCCEEDED', exitCode: 0, error: '' }, 4));
    t.false(j.finished('att_1', 'task_1', { state: 'FAILED', exitCode: 1, error: '' }, 5), 'an outcome is recorded once');
    t.deepEqual(j.pending(0, 10).map((e) => e.kind), ['started', 'output', 'finished']);
    t.is(j.get('att_1')?.lastLogTimestamp, '2026-11-26T20:00:00.5Z');

    const reopened = new Journal(path);
    t.deepEqual(reopened.pending(0, 10).map((e) => e.kind), ['started', 'output', 'finished'], 'nothing is lost across a restart');
    const [first, second] = reopened.pending(0, 10);
    t.deepEqual(reopened.acknowledge(second!.seq), [], 'no outcome among the first two');
    t.deepEqual(reopened.pending(0, 10).map((e) => e.kind), ['finished']);
    t.is(first!.kind, 'started');
    const last = reopened.pending(0, 10)[0]!;
    t.deepEqual(reopened.acknowledge(last.seq), ['att_1'], 'the outcome is stored: the container may go');
    t.deepEqual(reopened.acknowledgedButNotDone().map((a) => a.attemptId), ['att_1']);
    reopened.markDone('att_1', 6);
    t.deepEqual(reopened.active(), []);
    reopened.close();
  });
});

test('an outcome the control plane acknowledged and then lost (a restored backup) is reported again; one still in the outbox is not', (t) => {
  withJournal((j) => {
    const lost = { state: 'LOST' as const, error: 'restored', failureKind: 'INFRASTRUCTURE' as const };
    t.false(j.reportAgain('att_unknown', 'task_1', lost, 1), 'unknown attempt');
    j.accept('att_1', 'task_1', '{}', 1);
    t.false(j.reportAgain('att_1', 'task_1', lost, 2), 'still running');
    j.finished('att_1', 'task_1', { state: 'SUCCEEDED', exitCode: 0, error: '' }, 3);
    t.false(j.reportAgain('att_1', 'task_1', lost, 4), 'its outcome is still in the outbox');
    j.acknowledge(j.pending(0, 10).at(-1)!.seq);
    j.markDone('att_1', 5);
    t.true(j.reportAgain('att_1', 'task_1', lost, 6));
    const again = j.pending(0, 10);
    t.deepEqual(again.map((e) => e.kind), ['finished']);
    t.is(again[0]!.kind === 'finished' ? again[0]!.outcome.state : '', 'LOST');
    t.false(j.reportAgain('att_1', 'task_1', lost, 7), 'once until it is acknowledged');
    t.is(j.get('att_1')?.state, 'done', 'the attempt itself is unchanged');
  });
});

test('the oldest unacknowledged event is the first in the outbox, until it is acknowledged', (t) => {
  withJournal((j) => {
    t.is(j.oldestOutboxAtMs(), null, 'nothing waits');
    j.accept('att_1', 'task_1', '{}', 1);
    j.started('att_1', 'task_1', 'c1', 20);
    j.output('att_1', 'task_1', 'stdout', Buffer.from('hi\n'), 30, '');
    t.is(j.oldestOutboxAtMs(), 20);
    j.acknowledge(j.pending(0, 1)[0]!.seq);
    t.is(j.oldestOutboxAtMs(), 30);
    j.acknowledge(j.pending(0, 1)[0]!.seq);
    t.is(j.oldestOutboxAtMs(), null);
  });
});

test('meta values persist', (t) => {
  withJournal((j) => {
    t.is(j.getMeta('stop_after_disconnect_ms'), null);
    j.setMeta('stop_after_disconnect_ms', '4000');
    j.setMeta('stop_after_disconnect_ms', '5000');
    t.is(j.getMeta('stop_after_disconnect_ms'), '5000');
  });
});

test('a Cline grant is kept for adoption with the usage counted, and dropped once the outcome is stored', (t) => {
  withJournal((j) => {
    const llm = { provider: { name: 'p', baseUrl: 'http://x/v1', model: 'm', apiKey: 'sk-secret' }, token: 'fleet_llm_t' };
    j.accept('att_1', 'task_1', '{}', 1, llm);
    j.setLlm('att_1', { ...llm, baseCommit: 'a'.repeat(40) }, 2);
    const usage = { iterations: 2, inputTokens: 300, outputTokens: 40, costUsd: 0, lastTool: 'x', updatedAtMs: 3 };
    j.setUsage('att_1', usage, 3);
    const kept = j.get('att_1')!;
    t.is(kept.llm?.baseCommit, 'a'.repeat(40));
    t.deepEqual(kept.usage, usage);
    j.progress('att_1', 'task_1', { ...usage, iterations: 3 }, 4);
    const event = j.pending(0, 10).at(-1);
    t.is(event?.kind, 'progress');
    j.finished('att_1', 'task_1', { state: 'SUCCEEDED', error: '', patchBase64: 'cGF0Y2g=' }, 5);
    const sent = j.pending(0, 10).at(-1);
    t.is(sent?.kind === 'finished' ? Buffer.from(sent.patch).toString() : undefined, 'patch', 'the patch goes out with the outcome');
    t.false('patchBase64' in (j.get('att_1')!.outcome ?? {}), 'and is not kept a second time in the attempt row');
    j.markDone('att_1', 6);
    t.is(j.get('att_1')!.llm, null, 'the provider key is gone from the journal');
  });
});

test('a journal from before Cline tasks gains the new columns when opened', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'journal-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'journal.sqlite');
  const old = new Database(path);
  old.exec(`CREATE TABLE attempts (attempt_id TEXT PRIMARY KEY, task_id TEXT NOT NULL, spec_json TEXT NOT NULL, state TEXT NOT NULL,
    container_id TEXT, started_at_ms INTEGER, finished_at_ms INTEGER, outcome_json TEXT, cancel_reason TEXT, last_log_ts TEXT,
    created_at_ms INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL);
    INSERT INTO attempts VALUES ('att_old', 'task_old', '{}', 'running', 'c1', 1, NULL, NULL, NULL, NULL, 1, 1);`);
  old.close();
  const j = new Journal(path);
  t.teardown(() => j.close());
  const attempt = j.get('att_old')!;
  t.is(attempt.state, 'running');
  t.is(attempt.llm, null);
  t.true(j.accept('att_new', 'task_new', '{}', 2, { provider: null, token: 't' }));
});

const API_KEY = 'sk-FLEET-TEST-provider-key-4f2a9c81';
const TOKEN = 'fleet_llm_FLEET-TEST-gateway-token-7d1e';
const grant: LlmGrantRecord = { provider: { name: 'p', baseUrl: 'https://llm.example/v1', model: 'm', apiKey: API_KEY }, token: TOKEN };

/** Where a secret could rest on disk: the journal and its WAL (and the rollback journal, were there one), as raw bytes. */
function onDisk(path: string): Buffer {
  return Buffer.concat(['', '-wal', '-journal'].map((suffix) => (existsSync(path + suffix) ? readFileSync(path + suffix) : Buffer.alloc(0))));
}

function assertNotOnDisk(t: import('ava').ExecutionContext, path: string, when: string): void {
  const bytes = onDisk(path);
  t.true(bytes.length > 0, 'the journal was read');
  for (const secret of [API_KEY, TOKEN]) t.false(bytes.includes(secret), `${secret.slice(0, 12)}… is not in the journal ${when}`);
}

function tempDir(t: import('ava').ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'journal-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a Cline grant rests sealed: its provider key and token are in neither the journal nor its WAL, and it reads back after a reopen', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'journal.sqlite');
  const j = new Journal(path);
  t.is(statSync(join(dir, 'journal.key')).mode & 0o777, 0o600, 'the key file is made 0600');
  j.accept('att_1', 'task_1', '{}', 1, grant);
  j.setLlm('att_1', { ...grant, baseCommit: 'a'.repeat(40) }, 2);
  j.accept('att_2', 'task_2', '{}', 3, grant);
  t.true(existsSync(`${path}-wal`), 'the writes are in the WAL');
  assertNotOnDisk(t, path, 'while it runs');
  t.deepEqual(j.get('att_1')?.llm, { ...grant, baseCommit: 'a'.repeat(40) });
  j.close();
  assertNotOnDisk(t, path, 'once closed');

  const raw = new Database(path, { readonly: true });
  const sealed = (raw.prepare("SELECT llm_sealed FROM attempts WHERE attempt_id = 'att_1'").get() as { llm_sealed: Buffer }).llm_sealed;
  raw.close();
  t.true(onDisk(path).includes(sealed), 'what rests is the sealed record');

  const reopened = new Journal(path);
  t.deepEqual(reopened.get('att_1')?.llm, { ...grant, baseCommit: 'a'.repeat(40) }, 'the grant reads back after a restart, for adoption');
  t.deepEqual(reopened.active().map((a) => a.llm?.provider?.apiKey), [API_KEY, API_KEY]);
  reopened.finished('att_1', 'task_1', { state: 'SUCCEEDED', error: '' }, 4);
  reopened.markDone('att_1', 5);
  t.is(reopened.get('att_1')?.llm, null);
  assertNotOnDisk(t, path, 'after markDone');
  t.true(reopened.get('att_2')?.llm?.provider?.apiKey === API_KEY, 'the other attempt keeps its grant');
  reopened.close();
  t.false(onDisk(path).includes(sealed), 'and the dropped record itself is zeroed (secure_delete), not left in a free page');
});

test("a sealed grant opens only in its own attempt's row and under the key that sealed it; otherwise the attempt is told why, with no secret", (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'journal.sqlite');
  const j = new Journal(path);
  j.accept('att_1', 'task_1', '{}', 1, grant);
  j.accept('att_2', 'task_2', '{}', 2, null);
  j.close();
  const db = new Database(path);
  db.prepare("UPDATE attempts SET llm_sealed = (SELECT llm_sealed FROM attempts WHERE attempt_id = 'att_1') WHERE attempt_id = 'att_2'").run();
  db.close();
  const moved = new Journal(path);
  const copied = moved.get('att_2')!.llm!;
  t.is(copied.provider, null, 'a record copied to another attempt does not open');
  t.regex(copied.unreadable ?? '', /^its provider grant cannot be read back from this node's journal: the sealed record of att_2 does not open/);
  moved.close();

  rmSync(join(dir, 'journal.key'));
  const rekeyed = new Journal(path);
  t.teardown(() => rekeyed.close());
  const lost = rekeyed.get('att_1')!.llm!;
  t.is(lost.provider, null, 'a replaced key opens nothing');
  t.regex(lost.unreadable ?? '', /the key file was replaced/);
  t.false(JSON.stringify(lost).includes(API_KEY));
});

test('a journal key that others may read, or that is a link, is refused with what to do, and the journal is not opened', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'journal.sqlite');
  new Journal(path).close();
  const keyPath = join(dir, 'journal.key');
  const key = readFileSync(keyPath, 'utf8').trim();
  chmodSync(keyPath, 0o644);
  const err = t.throws(() => new Journal(path), { instanceOf: JournalKeyError });
  t.is(err?.message, `the journal key ${keyPath} is readable by others (mode 644); chmod 600 it`);
  chmodSync(keyPath, 0o640);
  t.throws(() => new Journal(path), { instanceOf: JournalKeyError, message: /is readable by others \(mode 640\); chmod 600 it$/ });
  chmodSync(keyPath, 0o600);

  const elsewhere = join(dir, 'journal-elsewhere.sqlite');
  const linked = join(dir, 'linked.key');
  symlinkSync(keyPath, linked);
  t.throws(() => new Journal(elsewhere, undefined, linked), { instanceOf: JournalKeyError, message: /^cannot read the journal key .*linked\.key/ });
  t.false(existsSync(elsewhere), 'the journal was not made');

  writeFileSync(keyPath, 'short\n', { mode: 0o600 });
  const damaged = t.throws(() => new Journal(path), { instanceOf: JournalKeyError });
  t.regex(damaged!.message, /is damaged .*: remove it/);
  t.false(damaged!.message.includes(key));
});

test('a journal from before grants were sealed has them sealed, and its free pages scrubbed, when first opened', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'journal.sqlite');
  const old = new Database(path);
  old.exec(`CREATE TABLE attempts (attempt_id TEXT PRIMARY KEY, task_id TEXT NOT NULL, spec_json TEXT NOT NULL, state TEXT NOT NULL,
    container_id TEXT, started_at_ms INTEGER, finished_at_ms INTEGER, outcome_json TEXT, cancel_reason TEXT, last_log_ts TEXT,
    created_at_ms INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL, llm_json TEXT, usage_json TEXT);`);
  const insert = old.prepare("INSERT INTO attempts VALUES (?, ?, '{}', ?, NULL, 1, NULL, NULL, NULL, NULL, 1, 1, ?, NULL)");
  insert.run('att_running', 'task_1', 'running', JSON.stringify({ ...grant, baseCommit: 'b'.repeat(40) }));
  insert.run('att_done', 'task_2', 'finished', JSON.stringify(grant));
  // As the older markDone did: the grant nulled, its bytes left in the page's free space.
  old.prepare("UPDATE attempts SET state = 'done', llm_json = NULL WHERE attempt_id = 'att_done'").run();
  old.close();
  t.true(onDisk(path).includes(API_KEY), 'the old journal holds the key in the clear (the case this test is about)');

  const j = new Journal(path);
  t.deepEqual(j.get('att_running')?.llm, { ...grant, baseCommit: 'b'.repeat(40) }, 'the grant is kept, sealed');
  assertNotOnDisk(t, path, 'once opened');
  j.close();
  assertNotOnDisk(t, path, 'once closed');
  const again = new Journal(path);
  t.teardown(() => again.close());
  t.is(again.get('att_running')?.llm?.provider?.apiKey, API_KEY);
  t.is(again.getMeta('grants_sealed'), '1', 'sealed once: not rebuilt on every start');
});

/** A journal on a file system of its own, 2 MiB, that the test fills and frees: a real full disk. */
function onSmallDisk(run: (j: Journal, fill: () => void, free: () => void) => void): void {
  if (process.getuid?.() !== 0) throw new Error('this test mounts a small tmpfs: run it as root (CI does)');
  const dir = mkdtempSync(join(tmpdir(), 'journal-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir]);
  try {
    const journal = new Journal(join(dir, 'journal.sqlite'), 64 * 1024);
    const filler = join(dir, 'filler');
    try {
      run(
        journal,
        () => spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' }),
        () => rmSync(filler, { force: true }),
      );
    } finally {
      journal.close();
    }
  } finally {
    execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a full disk holds writes in order instead of crashing, refuses new attempts, and loses nothing once space returns', (t) => {
  onSmallDisk((j, fill, free) => {
    const changes: boolean[] = [];
    j.onDegradedChange((degraded) => changes.push(degraded));
    t.true(j.accept('att_1', 'task_1', '{}', 1));
    j.started('att_1', 'task_1', 'c1', 2);
    fill();
    for (let i = 0; i < 20; i++) j.output('att_1', 'task_1', 'stdout', Buffer.from(`line ${i}\n`.repeat(50)), 3 + i, '');
    t.true(j.degraded, 'the writes the disk could not take are held');
    t.regex(j.degradedReason, /^the journal cannot write: database or disk is full/);
    t.throws(() => j.accept('att_2', 'task_2', '{}', 30), { message: /the journal cannot write/ }, 'no new attempt while the disk is full');
    t.true(j.finished('att_1', 'task_1', { state: 'SUCCEEDED', exitCode: 0, error: '' }, 40));
    t.is(j.get('att_1')?.state, 'running', 'not written yet');
    j.retryHeld();
    t.true(j.degraded, 'still full: still held');
    free();
    j.retryHeld();
    t.false(j.degraded);
    t.deepEqual(changes, [true, false]);
    t.is(j.get('att_1')?.state, 'finished');
    const events = j.pending(0, 100);
    t.deepEqual([events[0]!.kind, events.at(-1)!.kind], ['started', 'finished'], 'the outbox keeps its order');
    const text = events.flatMap((e) => (e.kind === 'output' ? [Buffer.from(e.data).toString()] : [])).join('');
    for (let i = 0; i < 20; i++) t.true(text.includes(`line ${i}\n`), `output ${i} kept`);
  });
});

test('held output past its bound is dropped with a note; outcomes are always kept', (t) => {
  onSmallDisk((j, fill, free) => {
    j.accept('att_1', 'task_1', '{}', 1);
    fill();
    for (let i = 0; i < 100; i++) j.output('att_1', 'task_1', 'stdout', Buffer.alloc(4096, 'x'), 2, '');
    j.finished('att_1', 'task_1', { state: 'FAILED', exitCode: 1, error: '' }, 3);
    free();
    j.retryHeld();
    const events = j.pending(0, 1000);
    const held = events.filter((e) => e.kind === 'output' && e.stream === 'stdout').length;
    t.true(held > 0 && held < 100, `${held} of 100 chunks kept within the 64 KiB bound`);
    t.true(events.some((e) => e.kind === 'output' && Buffer.from(e.data).toString().includes("output was dropped here: the node's disk was full")));
    t.is(events.at(-1)?.kind, 'finished');
  });
});

test('the self-check: a healthy journal commits (null), and records when it did', (t) => {
  withJournal((j) => {
    t.is(j.commitProblem(1_234), null);
    t.is(j.getMeta('self_check_at'), '1234', 'the check is a real commit');
    t.is(j.commitProblem(5_678), null);
    t.is(j.getMeta('self_check_at'), '5678');
  });
});

test('the self-check: a write lock another connection keeps is a problem naming the journal, once the busy timeout is spent', (t) => {
  withJournal((j, path) => {
    const other = new Database(path);
    try {
      other.exec('BEGIN IMMEDIATE');
      const startedAt = Date.now();
      // The journal waits out its busy timeout (5 s) before it gives up.
      const problem = j.commitProblem(1);
      const waitedMs = Date.now() - startedAt;
      t.regex(problem ?? '', /^the journal cannot commit: database is locked/);
      t.true(waitedMs >= 4_500, `gave up after ${waitedMs}ms, before the busy timeout`);
      other.exec('ROLLBACK');
      t.is(j.commitProblem(2), null, 'the lock released, it commits again');
      t.is(j.getMeta('self_check_at'), '2');
    } finally {
      other.close();
    }
  });
});

test('the self-check: a full disk is not its failure (the writes are held, the node reports disk pressure)', (t) => {
  onSmallDisk((j, fill, free) => {
    j.accept('att_1', 'task_1', '{}', 1);
    fill();
    t.is(j.commitProblem(2), null, 'the commit fails for lack of space: not a problem');
    t.is(j.getMeta('self_check_at'), null, 'it did not commit');
    t.false(j.degraded, 'the check itself holds nothing');
    j.output('att_1', 'task_1', 'stdout', Buffer.alloc(64 * 1024, 'x'), 3, '');
    t.true(j.degraded);
    t.is(j.commitProblem(4), null, 'degraded: not a problem');
    free();
    j.retryHeld();
    t.is(j.commitProblem(5), null);
    t.is(j.getMeta('self_check_at'), '5');
  });
});

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import Database from 'better-sqlite3';
import { Journal } from './journal.js';

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

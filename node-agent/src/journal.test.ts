import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
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

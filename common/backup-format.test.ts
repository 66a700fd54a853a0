import { mkdtempSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import { BackupFileWriter, planRestore, readBackup, readBackupAsync, replayHeaders, subjectMatches, summarize, type BackupHeader, type StoredRecord } from './backup-format.js';

const HEADER: BackupHeader = {
  formatVersion: 1,
  fleetVersion: 'test',
  startedAtMs: 1_000,
  streams: [
    { name: 'KV_t', kind: 'kv', subjects: ['$KV.t.>'], maxAgeMs: 0 },
    { name: 'KV_idem', kind: 'kv', subjects: ['$KV.idem.>'], maxAgeMs: 100 },
    { name: 'OBJ_r', kind: 'object', subjects: ['$O.r.C.>', '$O.r.M.>'], maxAgeMs: 0 },
    { name: 'EV', kind: 'log', subjects: ['ev.>'], maxAgeMs: 0 },
  ],
};

const dir = mkdtempSync(join(tmpdir(), 'backup-format-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = () => join(dir, `b${n++}.backup`);

const put = (stream: string, seq: number, atMs: number, subject: string, data: string, headers: Array<[string, string]> = []): StoredRecord => ({ stream, seq, atMs, subject, headers, data: Buffer.from(data) });

/** Writes records in segments: a checkpoint after each listed count. */
function write(records: StoredRecord[], checkpoints: Array<{ after: number; coveredUntilMs: number; validFromMs: number }>): string {
  const path = file();
  const w = new BackupFileWriter(path, HEADER);
  let i = 0;
  for (const c of checkpoints) {
    for (; i < c.after; i++) w.record(records[i]!);
    w.checkpoint({ coveredUntilMs: c.coveredUntilMs, validFromMs: c.validFromMs, lastSeq: {}, gaps: [] });
  }
  for (; i < records.length; i++) w.record(records[i]!);
  // Left open on purpose when records follow the last checkpoint: a follower killed mid-segment.
  if (i === checkpoints.at(-1)?.after) w.close();
  return path;
}

test('a backup file is created new and readable by its owner only', (t) => {
  const path = write([put('KV_t', 1, 10, '$KV.t.a', 'x')], [{ after: 1, coveredUntilMs: 20, validFromMs: 15 }]);
  t.is(statSync(path).mode & 0o777, 0o600);
  t.throws(() => new BackupFileWriter(path, HEADER), { code: 'EEXIST' });
});

test('key-value state at a moment: each key\'s last value at or before it; deletes and later writes left out', (t) => {
  const records = [
    put('KV_t', 1, 10, '$KV.t.a', 'a1'),
    put('KV_t', 2, 20, '$KV.t.b', 'b1'),
    put('KV_t', 3, 30, '$KV.t.a', 'a2'),
    put('KV_t', 4, 40, '$KV.t.b', '', [['KV-Operation', 'DEL']]),
    put('KV_t', 5, 50, '$KV.t.a', 'a3', [['Nats-Expected-Last-Subject-Sequence', '3'], ['Nats-Msg-Id', 'a@3']]),
  ];
  const path = write(records, [{ after: 2, coveredUntilMs: 25, validFromMs: 25 }, { after: 5, coveredUntilMs: 60, validFromMs: 25 }]);
  const b = readBackup(readFileSync(path));
  t.deepEqual([b.validFromMs, b.coveredUntilMs], [25, 60]);
  const state = (at: number) => planRestore(b, at).streams[0]!.records.map((r) => `${r.subject}=${Buffer.from(r.data).toString()}`);
  t.deepEqual(state(25), ['$KV.t.a=a1', '$KV.t.b=b1']);
  t.deepEqual(state(30), ['$KV.t.b=b1', '$KV.t.a=a2']);
  t.deepEqual(state(45), ['$KV.t.a=a2']);
  t.deepEqual(state(60), ['$KV.t.a=a3']);
  // The original writer's compare-and-set expectation and its fence are not sent again.
  t.deepEqual(replayHeaders(planRestore(b, 60).streams[0]!.records[0]!), []);
  t.throws(() => planRestore(b, 24), { message: /restores moments from .* to .*; .* is outside/ });
  t.throws(() => planRestore(b, 61), { message: /is outside/ });
});

test('records older than their stream\'s maximum age at the moment had expired and are left out', (t) => {
  const path = write([put('KV_idem', 1, 10, '$KV.idem.k', 'old'), put('KV_idem', 2, 150, '$KV.idem.j', 'new')], [{ after: 2, coveredUntilMs: 300, validFromMs: 150 }]);
  const b = readBackup(readFileSync(path));
  t.deepEqual(planRestore(b, 150).streams[1]!.records.map((r) => r.subject), ['$KV.idem.j']);
  t.deepEqual(planRestore(b, 300).streams[1]!.records.length, 0);
});

test('object store: the live objects\' metadata and their chunks; a deleted object\'s are left out', (t) => {
  const meta = (name: string, nuid: string, deleted = false) => JSON.stringify({ name, nuid, deleted });
  const records = [
    put('OBJ_r', 1, 10, '$O.r.C.n1', 'chunk-a'),
    put('OBJ_r', 2, 11, '$O.r.M.YQ', meta('a', 'n1'), [['Nats-Rollup', 'sub']]),
    put('OBJ_r', 3, 12, '$O.r.C.n2', 'chunk-b'),
    put('OBJ_r', 4, 13, '$O.r.M.Yg', meta('b', 'n2')),
    put('OBJ_r', 5, 20, '$O.r.M.YQ', meta('a', 'n1', true)),
  ];
  const b = readBackup(readFileSync(write(records, [{ after: 5, coveredUntilMs: 30, validFromMs: 13 }])));
  const at = (ms: number) => planRestore(b, ms).streams[2]!.records.map((r) => r.seq);
  t.deepEqual(at(15), [1, 2, 3, 4]);
  t.deepEqual(at(25), [3, 4]);
  // The rollup header is kept: it is how the object store replaces metadata.
  t.deepEqual(replayHeaders(planRestore(b, 15).streams[2]!.records[1]!), [['Nats-Rollup', 'sub']]);
});

test('a moment inside a gap (records removed before the backup read them) is refused, others are not', (t) => {
  const path = file();
  const w = new BackupFileWriter(path, HEADER);
  w.record(put('KV_t', 1, 10, '$KV.t.a', 'a1'));
  w.checkpoint({ coveredUntilMs: 20, validFromMs: 20, lastSeq: { KV_t: 1 }, gaps: [] });
  w.record(put('KV_t', 4, 40, '$KV.t.a', 'a4'));
  w.checkpoint({ coveredUntilMs: 50, validFromMs: 20, lastSeq: { KV_t: 4 }, gaps: [{ stream: 'KV_t', afterSeq: 1, beforeSeq: 4, fromMs: 10, toMs: 40 }] });
  w.close();
  const b = readBackup(readFileSync(path));
  t.throws(() => planRestore(b, 30), { message: /KV_t lost records between .* cannot be restored exactly; choose a moment outside it/ });
  t.is(planRestore(b, 45).streams[0]!.records.length, 1);
  t.deepEqual(summarize(b).gaps.length, 1);
});

test('a changed byte, a reordered segment or a cut-off file is refused with what is wrong and where', (t) => {
  const records = [put('EV', 1, 10, 'ev.x', 'one'), put('EV', 2, 20, 'ev.x', 'two'), put('EV', 3, 30, 'ev.x', 'three')];
  const path = write(records, [{ after: 2, coveredUntilMs: 25, validFromMs: 25 }, { after: 3, coveredUntilMs: 35, validFromMs: 25 }]);
  const good = readFileSync(path);
  t.is(readBackup(good).records.length, 3);

  const changed = Buffer.from(good.toString().replace(Buffer.from('two').toString('base64'), Buffer.from('TWO').toString('base64')));
  t.throws(() => readBackup(changed), { message: /the checkpoint on line 4 does not match its records \(SHA-256\)/ });

  const lines = good.toString().split('\n');
  const dropped = [lines[0], lines[4], lines[5], ''].join('\n');
  t.throws(() => readBackup(Buffer.from(dropped)), { message: /does not match its records/ });

  t.throws(() => readBackup(good.subarray(0, good.length - 10)), { message: /line 6 ends without a newline: the file was cut off/ });
  t.throws(() => readBackup(Buffer.from(lines.slice(0, 2).join('\n') + '\n')), { message: /no checkpoint: the base backup is incomplete/ });
  t.throws(() => readBackup(Buffer.from('{"hello":1}\n')), { message: /not a fleet backup file/ });
  t.throws(() => readBackup(Buffer.alloc(0)), { message: /empty/ });
  t.throws(() => readBackup(Buffer.from(good.toString().replace('"formatVersion":1', '"formatVersion":9'))), { message: /format 9; this version reads format 1/ });
  t.throws(() => readBackup(Buffer.from(good.toString().replace('"ev.x"', '"other.x"'))), { message: /line 2: a record whose subject is not one of EV's/ });
});

test('a follower killed mid-segment: refused unless the incomplete tail is dropped, then restores up to its last checkpoint', (t) => {
  const records = [put('EV', 1, 10, 'ev.x', 'one'), put('EV', 2, 20, 'ev.x', 'two')];
  const path = write(records, [{ after: 1, coveredUntilMs: 15, validFromMs: 15 }]);
  // The writer flushes at checkpoints and every megabyte: flush what is pending by hand.
  const text = readFileSync(path, 'utf8');
  const tail = JSON.stringify({ r: [3, 2, 20, 'ev.x', null, Buffer.from('two').toString('base64')] }) + '\n';
  writeFileSync(path, text + tail);
  t.throws(() => readBackup(readFileSync(path)), { message: /cut off: 1 record\(s\) from line 4 on have no checkpoint after them.*--drop-incomplete-tail/ });
  const b = readBackup(readFileSync(path), { dropIncompleteTail: true });
  t.is(b.records.length, 1);
  t.is(b.droppedTailRecords, 1);
});

test('closing the writer cuts records that no checkpoint covers', (t) => {
  const path = file();
  const w = new BackupFileWriter(path, HEADER);
  w.record(put('EV', 1, 10, 'ev.x', 'one'));
  w.checkpoint({ coveredUntilMs: 15, validFromMs: 15, lastSeq: {}, gaps: [] });
  w.record(put('EV', 2, 20, 'ev.x', 'two'));
  w.close();
  t.is(readBackup(readFileSync(path)).records.length, 1);
});

test('NATS subject matching', (t) => {
  t.true(subjectMatches('$KV.t.>', '$KV.t.a.b'));
  t.false(subjectMatches('$KV.t.>', '$KV.t'));
  t.false(subjectMatches('$KV.t.>', '$KV.u.a'));
  t.true(subjectMatches('a.*.c', 'a.b.c'));
  t.false(subjectMatches('a.*.c', 'a.b.c.d'));
  t.false(subjectMatches('a.>', 'a.b..c'));
  t.false(subjectMatches('a.>', 'a.>'));
});

test('property: the planned key-value state at any covered moment is what replaying the writes up to it gives', (t) => {
  const op = fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd'), del: fc.boolean(), dt: fc.integer({ min: 0, max: 5 }) });
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 60 }), fc.integer({ min: 0, max: 1000 }), (ops, pick) => {
      let at = 100;
      const records = ops.map((o, i) => {
        at += o.dt;
        return put('KV_t', i + 1, at, `$KV.t.${o.key}`, o.del ? '' : `v${i}`, o.del ? [['KV-Operation', 'DEL']] : []);
      });
      const path = write(records, [{ after: records.length, coveredUntilMs: at, validFromMs: 100 }]);
      const b = readBackup(readFileSync(path));
      const moment = 100 + (pick % (at - 100 + 1));
      const expected = new Map<string, string>();
      for (const r of records) {
        if (r.atMs > moment) break;
        if (r.headers.length) expected.delete(r.subject);
        else expected.set(r.subject, Buffer.from(r.data).toString());
      }
      const got = planRestore(b, moment).streams[0]!.records.map((r) => [r.subject, Buffer.from(r.data).toString()]);
      const want = [...expected.entries()].sort((x, y) => x[0].localeCompare(y[0]));
      return JSON.stringify(got.sort((x, y) => x[0]!.localeCompare(y[0]!))) === JSON.stringify(want);
    }),
    { numRuns: 200 },
  );
  t.pass('200 random histories agreed');
});

test('the asynchronous reader (the control plane\'s, which yields to its event loop) reads what the synchronous one reads, and refuses the same', async (t) => {
  const records = Array.from({ length: 5_000 }, (_, i) => put('EV', i + 1, 10 + i, 'ev.x', `line ${i}`));
  const path = write(records, [{ after: 2_500, coveredUntilMs: 3_000, validFromMs: 3_000 }, { after: 5_000, coveredUntilMs: 6_000, validFromMs: 3_000 }]);
  const buf = readFileSync(path);
  t.deepEqual(await readBackupAsync(buf), readBackup(buf));
  await t.throwsAsync(readBackupAsync(buf.subarray(0, buf.length - 3)), { message: /cut off/ });
});

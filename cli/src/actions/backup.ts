/**
 * `fleetctl backup create|inspect|restore`: the file format and what a
 * moment's state is are in common/backup-format.ts; what is read and written
 * in JetStream, in control-plane/src/store/state-backup.ts.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { BackupFileError, BackupFileWriter, planRestore, readBackup, summarize, type BackupCheckpoint, type BackupHeader, type BackupStreamKind } from '../../../common/backup-format.js';
import { formatBytes } from '../../../common/duration.js';
import { CliError } from '../client.js';
import type { CreateBackupRequest } from '../../../proto/gen/fleet/v1/CreateBackupRequest.js';
import type { Context } from '../context.js';

/** How often a long operation says how far it is. */
const PROGRESS_EVERY_MS = 2_000;
const PART_BYTES = 1 << 20;

export interface CreateOptions {
  out: string;
  follow: boolean;
  /** Stops a followed backup (SIGINT, SIGTERM). */
  signal?: AbortSignal;
}

export async function backupCreate(ctx: Context, o: CreateOptions): Promise<void> {
  if (existsSync(o.out)) throw new CliError(`--out: ${o.out} exists; a backup is always written to a new file`, 2);
  let writer: BackupFileWriter | undefined;
  let header: BackupHeader | undefined;
  let validFromMs = 0;
  let checkpoints = 0;
  const lastSeq: Record<string, number> = {};
  let lastProgress = Date.now();
  // Resumed after the records it has; a base that never completed is not resumed (a resumed base
  // would count every record replaced before the backup began as a gap): take it again.
  const request = (): CreateBackupRequest => {
    if (header && checkpoints === 0) throw new CliError('the connection to the control plane was lost before the base backup completed: take it again');
    return { follow: o.follow, afterSeq: header ? lastSeq : {} };
  };
  try {
    for await (const m of ctx.client().backup(request, (line) => ctx.err(`backup: ${line}`), o.signal)) {
      if (m.header) {
        if (!header) {
          header = { formatVersion: m.header.formatVersion, fleetVersion: m.header.fleetVersion, startedAtMs: Number(m.header.startedAtMs), streams: m.header.streams.map((s) => ({ name: s.name, kind: s.kind as BackupStreamKind, subjects: s.subjects, maxAgeMs: Number(s.maxAgeMs) })) };
          writer = new BackupFileWriter(o.out, header);
        }
      } else if (m.record && writer) {
        const r = m.record;
        writer.record({ stream: r.stream, seq: Number(r.seq), atMs: Number(r.atMs), subject: r.subject, headers: r.headers.map((h) => [h.name, h.value] as [string, string]), data: r.data });
        lastSeq[r.stream] = Number(r.seq);
        if (Date.now() - lastProgress >= PROGRESS_EVERY_MS && checkpoints === 0) {
          lastProgress = Date.now();
          ctx.err(`backup: ${writer.recordsWritten} records, ${formatBytes(writer.bytesWritten)} so far\n`);
        }
      } else if (m.checkpoint && writer) {
        const c: BackupCheckpoint = {
          coveredUntilMs: Number(m.checkpoint.coveredUntilMs),
          // A resumed stream starts its own range: the file's stays the first one.
          validFromMs: validFromMs || Number(m.checkpoint.validFromMs),
          lastSeq: Object.fromEntries(Object.entries(m.checkpoint.lastSeq).map(([k, v]) => [k, Number(v)])),
          gaps: m.checkpoint.gaps.map((g) => ({ stream: g.stream, afterSeq: Number(g.afterSeq), beforeSeq: Number(g.beforeSeq), fromMs: Number(g.fromMs), toMs: Number(g.toMs) })),
        };
        validFromMs = c.validFromMs;
        writer.checkpoint(c);
        checkpoints++;
        for (const g of c.gaps) ctx.err(`backup: WARNING ${g.stream} lost records before they were read; ${new Date(g.fromMs).toISOString()}–${new Date(g.toMs).toISOString()} cannot be restored exactly\n`);
        if (checkpoints === 1) {
          ctx.err(`backup: base complete: ${writer.recordsWritten} records, ${formatBytes(writer.bytesWritten)}; restores ${new Date(c.validFromMs).toISOString()}${o.follow ? ' onwards; following changes (Ctrl-C to stop)' : ''}\n`);
        } else if (Date.now() - lastProgress >= 60_000) {
          lastProgress = Date.now();
          ctx.err(`backup: covers up to ${new Date(c.coveredUntilMs).toISOString()}: ${writer.recordsWritten} records, ${formatBytes(writer.bytesWritten)}\n`);
        }
      }
    }
  } finally {
    writer?.close();
  }
  if (!writer || checkpoints === 0) throw new CliError(`the backup did not complete; ${o.out} is not usable: take it again`);
  const summary = summarize(readBackup(readFileSync(o.out)));
  if (ctx.format === 'json') ctx.out(JSON.stringify({ file: o.out, ...summary }) + '\n');
  else ctx.out(`wrote ${o.out}: ${total(summary.records)} records, ${formatBytes(summary.bytes)}; restores any moment from ${summary.restorableFrom} to ${summary.restorableUntil}\n`);
}

function total(records: Record<string, number>): number {
  return Object.values(records).reduce((a, b) => a + b, 0);
}

function readFile(path: string, flag: string): Buffer {
  try {
    if (!statSync(path).isFile()) throw new Error('not a regular file');
    return readFileSync(path);
  } catch (err) {
    throw new CliError(`${flag}: cannot read ${path}: ${(err as Error).message}`, 2);
  }
}

function verified<T>(path: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof BackupFileError) throw new CliError(`${path}: ${err.message}`);
    throw err;
  }
}

export function backupInspect(ctx: Context, path: string, dropIncompleteTail: boolean): void {
  const buf = readFile(path, 'FILE');
  const summary = verified(path, () => summarize(readBackup(buf, { dropIncompleteTail })));
  if (ctx.format === 'json') {
    ctx.out(JSON.stringify(summary, null, 2) + '\n');
    return;
  }
  ctx.out(`Backup:       ${path} (${formatBytes(summary.bytes)}, format ${summary.formatVersion}, fleet ${summary.fleetVersion})\n`);
  ctx.out(`Started:      ${summary.startedAt}\n`);
  ctx.out(`Restores:     any moment from ${summary.restorableFrom} to ${summary.restorableUntil}\n`);
  ctx.out(`Checkpoints:  ${summary.checkpoints} (every one's SHA-256 verified)\n`);
  for (const [stream, n] of Object.entries(summary.records)) ctx.out(`  ${stream.padEnd(26)} ${n} records\n`);
  for (const g of summary.gaps) ctx.out(`Not exact:    ${g.stream} ${g.from} – ${g.to} (records removed before they were read)\n`);
  if (summary.droppedTailRecords) ctx.out(`Cut off:      ${summary.droppedTailRecords} records after the last checkpoint are left out\n`);
}

export interface RestoreOptions {
  from: string;
  /** ms since 1970; 0: the latest moment the file covers. */
  atMs: number;
  force: boolean;
  dropIncompleteTail: boolean;
}

/** `--at`: an ISO 8601 time (with its zone) or milliseconds since 1970. */
export function parseAt(value: string): number {
  const ms = /^\d{1,16}$/.test(value) ? Number(value) : /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:\d\d)$/.test(value) ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms) || ms <= 0) throw new CliError(`--at: give a time as ISO 8601 with its zone (2026-11-28T16:05:00Z) or milliseconds since 1970, got "${value}"`, 2);
  return ms;
}

export async function backupRestore(ctx: Context, o: RestoreOptions): Promise<void> {
  const buf = readFile(o.from, '--from');
  // Checked here first: a bad file or moment is refused before anything is sent.
  const backup = verified(o.from, () => readBackup(buf, { dropIncompleteTail: o.dropIncompleteTail }));
  const atMs = o.atMs || backup.coveredUntilMs;
  const plan = verified(o.from, () => planRestore(backup, atMs));
  const records = plan.streams.reduce((n, s) => n + s.records.length, 0);
  ctx.err(`restore: ${o.from} verified; restoring the state of ${new Date(atMs).toISOString()} (${records} records)\n`);
  const parts = function* () {
    for (let off = 0; off < buf.length; off += PART_BYTES) yield buf.subarray(off, Math.min(buf.length, off + PART_BYTES));
  };
  let last = 0;
  let done: { restoredAtMs: number; written: Record<string, number> } | undefined;
  const client = ctx.client();
  // A restore runs on the leader: each server in turn until it is found.
  for (let server = 0; !done; server++) {
    try {
      for await (const p of client.restoreBackup({ atMs: o.atMs, force: o.force, sizeBytes: buf.length, dropIncompleteTail: o.dropIncompleteTail }, parts(), server)) {
        if (p.phase === 'done') {
          done = { restoredAtMs: Number(p.restoredAtMs), written: Object.fromEntries(Object.entries(p.written).map(([k, v]) => [k, Number(v)])) };
        } else if (Date.now() - last >= PROGRESS_EVERY_MS || p.phase === 'checking') {
          last = Date.now();
          ctx.err(`restore: ${p.phase} ${p.done}/${p.total}\n`);
        }
      }
      if (!done) break;
    } catch (err) {
      if (!(err instanceof CliError && err.message.includes('does not lead the fleet')) || server + 1 >= client.servers.length) throw err;
    }
  }
  if (!done) throw new CliError('the control plane ended the restore without saying it was done: check its log, then `fleetctl backup restore --force` again');
  if (ctx.format === 'json') {
    ctx.out(JSON.stringify({ restoredAt: new Date(done.restoredAtMs).toISOString(), written: done.written }) + '\n');
    return;
  }
  ctx.out(`restored the fleet as it was at ${new Date(done.restoredAtMs).toISOString()}: ${total(done.written)} records\n`);
  ctx.out('Node agents reconnect by themselves. The access tokens are now the backup\'s: use a token of the restored fleet.\n');
}

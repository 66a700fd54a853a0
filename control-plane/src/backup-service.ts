/**
 * The two backup calls of FleetService (admin only, audited): CreateBackup
 * streams every stored record and checkpoints (`store/state-backup.ts`);
 * RestoreBackup receives a whole backup file, verifies it, plans the state
 * at the chosen moment (`common/backup-format.ts`) and writes it into an
 * empty fleet. Nothing is written before the file has been read and checked
 * whole: a corrupt or cut-off file changes nothing.
 */
import type * as grpc from '@grpc/grpc-js';
import { BackupFileError, planRestore, readBackupAsync, subjectMatches, type BackupStream, type RestorePlan } from '../../common/backup-format.js';
import { errorMessage, PreconditionError, ResourceExhaustedError, ValidationError } from '../../common/errors.js';
import type { BackupMessage } from '../../proto/gen/fleet/v1/BackupMessage.js';
import type { CreateBackupRequest__Output } from '../../proto/gen/fleet/v1/CreateBackupRequest.js';
import type { RestoreBackupRequest__Output } from '../../proto/gen/fleet/v1/RestoreBackupRequest.js';
import type { RestoreProgress } from '../../proto/gen/fleet/v1/RestoreProgress.js';
import type { Gate } from './access/gate.js';
import { serveStream, type StreamingDeps } from './open-streams.js';
import type { StateBackup } from './store/state-backup.js';

/** A restore holds the whole file in memory while it checks it: larger files are refused up front. */
export const MAX_RESTORE_BYTES = 2 * 1024 ** 3 - 1;
const MAX_TIME_MS = 8_640_000_000_000_000;

export interface BackupServiceDeps extends StreamingDeps {
  gate: Gate;
  backup: StateBackup;
  /** This replica's leadership: a restore runs on the leader, with its loops held meanwhile. */
  leader: { leading(): boolean; hold(): void; release(): void };
}

/** What a replica that does not lead answers a restore (fleetctl then tries the next server). */
export const NOT_LEADER = 'this replica does not lead the fleet: a restore runs on the leader';

type BackupCall = grpc.ServerWritableStream<CreateBackupRequest__Output, BackupMessage>;
type RestoreCall = grpc.ServerDuplexStream<RestoreBackupRequest__Output, RestoreProgress>;

export function backupHandlers(deps: BackupServiceDeps) {
  return {
    // A followed backup is ended with UNAVAILABLE when the replica stops: fleetctl resumes it elsewhere.
    CreateBackup: (call: BackupCall) => serveStream(deps, 'CreateBackup', call, (signal) => createBackup(deps, call, signal)),
    RestoreBackup: (call: RestoreCall) => serveStream(deps, 'RestoreBackup', call, (signal) => restoreBackup(deps, call, signal)),
  };
}

/** Waits until gRPC has room for more (a slow reader must not make the replica buffer the whole fleet). */
async function write<T>(call: { write(m: T): boolean; once(e: 'drain', f: () => void): unknown }, message: T, signal: AbortSignal): Promise<void> {
  if (call.write(message)) return;
  await new Promise<void>((resolve) => {
    call.once('drain', resolve);
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

function checkAfterSeq(streams: readonly BackupStream[], afterSeq: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(afterSeq)) {
    if (!streams.some((s) => s.name === name)) throw new ValidationError('after_seq', `names ${JSON.stringify(name.slice(0, 64))}, which is not a backed-up stream`);
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 0) throw new ValidationError('after_seq', `${name}: must be a sequence number, got ${String(value)}`);
    out[name] = n;
  }
  return out;
}

async function createBackup(deps: BackupServiceDeps, call: BackupCall, signal: AbortSignal): Promise<void> {
  const caller = await deps.gate.admit(call, 'CreateBackup');
  const follow = Boolean(call.request.follow);
  await deps.gate.audited(caller, 'CreateBackup', { follow }, async () => {
    const afterSeq = checkAfterSeq(deps.backup.streams, call.request.afterSeq ?? {});
    let records = 0;
    for await (const item of deps.backup.read({ follow, afterSeq, signal })) {
      if (signal.aborted) break;
      if ('record' in item) {
        records++;
        const r = item.record;
        await write(call, { record: { stream: r.stream, seq: r.seq, atMs: r.atMs, subject: r.subject, headers: r.headers.map(([name, value]) => ({ name, value })), data: r.data } }, signal);
      } else {
        await write(call, item, signal);
      }
    }
    deps.log.info({ by: caller.name, records, follow, resumed: Object.keys(afterSeq).length > 0, ended: signal.aborted ? 'caller left' : 'complete' }, 'backup sent');
    return { response: undefined };
  });
  if (!signal.aborted) call.end();
}

async function restoreBackup(deps: BackupServiceDeps, call: RestoreCall, signal: AbortSignal): Promise<void> {
  const caller = await deps.gate.admit(call, 'RestoreBackup');
  // Not call[Symbol.asyncIterator](): at the end of the requests it destroys the stream, and with it the replies.
  const requests = call.iterator({ destroyOnReturn: false }) as AsyncIterator<RestoreBackupRequest__Output>;
  // A caller that goes away mid-upload ends the stream early ("Premature close"): its error, not ours.
  const iterator = {
    next: () =>
      requests.next().catch((err: unknown) => {
        throw new ValidationError('data', `the upload ended before the whole file was sent (${errorMessage(err)}); nothing was changed`);
      }),
  };
  const first = await iterator.next();
  const options = first.done ? undefined : first.value.options;
  const atMs = Number(options?.atMs ?? 0);
  const force = Boolean(options?.force);
  await deps.gate.audited(caller, 'RestoreBackup', { atMs, force }, async () => {
    if (!options) throw new ValidationError('options', 'the first message must carry the restore options');
    if (!Number.isSafeInteger(atMs) || atMs < 0 || atMs > MAX_TIME_MS) throw new ValidationError('options.at_ms', `must be a time in milliseconds since 1970 (0: the latest covered), got ${options.atMs}`);
    const declared = Number(options.sizeBytes ?? 0);
    if (!Number.isSafeInteger(declared) || declared <= 0) throw new ValidationError('options.size_bytes', `must be the backup file's size in bytes, got ${options.sizeBytes}`);
    if (declared > MAX_RESTORE_BYTES) throw new ResourceExhaustedError(`the backup is ${declared} bytes; a restore takes at most ${MAX_RESTORE_BYTES} bytes`);
    // Refused before the file is sent, when it can be (leadership is checked again before writing).
    if (!deps.leader.leading()) throw new PreconditionError(`${NOT_LEADER} (fleetctl cluster status shows which replica does)`);
    // Receive the whole file before anything changes.
    const chunks: Buffer[] = [];
    let received = 0;
    let lastReport = 0;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      const data = next.value.data;
      if (!data || data.length === 0) throw new ValidationError('data', 'every message after the options must carry a non-empty part of the file');
      received += data.length;
      if (received > declared) throw new ValidationError('data', `more bytes than options.size_bytes (${declared}) said`);
      chunks.push(data);
      if (received - lastReport >= 16 << 20) {
        lastReport = received;
        await write(call, { phase: 'receiving', done: received, total: declared }, signal);
      }
    }
    if (signal.aborted) throw new ValidationError('data', 'the caller left before sending the whole file');
    if (received !== declared) throw new ValidationError('data', `received ${received} bytes, options.size_bytes said ${declared}: the upload was cut off`);
    await write(call, { phase: 'checking', done: received, total: declared }, signal);

    let plan;
    try {
      const backup = await readBackupAsync(Buffer.concat(chunks), { dropIncompleteTail: Boolean(options.dropIncompleteTail) });
      chunks.length = 0;
      checkStreams(backup.header.streams, deps.backup.streams);
      plan = planRestore(backup, atMs || backup.coveredUntilMs);
      // In this version's order (tasks last), whatever order the file lists them in.
      const order = (name: string) => deps.backup.streams.findIndex((s) => s.name === name);
      plan.streams.sort((a, b) => order(a.stream.name) - order(b.stream.name));
    } catch (err) {
      if (err instanceof BackupFileError) throw new PreconditionError(`backup refused, nothing changed: ${err.message}`);
      throw err;
    }
    if (!deps.leader.leading()) throw new PreconditionError(`${NOT_LEADER} (fleetctl cluster status shows which replica does)`);
    deps.leader.hold();
    try {
      return await restorePlan(deps, call, plan, force, caller.name, signal);
    } finally {
      deps.leader.release();
    }
  });
  call.end();
}

async function restorePlan(deps: BackupServiceDeps, call: RestoreCall, plan: RestorePlan, force: boolean, by: string, signal: AbortSignal): Promise<{ response: undefined; target: string }> {
  const held = await deps.backup.contents();
  if (held.length > 0 && !force) {
    throw new PreconditionError(`the fleet is not empty (${held.join(', ')}): restore into a new, empty JetStream, or pass --force to replace everything it holds`);
  }
  if (held.length > 0) {
    deps.log.warn({ by, held }, 'forced restore: purging the fleet state');
    await deps.backup.purge();
  }
  const total = plan.streams.reduce((n, s) => n + s.records.length, 0);
  let reported = 0;
  const written = await deps.backup.write(plan, (done) => {
    if (done - reported >= 5_000 || (done === total && done !== reported)) {
      reported = done;
      call.write({ phase: 'writing', done, total });
    }
  });
  deps.log.warn({ by, restoredAtMs: plan.atMs, written, forced: force }, 'fleet state restored from a backup');
  await write(call, { phase: 'done', done: total, total, restoredAtMs: plan.atMs, written }, signal);
  return { response: undefined, target: new Date(plan.atMs).toISOString() };
}

/** The file's streams must be this version's: same names, kinds and subjects. */
function checkStreams(inFile: readonly BackupStream[], ours: readonly BackupStream[]): void {
  for (const s of inFile) {
    const mine = ours.find((o) => o.name === s.name);
    if (!mine || mine.kind !== s.kind || s.subjects.some((subject) => !mine.subjects.some((p) => p === subject || subjectMatches(p, subject)))) {
      throw new BackupFileError(`the backup holds stream ${s.name} (${s.kind}), which this control plane does not store that way: restore with the version that made it`);
    }
  }
}

/**
 * The backup file: a base backup of every stored record of the fleet's
 * state, then (with `backup create --follow`) every change after it, so that
 * a restore can bring back the state as it was at any moment the file covers
 * (a base backup plus a log replayed to a target time, as PostgreSQL does).
 *
 * One JSON document per line, append-only:
 *   {"header":{…}}                       what the file holds (streams, versions)
 *   {"r":[stream,seq,atMs,subject,headers,data]}   one stored message
 *   {"checkpoint":{…},"sha256":"…"}      closes a segment
 * A checkpoint says up to when the records before it cover every stream
 * (`coveredUntilMs`) and carries a SHA-256 chained over the header, every
 * line since the previous checkpoint and that checkpoint's own hash: a
 * changed, reordered, dropped or cut-off segment is found, and only complete
 * segments are ever restored. The first checkpoint closes the base backup:
 * the file restores exactly any moment from its `validFromMs` on.
 *
 * The state at a moment T is, per stream: for a key-value bucket, each key's
 * last record stored at or before T (none if that was a delete); for the
 * object store, the live objects' metadata and their chunks; for an appended
 * stream, every record stored at or before T. Records older than a stream's
 * maximum age at T had expired then and are left out.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, fsyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';

export const BACKUP_FORMAT_VERSION = 1;

export type BackupStreamKind = 'kv' | 'object' | 'log';

export interface BackupStream {
  name: string;
  kind: BackupStreamKind;
  subjects: string[];
  /** 0: kept for ever. */
  maxAgeMs: number;
}

export interface BackupHeader {
  formatVersion: number;
  fleetVersion: string;
  startedAtMs: number;
  streams: BackupStream[];
}

export interface StoredRecord {
  stream: string;
  seq: number;
  atMs: number;
  subject: string;
  headers: Array<[string, string]>;
  data: Uint8Array;
}

/** Records of a stream removed before the backup read them: [fromMs, toMs] is not exact for it. */
export interface BackupGap {
  stream: string;
  afterSeq: number;
  beforeSeq: number;
  fromMs: number;
  toMs: number;
}

export interface BackupCheckpoint {
  coveredUntilMs: number;
  validFromMs: number;
  lastSeq: Record<string, number>;
  gaps: BackupGap[];
}

/** A backup file that cannot be used as it is: corrupt, cut off, or not a backup. */
export class BackupFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupFileError';
  }
}

/**
 * Writes a backup file: created new (never over an existing file), readable
 * by its owner only (it holds credential hashes and sealed provider keys),
 * flushed to disk at every checkpoint.
 */
export class BackupFileWriter {
  private readonly fd: number;
  private chain: string;
  private segment: Hash;
  private pending: string[] = [];
  private pendingBytes = 0;
  private streamIndex = new Map<string, number>();
  recordsWritten = 0;
  bytesWritten = 0;
  /** The file's length up to the last checkpoint: everything a restore can use. */
  committedBytes = 0;

  constructor(path: string, header: BackupHeader) {
    this.fd = openSync(path, 'wx', 0o600);
    const line = JSON.stringify({ header });
    header.streams.forEach((s, i) => this.streamIndex.set(s.name, i));
    this.chain = sha256(line);
    this.segment = this.newSegment();
    this.writeNow(line + '\n');
  }

  record(r: StoredRecord): void {
    const index = this.streamIndex.get(r.stream);
    if (index === undefined) throw new BackupFileError(`record of stream ${r.stream}, which the header does not list`);
    const line = JSON.stringify({ r: [index, r.seq, r.atMs, r.subject, r.headers.length ? r.headers : null, Buffer.from(r.data).toString('base64')] }) + '\n';
    this.segment.update(line);
    this.pending.push(line);
    this.pendingBytes += line.length;
    this.recordsWritten++;
    if (this.pendingBytes > 1 << 20) this.flush();
  }

  /** Closes the segment: its checksum is chained, and the file is on disk when this returns. */
  checkpoint(c: BackupCheckpoint): void {
    const body = JSON.stringify(c);
    this.segment.update(body);
    this.chain = this.segment.digest('hex');
    this.segment = this.newSegment();
    this.pending.push(`{"checkpoint":${body},"sha256":"${this.chain}"}\n`);
    this.flush();
    fsyncSync(this.fd);
    this.committedBytes = this.bytesWritten;
  }

  /** Closes the file at its last checkpoint: records after it (no checkpoint proves them complete) are cut. */
  close(): void {
    this.pending = [];
    this.pendingBytes = 0;
    if (this.bytesWritten > this.committedBytes) ftruncateSync(this.fd, this.committedBytes);
    fsyncSync(this.fd);
    closeSync(this.fd);
  }

  private newSegment(): Hash {
    return createHash('sha256').update(this.chain);
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.writeNow(this.pending.join(''));
    this.pending = [];
    this.pendingBytes = 0;
  }

  private writeNow(text: string): void {
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off);
    this.bytesWritten += buf.length;
  }
}

export interface ParsedBackup {
  header: BackupHeader;
  /** Records of the complete segments, in file order. */
  records: StoredRecord[];
  checkpoints: BackupCheckpoint[];
  /** The restorable range: [validFromMs, coveredUntilMs]. */
  validFromMs: number;
  coveredUntilMs: number;
  gaps: BackupGap[];
  /** Records after the last checkpoint (a cut-off segment), left out. */
  droppedTailRecords: number;
  bytes: number;
}

export interface ReadOptions {
  /** Use the complete segments of a file whose last segment was cut off (a follower killed mid-segment). */
  dropIncompleteTail?: boolean;
}

/** Reads and verifies a whole backup file; throws BackupFileError saying what is wrong and where. */
export function readBackup(buf: Uint8Array, options: ReadOptions = {}): ParsedBackup {
  const steps = parseSteps(buf, options);
  for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
}

/**
 * The same, giving the event loop a turn every few thousand lines: a
 * control plane reading a large file must go on renewing its lease and
 * answering its nodes meanwhile.
 */
export async function readBackupAsync(buf: Uint8Array, options: ReadOptions = {}): Promise<ParsedBackup> {
  const steps = parseSteps(buf, options);
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const LINES_PER_STEP = 2_000;

function* parseSteps(buf: Uint8Array, options: ReadOptions): Generator<void, ParsedBackup> {
  const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 0;
  let lineNo = 0;
  const nextLine = (): string | null => {
    if (pos >= bytes.length) return null;
    const end = bytes.indexOf(0x0a, pos);
    lineNo++;
    if (end < 0) {
      const rest = bytes.subarray(pos).toString('utf8');
      pos = bytes.length;
      return rest + '\u0000'; // marks a last line without its newline: cut off
    }
    const line = bytes.subarray(pos, end).toString('utf8');
    pos = end + 1;
    return line;
  };
  const parse = (line: string): Record<string, unknown> => {
    if (line.endsWith('\u0000')) throw new BackupFileError(`line ${lineNo} ends without a newline: the file was cut off (truncated)`);
    try {
      const v = JSON.parse(line) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // reported below
    }
    throw new BackupFileError(`line ${lineNo} is not valid: the file is corrupt`);
  };

  const first = nextLine();
  if (first === null) throw new BackupFileError('the file is empty: not a backup');
  let headerDoc: Record<string, unknown>;
  try {
    headerDoc = parse(first);
  } catch {
    throw new BackupFileError('the first line is not a backup header: not a fleet backup file');
  }
  const header = checkHeader(headerDoc.header);
  let chain = sha256(first);
  let segment = createHash('sha256').update(chain);
  let segmentRecords: StoredRecord[] = [];
  const records: StoredRecord[] = [];
  const checkpoints: BackupCheckpoint[] = [];
  const lastSeq = new Map<string, number>();
  let tailStartLine = 0;

  for (let line = nextLine(); line !== null; line = nextLine()) {
    if (lineNo % LINES_PER_STEP === 0) yield;
    if (line.endsWith('\u0000') && options.dropIncompleteTail) break;
    const doc = parse(line);
    if ('r' in doc) {
      if (segmentRecords.length === 0) tailStartLine = lineNo;
      const r = checkRecord(doc.r, header, lineNo);
      const prev = lastSeq.get(r.stream) ?? 0;
      if (r.seq <= prev) throw new BackupFileError(`line ${lineNo}: record ${r.seq} of ${r.stream} after record ${prev}: the file is corrupt`);
      lastSeq.set(r.stream, r.seq);
      segment.update(line + '\n');
      segmentRecords.push(r);
    } else if ('checkpoint' in doc) {
      const c = checkCheckpoint(doc.checkpoint, lineNo);
      segment.update(JSON.stringify(doc.checkpoint));
      const digest = segment.digest('hex');
      if (doc.sha256 !== digest) throw new BackupFileError(`the checkpoint on line ${lineNo} does not match its records (SHA-256): the file was changed or is corrupt`);
      chain = digest;
      segment = createHash('sha256').update(chain);
      // Not push(...): a base segment holds hundreds of thousands of records, more than a call's arguments.
      for (const r of segmentRecords) records.push(r);
      segmentRecords = [];
      checkpoints.push(c);
    } else {
      throw new BackupFileError(`line ${lineNo} is neither a record nor a checkpoint: the file is corrupt`);
    }
  }
  if (checkpoints.length === 0) {
    throw new BackupFileError('the file has no checkpoint: the base backup is incomplete (truncated, or its creation was interrupted); take a new backup');
  }
  const last = checkpoints[checkpoints.length - 1]!;
  if (segmentRecords.length > 0 && !options.dropIncompleteTail) {
    throw new BackupFileError(
      `the file was cut off: ${segmentRecords.length} record(s) from line ${tailStartLine} on have no checkpoint after them. ` +
        `The complete part covers up to ${new Date(last.coveredUntilMs).toISOString()}; pass --drop-incomplete-tail to restore from it`,
    );
  }
  return {
    header,
    records,
    checkpoints,
    validFromMs: checkpoints[0]!.validFromMs,
    coveredUntilMs: last.coveredUntilMs,
    gaps: checkpoints.flatMap((c) => c.gaps),
    droppedTailRecords: segmentRecords.length,
    bytes: bytes.length,
  };
}

/** Per stream, in the order to write them: the records that make up the state at `atMs`. */
export interface RestorePlan {
  atMs: number;
  streams: Array<{ stream: BackupStream; records: StoredRecord[] }>;
}

/**
 * The state at `atMs` (see the file comment). Refuses a moment the file does
 * not cover, or one inside a gap (records removed before they were read).
 */
export function planRestore(backup: ParsedBackup, atMs: number): RestorePlan {
  const iso = (ms: number) => new Date(ms).toISOString();
  if (atMs < backup.validFromMs || atMs > backup.coveredUntilMs) {
    throw new BackupFileError(`the backup restores moments from ${iso(backup.validFromMs)} to ${iso(backup.coveredUntilMs)}; ${iso(atMs)} is outside`);
  }
  const gap = backup.gaps.find((g) => atMs >= g.fromMs && atMs < g.toMs);
  if (gap) {
    throw new BackupFileError(
      `${gap.stream} lost records between ${iso(gap.fromMs)} and ${iso(gap.toMs)} before the backup read them, so that span cannot be restored exactly; choose a moment outside it`,
    );
  }
  const byStream = new Map<string, StoredRecord[]>();
  for (const r of backup.records) {
    if (r.atMs > atMs) continue;
    let list = byStream.get(r.stream);
    if (!list) byStream.set(r.stream, (list = []));
    list.push(r);
  }
  return {
    atMs,
    streams: backup.header.streams.map((stream) => {
      const kept = (byStream.get(stream.name) ?? []).filter((r) => stream.maxAgeMs === 0 || atMs - r.atMs <= stream.maxAgeMs);
      return { stream, records: stateOf(stream, kept) };
    }),
  };
}

/** A stream's records at or before the moment (in seq order) reduced to the state they make. */
function stateOf(stream: BackupStream, records: StoredRecord[]): StoredRecord[] {
  if (stream.kind === 'log') return records;
  const last = new Map<string, StoredRecord>();
  for (const r of records) {
    // A purge removes the earlier values of its subject (KV purge, object metadata rollup).
    last.set(r.subject, r);
  }
  if (stream.kind === 'kv') {
    return [...last.values()].filter((r) => !isKvDelete(r)).sort((a, b) => a.seq - b.seq);
  }
  // Object store: $O.<bucket>.M.<name> holds an object's metadata (its chunks' id, or deleted),
  // $O.<bucket>.C.<nuid> its chunks.
  const live = new Set<string>();
  const metas: StoredRecord[] = [];
  for (const r of last.values()) {
    if (!r.subject.includes('.M.')) continue;
    const meta = objectMeta(r);
    if (!meta || meta.deleted) continue;
    live.add(meta.nuid);
    metas.push(r);
  }
  const chunks = records.filter((r) => {
    const i = r.subject.indexOf('.C.');
    return i >= 0 && live.has(r.subject.slice(i + 3));
  });
  return [...chunks, ...metas].sort((a, b) => a.seq - b.seq);
}

function isKvDelete(r: StoredRecord): boolean {
  return r.headers.some(([k, v]) => k.toLowerCase() === 'kv-operation' && (v === 'DEL' || v === 'PURGE'));
}

function objectMeta(r: StoredRecord): { nuid: string; deleted: boolean } | null {
  try {
    const meta = JSON.parse(Buffer.from(r.data).toString('utf8')) as { nuid?: unknown; deleted?: unknown };
    return typeof meta.nuid === 'string' ? { nuid: meta.nuid, deleted: meta.deleted === true } : null;
  } catch {
    return null;
  }
}

/**
 * Headers a restore must not send again: the original writer's expectations
 * (compare-and-set), and a key-value write's message id, which fences a
 * replicated bucket's compare-and-set as `<key>@<revision>`: replayed into
 * a stream numbered afresh, it would refuse, for the duplicate window, a
 * new write from a revision that happens to carry an old one's number.
 */
export function replayHeaders(r: StoredRecord): Array<[string, string]> {
  const kv = r.subject.startsWith('$KV.');
  return r.headers.filter(([k]) => !/^nats-expected-/i.test(k) && !(kv && /^nats-msg-id$/i.test(k)));
}

export interface BackupSummary {
  formatVersion: number;
  fleetVersion: string;
  startedAt: string;
  restorableFrom: string;
  restorableUntil: string;
  checkpoints: number;
  bytes: number;
  records: Record<string, number>;
  gaps: Array<{ stream: string; from: string; to: string }>;
  droppedTailRecords: number;
}

/** What `backup inspect` prints: the manifest in words and figures. */
export function summarize(b: ParsedBackup): BackupSummary {
  const records: Record<string, number> = {};
  for (const s of b.header.streams) records[s.name] = 0;
  for (const r of b.records) records[r.stream] = (records[r.stream] ?? 0) + 1;
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    formatVersion: b.header.formatVersion,
    fleetVersion: b.header.fleetVersion,
    startedAt: iso(b.header.startedAtMs),
    restorableFrom: iso(b.validFromMs),
    restorableUntil: iso(b.coveredUntilMs),
    checkpoints: b.checkpoints.length,
    bytes: b.bytes,
    records,
    gaps: b.gaps.map((g) => ({ stream: g.stream, from: iso(g.fromMs), to: iso(g.toMs) })),
    droppedTailRecords: b.droppedTailRecords,
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function checkHeader(v: unknown): BackupHeader {
  const h = v as Partial<BackupHeader> | undefined;
  if (!h || typeof h !== 'object') throw new BackupFileError('the first line is not a backup header: not a fleet backup file');
  if (h.formatVersion !== BACKUP_FORMAT_VERSION) {
    throw new BackupFileError(`the backup is in format ${String(h.formatVersion)}; this version reads format ${BACKUP_FORMAT_VERSION}: use the fleetctl and control plane of the version that made it`);
  }
  if (typeof h.fleetVersion !== 'string' || !isCount(h.startedAtMs) || !Array.isArray(h.streams) || h.streams.length === 0) {
    throw new BackupFileError('the backup header is incomplete: the file is corrupt');
  }
  const names = new Set<string>();
  for (const s of h.streams) {
    const ok = s && typeof s.name === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(s.name) && ['kv', 'object', 'log'].includes(s.kind) && Array.isArray(s.subjects) && s.subjects.every((x) => typeof x === 'string') && isCount(s.maxAgeMs);
    if (!ok || names.has(s.name)) throw new BackupFileError('the backup header lists a stream it cannot describe: the file is corrupt');
    names.add(s.name);
  }
  return h as BackupHeader;
}

function checkRecord(v: unknown, header: BackupHeader, lineNo: number): StoredRecord {
  const bad = (what: string) => new BackupFileError(`line ${lineNo}: ${what}: the file is corrupt`);
  if (!Array.isArray(v) || v.length !== 6) throw bad('not a record');
  const [index, seq, atMs, subject, headers, data] = v as unknown[];
  const stream = typeof index === 'number' ? header.streams[index] : undefined;
  if (!stream) throw bad('a record of a stream the header does not list');
  if (!isCount(seq) || seq === 0 || !isCount(atMs)) throw bad('a record without a valid sequence or time');
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > 512 || !stream.subjects.some((p) => subjectMatches(p, subject))) {
    throw bad(`a record whose subject is not one of ${stream.name}'s`);
  }
  const hs: Array<[string, string]> = [];
  if (headers !== null) {
    if (!Array.isArray(headers)) throw bad('record headers that are not a list');
    for (const h of headers) {
      if (!Array.isArray(h) || h.length !== 2 || typeof h[0] !== 'string' || typeof h[1] !== 'string' || !/^[!-9;-~]{1,128}$/.test(h[0]) || /[\r\n]/.test(h[1])) throw bad('a record header that is not a name and a value');
      hs.push([h[0], h[1]]);
    }
  }
  if (typeof data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(data)) throw bad('record data that is not base64');
  return { stream: stream.name, seq, atMs, subject, headers: hs, data: Buffer.from(data, 'base64') };
}

function checkCheckpoint(v: unknown, lineNo: number): BackupCheckpoint {
  const c = v as Partial<BackupCheckpoint> | undefined;
  const bad = () => new BackupFileError(`line ${lineNo}: a checkpoint that is incomplete: the file is corrupt`);
  if (!c || typeof c !== 'object' || !isCount(c.coveredUntilMs) || !isCount(c.validFromMs) || c.validFromMs > c.coveredUntilMs) throw bad();
  if (!c.lastSeq || typeof c.lastSeq !== 'object' || !Object.values(c.lastSeq).every(isCount)) throw bad();
  if (!Array.isArray(c.gaps) || !c.gaps.every((g) => g && typeof g.stream === 'string' && isCount(g.afterSeq) && isCount(g.beforeSeq) && isCount(g.fromMs) && isCount(g.toMs))) throw bad();
  return { coveredUntilMs: c.coveredUntilMs, validFromMs: c.validFromMs, lastSeq: c.lastSeq, gaps: c.gaps };
}

/** NATS subject matching: `*` one token, `>` the rest. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  if (s.some((t) => t === '' || t === '*' || t === '>' || /\s/.test(t))) return false;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return s.length === p.length;
}

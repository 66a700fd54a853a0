/**
 * The agent's local journal (SQLite, WAL): the attempts it was given and the
 * outbox of events the control plane has not yet acknowledged. Every event is
 * written here before it is sent, in the same transaction as the attempt's
 * state change it reports, so a crash, a restart or a lost network loses no
 * result: the next session resends everything not yet acknowledged.
 *
 * A full disk does not stop the agent: a write that fails for lack of space
 * is held, in order with every write after it, and made when space returns
 * (tried every second). Meanwhile the journal is `degraded`: the agent takes
 * no new attempt (`accept` refuses) and reports disk pressure, and what it
 * runs goes on. Held output is bounded; what does not fit is dropped with a
 * note in the attempt's log. Outcomes and state changes are always held.
 *
 * A Cline attempt's grant (its provider key and gateway token) is kept sealed
 * under the node's journal key (`journal-key.ts`), never in the clear, and
 * with secure_delete on, what is deleted or overwritten is zeroed rather than
 * left in free pages. A journal from before sealing has its plaintext grants
 * sealed, and its free space scrubbed, when it is first opened.
 */
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import type { AgentProgress, AttemptEvent, AttemptOutcome, ProviderGrant } from '../../common/model.js';
import { JournalKey, journalKeyPath, SealedRecordError } from './journal-key.js';

export type JournalAttemptState =
  /** Assigned; no container yet. */
  | 'accepted'
  /** Its container was started. */
  | 'running'
  /** Its outcome is recorded and queued for the control plane. */
  | 'finished'
  /** The control plane stored the outcome; the container is removed. */
  | 'done';

/** An outcome as the runner records it: a Cline result's patch (bounded by RESULT_LIMITS.patchBytes) rides along. */
export type AttemptOutcomeRecord = AttemptOutcome & { patchBase64?: string };

/** What a Cline attempt's gateway needs, kept so that an adopted attempt can reach its model again. */
export interface LlmGrantRecord {
  provider: ProviderGrant | null;
  /** The attempt's gateway token. */
  token: string;
  /** The commit the workspace was cloned at; the patch is taken against it. */
  baseCommit?: string;
  /** Set (with no provider) when the sealed grant does not open: why, for the attempt's error. Never stored. */
  unreadable?: string;
}

export interface JournalAttempt {
  attemptId: string;
  taskId: string;
  specJson: string;
  state: JournalAttemptState;
  containerId: string | null;
  startedAtMs: number | null;
  finishedAtMs: number | null;
  /** Without the patch, which only the outbox holds. */
  outcome: AttemptOutcome | null;
  cancelReason: string | null;
  /** Docker's timestamp of the last output entry journaled: where adoption resumes. */
  lastLogTimestamp: string;
  /** Cline attempts: the provider grant and gateway token. */
  llm: LlmGrantRecord | null;
  /** Cline attempts: tokens and cost the gateway counted so far. */
  usage: AgentProgress | null;
}


interface AttemptRow {
  attempt_id: string;
  task_id: string;
  spec_json: string;
  state: JournalAttemptState;
  container_id: string | null;
  started_at_ms: number | null;
  finished_at_ms: number | null;
  outcome_json: string | null;
  cancel_reason: string | null;
  last_log_ts: string | null;
  /** Before grants were sealed: the grant in the clear. Sealed and emptied on open. */
  llm_json: string | null;
  /** The grant, sealed (`JournalKey.seal`, the attempt id as associated data). */
  llm_sealed: Buffer | null;
  usage_json: string | null;
}

interface OutboxRow {
  seq: number;
  attempt_id: string;
  task_id: string;
  kind: 'started' | 'output' | 'finished' | 'progress';
  at_ms: number;
  stream: string | null;
  payload: Buffer | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS attempts (
  attempt_id     TEXT PRIMARY KEY,
  task_id        TEXT NOT NULL,
  spec_json      TEXT NOT NULL,
  state          TEXT NOT NULL,
  container_id   TEXT,
  started_at_ms  INTEGER,
  finished_at_ms INTEGER,
  outcome_json   TEXT,
  cancel_reason  TEXT,
  last_log_ts    TEXT,
  created_at_ms  INTEGER NOT NULL,
  updated_at_ms  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_state ON attempts(state);
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  attempt_id TEXT NOT NULL,
  task_id    TEXT NOT NULL,
  kind       TEXT NOT NULL,
  at_ms      INTEGER NOT NULL,
  stream     TEXT,
  payload    BLOB
);
`;

/** While the disk is full, at most this much output is held for later; the rest is dropped with a note. */
export const HELD_OUTPUT_LIMIT_BYTES = 16 * 1024 * 1024;
/** How often held writes are tried again. */
const HELD_RETRY_MS = 1_000;

interface HeldWrite {
  op: () => void;
  /** `event`: appends to the outbox (the session is told when it is made). */
  kind: 'state' | 'event';
  /** Output bytes it holds. */
  bytes: number;
}

/** The journal cannot take a new attempt now (its disk is full). */
export class JournalFullError extends Error {}

/** SQLite's errors for a disk that is full or failing: the write can succeed later, unlike a bad statement. */
export function isStorageFull(err: unknown): boolean {
  const code = (err as { code?: string })?.code ?? '';
  return code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR');
}

/** Columns added after the first release; `migrate` adds them to older journals. */
const ADDED_COLUMNS: ReadonlyArray<[string, string]> = [
  ['llm_json', 'TEXT'],
  ['usage_json', 'TEXT'],
  ['llm_sealed', 'BLOB'],
];

/** Set once a journal holds no grant in the clear, in its rows or its free pages. */
const GRANTS_SEALED_KEY = 'grants_sealed';

/**
 * Done attempts are kept this long, then pruned: while its row is there, an
 * Assign resent for an attempt this node has already run and reported is
 * recognised (`accept` finds it) and not run a second time.
 */
const DONE_RETENTION_MS = 24 * 3_600_000;

function toAttempt(row: AttemptRow, llm: LlmGrantRecord | null): JournalAttempt {
  return {
    attemptId: row.attempt_id,
    taskId: row.task_id,
    specJson: row.spec_json,
    state: row.state,
    containerId: row.container_id,
    startedAtMs: row.started_at_ms,
    finishedAtMs: row.finished_at_ms,
    outcome: row.outcome_json ? (JSON.parse(row.outcome_json) as AttemptOutcome) : null,
    cancelReason: row.cancel_reason,
    lastLogTimestamp: row.last_log_ts ?? '',
    llm,
    usage: row.usage_json ? (JSON.parse(row.usage_json) as AgentProgress) : null,
  };
}

function toEvent(row: OutboxRow): AttemptEvent {
  const base = { seq: row.seq, attemptId: row.attempt_id, taskId: row.task_id, atMs: row.at_ms };
  switch (row.kind) {
    case 'started':
      return { ...base, kind: 'started', containerId: row.payload?.toString() ?? '' };
    case 'output':
      return { ...base, kind: 'output', stream: row.stream === 'stderr' ? 'stderr' : 'stdout', data: row.payload ?? Buffer.alloc(0) };
    case 'finished': {
      const { patchBase64, ...outcome } = JSON.parse(row.payload?.toString() ?? '{}') as AttemptOutcomeRecord;
      return { ...base, kind: 'finished', outcome, patch: Buffer.from(patchBase64 ?? '', 'base64') };
    }
    case 'progress':
      return { ...base, kind: 'progress', progress: JSON.parse(row.payload?.toString() ?? '{}') as AgentProgress };
  }
}

export class Journal {
  private readonly db: Db;
  private readonly listeners = new Set<() => void>();
  /** Writes that could not be made yet (the disk is full), oldest first. */
  private readonly held: HeldWrite[] = [];
  private heldOutputBytes = 0;
  private readonly droppedOutput = new Set<string>();
  private retryTimer: NodeJS.Timeout | undefined;
  private lastFailure = '';
  private readonly degradedListeners = new Set<(degraded: boolean) => void>();

  private readonly key: JournalKey;

  /** `keyPath`: the journal key, by default `journal.key` beside the journal (made if missing; refused if others may read it). */
  constructor(
    path: string,
    private readonly heldOutputLimitBytes = HELD_OUTPUT_LIMIT_BYTES,
    keyPath = journalKeyPath(path),
  ) {
    // Before the database: a key the agent may not use leaves the journal untouched.
    this.key = JournalKey.loadOrCreate(keyPath);
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // FULL: an acknowledged-to-nobody event is still on disk after a power cut.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    // What is deleted or overwritten (a grant, its ciphertext) is zeroed, not left in free pages.
    this.db.pragma('secure_delete = ON');
    this.db.exec(SCHEMA);
    this.migrate();
  }

  private migrate(): void {
    const have = new Set((this.db.prepare('PRAGMA table_info(attempts)').all() as Array<{ name: string }>).map((c) => c.name));
    for (const [name, type] of ADDED_COLUMNS) if (!have.has(name)) this.db.exec(`ALTER TABLE attempts ADD COLUMN ${name} ${type}`);
    if (this.getMeta(GRANTS_SEALED_KEY) !== null) return;
    // A journal that held grants before they were sealed; a new one (or one from before Cline) never did.
    if (have.has('llm_json')) this.sealPlaintextGrants();
    else this.markGrantsSealed();
  }

  private markGrantsSealed(): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(GRANTS_SEALED_KEY, '1');
  }

  /**
   * Seals every grant an older agent kept in the clear, then rebuilds the
   * file (VACUUM) so that none is left in free pages either (those of done
   * attempts, emptied without secure_delete), and empties the WAL. Marked
   * done only once scrubbed: a disk too full to rebuild the file now is
   * tried again on the next open.
   */
  private sealPlaintextGrants(): void {
    const rows = this.db.prepare('SELECT attempt_id, llm_json FROM attempts WHERE llm_json IS NOT NULL').all() as Array<{ attempt_id: string; llm_json: string }>;
    const seal = this.db.prepare('UPDATE attempts SET llm_sealed = ?, llm_json = NULL WHERE attempt_id = ?');
    this.db.transaction(() => {
      for (const row of rows) seal.run(this.key.seal(row.llm_json, row.attempt_id), row.attempt_id);
    })();
    try {
      this.db.exec('VACUUM');
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (err) {
      if (!isStorageFull(err)) throw err;
      return;
    }
    this.markGrantsSealed();
  }

  private seal(attemptId: string, llm: LlmGrantRecord | null): Buffer | null {
    if (!llm) return null;
    const { unreadable: _unreadable, ...grant } = llm;
    return this.key.seal(JSON.stringify(grant), attemptId);
  }

  /** The grant of a row; one that does not open is reported as such (the attempt fails, saying why) rather than failing the whole journal. */
  private toAttempt(row: AttemptRow): JournalAttempt {
    if (!row.llm_sealed) return toAttempt(row, null);
    try {
      return toAttempt(row, JSON.parse(this.key.open(row.llm_sealed, row.attempt_id)) as LlmGrantRecord);
    } catch (err) {
      // Not the parser's message: it quotes what it read.
      const why = err instanceof SealedRecordError ? err.message : 'the opened record is not a grant';
      return toAttempt(row, { provider: null, token: '', unreadable: `its provider grant cannot be read back from this node's journal: ${why}` });
    }
  }

  /**
   * Held writes get one last try. What is still held is lost with the
   * process, and safely so: it was not sent, and the next start finds the
   * attempt as it was journaled and follows (or re-reads) its container.
   */
  close(): void {
    if (this.degraded) this.retryHeld();
    clearInterval(this.retryTimer);
    this.retryTimer = undefined;
    this.db.close();
  }

  /** Called after every outbox append, so the session can send at once. */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called when the journal starts or stops holding writes for lack of space. */
  onDegradedChange(listener: (degraded: boolean) => void): () => void {
    this.degradedListeners.add(listener);
    return () => this.degradedListeners.delete(listener);
  }

  /** Writes are being held: the disk is full. */
  get degraded(): boolean {
    return this.held.length > 0;
  }

  /** Why the journal holds writes ('' when it does not). */
  get degradedReason(): string {
    return this.degraded ? `the journal cannot write: ${this.lastFailure}` : '';
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }

  /**
   * Makes a write now, or holds it (in order, behind any write already held)
   * when the disk is full. Returns whether it was made now.
   */
  private write(op: () => void, kind: HeldWrite['kind'] = 'state', bytes = 0): boolean {
    if (this.held.length === 0) {
      try {
        op();
        return true;
      } catch (err) {
        if (!isStorageFull(err)) throw err;
        this.lastFailure = (err as Error).message;
      }
    }
    this.held.push({ op, kind, bytes });
    this.heldOutputBytes += bytes;
    if (this.held.length === 1) {
      for (const l of this.degradedListeners) l(true);
      this.retryTimer ??= setInterval(() => this.retryHeld(), HELD_RETRY_MS);
      this.retryTimer.unref();
    }
    return false;
  }

  /** Makes held writes in order until one fails again or none is left. Public for tests. */
  retryHeld(): void {
    let appended = false;
    while (this.held.length > 0) {
      const next = this.held[0]!;
      try {
        next.op();
      } catch (err) {
        if (isStorageFull(err)) {
          this.lastFailure = (err as Error).message;
          break;
        }
        // A write that cannot succeed at all must not block the ones behind it.
        this.lastFailure = `a held write failed: ${(err as Error).message}`;
      }
      this.held.shift();
      this.heldOutputBytes -= next.bytes;
      appended ||= next.kind !== 'state';
    }
    if (this.held.length === 0) {
      clearInterval(this.retryTimer);
      this.retryTimer = undefined;
      this.droppedOutput.clear();
      for (const l of this.degradedListeners) l(false);
    }
    if (appended) this.notify();
  }

  private appendRow(attemptId: string, taskId: string, kind: OutboxRow['kind'], atMs: number, stream: string | null, payload: Buffer | null): void {
    this.db
      .prepare('INSERT INTO outbox (attempt_id, task_id, kind, at_ms, stream, payload) VALUES (?, ?, ?, ?, ?, ?)')
      .run(attemptId, taskId, kind, atMs, stream, payload);
  }

  /**
   * Returns false if the attempt was already known (a resent Assign). Throws
   * JournalFullError when it cannot be written now: an attempt the journal
   * cannot record is not taken.
   */
  accept(attemptId: string, taskId: string, specJson: string, now: number, llm: LlmGrantRecord | null = null): boolean {
    if (this.degraded) throw new JournalFullError(this.degradedReason);
    try {
      const result = this.db
        .prepare(
          `INSERT INTO attempts (attempt_id, task_id, spec_json, state, created_at_ms, updated_at_ms, llm_sealed)
           VALUES (?, ?, ?, 'accepted', ?, ?, ?) ON CONFLICT(attempt_id) DO NOTHING`,
        )
        .run(attemptId, taskId, specJson, now, now, this.seal(attemptId, llm));
      return result.changes === 1;
    } catch (err) {
      if (!isStorageFull(err)) throw err;
      // Degraded from now on, so the node says so: a probe write is held until the disk takes it.
      this.lastFailure = (err as Error).message;
      this.write(() => this.db.prepare("INSERT INTO meta (key, value) VALUES ('disk_probe', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(now)));
      throw new JournalFullError(`the journal cannot write: ${(err as Error).message}`);
    }
  }

  get(attemptId: string): JournalAttempt | null {
    const row = this.db.prepare('SELECT * FROM attempts WHERE attempt_id = ?').get(attemptId) as AttemptRow | undefined;
    return row ? this.toAttempt(row) : null;
  }

  /** Attempts not yet done: running, or holding a result the control plane has not stored. */
  active(): JournalAttempt[] {
    return (this.db.prepare("SELECT * FROM attempts WHERE state != 'done' ORDER BY created_at_ms").all() as AttemptRow[]).map((row) => this.toAttempt(row));
  }

  setContainer(attemptId: string, containerId: string, now: number): void {
    this.write(() => this.db.prepare('UPDATE attempts SET container_id = ?, updated_at_ms = ? WHERE attempt_id = ?').run(containerId, now, attemptId));
  }

  markCancelRequested(attemptId: string, reason: string, now: number): void {
    this.write(() => this.db.prepare('UPDATE attempts SET cancel_reason = ?, updated_at_ms = ? WHERE attempt_id = ?').run(reason || 'cancelled', now, attemptId));
  }

  started(attemptId: string, taskId: string, containerId: string, now: number): void {
    const made = this.write(
      this.db.transaction(() => {
        this.db
          .prepare("UPDATE attempts SET state = 'running', container_id = ?, started_at_ms = ?, updated_at_ms = ? WHERE attempt_id = ?")
          .run(containerId, now, now, attemptId);
        this.appendRow(attemptId, taskId, 'started', now, null, Buffer.from(containerId));
      }),
      'event',
    );
    if (made) this.notify();
  }

  /** Output and how far it reaches (Docker's timestamp), in one transaction. */
  output(attemptId: string, taskId: string, stream: 'stdout' | 'stderr', data: Buffer, now: number, lastTimestamp: string): void {
    const op = this.db.transaction((chunk: Buffer, s: string) => {
      this.appendRow(attemptId, taskId, 'output', now, s, chunk);
      if (lastTimestamp) this.db.prepare('UPDATE attempts SET last_log_ts = ? WHERE attempt_id = ?').run(lastTimestamp, attemptId);
    });
    if (this.degraded && this.heldOutputBytes + data.length > this.heldOutputLimitBytes) {
      // Past the bound, output is dropped while the disk is full; the log says so once.
      if (!this.droppedOutput.has(attemptId)) {
        this.droppedOutput.add(attemptId);
        this.write(() => op(Buffer.from(`\n[fleet] output was dropped here: the node's disk was full\n`), 'stderr'), 'event');
      }
      return;
    }
    if (this.write(() => op(data, stream), 'event', data.length)) this.notify();
  }

  /** A Cline attempt's progress: kept for adoption and queued for the control plane. */
  progress(attemptId: string, taskId: string, progress: AgentProgress, now: number): void {
    const made = this.write(
      this.db.transaction(() => {
        this.db.prepare('UPDATE attempts SET usage_json = ?, updated_at_ms = ? WHERE attempt_id = ?').run(JSON.stringify(progress), now, attemptId);
        this.appendRow(attemptId, taskId, 'progress', now, null, Buffer.from(JSON.stringify(progress)));
      }),
      'event',
    );
    if (made) this.notify();
  }

  setLlm(attemptId: string, llm: LlmGrantRecord, now: number): void {
    const sealed = this.seal(attemptId, llm);
    this.write(() => this.db.prepare('UPDATE attempts SET llm_sealed = ?, updated_at_ms = ? WHERE attempt_id = ?').run(sealed, now, attemptId));
  }

  /** The gateway's count, kept at once so that a restart cannot reset a budget. */
  setUsage(attemptId: string, usage: AgentProgress, now: number): void {
    this.write(() => this.db.prepare('UPDATE attempts SET usage_json = ?, updated_at_ms = ? WHERE attempt_id = ?').run(JSON.stringify(usage), now, attemptId));
  }

  /**
   * The self-check's question: can a transaction commit now? A full disk is
   * not a failure here (writes are held and the node reports disk pressure;
   * a restart would not free space); any other error, or a lock that never
   * frees, is. The null answer means it can.
   */
  commitProblem(now: number): string | null {
    if (this.degraded) return null;
    try {
      this.db.prepare("INSERT INTO meta (key, value) VALUES ('self_check_at', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(now));
      return null;
    } catch (err) {
      return isStorageFull(err) ? null : `the journal cannot commit: ${(err as Error).message}`;
    }
  }

  getMeta(key: string): string | null {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.write(() => this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value));
  }

  /**
   * Records the outcome once; a second call for the same attempt is ignored.
   * A Cline patch (up to 8 MiB) travels in the outbox row only: the attempt
   * row, kept a day after the ack, records the outcome without it. Returns
   * false for an outcome already recorded; a held write counts as recorded.
   */
  finished(attemptId: string, taskId: string, outcome: AttemptOutcomeRecord, now: number): boolean {
    const { patchBase64: _patch, ...recorded } = outcome;
    let changed = true;
    const made = this.write(
      () =>
        (changed = this.db.transaction(() => {
          const result = this.db
            .prepare("UPDATE attempts SET state = 'finished', outcome_json = ?, finished_at_ms = ?, updated_at_ms = ? WHERE attempt_id = ? AND state IN ('accepted', 'running')")
            .run(JSON.stringify(recorded), now, now, attemptId);
          if (result.changes === 1) this.appendRow(attemptId, taskId, 'finished', now, null, Buffer.from(JSON.stringify(outcome)));
          return result.changes === 1;
        })()),
      'event',
    );
    if (made && changed) this.notify();
    return changed;
  }

  /**
   * An attempt whose outcome the control plane stored (acknowledged) and
   * then forgot: its state was restored from a backup taken before. Reports
   * `outcome` for it once more; false when the attempt is not in that case
   * (unknown, still running, or its outcome not yet acknowledged: the outbox
   * delivers that one).
   */
  reportAgain(attemptId: string, taskId: string, outcome: AttemptOutcome, now: number): boolean {
    let reported = false;
    const made = this.write(
      () =>
        (reported = this.db.transaction(() => {
          const row = this.db.prepare("SELECT state FROM attempts WHERE attempt_id = ? AND state IN ('finished', 'done')").get(attemptId);
          const unacknowledged = this.db.prepare("SELECT 1 FROM outbox WHERE attempt_id = ? AND kind = 'finished'").get(attemptId);
          if (!row || unacknowledged) return false;
          this.appendRow(attemptId, taskId, 'finished', now, null, Buffer.from(JSON.stringify(outcome)));
          return true;
        })()),
      'event',
    );
    if (made && reported) this.notify();
    return reported;
  }

  /** The provider key is needed no more once the outcome is stored: it is dropped with the rest of the grant (and zeroed, secure_delete). */
  markDone(attemptId: string, now: number): void {
    this.write(() => this.db.prepare("UPDATE attempts SET state = 'done', llm_sealed = NULL, llm_json = NULL, updated_at_ms = ? WHERE attempt_id = ?").run(now, attemptId));
  }

  /** Events after `afterSeq`, oldest first. */
  pending(afterSeq: number, limit: number): AttemptEvent[] {
    return (this.db.prepare('SELECT * FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?').all(afterSeq, limit) as OutboxRow[]).map(toEvent);
  }

  /**
   * The control plane has stored every event up to `seq`. Returns the
   * attempts whose outcome was among them: their containers may now go.
   * (Reading needs no space; the deletion may be held.)
   */
  acknowledge(seq: number): string[] {
    const finished = this.db.prepare("SELECT attempt_id FROM outbox WHERE seq <= ? AND kind = 'finished'").all(seq) as Array<{ attempt_id: string }>;
    this.write(() => this.db.prepare('DELETE FROM outbox WHERE seq <= ?').run(seq));
    return finished.map((r) => r.attempt_id);
  }

  /** Attempts whose outcome is stored by the control plane but whose container may remain (a crash after the ack). */
  acknowledgedButNotDone(): JournalAttempt[] {
    return (
      this.db
        .prepare("SELECT a.* FROM attempts a WHERE a.state = 'finished' AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.attempt_id = a.attempt_id AND o.kind = 'finished')")
        .all() as AttemptRow[]
    ).map((row) => this.toAttempt(row));
  }

  /** Events not yet acknowledged, the held ones included. */
  outboxSize(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number }).n + this.held.filter((h) => h.kind === 'event').length;
  }

  /**
   * When the oldest unacknowledged event was recorded (null: none waits). One
   * row by the primary key, cheap enough for every scrape. Events held for a
   * full disk are not in the table yet: `degraded` says so.
   */
  oldestOutboxAtMs(): number | null {
    return (this.db.prepare('SELECT at_ms FROM outbox ORDER BY seq LIMIT 1').get() as { at_ms: number } | undefined)?.at_ms ?? null;
  }

  prune(now: number): void {
    this.write(() => this.db.prepare("DELETE FROM attempts WHERE state = 'done' AND updated_at_ms < ?").run(now - DONE_RETENTION_MS));
  }
}

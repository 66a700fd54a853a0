/**
 * The agent's local journal (SQLite, WAL): the attempts it was given and the
 * outbox of events the control plane has not yet acknowledged. Every event is
 * written here before it is sent, in the same transaction as the attempt's
 * state change it reports, so a crash, a restart or a lost network loses no
 * result: the next session resends everything not yet acknowledged.
 */
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import type { AgentProgress, AttemptEvent, AttemptOutcome, ProviderGrant } from '../../common/model.js';

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
  llm_json: string | null;
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

/** Columns added after the first release; `migrate` adds them to older journals. */
const ADDED_COLUMNS: ReadonlyArray<[string, string]> = [
  ['llm_json', 'TEXT'],
  ['usage_json', 'TEXT'],
];

/**
 * Done attempts are kept this long, then pruned: while its row is there, an
 * Assign resent for an attempt this node has already run and reported is
 * recognised (`accept` finds it) and not run a second time.
 */
const DONE_RETENTION_MS = 24 * 3_600_000;

function toAttempt(row: AttemptRow): JournalAttempt {
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
    llm: row.llm_json ? (JSON.parse(row.llm_json) as LlmGrantRecord) : null,
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

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // FULL: an acknowledged-to-nobody event is still on disk after a power cut.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.migrate();
  }

  private migrate(): void {
    const have = new Set((this.db.prepare('PRAGMA table_info(attempts)').all() as Array<{ name: string }>).map((c) => c.name));
    for (const [name, type] of ADDED_COLUMNS) if (!have.has(name)) this.db.exec(`ALTER TABLE attempts ADD COLUMN ${name} ${type}`);
  }

  close(): void {
    this.db.close();
  }

  /** Called after every outbox append, so the session can send at once. */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }

  private appendRow(attemptId: string, taskId: string, kind: OutboxRow['kind'], atMs: number, stream: string | null, payload: Buffer | null): void {
    this.db
      .prepare('INSERT INTO outbox (attempt_id, task_id, kind, at_ms, stream, payload) VALUES (?, ?, ?, ?, ?, ?)')
      .run(attemptId, taskId, kind, atMs, stream, payload);
  }

  /** Returns false if the attempt was already known (a resent Assign). */
  accept(attemptId: string, taskId: string, specJson: string, now: number, llm: LlmGrantRecord | null = null): boolean {
    const result = this.db
      .prepare(
        `INSERT INTO attempts (attempt_id, task_id, spec_json, state, created_at_ms, updated_at_ms, llm_json)
         VALUES (?, ?, ?, 'accepted', ?, ?, ?) ON CONFLICT(attempt_id) DO NOTHING`,
      )
      .run(attemptId, taskId, specJson, now, now, llm ? JSON.stringify(llm) : null);
    return result.changes === 1;
  }

  get(attemptId: string): JournalAttempt | null {
    const row = this.db.prepare('SELECT * FROM attempts WHERE attempt_id = ?').get(attemptId) as AttemptRow | undefined;
    return row ? toAttempt(row) : null;
  }

  /** Attempts not yet done: running, or holding a result the control plane has not stored. */
  active(): JournalAttempt[] {
    return (this.db.prepare("SELECT * FROM attempts WHERE state != 'done' ORDER BY created_at_ms").all() as AttemptRow[]).map(toAttempt);
  }

  setContainer(attemptId: string, containerId: string, now: number): void {
    this.db.prepare('UPDATE attempts SET container_id = ?, updated_at_ms = ? WHERE attempt_id = ?').run(containerId, now, attemptId);
  }

  markCancelRequested(attemptId: string, reason: string, now: number): void {
    this.db.prepare('UPDATE attempts SET cancel_reason = ?, updated_at_ms = ? WHERE attempt_id = ?').run(reason || 'cancelled', now, attemptId);
  }

  started(attemptId: string, taskId: string, containerId: string, now: number): void {
    this.db.transaction(() => {
      this.db
        .prepare("UPDATE attempts SET state = 'running', container_id = ?, started_at_ms = ?, updated_at_ms = ? WHERE attempt_id = ?")
        .run(containerId, now, now, attemptId);
      this.appendRow(attemptId, taskId, 'started', now, null, Buffer.from(containerId));
    })();
    this.notify();
  }

  /** Output and how far it reaches (Docker's timestamp), in one transaction. */
  output(attemptId: string, taskId: string, stream: 'stdout' | 'stderr', data: Buffer, now: number, lastTimestamp: string): void {
    this.db.transaction(() => {
      this.appendRow(attemptId, taskId, 'output', now, stream, data);
      if (lastTimestamp) this.db.prepare('UPDATE attempts SET last_log_ts = ? WHERE attempt_id = ?').run(lastTimestamp, attemptId);
    })();
    this.notify();
  }

  /** A Cline attempt's progress: kept for adoption and queued for the control plane. */
  progress(attemptId: string, taskId: string, progress: AgentProgress, now: number): void {
    this.db.transaction(() => {
      this.db.prepare('UPDATE attempts SET usage_json = ?, updated_at_ms = ? WHERE attempt_id = ?').run(JSON.stringify(progress), now, attemptId);
      this.appendRow(attemptId, taskId, 'progress', now, null, Buffer.from(JSON.stringify(progress)));
    })();
    this.notify();
  }

  setLlm(attemptId: string, llm: LlmGrantRecord, now: number): void {
    this.db.prepare('UPDATE attempts SET llm_json = ?, updated_at_ms = ? WHERE attempt_id = ?').run(JSON.stringify(llm), now, attemptId);
  }

  /** The gateway's count, kept at once so that a restart cannot reset a budget. */
  setUsage(attemptId: string, usage: AgentProgress, now: number): void {
    this.db.prepare('UPDATE attempts SET usage_json = ?, updated_at_ms = ? WHERE attempt_id = ?').run(JSON.stringify(usage), now, attemptId);
  }

  getMeta(key: string): string | null {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /**
   * Records the outcome once; a second call for the same attempt is ignored.
   * A Cline patch (up to 8 MiB) travels in the outbox row only: the attempt
   * row, kept a day after the ack, records the outcome without it.
   */
  finished(attemptId: string, taskId: string, outcome: AttemptOutcomeRecord, now: number): boolean {
    const { patchBase64: _patch, ...recorded } = outcome;
    const changed = this.db.transaction(() => {
      const result = this.db
        .prepare("UPDATE attempts SET state = 'finished', outcome_json = ?, finished_at_ms = ?, updated_at_ms = ? WHERE attempt_id = ? AND state IN ('accepted', 'running')")
        .run(JSON.stringify(recorded), now, now, attemptId);
      if (result.changes === 1) this.appendRow(attemptId, taskId, 'finished', now, null, Buffer.from(JSON.stringify(outcome)));
      return result.changes === 1;
    })();
    if (changed) this.notify();
    return changed;
  }

  /** The provider key is needed no more once the outcome is stored: it is dropped with the rest of the grant. */
  markDone(attemptId: string, now: number): void {
    this.db.prepare("UPDATE attempts SET state = 'done', llm_json = NULL, updated_at_ms = ? WHERE attempt_id = ?").run(now, attemptId);
  }

  /** Events after `afterSeq`, oldest first. */
  pending(afterSeq: number, limit: number): AttemptEvent[] {
    return (this.db.prepare('SELECT * FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?').all(afterSeq, limit) as OutboxRow[]).map(toEvent);
  }

  /**
   * The control plane has stored every event up to `seq`. Returns the
   * attempts whose outcome was among them: their containers may now go.
   */
  acknowledge(seq: number): string[] {
    return this.db.transaction(() => {
      const finished = this.db.prepare("SELECT attempt_id FROM outbox WHERE seq <= ? AND kind = 'finished'").all(seq) as Array<{ attempt_id: string }>;
      this.db.prepare('DELETE FROM outbox WHERE seq <= ?').run(seq);
      return finished.map((r) => r.attempt_id);
    })();
  }

  /** Attempts whose outcome is stored by the control plane but whose container may remain (a crash after the ack). */
  acknowledgedButNotDone(): JournalAttempt[] {
    return (
      this.db
        .prepare("SELECT a.* FROM attempts a WHERE a.state = 'finished' AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.attempt_id = a.attempt_id AND o.kind = 'finished')")
        .all() as AttemptRow[]
    ).map(toAttempt);
  }

  outboxSize(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number }).n;
  }

  prune(now: number): void {
    this.db.prepare("DELETE FROM attempts WHERE state = 'done' AND updated_at_ms < ?").run(now - DONE_RETENTION_MS);
  }
}

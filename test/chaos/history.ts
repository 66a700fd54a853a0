/**
 * What happened during a chaos run, and the checks over it. Pure: the
 * runner collects, this judges, so the judging is unit-tested. Each
 * violation names the invariant it breaks, numbered as in docs/DESIGN.md.
 */

export interface Submission {
  key: string;
  taskId: string | null;
  /** When the control plane acknowledged it (null: never acknowledged). */
  ackedAtMs: number | null;
}

export interface RecordedAttempt {
  id: string;
  nodeId: string;
  state: string;
  exitCode: number | null;
  assignedAtMs: number;
}

export interface RecordedTask {
  id: string;
  key: string;
  state: string;
  attempts: RecordedAttempt[];
}

/** What an agent's journal says an attempt ended with. */
export interface JournaledOutcome {
  attemptId: string;
  state: string;
  exitCode: number | null;
}

export interface ContainerLife {
  taskId: string;
  attemptId: string;
  startNs: bigint;
  dieNs: bigint | null;
}

export interface FaultRecord {
  kind: string;
  target: string;
  atMs: number;
}

export interface History {
  submissions: Submission[];
  tasks: RecordedTask[];
  journals: JournaledOutcome[];
  containers: ContainerLife[];
  containersLeft: number;
  faults: FaultRecord[];
}

export interface Verdict {
  violations: string[];
  acknowledged: number;
  terminal: Record<string, number>;
  attempts: number;
  lostAttempts: number;
  /** For each leader kill: ms until the next assignment. */
  leaderKillGapsMs: number[];
  /** For each nats-server kill: ms until the next acknowledged submission. */
  natsKillGapsMs: number[];
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT']);

export function judge(h: History): Verdict {
  const violations: string[] = [];
  const acked = h.submissions.filter((s) => s.ackedAtMs !== null);
  const byKey = new Map<string, RecordedTask[]>();
  const seen = new Set<string>();
  for (const task of h.tasks) {
    // Two tasks for one key and one task listed twice are different faults: name which.
    if (seen.has(task.id)) {
      violations.push(`ListTasks named task ${task.id} twice`);
      continue;
    }
    seen.add(task.id);
    byKey.set(task.key, [...(byKey.get(task.key) ?? []), task]);
  }

  // Invariant 1: every acknowledged submission is one task, and it ended.
  const terminal: Record<string, number> = {};
  for (const s of acked) {
    const tasks = byKey.get(s.key) ?? [];
    if (tasks.length === 0) violations.push(`invariant 1: acknowledged submission ${s.key} (${s.taskId}) was lost`);
    if (tasks.length > 1) violations.push(`invariant 1: submission ${s.key} made ${tasks.length} tasks (${tasks.map((t) => t.id).join(', ')})`);
    for (const t of tasks) {
      if (!TERMINAL.has(t.state)) violations.push(`invariant 1: task ${t.id} never ended (still ${t.state})`);
      terminal[t.state] = (terminal[t.state] ?? 0) + 1;
    }
  }

  // Invariant 2: no two attempts of a task were alive at once (Docker's clock)...
  // An engine restarted since keeps no events from before: a start it forgot
  // is bounded below by the attempt's assignment (no container runs before it).
  const assignedNs = new Map(h.tasks.flatMap((t) => t.attempts.map((a) => [a.id, BigInt(Math.max(0, Math.floor(a.assignedAtMs))) * 1_000_000n] as const)));
  const lives = new Map<string, ContainerLife[]>();
  for (const raw of h.containers) {
    const c = raw.startNs === 0n ? { ...raw, startNs: assignedNs.get(raw.attemptId) ?? 0n } : raw;
    lives.set(c.taskId, [...(lives.get(c.taskId) ?? []), c]);
  }
  for (const [taskId, list] of lives) {
    const sorted = [...list].sort((a, b) => (a.startNs < b.startNs ? -1 : 1));
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1]!;
      if (prev.dieNs === null || prev.dieNs > sorted[i]!.startNs) violations.push(`invariant 2: task ${taskId}: attempts ${prev.attemptId} and ${sorted[i]!.attemptId} overlapped`);
    }
  }

  // ... and only the current attempt's result was accepted; invariant 3: it is what the node reported.
  const journaled = new Map(h.journals.map((j) => [j.attemptId, j]));
  for (const task of h.tasks) {
    const succeeded = task.attempts.filter((a) => a.state === 'SUCCEEDED');
    if (succeeded.length > 1) violations.push(`invariant 2: task ${task.id}: ${succeeded.length} attempts accepted as SUCCEEDED`);
    if (task.state === 'SUCCEEDED' && task.attempts.at(-1)?.state !== 'SUCCEEDED') violations.push(`invariant 2: task ${task.id}: SUCCEEDED by an attempt that is not its last`);
    for (const a of task.attempts) {
      if (a.state === 'LOST' || a.state === 'ASSIGNED' || a.state === 'RUNNING') continue;
      const j = journaled.get(a.id);
      if (!j) continue; // the agent's journal was pruned or the attempt never reached an agent
      if (j.state !== a.state || (a.exitCode !== null && j.exitCode !== a.exitCode)) {
        violations.push(`invariant 3: task ${task.id}: attempt ${a.id} recorded ${a.state}/${a.exitCode} but its node journaled ${j.state}/${j.exitCode}`);
      }
    }
  }

  // Invariant 4: nothing left behind.
  if (h.containersLeft > 0) violations.push(`invariant 4: ${h.containersLeft} fleet container(s) left on the nodes`);

  const assignments = h.tasks.flatMap((t) => t.attempts.map((a) => a.assignedAtMs)).sort((a, b) => a - b);
  const firstAfter = (ms: number, times: number[]) => times.find((x) => x > ms);
  const leaderKillGapsMs = h.faults.filter((f) => f.kind === 'kill-leader').flatMap((f) => {
    const next = firstAfter(f.atMs, assignments);
    return next === undefined ? [] : [next - f.atMs];
  });
  const ackTimes = acked.map((s) => s.ackedAtMs!).sort((a, b) => a - b);
  const natsKillGapsMs = h.faults.filter((f) => f.kind === 'kill-nats').flatMap((f) => {
    const next = firstAfter(f.atMs, ackTimes);
    return next === undefined ? [] : [next - f.atMs];
  });
  return {
    violations,
    acknowledged: acked.length,
    terminal,
    attempts: h.tasks.reduce((n, t) => n + t.attempts.length, 0),
    lostAttempts: h.tasks.reduce((n, t) => n + t.attempts.filter((a) => a.state === 'LOST').length, 0),
    leaderKillGapsMs,
    natsKillGapsMs,
  };
}

export function percentile(values: number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

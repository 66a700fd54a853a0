/**
 * The simulated nodes from the parent's side: simulator processes
 * (`sim-proc.ts`), the nodes dealt out among them round robin, and
 * everything they measure gathered here as it arrives.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { emptyCounters, type AssignRecord, type ChildMessage, type OutcomeRecord, type ParentMessage, type SimCounters, type SimNodeSpec, type SimProgress, type SimSettings } from './protocol.js';
import { progress } from './stats.js';

const STOP_TIMEOUT_MS = 30_000;

/** `waitUntil` gave up: what it waited for did not happen in time. */
export class WaitTimeout extends Error {}

/** For a wait whose timeout is a finding, not a failure: says so on stderr and goes on. */
export function reportTimeout(err: unknown): void {
  if (!(err instanceof WaitTimeout)) throw err;
  progress(err.message);
}

interface SimProc {
  child: ChildProcess;
  progress: SimProgress;
  enrollMs: number[] | undefined;
  connected: boolean;
  awaiting: number | undefined;
  flushes: number;
  counters: SimCounters | undefined;
}

export class SimFleet {
  /** Every Assign a node received, by task id, in the order they arrived here. */
  readonly assignsByTask = new Map<string, AssignRecord[]>();
  /** Stored outcomes (the `finished` event acknowledged), by attempt id. */
  readonly outcomes = new Map<string, OutcomeRecord>();
  /** [sent at, ms until acknowledged] for every heartbeat. */
  readonly heartbeats: Array<[number, number]> = [];
  /** [started connecting at, ms until first welcomed] for every node. */
  readonly connects: Array<[number, number]> = [];
  private readonly procs: SimProc[];
  private readonly waiters = new Set<() => void>();
  private failure: Error | undefined;
  private stopping = false;

  constructor(processes: number) {
    this.procs = Array.from({ length: processes }, () => this.spawn());
  }

  get pids(): number[] {
    return this.procs.map((p) => p.child.pid!);
  }

  get progress(): SimProgress {
    return this.procs.reduce(
      (sum, { progress: p }) => ({
        enrolled: sum.enrolled + p.enrolled,
        ready: sum.ready + p.ready,
        reconnected: sum.reconnected + p.reconnected,
        lastReconnectAtMs: Math.max(sum.lastReconnectAtMs, p.lastReconnectAtMs),
      }),
      { enrolled: 0, ready: 0, reconnected: 0, lastReconnectAtMs: 0 },
    );
  }

  /** When the task's (first) attempt had its SUCCEEDED outcome stored, if it has. */
  succeededAt(taskId: string): number | undefined {
    const assigned = this.assignsByTask.get(taskId)?.[0];
    const outcome = assigned && this.outcomes.get(assigned.attemptId);
    return outcome?.state === 'SUCCEEDED' ? outcome.atMs : undefined;
  }

  /**
   * Enrolls every node, the settings' concurrency shared by all processes;
   * resolves with each node's enrollment time (ms).
   */
  async enroll(nodes: SimNodeSpec[], settings: SimSettings, timeoutMs: number): Promise<number[]> {
    const share = (n: number) => Math.ceil(n / this.procs.length);
    const perProc = { ...settings, enrollConcurrency: share(settings.enrollConcurrency), connectConcurrency: share(settings.connectConcurrency) };
    this.procs.forEach((proc, i) => this.send(proc, { type: 'enroll', nodes: nodes.filter((_, n) => n % this.procs.length === i), settings: perProc }));
    await this.waitUntil('every node enrolled', () => this.procs.every((p) => p.enrollMs), timeoutMs);
    return this.procs.flatMap((p) => p.enrollMs!);
  }

  /** Opens every node's session; resolves when each has had its first heartbeat acknowledged. */
  async connect(timeoutMs: number): Promise<void> {
    for (const proc of this.procs) this.send(proc, { type: 'connect' });
    await this.waitUntil('every node connected', () => this.procs.every((p) => p.connected), timeoutMs);
  }

  /**
   * Before `endpoint` restarts: from now on `progress.reconnected` counts the
   * nodes connected to it that are welcomed again. Resolves with how many are.
   */
  async mark(endpoint: string): Promise<number> {
    for (const proc of this.procs) {
      proc.awaiting = undefined;
      proc.progress = { ...proc.progress, reconnected: 0, lastReconnectAtMs: 0 };
      this.send(proc, { type: 'mark', endpoint });
    }
    await this.waitUntil('the simulators to count the connected nodes', () => this.procs.every((p) => p.awaiting !== undefined), STOP_TIMEOUT_MS);
    return this.procs.reduce((sum, p) => sum + p.awaiting!, 0);
  }

  /** Resolves when every measurement the simulators took until now has arrived here. */
  async flush(): Promise<void> {
    const expected = this.procs.map((p) => p.flushes + 1);
    for (const proc of this.procs) this.send(proc, { type: 'flush' });
    await this.waitUntil('the simulators to send their measurements', () => this.procs.every((p, i) => p.flushes >= expected[i]!), STOP_TIMEOUT_MS);
  }

  /** Resolves when `predicate` holds, checked on every message from a simulator; rejects if one fails. */
  waitUntil(what: string, predicate: () => boolean, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      const check = () => {
        if (this.failure) {
          done();
          reject(this.failure);
        } else if (predicate()) {
          done();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new WaitTimeout(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** Closes every session and ends the processes; resolves with their counters summed. */
  async stop(): Promise<SimCounters> {
    this.stopping = true;
    const live = this.procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
    for (const proc of live) this.send(proc, { type: 'stop' });
    await Promise.all(
      live.map(
        (p) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => p.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
            p.child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
          }),
      ),
    );
    const sum = emptyCounters();
    for (const { counters } of this.procs) {
      if (!counters) continue;
      sum.enrollRetries += counters.enrollRetries;
      sum.reconnects += counters.reconnects;
      sum.duplicateAssigns += counters.duplicateAssigns;
      sum.cancels += counters.cancels;
      sum.unreadableMessages += counters.unreadableMessages;
      for (const [reason, n] of Object.entries(counters.why)) sum.why[reason] = (sum.why[reason] ?? 0) + n;
    }
    return sum;
  }

  private spawn(): SimProc {
    const child = fork(fileURLToPath(new URL('./sim-proc.js', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const proc: SimProc = { child, progress: { enrolled: 0, ready: 0, reconnected: 0, lastReconnectAtMs: 0 }, enrollMs: undefined, connected: false, awaiting: undefined, flushes: 0, counters: undefined };
    child.on('message', (message: ChildMessage) => this.onMessage(proc, message));
    child.on('exit', (code, signal) => {
      if (!this.stopping) this.fail(new Error(`simulator process ${child.pid} exited unexpectedly (${signal ?? `code ${code}`})`));
    });
    return proc;
  }

  private send(proc: SimProc, message: ParentMessage): void {
    proc.child.send(message);
  }

  private onMessage(proc: SimProc, message: ChildMessage): void {
    switch (message.type) {
      case 'progress':
        proc.progress = message.progress;
        break;
      case 'samples': {
        const { assigns, outcomes, heartbeats, connects } = message.batch;
        for (const a of assigns) {
          const forTask = this.assignsByTask.get(a.taskId);
          if (forTask) forTask.push(a);
          else this.assignsByTask.set(a.taskId, [a]);
        }
        for (const o of outcomes) this.outcomes.set(o.attemptId, o);
        for (const h of heartbeats) this.heartbeats.push(h);
        for (const c of connects) this.connects.push(c);
        break;
      }
      case 'enrolled':
        proc.enrollMs = message.enrollMs;
        break;
      case 'connected':
        proc.connected = true;
        break;
      case 'marked':
        proc.awaiting = message.awaiting;
        break;
      case 'flushed':
        proc.flushes++;
        break;
      case 'stopped':
        proc.counters = message.counters;
        break;
      case 'failed':
        this.fail(new Error(`simulator process ${proc.child.pid}: ${message.message}`));
        break;
    }
    for (const check of [...this.waiters]) check();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const check of [...this.waiters]) check();
  }
}

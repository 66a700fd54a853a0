/**
 * CPU time and resident memory of the processes under test, sampled from
 * /proc every 250 ms: utime+stime from /proc/PID/stat, VmRSS from
 * /proc/PID/status. CPU over a window is the growth of each process's CPU
 * time between the samples at its ends (a process that was not alive at
 * both ends is left out); peak RSS is the largest sum over a group's
 * processes in any sample inside the window. The whole machine's busy time
 * (/proc/stat) is sampled too: on a shared machine it shows what else ran.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { nowMs } from './protocol.js';

export type ProcessGroup = 'controlPlane' | 'nats' | 'bench';

const SAMPLE_EVERY_MS = 250;

/** Clock ticks per second, the unit of utime and stime. */
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

interface ProcessSample {
  group: ProcessGroup;
  cpuMs: number;
  rssKb: number;
}

interface Sample {
  atMs: number;
  processes: Map<number, ProcessSample>;
  /** CPU time of all processors, not idle nor waiting for I/O. */
  machineBusyMs: number;
}

function readStat(pid: number): { ppid: number; command: string; cpuMs: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command is in parentheses and may itself contain spaces or ")".
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return { ppid: Number(fields[1]), command: stat.slice(stat.indexOf('(') + 1, close), cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS };
  } catch {
    return null;
  }
}

function readMachineBusyMs(): number {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is in user already).
  const busy = ticks.slice(0, 8).reduce((sum, t, i) => (i === 3 || i === 4 ? sum : sum + t), 0);
  return (busy * 1000) / CLOCK_TICKS;
}

function readRssKb(pid: number): number | null {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return null;
  }
}

/** Child processes of `parent` running `command` (e.g. the nats-server a control plane started). */
export function childProcesses(parent: number, command: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      const stat = readStat(pid);
      return stat !== null && stat.ppid === parent && stat.command === command;
    });
}

export class ProcessSampler {
  private readonly tracked = new Map<number, ProcessGroup>();
  private readonly samples: Sample[] = [];
  private readonly timer = setInterval(() => this.sample(), SAMPLE_EVERY_MS);

  /** Samples these processes from now on, as part of `group`. */
  track(group: ProcessGroup, pids: readonly number[]): void {
    for (const pid of pids) this.tracked.set(pid, group);
  }

  /** Takes a sample now (at the edges of a window, so that it starts and ends exactly there); returns its time. */
  sample(): number {
    const atMs = nowMs();
    const processes = new Map<number, ProcessSample>();
    for (const [pid, group] of this.tracked) {
      const stat = readStat(pid);
      const rssKb = readRssKb(pid);
      if (stat === null || rssKb === null) {
        this.tracked.delete(pid);
        continue;
      }
      processes.set(pid, { group, cpuMs: stat.cpuMs, rssKb });
    }
    this.samples.push({ atMs, processes, machineBusyMs: readMachineBusyMs() });
    return atMs;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** CPU used by the group from `fromMs` to `toMs`, in cores (1 = one core busy all the time). */
  cpuCores(group: ProcessGroup, fromMs: number, toMs: number): number {
    const edges = this.edges(fromMs, toMs);
    if (!edges) return 0;
    const [first, last] = edges;
    let cpuMs = 0;
    for (const [pid, end] of last.processes) {
      const start = first.processes.get(pid);
      if (end.group === group && start) cpuMs += end.cpuMs - start.cpuMs;
    }
    return cpuMs / (last.atMs - first.atMs);
  }

  /** CPU used by every process on the machine, in cores. */
  machineCpuCores(fromMs: number, toMs: number): number {
    const edges = this.edges(fromMs, toMs);
    if (!edges) return 0;
    const [first, last] = edges;
    return (last.machineBusyMs - first.machineBusyMs) / (last.atMs - first.atMs);
  }

  /** The first and last samples inside the window, if it holds two. */
  private edges(fromMs: number, toMs: number): [Sample, Sample] | null {
    const first = this.samples.find((s) => s.atMs >= fromMs);
    const last = this.samples.findLast((s) => s.atMs <= toMs);
    return first && last && last.atMs > first.atMs ? [first, last] : null;
  }

  /** The group's largest resident memory (summed over its processes) in any sample of the window, in MB. */
  peakRssMb(group: ProcessGroup, fromMs: number, toMs: number): number {
    let peakKb = 0;
    for (const s of this.samples) {
      if (s.atMs < fromMs || s.atMs > toMs) continue;
      let kb = 0;
      for (const p of s.processes.values()) if (p.group === group) kb += p.rssKb;
      peakKb = Math.max(peakKb, kb);
    }
    return peakKb / 1024;
  }
}

/**
 * The fault schedule: a pure function of (seed, duration, what exists), so a
 * seed replays exactly the same faults at the same offsets. Each fault
 * carries its own recovery (restart, SIGCONT, link up) after `holdMs`.
 */

export type FaultKind = 'kill-leader' | 'kill-follower' | 'kill-nats' | 'pause-replica' | 'kill-agent' | 'cut-agent' | 'restart-engine' | 'fill-disk';

export interface Fault {
  atMs: number;
  kind: FaultKind;
  /** Which of its kind, by index (a follower is picked among non-leaders when it runs). */
  target: number;
  holdMs: number;
}

export interface FaultPlanOptions {
  seed: number;
  durationMs: number;
  natsServers: number;
  agents: number;
  /** Whether an agent runs in a network namespace that can be cut. */
  cuttableAgent: boolean;
  /** Whether an agent runs on a private Docker engine that can be restarted. */
  restartableEngine: boolean;
  /** Whether an agent's data dir is a small file system that can be filled. */
  fillableDisk: boolean;
  leaseTtlMs: number;
}

/** mulberry32: small, fast, and the same sequence on every machine for a seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GAP_MS = [3_000, 6_000] as const;

export function planFaults(o: FaultPlanOptions): Fault[] {
  const random = seededRandom(o.seed);
  const between = (lo: number, hi: number) => Math.round(lo + random() * (hi - lo));
  const kinds: FaultKind[] = [
    'kill-leader',
    'kill-follower',
    'kill-nats',
    'pause-replica',
    'kill-agent',
    ...(o.cuttableAgent ? (['cut-agent'] as const) : []),
    ...(o.restartableEngine ? (['restart-engine'] as const) : []),
    ...(o.fillableDisk ? (['fill-disk'] as const) : []),
  ];
  const faults: Fault[] = [];
  // Leave the first seconds for the fleet to settle under load.
  let at = 5_000;
  for (let i = 0; ; i++) {
    // Every kind comes up early (a short run still sees each once); then at random.
    const kind = i < kinds.length ? kinds[i]! : kinds[Math.floor(random() * kinds.length)]!;
    const holdMs =
      kind === 'pause-replica'
        ? o.leaseTtlMs * 2
        : kind === 'cut-agent' || kind === 'fill-disk'
          ? between(2_000, 8_000)
          : kind === 'kill-nats'
            ? between(2_000, 5_000)
            : between(1_000, 3_000);
    const target = kind === 'kill-nats' ? Math.floor(random() * o.natsServers) : kind === 'kill-agent' ? Math.floor(random() * o.agents) : Math.floor(random() * 3);
    if (at + holdMs > o.durationMs) break;
    faults.push({ atMs: at, kind, target, holdMs });
    at += holdMs + between(...GAP_MS);
  }
  return faults;
}

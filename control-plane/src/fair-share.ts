/**
 * Weighted fair share of the slots among teams (the scheduler asks it which
 * team's task goes next). Each team's *served* time is the slot time it held,
 * decayed with time constant τ (what it held long ago counts less), so a team
 * that keeps r slots has served → r·τ. The next slot goes to the team with
 * work waiting whose
 *
 *     (served + (running + placed this pass) · HELD_WEIGHT_MS) / weight
 *
 * is lowest. Served time decides (over a run each team gets its weight's
 * share of the slot time, also where slots are too few to split by weight at
 * any one moment: 2:1 on four slots is 3:1 and 2:2 in turn); the held term,
 * small beside it, spreads the slots one pass places. A team that starts
 * waiting after a time without work banks no credit (`activate`).
 */

/** How long served time is remembered (the decay's time constant). */
export const FAIR_SHARE_TAU_MS = 300_000;
/**
 * What a slot held now weighs against served time: enough to spread one
 * pass's placements, small beside τ so that served time decides. (With the
 * two equal, the leak of the decay left a steady error: 3:2 on four slots
 * came out 1.2:1 in the simulation of scheduler-teams.test.ts.)
 */
export const HELD_WEIGHT_MS = 5_000;

export class FairShare {
  private readonly served = new Map<string, number>();
  /** The slots each team held after the last pass: what it holds until the next (slots free between passes only as tasks end, which brings a pass). */
  private held = new Map<string, number>();
  private lastMs: number | undefined;
  /** The teams with work waiting or running at the last pass. */
  private active = new Set<string>();

  constructor(private readonly tauMs: number = FAIR_SHARE_TAU_MS) {}

  /**
   * A team that starts competing for slots after a time without (with work
   * that could not run: its budget spent, its running limit reached) banks
   * no credit: its served time per weight is raised to the lowest of the
   * teams that were competing already and hold slots, so it gets its share
   * from now on, neither everything until it has caught up nor nothing. The
   * floor is taken over teams holding slots only: a team that waits without
   * being served has served time that only falls, and would take the floor
   * down with it.
   */
  activate(active: ReadonlySet<string>, weight: (team: string) => number): void {
    let floor = Infinity;
    for (const team of this.active) if (active.has(team) && (this.held.get(team) ?? 0) > 0) floor = Math.min(floor, (this.served.get(team) ?? 0) / weight(team));
    if (floor !== Infinity) {
      for (const team of active) {
        if (this.active.has(team)) continue;
        this.served.set(team, Math.max(this.served.get(team) ?? 0, floor * weight(team)));
      }
    }
    this.active = new Set(active);
  }

  /** Brings served time up to `now`, each team having held since the last pass what it held after it. */
  advance(now: number): void {
    const dt = this.lastMs === undefined ? 0 : Math.max(0, now - this.lastMs);
    this.lastMs = now;
    const decay = Math.exp(-dt / this.tauMs);
    // Slot time held over dt, decayed as it accrues: r·τ·(1 - e^(-dt/τ)).
    const gain = this.tauMs * (1 - decay);
    for (const team of new Set([...this.served.keys(), ...this.held.keys()])) {
      const value = (this.served.get(team) ?? 0) * decay + (this.held.get(team) ?? 0) * gain;
      // Forgotten once it is a thousandth of a slot-τ and the team holds nothing: the map holds teams that ran lately.
      if (value < this.tauMs / 1000 && !this.held.get(team)) this.served.delete(team);
      else this.served.set(team, value);
    }
  }

  /** What each team holds now that the pass has placed its tasks. */
  hold(held: ReadonlyMap<string, number>): void {
    this.held = new Map(held);
  }

  /** The team's place in line for the next slot: lower goes first. */
  key(team: string, weight: number, held: number): number {
    return ((this.served.get(team) ?? 0) + held * HELD_WEIGHT_MS) / weight;
  }

  /** Teams remembered (for tests and metrics). */
  get size(): number {
    return this.served.size;
  }
}

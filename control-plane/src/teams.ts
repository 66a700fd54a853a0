/**
 * Teams and what they spend (common/teams.ts has the rules). Every replica
 * keeps both buckets in memory: the teams (settings, read by submissions and
 * the scheduler) and each team's spend per UTC day, which node sessions add
 * to as gateways report it. From the spend each replica works out which
 * teams' budgets are gone and tells its nodes (`onSpentChange`), so the
 * gateways stop calling for them; the leader's scheduler starts no Cline
 * attempt for such a team.
 *
 * Reports for one team and day are summed while a write for them is under
 * way, so a replica's writes to a team's record are bounded by the store's
 * round trip, not by how many nodes report (as in `provider-rates.ts`).
 */
import type { Clock } from '../../common/clock.js';
import { errorMessage, NotFoundError, PreconditionError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { applyTeamSettings, budgetDay, budgetSpent, DEFAULT_TEAM_SETTINGS, nextBudgetDayMs, type TeamSettings, type TeamSpend } from '../../common/teams.js';
import type { KvRecords } from './store/kv-records.js';
import { KeyedView } from './store/keyed-view.js';
import type { TeamDayRecord, TeamRecord } from './store/records.js';

/** Tries at one record, conflicts with other replicas included, before a report is answered "not counted" (the node sends it again). */
const WRITE_ATTEMPTS = 50;
const NO_SPEND: TeamSpend = { tokens: 0, costUsd: 0 };

export type TeamInput = Parameters<typeof applyTeamSettings>[1];

interface Waiting {
  tokens: number;
  costUsd: number;
  resolve: (counted: boolean) => void;
}

export function spendKey(team: string, day: string): string {
  return `${team}.${day}`;
}

export class Teams {
  private teamsView: KeyedView<TeamRecord> | undefined;
  private spendView: KeyedView<TeamDayRecord> | undefined;
  private readonly queues = new Map<string, Waiting[]>();
  private readonly busy = new Set<string>();
  private readonly spentListeners = new Set<(spent: ReadonlyMap<string, string>) => void>();
  private readonly settingsListeners = new Set<() => void>();
  private spentNow: Map<string, string> = new Map();
  private dayTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly records: KvRecords<TeamRecord>,
    private readonly spend: KvRecords<TeamDayRecord>,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Resolves once both buckets are held in memory. */
  async start(): Promise<void> {
    this.teamsView = new KeyedView(this.records, this.log, () => {
      this.recompute();
      for (const listener of this.settingsListeners) listener();
    });
    this.spendView = new KeyedView(this.spend, this.log, () => this.recompute());
    await Promise.all([this.teamsView.start(), this.spendView.start()]);
    this.recompute();
  }

  stop(): void {
    this.teamsView?.stop();
    this.spendView?.stop();
    clearTimeout(this.dayTimer);
  }

  /** Creates the team or changes what `input` gives; the rest keeps its value. */
  async set(name: string, input: TeamInput, by: string): Promise<TeamRecord> {
    const now = this.clock.now();
    let stored: TeamRecord | undefined;
    await this.records.upsert(name, (existing) => {
      const settings = applyTeamSettings(existing ?? DEFAULT_TEAM_SETTINGS, input);
      stored = { name, ...settings, createdAtMs: existing?.createdAtMs ?? now, updatedAtMs: now, updatedBy: by };
      return stored;
    });
    // This replica serves what it just wrote, before its watch brings it back.
    this.teamsView?.remember(name, stored!);
    this.recompute();
    this.log.info({ team: name, ...settingsOf(stored!), by }, 'team set');
    return stored!;
  }

  list(): TeamRecord[] {
    return [...(this.teamsView?.all() ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The team, from the view, or the store when it was made a moment ago on another replica. */
  async get(name: string): Promise<TeamRecord> {
    const found = this.teamsView?.get(name) ?? (await this.records.get(name))?.value;
    if (!found) throw new NotFoundError(`team "${name}" not found (fleetctl team list shows them; an admin makes one with fleetctl team set ${name})`);
    return found;
  }

  /** A submission names a team that exists: a typo fails at once, not as a team nobody set limits for. */
  async require(name: string): Promise<TeamRecord> {
    const found = this.teamsView?.get(name) ?? (await this.records.get(name))?.value;
    if (!found) throw new PreconditionError(`team "${name}" does not exist: an admin makes it with fleetctl team set ${name} (fleetctl team list shows the teams)`);
    return found;
  }

  /** A team's settings as this replica sees them; a team not (or no longer) known has the defaults. */
  settings(name: string): TeamSettings {
    const t = this.teamsView?.get(name);
    return t ? settingsOf(t) : DEFAULT_TEAM_SETTINGS;
  }

  /** What the team spent on the day of `now`, fleet-wide, as last watched. */
  spentOn(name: string, now: number): TeamSpend & { day: string } {
    const day = budgetDay(now);
    const r = this.spendView?.get(spendKey(name, day));
    return { tokens: r?.tokens ?? 0, costUsd: r?.costUsd ?? 0, day };
  }

  /** Why the team's Cline tasks may not run now (its budget of the day is gone), or null. */
  blocked(name: string, now: number): string | null {
    if (!name) return null;
    const spent = this.spentOn(name, now);
    return budgetSpent(name, this.settings(name), spent, spent.day);
  }

  /** The teams whose budgets are gone now, and why. */
  spent(): ReadonlyMap<string, string> {
    return this.spentNow;
  }

  /** Told whenever a team's settings change (any replica's `team set`). */
  onSettingsChange(listener: () => void): () => void {
    this.settingsListeners.add(listener);
    return () => this.settingsListeners.delete(listener);
  }

  /** Told whenever the set of teams out of budget changes (a new day included). */
  onSpentChange(listener: (spent: ReadonlyMap<string, string>) => void): () => void {
    this.spentListeners.add(listener);
    return () => this.spentListeners.delete(listener);
  }

  /**
   * Adds what a node's gateway spent for a team today. Resolves true once
   * stored, false when the store did not take it (the node sends it again).
   */
  report(team: string, tokens: number, costUsd: number): Promise<boolean> {
    if (tokens === 0 && costUsd === 0) return Promise.resolve(true);
    const key = spendKey(team, budgetDay(this.clock.now()));
    return new Promise((resolve) => {
      const queue = this.queues.get(key) ?? [];
      queue.push({ tokens, costUsd, resolve });
      this.queues.set(key, queue);
      if (!this.busy.has(key)) void this.drain(key, team);
    });
  }

  private async drain(key: string, team: string): Promise<void> {
    this.busy.add(key);
    try {
      for (let batch = this.take(key); batch.length > 0; batch = this.take(key)) await this.write(key, team, batch);
    } finally {
      this.busy.delete(key);
    }
  }

  private take(key: string): Waiting[] {
    const batch = this.queues.get(key) ?? [];
    this.queues.delete(key);
    return batch;
  }

  private async write(key: string, team: string, batch: Waiting[]): Promise<void> {
    const sum = batch.reduce((s, w) => ({ tokens: s.tokens + w.tokens, costUsd: s.costUsd + w.costUsd }), NO_SPEND);
    const day = key.slice(team.length + 1);
    try {
      const pauseMs = (conflicts: number) => Math.random() * Math.min(64, 2 ** conflicts);
      await this.spend.upsert(
        key,
        (current) => ({ team, day, tokens: (current?.tokens ?? 0) + sum.tokens, costUsd: (current?.costUsd ?? 0) + sum.costUsd, updatedAtMs: this.clock.now() }),
        { attempts: WRITE_ATTEMPTS, pauseMs },
      );
    } catch (err) {
      this.log.warn({ team, err: errorMessage(err) }, 'team spend not counted: the store did not take it; the nodes send it again');
      for (const w of batch) w.resolve(false);
      return;
    }
    for (const w of batch) w.resolve(true);
  }

  /** Works out which teams are out of budget today and tells the listeners when that changed; looks again when the day ends. */
  private recompute(): void {
    const now = this.clock.now();
    const next = new Map<string, string>();
    for (const t of this.teamsView?.all() ?? []) {
      const why = this.blocked(t.name, now);
      if (why) next.set(t.name, why);
    }
    clearTimeout(this.dayTimer);
    this.dayTimer = setTimeout(() => this.recompute(), Math.max(1_000, nextBudgetDayMs(now) - now + 1_000));
    this.dayTimer.unref();
    if (sameMap(next, this.spentNow)) return;
    this.spentNow = next;
    for (const listener of this.spentListeners) listener(next);
  }
}

function settingsOf(t: TeamRecord): TeamSettings {
  return { maxRunning: t.maxRunning, dailyTokens: t.dailyTokens, dailyCostUsd: t.dailyCostUsd, weight: t.weight };
}

function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/**
 * Teams: who shares the fleet. A task submitted with `--team NAME` counts
 * against its team's running limit and daily budgets, and the scheduler
 * shares slots among teams with work waiting by weight. The rules here are
 * pure: the control plane stores teams and their daily spend
 * (`control-plane/src/teams.ts`), the node gateways report what they spend
 * and refuse calls for a team whose budget is gone.
 */
import { ValidationError } from './errors.js';

export const TEAM_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const TEAM_LIMITS = {
  maxRunning: 1_000_000,
  dailyTokens: 1e15,
  dailyCostUsd: 1e9,
  minWeight: 0.01,
  maxWeight: 1000,
} as const;

export interface TeamSettings {
  /** 0: no limit. */
  maxRunning: number;
  /** Tokens per UTC day, fleet-wide; 0: no budget. */
  dailyTokens: number;
  /** Dollars per UTC day, fleet-wide; 0: no budget. */
  dailyCostUsd: number;
  weight: number;
}

export const DEFAULT_TEAM_SETTINGS: TeamSettings = { maxRunning: 0, dailyTokens: 0, dailyCostUsd: 0, weight: 1 };

/** What a team spent on one UTC day, fleet-wide. */
export interface TeamSpend {
  tokens: number;
  costUsd: number;
}

export function checkTeamName(field: string, name: unknown): string {
  const text = String(name ?? '');
  if (!TEAM_NAME_PATTERN.test(text)) throw new ValidationError(field, `"${text.slice(0, 64)}" is not a team name: lower-case letters, digits, "-" and "_", at most 63, starting with a letter or digit`);
  return text;
}

/** The settings a `team set` asks for, over what the team had (or the defaults); each bad value named. */
export function applyTeamSettings(base: TeamSettings, input: { maxRunning?: number | null; dailyTokens?: number | null; dailyCostUsd?: number | null; weight?: number | null }): TeamSettings {
  const out = { ...base };
  if (input.maxRunning !== undefined && input.maxRunning !== null) {
    if (!Number.isInteger(input.maxRunning) || input.maxRunning < 0 || input.maxRunning > TEAM_LIMITS.maxRunning) throw new ValidationError('max_running', `must be a whole number from 0 (no limit) to ${TEAM_LIMITS.maxRunning}, got ${input.maxRunning}`);
    out.maxRunning = input.maxRunning;
  }
  if (input.dailyTokens !== undefined && input.dailyTokens !== null) {
    if (!Number.isInteger(input.dailyTokens) || input.dailyTokens < 0 || input.dailyTokens > TEAM_LIMITS.dailyTokens) throw new ValidationError('daily_tokens', `must be a whole number from 0 (no budget) to ${TEAM_LIMITS.dailyTokens}, got ${input.dailyTokens}`);
    out.dailyTokens = input.dailyTokens;
  }
  if (input.dailyCostUsd !== undefined && input.dailyCostUsd !== null) {
    if (!Number.isFinite(input.dailyCostUsd) || input.dailyCostUsd < 0 || input.dailyCostUsd > TEAM_LIMITS.dailyCostUsd) throw new ValidationError('daily_cost_usd', `must be a number of dollars from 0 (no budget) to ${TEAM_LIMITS.dailyCostUsd}, got ${input.dailyCostUsd}`);
    out.dailyCostUsd = input.dailyCostUsd;
  }
  if (input.weight !== undefined && input.weight !== null) {
    if (!Number.isFinite(input.weight) || input.weight < TEAM_LIMITS.minWeight || input.weight > TEAM_LIMITS.maxWeight) throw new ValidationError('weight', `must be a number from ${TEAM_LIMITS.minWeight} to ${TEAM_LIMITS.maxWeight}, got ${input.weight}`);
    out.weight = input.weight;
  }
  return out;
}

/** The UTC day a moment falls on, as budgets count it: YYYY-MM-DD. */
export function budgetDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** When the UTC day of `ms` ends: budgets start again. */
export function nextBudgetDayMs(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}

/**
 * Why a team's budget is spent for the day, or null. Spent means reached:
 * a call that would start at the budget is refused. Calls in flight when it
 * is reached still end (their answers are charged), so the day's figure can
 * pass the budget by what those calls used; docs/DESIGN.md says by how much.
 */
export function budgetSpent(team: string, settings: Pick<TeamSettings, 'dailyTokens' | 'dailyCostUsd'>, spend: TeamSpend, day: string): string | null {
  if (settings.dailyTokens > 0 && spend.tokens >= settings.dailyTokens) {
    return `team "${team}" has spent its daily token budget (${spend.tokens} of ${settings.dailyTokens} tokens on ${day} UTC): its Cline tasks wait for the next day, or an admin raises it (fleetctl team set ${team} --daily-tokens N)`;
  }
  if (settings.dailyCostUsd > 0 && spend.costUsd >= settings.dailyCostUsd) {
    return `team "${team}" has spent its daily cost budget ($${spend.costUsd.toFixed(4)} of $${settings.dailyCostUsd} on ${day} UTC): its Cline tasks wait for the next day, or an admin raises it (fleetctl team set ${team} --daily-cost USD)`;
  }
  return null;
}

/** Why a team's tasks wait for its running limit. */
export function teamFull(team: string, limit: number): string {
  return `team "${team}" is running ${limit} task(s), its --max-running: waiting for one to end`;
}

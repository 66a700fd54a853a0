import test from 'ava';
import { ValidationError } from './errors.js';
import { applyTeamSettings, budgetDay, budgetSpent, checkTeamName, DEFAULT_TEAM_SETTINGS, nextBudgetDayMs } from './teams.js';

test('team settings: what is given changes, the rest keeps its value; each bad value is refused naming its field', (t) => {
  const made = applyTeamSettings(DEFAULT_TEAM_SETTINGS, { weight: 2, dailyTokens: 1_000_000 });
  t.deepEqual(made, { maxRunning: 0, dailyTokens: 1_000_000, dailyCostUsd: 0, weight: 2 });
  t.deepEqual(applyTeamSettings(made, { maxRunning: 5, weight: null }), { ...made, maxRunning: 5 });
  const cases: Array<[object, string]> = [
    [{ maxRunning: -1 }, 'max_running'],
    [{ maxRunning: 1.5 }, 'max_running'],
    [{ dailyTokens: -3 }, 'daily_tokens'],
    [{ dailyCostUsd: Number.NaN }, 'daily_cost_usd'],
    [{ dailyCostUsd: -0.01 }, 'daily_cost_usd'],
    [{ weight: 0 }, 'weight'],
    [{ weight: 1001 }, 'weight'],
    [{ weight: Number.POSITIVE_INFINITY }, 'weight'],
  ];
  for (const [input, field] of cases) {
    const err = t.throws(() => applyTeamSettings(DEFAULT_TEAM_SETTINGS, input), { instanceOf: ValidationError });
    t.is(err?.field, field, JSON.stringify(input));
  }
  for (const bad of ['', 'Upper', '-lead', 'a/b', '../x', 'x'.repeat(64), 'sp ace']) t.throws(() => checkTeamName('team', bad), { instanceOf: ValidationError }, bad);
  t.is(checkTeamName('team', 'ml-research_2'), 'ml-research_2');
});

test('budgets count per UTC day and are spent when reached', (t) => {
  const evening = Date.UTC(2026, 10, 29, 23, 59, 59);
  t.is(budgetDay(evening), '2026-11-29');
  t.is(nextBudgetDayMs(evening), Date.UTC(2026, 10, 30));
  t.is(budgetDay(nextBudgetDayMs(evening)), '2026-11-30');
  t.is(nextBudgetDayMs(Date.UTC(2026, 11, 31, 12)), Date.UTC(2027, 0, 1));
  const tokens = { dailyTokens: 1000, dailyCostUsd: 0 };
  t.is(budgetSpent('a', tokens, { tokens: 999, costUsd: 50 }, '2026-11-29'), null);
  t.regex(budgetSpent('a', tokens, { tokens: 1000, costUsd: 0 }, '2026-11-29')!, /daily token budget \(1000 of 1000 tokens on 2026-11-29 UTC\).*fleetctl team set a --daily-tokens N/);
  t.regex(budgetSpent('a', { dailyTokens: 0, dailyCostUsd: 2 }, { tokens: 1e9, costUsd: 2.5 }, '2026-11-29')!, /daily cost budget \(\$2\.5000 of \$2 on 2026-11-29 UTC\)/);
  t.is(budgetSpent('a', { dailyTokens: 0, dailyCostUsd: 0 }, { tokens: 1e12, costUsd: 1e6 }, 'd'), null, 'no budget, nothing spent');
});

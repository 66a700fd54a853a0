/**
 * Teams in the scheduler: weighted fair share of the slots among teams with
 * work waiting, running limits and budgets that hold a team's own classes
 * only. A simulated fleet runs the decision pass after pass (tasks end at
 * random, freeing slots) and measures each team's share of the slot time.
 */
import test from 'ava';
import fc from 'fast-check';
import { compileTaskSpec } from '../../common/task-spec.js';
import type { Task } from '../../common/model.js';
import { budgetSpent, teamFull } from '../../common/teams.js';
import { FairShare } from './fair-share.js';
import { PendingQueue } from './pending-queue.js';
import { schedulePass, type NodeView, type TeamShares } from './scheduler.js';
import { newTask } from './task-state.js';
import { seededRandom } from '../../test/chaos/faults.js';

const task = (id: string, createdAtMs: number, team: string, extra: Record<string, unknown> = {}): Task => newTask(id, compileTaskSpec({ image: 'busybox', command: ['true'], ...(team ? { team } : {}), ...extra }), createdAtMs);
const node = (id: string, slots: number, activeAttempts = 0): NodeView => ({ id, name: id, labels: {}, slots, status: 'READY', activeAttempts, unavailable: null, images: null, prefetched: new Set() });

interface Sim {
  weights: Record<string, number>;
  limits?: Record<string, number>;
  slots: number[];
  /** Task durations are drawn from 1..maxDuration ticks (a tick is a second). */
  maxDuration: number;
  /** The tick each team starts submitting at (default 0). */
  arrivals?: Record<string, number>;
  /** Until this tick the team's tasks are held by its own limits (as a spent budget holds them). */
  blockedUntil?: Record<string, number>;
  /** Told of what each team holds after each tick's pass. */
  onTick?: (now: number, held: Record<string, number>) => void;
  ticks: number;
  random: () => number;
}

/** Runs the pass once per tick over a fleet where every team always has work waiting; returns slot-ticks per team. */
function simulate(sim: Sim): Record<string, number> {
  const queue = new PendingQueue();
  const teams = Object.keys(sim.weights);
  let next = 0;
  const waiting = new Map<string, number>();
  // Saturated: every team keeps more tasks waiting than the fleet has slots, so
  // no team is ever short of work to take its share with (with 20 waiting, a
  // fleet of 32 one-tick slots capped a 2:1 team at 20 of its 21.3, in stop 25's CI).
  const backlog = Math.max(20, sim.slots.reduce((a, b) => a + b, 0) + 1);
  const fill = (now: number) => {
    for (const team of teams) {
      if ((sim.arrivals?.[team] ?? 0) > now) continue;
      while ((waiting.get(team) ?? 0) < backlog) {
        queue.update(task(`t${String(next).padStart(8, '0')}`, now * 1000 + next, team));
        next++;
        waiting.set(team, (waiting.get(team) ?? 0) + 1);
      }
    }
  };
  const running: Array<{ team: string; node: string; endsAt: number }> = [];
  const share: Record<string, number> = Object.fromEntries(teams.map((t) => [t, 0]));
  const runningOf = (team: string) => running.filter((r) => r.team === team).length;
  // The loop's policy (scheduler-loop.ts), on the simulation's clock.
  const fair = new FairShare();
  const shares: TeamShares = {
    key: (team, placed) => fair.key(team, sim.weights[team] ?? 1, runningOf(team) + placed),
    gate: (team, _cline, placed) => {
      if ((sim.blockedUntil?.[team] ?? 0) > clock) return { why: 'held', wakeAtMs: null };
      const limit = sim.limits?.[team] ?? 0;
      return limit > 0 && runningOf(team) + placed >= limit ? { why: teamFull(team, limit), wakeAtMs: null } : null;
    },
  };
  let clock = 0;
  for (let now = 0; now < sim.ticks; now++) {
    clock = now;
    for (let i = running.length - 1; i >= 0; i--) if (running[i]!.endsAt <= now) running.splice(i, 1);
    fill(now);
    const nodes = sim.slots.map((slots, i) => node(`n${i}`, slots, running.filter((r) => r.node === `n${i}`).length));
    fair.advance(now * 1000);
    // As the loop does: competing teams hold slots, or have waiting work their own limits let go.
    fair.activate(new Set(teams.filter((team) => runningOf(team) > 0 || ((waiting.get(team) ?? 0) > 0 && shares.gate(team, false, 0) === null))), (team) => sim.weights[team] ?? 1);
    const plan = schedulePass(queue, nodes, now, { imageGraceMs: 10_000, teams: shares });
    for (const a of plan.assignments) {
      const t = queue.get(a.taskId)!;
      const team = t.spec.team ?? '';
      queue.remove(a.taskId);
      waiting.set(team, waiting.get(team)! - 1);
      running.push({ team, node: a.nodeId, endsAt: now + 1 + Math.floor(sim.random() * sim.maxDuration) });
    }
    fair.hold(new Map(teams.map((team) => [team, runningOf(team)])));
    sim.onTick?.(now, Object.fromEntries(teams.map((team) => [team, runningOf(team)])));
    for (const r of running) share[r.team]! += 1;
  }
  return share;
}


test('two saturating teams weighted 2:1 get slot time within 10% of 2:1, whatever the fleet and task lengths', (t) => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 20 }), fc.integer(), (slots, maxDuration, seed) => {
      fc.pre(slots.reduce((a, b) => a + b, 0) >= 3);
      const share = simulate({ weights: { a: 2, b: 1 }, slots, maxDuration, ticks: 600, random: seededRandom(seed) });
      const ratio = share.a! / share.b!;
      return ratio >= 1.8 && ratio <= 2.2;
    }),
    // The counterexample of stop 25's CI (a fleet of more slots than the backlog was) stays checked.
    { numRuns: 60, examples: [[[5, 3, 8, 8, 8], 1, 0]] },
  );
  t.pass('checked by fast-check');
});

test('weights whose shares fall between slots (3:2 on four) come out right over a run', (t) => {
  const share = simulate({ weights: { a: 3, b: 2 }, slots: [4], maxDuration: 3, ticks: 3_000, random: seededRandom(11) });
  const ratio = share.a! / share.b!;
  t.true(ratio > 1.35 && ratio < 1.65, `3:2 came out ${ratio.toFixed(3)}`);
});

test('a team that arrives after another ran alone for a long time gets its share soon, and starves no one', (t) => {
  const held: Array<Record<string, number>> = [];
  const share = simulate({
    weights: { a: 1, b: 1 },
    arrivals: { b: 1_500 },
    slots: [3, 3],
    maxDuration: 5,
    ticks: 3_000,
    random: seededRandom(5),
    onTick: (now, h) => {
      if (now >= 1_500) held.push(h);
    },
  });
  t.true(share.b! > 0);
  // Within a minute b holds half the slots, and a never drops below a third of them meanwhile.
  const settled = held.slice(60);
  const bShare = settled.reduce((s, h) => s + h.b!, 0) / settled.reduce((s, h) => s + h.a! + h.b!, 0);
  t.true(Math.abs(bShare - 0.5) < 0.05, `b held ${bShare.toFixed(3)} of the slots after its first minute`);
  t.true(held.every((h) => h.a! >= 2), 'a kept at least two slots throughout');
});

test('a team held for a long time by its own limits banks no credit, nor lowers what a newcomer starts from', (t) => {
  const held: Array<{ now: number; h: Record<string, number> }> = [];
  simulate({
    weights: { a: 1, b: 1, c: 1, d: 1 },
    // c waits all along but is held until tick 2000 (a spent budget); d arrives at 1500.
    blockedUntil: { c: 2_000 },
    arrivals: { d: 1_500 },
    slots: [3, 3],
    maxDuration: 5,
    ticks: 3_000,
    random: seededRandom(9),
    onTick: (now, h) => held.push({ now, h }),
  });
  const window = (from: number, to: number) => held.filter((x) => x.now >= from && x.now < to);
  // d does not take everything: a and b keep slots throughout, and d holds about a third after its first minute.
  t.true(window(1_500, 2_000).every((x) => x.h.a! >= 1 && x.h.b! >= 1), 'a and b kept slots while d arrived');
  const dShare = window(1_560, 2_000).reduce((s, x) => s + x.h.d!, 0) / window(1_560, 2_000).reduce((s, x) => s + x.h.a! + x.h.b! + x.h.d!, 0);
  t.true(Math.abs(dShare - 1 / 3) < 0.06, `d held ${dShare.toFixed(3)}`);
  // Nor does c, let go at 2000.
  t.true(window(2_000, 3_000).every((x) => x.h.a! + x.h.b! + x.h.d! >= 2), 'the others kept slots when c was let go');
  const cShare = window(2_060, 3_000).reduce((s, x) => s + x.h.c!, 0) / window(2_060, 3_000).reduce((s, x) => s + x.h.a! + x.h.b! + x.h.c! + x.h.d!, 0);
  t.true(Math.abs(cShare - 1 / 4) < 0.05, `c held ${cShare.toFixed(3)}`);
});

test('three teams 3:2:1 share by weight', (t) => {
  const share = simulate({ weights: { a: 3, b: 2, c: 1 }, slots: [4, 4, 4], maxDuration: 5, ticks: 2_000, random: seededRandom(7) });
  const total = share.a! + share.b! + share.c!;
  t.true(Math.abs(share.a! / total - 3 / 6) < 0.03, `a ${share.a! / total}`);
  t.true(Math.abs(share.b! / total - 2 / 6) < 0.03, `b ${share.b! / total}`);
  t.true(Math.abs(share.c! / total - 1 / 6) < 0.03, `c ${share.c! / total}`);
});

test('a team at its --max-running gets no more, and the slots it leaves go to the others', (t) => {
  const share = simulate({ weights: { a: 10, b: 1 }, limits: { a: 2 }, slots: [4, 4], maxDuration: 4, ticks: 1_000, random: seededRandom(3) });
  const ticks = 1_000;
  // a never holds more than 2 of the 8 slots, though its weight would give it most of them; b takes the rest.
  t.true(share.a! <= 2 * ticks);
  t.true(share.a! >= 1.8 * ticks, `a ${share.a}`);
  t.true(share.b! >= 5.5 * ticks, `b ${share.b}`);
});

test('within a team, priority then submission order; across teams, the share decides before priority', (t) => {
  const queue = new PendingQueue();
  queue.update(task('a-low', 1, 'a'));
  queue.update(task('a-high', 2, 'a', { priority: 10 }));
  queue.update(task('b-urgent', 3, 'b', { priority: 1000 }));
  // a holds nothing, b holds 3 slots already (weights equal): a's tasks go first, the higher first.
  const running: Record<string, number> = { a: 0, b: 3 };
  const fair = new FairShare();
  const plan = schedulePass(queue, [node('n', 5, 3)], 10, { imageGraceMs: 0, teams: { key: (team, placed) => fair.key(team, 1, (running[team] ?? 0) + placed), gate: () => null } });
  t.deepEqual(plan.assignments.map((a) => a.taskId), ['a-high', 'a-low']);
});

test('a team out of budget holds its Cline tasks with the reason and a wake at the next day; its plain tasks and other teams run', (t) => {
  const queue = new PendingQueue();
  const cline = (id: string, at: number, team: string) => newTask(id, compileTaskSpec({ image: '', ...(team ? { team } : {}), cline: { repoUrl: 'https://git.example.com/a.git', prompt: 'p' } }), at);
  queue.update(cline('a-cline', 1, 'a'));
  queue.update(task('a-plain', 2, 'a'));
  queue.update(cline('b-cline', 3, 'b'));
  const why = budgetSpent('a', { dailyTokens: 100, dailyCostUsd: 0 }, { tokens: 150, costUsd: 0 }, '2026-11-29');
  t.regex(why!, /team "a" has spent its daily token budget \(150 of 100 tokens on 2026-11-29 UTC\)/);
  const tomorrow = Date.UTC(2026, 10, 30);
  const plan = schedulePass(queue, [node('n', 4)], Date.UTC(2026, 10, 29, 12), {
    imageGraceMs: 0,
    teams: { key: () => 0, gate: (team, isCline) => (team === 'a' && isCline ? { why: why!, wakeAtMs: tomorrow } : null) },
  });
  t.deepEqual(plan.assignments.map((a) => a.taskId).sort(), ['a-plain', 'b-cline']);
  t.is(plan.unschedulable.get('a-cline'), why!);
  t.is(plan.wakeAtMs, tomorrow);
});

/**
 * The node's side of teams' daily budgets (common/teams.ts). The gateway
 * tells this what each call of a team's attempt used; it is reported per
 * attempt to the control plane over the session (TeamSpend), which takes
 * the team from the task. One report is out at a time; what the control
 * plane did not count, or a report whose answer never came (the session
 * broke), is sent again (a report counted just before a break can so count
 * twice: budgets err on the side of spending less). The control plane
 * says which teams' budgets are spent (TeamBudgets), and the gateway
 * refuses their calls from then on.
 *
 * What is not yet reported lives in memory: an agent killed loses what it
 * had not reported (the last second's spend; more while it had no session).
 */
import type { Logger } from '../../common/logger.js';
import type { TeamSpendReport } from '../../common/model.js';
import { MAX_SPEND_ENTRIES } from '../../common/wire/session.js';

/** Spend is reported within this long of the call that used it. */
export const REPORT_AFTER_MS = 1_000;
/** A report not answered in this long (a session that broke meanwhile) is sent again. */
const ANSWER_TIMEOUT_MS = 30_000;

/** Sends a report on the open session; false when none is open. */
export type SpendSender = (report: TeamSpendReport) => boolean;

/** The attempt a call was made for: its task's team decides which budget it counts against. */
export interface SpendRef {
  team: string;
  taskId: string;
  attemptId: string;
}

/** What the gateway needs (tests give their own). */
export interface TeamBudgetSource {
  /** Why the team's calls are refused now, or null. */
  spent(team: string): string | null;
  used(ref: SpendRef, tokens: number, costUsd: number): void;
}

interface Spend {
  taskId: string;
  tokens: number;
  costUsd: number;
}

export class TeamBudgets implements TeamBudgetSource {
  private spentNow = new Map<string, string>();
  /** Not yet reported, by attempt. */
  private unsent = new Map<string, Spend>();
  private inFlight: { id: number; spend: Map<string, Spend>; timer: NodeJS.Timeout } | null = null;
  private sender: SpendSender | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastId = 0;

  constructor(private readonly log: Logger) {}

  spent(team: string): string | null {
    return this.spentNow.get(team) ?? null;
  }

  used(ref: SpendRef, tokens: number, costUsd: number): void {
    if (!ref.team || (tokens <= 0 && costUsd <= 0)) return;
    add(this.unsent, ref.attemptId, { taskId: ref.taskId, tokens: Math.max(0, Math.round(tokens)), costUsd: Math.max(0, costUsd) });
    this.soon();
  }

  /** The control plane's word on which teams' budgets are spent: it replaces the last. */
  told(spent: Record<string, string>): void {
    const next = new Map(Object.entries(spent));
    for (const [team, why] of next) if (!this.spentNow.has(team)) this.log.warn({ team, why }, 'team budget spent: its model calls are refused');
    for (const team of this.spentNow.keys()) if (!next.has(team)) this.log.info({ team }, 'team budget available again');
    this.spentNow = next;
  }

  /** A session is open: reports go on it. */
  connect(sender: SpendSender): void {
    this.sender = sender;
    this.soon();
  }

  /** The session closed: a report without an answer is sent again on the next one. */
  disconnect(): void {
    this.sender = undefined;
    this.requeueInFlight();
  }

  /** The answer to a report: the attempts it names were not counted, and go again. */
  answered(reportId: number, uncountedAttempts: readonly string[]): void {
    if (!this.inFlight || this.inFlight.id !== reportId) return;
    clearTimeout(this.inFlight.timer);
    for (const attemptId of uncountedAttempts) {
      const s = this.inFlight.spend.get(attemptId);
      if (s) add(this.unsent, attemptId, s);
    }
    this.inFlight = null;
    this.soon();
  }

  stop(): void {
    clearTimeout(this.timer);
    if (this.inFlight) clearTimeout(this.inFlight.timer);
  }

  private soon(): void {
    if (this.timer || this.inFlight || !this.sender || this.unsent.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.send();
    }, REPORT_AFTER_MS);
    this.timer.unref();
  }

  private send(): void {
    if (this.inFlight || !this.sender || this.unsent.size === 0) return;
    // At most the entries one report may carry; the rest go in the next.
    const spend = new Map<string, Spend>();
    for (const [attemptId, s] of this.unsent) {
      if (spend.size >= MAX_SPEND_ENTRIES) break;
      spend.set(attemptId, s);
    }
    for (const attemptId of spend.keys()) this.unsent.delete(attemptId);
    const id = (this.lastId = (this.lastId % 0xffff_fffe) + 1);
    const entries = [...spend].map(([attemptId, s]) => ({ taskId: s.taskId, attemptId, tokens: s.tokens, costUsd: s.costUsd }));
    const timer = setTimeout(() => {
      if (this.inFlight?.id !== id) return;
      this.requeueInFlight();
      this.soon();
    }, ANSWER_TIMEOUT_MS);
    timer.unref();
    this.inFlight = { id, spend, timer };
    if (!this.sender({ entries, reportId: id })) this.requeueInFlight();
  }

  private requeueInFlight(): void {
    if (!this.inFlight) return;
    clearTimeout(this.inFlight.timer);
    for (const [attemptId, s] of this.inFlight.spend) add(this.unsent, attemptId, s);
    this.inFlight = null;
  }
}

function add(spend: Map<string, Spend>, attemptId: string, s: Spend): void {
  const had = spend.get(attemptId);
  spend.set(attemptId, had ? { taskId: s.taskId, tokens: had.tokens + s.tokens, costUsd: had.costUsd + s.costUsd } : { ...s });
}

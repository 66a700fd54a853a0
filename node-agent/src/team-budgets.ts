/**
 * The node's side of teams' daily budgets (common/teams.ts). The gateway
 * tells this what each call of a team's attempt used; it is reported to the
 * control plane over the session (TeamSpend), one report at a time, and
 * sent again if the control plane did not count it or the session broke
 * before the answer (a report counted just before a break can so count
 * twice: budgets err on the side of spending less). The control plane
 * says which teams' budgets are spent (TeamBudgets), and the gateway
 * refuses their calls from then on.
 *
 * What is not yet reported lives in memory: an agent killed loses at most
 * the spend of the last `REPORT_AFTER_MS`.
 */
import type { Logger } from '../../common/logger.js';
import type { TeamSpendReport } from '../../common/model.js';
import { MAX_TEAMS_REPORTED } from '../../common/wire/session.js';

/** Spend is reported within this long of the call that used it. */
export const REPORT_AFTER_MS = 1_000;
/** A report not answered in this long (a session that broke meanwhile) is sent again. */
const ANSWER_TIMEOUT_MS = 10_000;

/** Sends a report on the open session; false when none is open. */
export type SpendSender = (report: TeamSpendReport) => boolean;

/** What the gateway needs (tests give their own). */
export interface TeamBudgetSource {
  /** Why the team's calls are refused now, or null. */
  spent(team: string): string | null;
  used(team: string, tokens: number, costUsd: number): void;
}

type Spend = Map<string, { tokens: number; costUsd: number }>;

export class TeamBudgets implements TeamBudgetSource {
  private spentNow = new Map<string, string>();
  private unsent: Spend = new Map();
  private inFlight: { id: number; spend: Spend; timer: NodeJS.Timeout } | null = null;
  private sender: SpendSender | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastId = 0;

  constructor(private readonly log: Logger) {}

  spent(team: string): string | null {
    return this.spentNow.get(team) ?? null;
  }

  used(team: string, tokens: number, costUsd: number): void {
    if (!team || (tokens <= 0 && costUsd <= 0)) return;
    add(this.unsent, team, Math.max(0, Math.round(tokens)), Math.max(0, costUsd));
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

  answered(reportId: number, uncounted: boolean): void {
    if (!this.inFlight || this.inFlight.id !== reportId) return;
    if (uncounted) this.requeueInFlight();
    else {
      clearTimeout(this.inFlight.timer);
      this.inFlight = null;
    }
    if (this.unsent.size > 0) this.soon();
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
    // At most the teams one report may name; the rest go in the next.
    const spend: Spend = new Map();
    for (const [team, s] of this.unsent) {
      if (spend.size >= MAX_TEAMS_REPORTED) break;
      spend.set(team, s);
    }
    for (const team of spend.keys()) this.unsent.delete(team);
    const id = (this.lastId = (this.lastId % 0xffff_fffe) + 1);
    const entries = [...spend].map(([team, s]) => ({ team, tokens: s.tokens, costUsd: s.costUsd }));
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
    for (const [team, s] of this.inFlight.spend) add(this.unsent, team, s.tokens, s.costUsd);
    this.inFlight = null;
  }
}

function add(spend: Spend, team: string, tokens: number, costUsd: number): void {
  const s = spend.get(team) ?? { tokens: 0, costUsd: 0 };
  spend.set(team, { tokens: s.tokens + tokens, costUsd: s.costUsd + costUsd });
}

/**
 * The version of the node session protocol (NodeService: enrollment, the
 * hello, heartbeats, events, assignments), and the version-skew rule
 * between node agents and control planes.
 *
 * The number goes up when a change to NodeService would break the other
 * side: a message or field one side requires and the other does not send,
 * a meaning that changes. A field the other side may ignore does not need
 * one. The history:
 *
 *   1  agents before the version was said (their hello carries 0)
 *   2  enrollment and the hello say the version; the welcome says the
 *      control plane's; a refused agent backs off and says why
 *   3  agents ask for a permit (PermitAsk) before each request to a
 *      provider with a fleet-wide rate limit; a control plane grants such
 *      a provider only to agents of 3 or later, which honour it
 *   4  agents report what their gateways spend for teams (TeamSpend) and
 *      refuse model calls for teams whose daily budget is spent
 *      (TeamBudgets); a control plane sends TeamBudgets only to agents of
 *      4 or later, and grants the provider of a Cline task whose team has
 *      a budget only to them
 *
 * The rule: a control plane accepts agents of its own protocol and of the
 * one before it. So replicas are upgraded first (one at a time), then the
 * agents; an agent one protocol behind keeps working meanwhile, and an
 * agent newer than the control plane is refused until the control plane
 * is upgraded. The refusal says which to upgrade.
 */
import { FleetError } from './errors.js';

export const AGENT_PROTOCOL = 4;
/** The first protocol whose agents ask for rate permits (a provider's --max-rpm/--max-tpm). */
export const RATE_PERMITS_PROTOCOL = 3;
/** The first protocol whose agents report team spend and honour team budgets. */
export const TEAM_BUDGETS_PROTOCOL = 4;
/** What an agent that says 0 (older than the field) speaks. */
const UNVERSIONED = 1;

/** The agent protocols a control plane of this build accepts. */
export const ACCEPTED_AGENT_PROTOCOLS = { oldest: AGENT_PROTOCOL - 1, newest: AGENT_PROTOCOL } as const;

/** The protocol an agent speaks, from what it said (0: older than the field). */
export function agentProtocol(said: number): number {
  return said === 0 ? UNVERSIONED : said;
}

export function describeAccepted(accepted: { oldest: number; newest: number } = ACCEPTED_AGENT_PROTOCOLS): string {
  return accepted.oldest === accepted.newest ? `${accepted.newest}` : `${accepted.oldest} to ${accepted.newest}`;
}

/**
 * Why an agent that said `said` is refused, in words that say what to
 * upgrade; null when it is accepted.
 */
export function agentProtocolRefusal(said: number, accepted: { oldest: number; newest: number } = ACCEPTED_AGENT_PROTOCOLS): string | null {
  const agent = agentProtocol(said);
  if (agent < accepted.oldest) {
    return `this node agent speaks node protocol ${agent}, too old for the control plane (node protocol ${accepted.newest}, accepting agents of ${describeAccepted(accepted)}): upgrade the node agent (installers/upgrade-node-agent.sh on the node)`;
  }
  if (agent > accepted.newest) {
    return `this node agent speaks node protocol ${agent}, newer than the control plane (node protocol ${accepted.newest}, accepting agents of ${describeAccepted(accepted)}): upgrade the control plane first (its replicas one at a time), then the agents`;
  }
  return null;
}

/** An agent whose protocol the control plane does not accept: FAILED_PRECONDITION, until one of them is upgraded. */
export class ProtocolSkewError extends FleetError {
  constructor(message: string) {
    super('FAILED_PRECONDITION', message);
  }
}

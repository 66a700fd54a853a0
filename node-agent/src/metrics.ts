/**
 * The node agent's metrics (`fleet_agent_*`), served with the health checks
 * by `MetricsServer` (common/metrics.ts). Two kinds:
 * - what the agent did (engine calls, outcomes recorded, model calls,
 *   reconnects, stalls, self-check failures): counters and a histogram,
 *   told by the domain classes through their observer hooks
 *   (`DockerCallObserver`, `AttemptObserver`, `GatewayObserver`, the
 *   session's `onReconnect`), which this class implements: prom-client stays
 *   here, and those classes run the same without it;
 * - what the agent is now (attempts running, the outbox, the journal, the
 *   session, the self-check, the certificate): gauges read from their
 *   sources at scrape time.
 * Labels are bounded: operations, outcome states and reasons, rules, status
 * codes, and the provider and model names operators configure; never a task,
 * attempt or container id.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Verdict } from '../../common/metrics.js';
import type { AttemptOutcome } from '../../common/model.js';
import type { SelfCheckReport } from '../../common/self-check.js';
import type { DockerHealth } from './agent.js';
import type { AttemptKind, AttemptObserver } from './attempt-runner.js';
import { STALL_RULES, type StallRule } from './cline-monitor.js';
import { DOCKER_OPS, type DockerCallObserver, type DockerOp } from './container-runtime.js';
import type { GatewayObserver, UpstreamErrorKind } from './llm-gateway.js';
import type { RepoCacheObserver } from './repo-cache.js';
import type { SessionState } from './session.js';

/** Engine calls: a ping in milliseconds, a call at its 10 s timeout, a pull at its 2 min one. */
const DOCKER_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** A wait lasts as long as its container: its time is the task's, not the engine's, so it is counted but not timed. */
const UNTIMED_OPS: ReadonlySet<DockerOp> = new Set(['wait']);

/** What the gauges read, at scrape time. */
export interface AgentSources {
  /** Attempts running now (their runners, adopted ones included). */
  runningAttempts(): number;
  /** Events the control plane has not acknowledged, held ones included. */
  outboxEvents(): number;
  /** When the oldest of them was recorded, unix ms (null: none waits). */
  oldestOutboxAtMs(): number | null;
  /** The journal holds writes: its disk is full. */
  journalDegraded(): boolean;
  /** A session with the control plane is open. */
  sessionConnected(): boolean;
  /** The last self-check passed. */
  selfCheckOk(): boolean;
  /** When the node certificate expires, unix ms (0: no certificate yet, the node is enrolling). */
  certificateExpiresAtMs(): number;
  /** The warm repository cache's mirrors, total bytes (0 without a cache). */
  repoCacheBytes?(): number;
  /** The repositories it holds. */
  repoCacheRepos?(): number;
}

/** Sources with nothing to report: an agent with no parts yet. */
export const INERT_SOURCES: AgentSources = {
  runningAttempts: () => 0,
  outboxEvents: () => 0,
  oldestOutboxAtMs: () => null,
  journalDegraded: () => false,
  sessionConnected: () => false,
  selfCheckOk: () => true,
  certificateExpiresAtMs: () => 0,
};

export class AgentMetrics implements DockerCallObserver, AttemptObserver, GatewayObserver, RepoCacheObserver {
  private readonly dockerCalls: Counter<'op' | 'result'>;
  private readonly dockerDuration: Histogram<'op'>;
  private readonly reconnects: Counter;
  private readonly attemptsFinished: Counter<'kind' | 'state' | 'reason'>;
  private readonly gatewayRequests: Counter<'provider' | 'model' | 'code'>;
  private readonly gatewayTokens: Counter<'provider' | 'model' | 'direction'>;
  private readonly gatewayCost: Counter<'provider' | 'model'>;
  private readonly upstreamErrors: Counter<'provider' | 'kind'>;
  private readonly upstreamTries: Counter<'provider'>;
  private readonly upstreamRetries: Counter<'provider'>;
  private readonly failovers: Counter<'from' | 'to'>;
  private readonly stalls: Counter<'rule'>;
  private readonly selfCheckFailures: Counter;
  private readonly repoCacheHits: Counter;
  private readonly repoCacheMisses: Counter;
  private readonly repoCacheEvictions: Counter;
  private selfCheckFailing = false;

  constructor(
    readonly registry: Registry,
    version: string,
    sources: AgentSources,
    now: () => number = Date.now,
  ) {
    const registers = [registry];
    new Gauge({ name: 'fleet_agent_info', help: 'Always 1; the agent\'s version is in its label.', labelNames: ['version'], registers }).set({ version }, 1);

    this.dockerCalls = new Counter({
      name: 'fleet_agent_docker_operations_total',
      help: 'Docker engine calls the agent made, by operation and result (error: the engine failed or refused the call; answers the agent expects, such as no such container on a removal, are ok).',
      labelNames: ['op', 'result'],
      registers,
    });
    this.dockerDuration = new Histogram({
      name: 'fleet_agent_docker_operation_duration_seconds',
      help: 'How long Docker engine calls took, by operation, failed ones included (wait is not timed: it lasts as long as its container).',
      labelNames: ['op'],
      buckets: DOCKER_BUCKETS,
      registers,
    });
    this.reconnects = new Counter({ name: 'fleet_agent_session_reconnects_total', help: 'Sessions with the control plane that ended, or could not open, and were tried again.', registers });
    this.attemptsFinished = new Counter({
      name: 'fleet_agent_attempts_finished_total',
      help: 'Attempt outcomes this agent recorded in its journal, by kind (plain, cline), state and reason (none: no reason given).',
      labelNames: ['kind', 'state', 'reason'],
      registers,
    });
    this.gatewayRequests = new Counter({
      name: 'fleet_agent_gateway_requests_total',
      help: 'Model calls containers made through the LLM gateway, by provider, model and the HTTP status the gateway answered (error: the container hung up before any answer; provider and model are empty for a token that matched no attempt).',
      labelNames: ['provider', 'model', 'code'],
      registers,
    });
    this.gatewayTokens = new Counter({
      name: 'fleet_agent_gateway_tokens_total',
      help: 'Tokens charged to attempts for model calls, by provider, model and direction (input, output): the provider\'s count, or the gateway\'s estimate for a call whose usage never came.',
      labelNames: ['provider', 'model', 'direction'],
      registers,
    });
    this.gatewayCost = new Counter({
      name: 'fleet_agent_gateway_cost_usd_total',
      help: 'Cost in US dollars charged to attempts for model calls, by provider and model (as the provider reports it; estimated at the dearest rate seen when it does not).',
      labelNames: ['provider', 'model'],
      registers,
    });
    this.upstreamErrors = new Counter({
      name: 'fleet_agent_gateway_upstream_errors_total',
      help: 'Tries of model calls the provider failed (each retry counts), by provider and kind: status_429, status_5xx, status_4xx (its answer), network (no answer, or an answer cut off), timeout (no headers in 2 min, or a 5 min pause in the answer).',
      labelNames: ['provider', 'kind'],
      registers,
    });
    this.upstreamTries = new Counter({
      name: 'fleet_agent_gateway_upstream_tries_total',
      help: 'Requests the gateway sent to a provider: each model call once, plus each retry and each fallback tried. fleet_agent_gateway_upstream_errors_total over this is the share the provider failed.',
      labelNames: ['provider'],
      registers,
    });
    this.upstreamRetries = new Counter({
      name: 'fleet_agent_gateway_upstream_retries_total',
      help: 'Model calls the gateway tried again on the same provider after a 429, 529, 5xx, timeout or lost connection (after a backoff with full jitter, or the provider\'s Retry-After).',
      labelNames: ['provider'],
      registers,
    });
    this.failovers = new Counter({
      name: 'fleet_agent_gateway_failovers_total',
      help: 'Model calls moved from a provider that kept failing to its next fallback (fleetctl provider set --fallback).',
      labelNames: ['from', 'to'],
      registers,
    });
    this.stalls = new Counter({
      name: 'fleet_agent_cline_stalls_total',
      help: 'Cline attempts stopped as stalled, by the rule that found them stuck: no_events (nothing for the stall timeout), repeated_tool_call, no_tool_calls (iterations without one).',
      labelNames: ['rule'],
      registers,
    });
    this.selfCheckFailures = new Counter({ name: 'fleet_agent_self_check_failures_total', help: 'Times the self-check started failing (the systemd watchdog is not pinged while it fails).', registers });
    this.repoCacheHits = new Counter({ name: 'fleet_agent_repo_cache_hits_total', help: 'Cline workspaces cloned from a repository mirror the node already held (after a fetch of what changed).', registers });
    this.repoCacheMisses = new Counter({ name: 'fleet_agent_repo_cache_misses_total', help: 'Repository mirrors made from scratch (first use on this node, after an eviction, or replacing a damaged one).', registers });
    this.repoCacheEvictions = new Counter({ name: 'fleet_agent_repo_cache_evictions_total', help: 'Repository mirrors removed, least recently used first, to keep the cache within --repo-cache-max-bytes.', registers });
    new Gauge({ name: 'fleet_agent_repo_cache_bytes', help: 'Bytes the repository mirrors take on disk (0: no cache).', registers, collect() { this.set(sources.repoCacheBytes?.() ?? 0); } });
    new Gauge({ name: 'fleet_agent_repo_cache_repos', help: 'Repositories the node holds a mirror of.', registers, collect() { this.set(sources.repoCacheRepos?.() ?? 0); } });
    // Series that exist before their first event, so that rate() and increase() see it.
    for (const op of DOCKER_OPS) for (const result of ['ok', 'error']) this.dockerCalls.inc({ op, result }, 0);
    for (const rule of STALL_RULES) this.stalls.inc({ rule }, 0);

    new Gauge({ name: 'fleet_agent_containers_running', help: 'Attempts running on this node now.', registers, collect() { this.set(sources.runningAttempts()); } });
    new Gauge({ name: 'fleet_agent_outbox_events', help: 'Events (output, progress, outcomes) the control plane has not acknowledged yet.', registers, collect() { this.set(sources.outboxEvents()); } });
    new Gauge({
      name: 'fleet_agent_outbox_oldest_event_age_seconds',
      help: 'How long the oldest unacknowledged event has waited (0: none waits). Events held for a full disk are not counted here: see fleet_agent_journal_degraded.',
      registers,
      collect() {
        const atMs = sources.oldestOutboxAtMs();
        this.set(atMs === null ? 0 : Math.max(0, now() - atMs) / 1000);
      },
    });
    new Gauge({ name: 'fleet_agent_journal_degraded', help: '1 while the journal holds writes because its disk is full (the node takes no new work).', registers, collect() { this.set(sources.journalDegraded() ? 1 : 0); } });
    new Gauge({ name: 'fleet_agent_session_connected', help: '1 while a session with the control plane is open.', registers, collect() { this.set(sources.sessionConnected() ? 1 : 0); } });
    new Gauge({ name: 'fleet_agent_self_check_ok', help: '1 while the last self-check passed (the same checks the systemd watchdog is pinged on).', registers, collect() { this.set(sources.selfCheckOk() ? 1 : 0); } });
    new Gauge({
      name: 'fleet_agent_certificate_expiry_timestamp_seconds',
      help: 'When the node certificate expires (unix seconds); renewed over the session at 70-90% of its life. No sample while the node is enrolling.',
      registers,
      collect() {
        const ms = sources.certificateExpiresAtMs();
        // No sample rather than 0: a zero would read as long expired.
        if (ms > 0) this.set(ms / 1000);
        else this.remove();
      },
    });
  }

  dockerCall(op: DockerOp, ok: boolean, seconds: number): void {
    this.dockerCalls.inc({ op, result: ok ? 'ok' : 'error' });
    if (!UNTIMED_OPS.has(op)) this.dockerDuration.observe({ op }, seconds);
  }

  attemptFinished(kind: AttemptKind, outcome: AttemptOutcome): void {
    this.attemptsFinished.inc({ kind, state: outcome.state, reason: outcome.reason || 'none' });
  }

  clineStalled(rule: StallRule): void {
    this.stalls.inc({ rule });
  }

  callEnded(provider: string, model: string, code: string): void {
    this.gatewayRequests.inc({ provider, model, code });
  }

  charged(provider: string, model: string, usage: { input: number; output: number; cost: number }): void {
    this.gatewayTokens.inc({ provider, model, direction: 'input' }, usage.input);
    this.gatewayTokens.inc({ provider, model, direction: 'output' }, usage.output);
    this.gatewayCost.inc({ provider, model }, usage.cost);
  }

  upstreamError(provider: string, kind: UpstreamErrorKind): void {
    this.upstreamErrors.inc({ provider, kind });
  }

  upstreamTry(provider: string): void {
    this.upstreamTries.inc({ provider });
  }

  upstreamRetry(provider: string): void {
    this.upstreamRetries.inc({ provider });
  }

  failover(from: string, to: string): void {
    this.failovers.inc({ from, to });
  }

  hit(): void {
    this.repoCacheHits.inc();
  }

  miss(): void {
    this.repoCacheMisses.inc();
  }

  evicted(): void {
    this.repoCacheEvictions.inc();
  }

  sessionReconnected(): void {
    this.reconnects.inc();
  }

  /** The watchdog's onChange: its problems when it starts failing (or they change), none when it passes again. */
  selfCheckChanged(problems: readonly string[]): void {
    const failing = problems.length > 0;
    if (failing && !this.selfCheckFailing) this.selfCheckFailures.inc();
    this.selfCheckFailing = failing;
  }
}

/** Every metric name AgentMetrics registers (the dashboard's test checks its queries against them). */
export function agentMetricNames(): string[] {
  const registry = new Registry();
  new AgentMetrics(registry, '0.0.0', INERT_SOURCES);
  return registry.getMetricsAsArray().map((m) => m.name);
}

/** /healthz: the watchdog's last self-check, the same one systemd is pinged on. */
export function healthVerdict(report: SelfCheckReport): Verdict {
  if (!report.ok) return { ok: false, detail: `self-check failing: ${report.problems.join('; ')}` };
  return { ok: true, detail: report.atMs > 0 ? 'the self-check passes' : 'no self-check has run yet' };
}

/** /readyz: the agent can take work: a session with the control plane is open and Docker answers. `starting`: what it does until it has a session. */
export function readyVerdict(session: SessionState | undefined, docker: DockerHealth | undefined, starting = 'starting', refusal = ''): Verdict {
  if (session === undefined || docker === undefined) return { ok: false, detail: starting };
  const problems: string[] = [];
  if (refusal && session !== 'connected') problems.push(`refused by the control plane: ${refusal}`);
  else if (session !== 'connected') problems.push(`no session with the control plane (${session})`);
  if (!docker.healthy) problems.push(`Docker does not answer: ${docker.error}`);
  return problems.length > 0 ? { ok: false, detail: problems.join('; ') } : { ok: true, detail: 'session open, Docker answering' };
}

/**
 * The node's LLM gateway. Each Cline attempt gets a unix socket of its own,
 * mounted into its container, and a token valid for that attempt and socket
 * only. The gateway checks both, forwards `chat/completions` to the provider
 * with the real key (which never enters a container), streams the answer
 * back, counts tokens and cost per attempt, and enforces the attempt's
 * budget. When the attempt ends its token is revoked and its socket removed.
 *
 * The container is hostile (Cline runs any command in --yolo), so the budget
 * holds whatever the client does: an attempt has at most a few calls in flight
 * (`maxConcurrentCalls`); each call reserves its prompt (estimated from the
 * request's size) and its output (`max_tokens`, clamped to what the budget has
 * left) before it goes upstream, so calls in parallel cannot together pass the
 * budget; a client that hangs up does not stop the call upstream (the provider
 * bills it all the same), its usage is read to the end and counted; and a call
 * whose usage never arrives keeps its reservation as its charge.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, lstat, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fullJitterDelayMs, type BackoffPolicy } from '../../common/backoff.js';
import { LineSplitter } from '../../common/cline-events.js';
import type { Logger } from '../../common/logger.js';
import { MAX_CONCURRENT_CALLS } from '../../common/task-spec.js';
import type { PermitSource } from './provider-permits.js';
import type { TeamBudgetSource } from './team-budgets.js';
import { MAX_SERVED_BY, type AgentProgress, type ProviderEndpoint, type ProviderGrant, type ServedBy } from '../../common/model.js';

/** Requests larger than this are refused with 413 (Cline sends its whole conversation each call). */
export const MAX_REQUEST_BYTES = 32 * 1024 * 1024;
/**
 * Model calls one attempt may have in flight by default. Cline makes one at a
 * time; the second slot is for its retry while a call it gave up on still runs
 * upstream (a call is not cut when its client hangs up).
 */
export const DEFAULT_CONCURRENT_CALLS = 2;
export { MAX_CONCURRENT_CALLS };
/**
 * Request bytes per prompt token, to reserve a prompt before the provider has
 * counted it. Tokenizers give 3 to 4 bytes a token for code and English, and
 * the JSON around the messages adds bytes: 3 errs towards reserving too much.
 */
export const REQUEST_BYTES_PER_TOKEN = 3;
/**
 * The output a call may have, under a budget, when its client asked for no
 * limit (Cline asks none of an OpenAI-compatible provider): what Cline asks of
 * most models itself, and under every current model's maximum (a provider
 * refuses a max_tokens above it).
 */
export const DEFAULT_OUTPUT_TOKENS = 8192;
/** The provider must answer with headers within this time. */
const PROVIDER_HEADERS_TIMEOUT_MS = 120_000;
/** A streamed answer with no bytes for this long is cut. */
const PROVIDER_IDLE_TIMEOUT_MS = 300_000;
/** sun_path is 108 bytes on Linux, with the terminating NUL. */
export const MAX_UNIX_SOCKET_PATH_BYTES = 107;
/** Server errors or network failures in a row before the attempt is stopped as provider_error. */
export const PROVIDER_FAILURES_TO_STOP = 3;

/**
 * How a model call is retried upstream before the container hears of a
 * failure: `tries` per provider (the first and its retries), spaced by
 * exponential backoff with full jitter, or by the provider's `Retry-After`
 * when it gives one no longer than `maxRetryAfterMs` (a longer one moves to
 * the next fallback at once); then each fallback provider in turn.
 */
export interface UpstreamRetry {
  tries: number;
  backoff: BackoffPolicy;
  maxRetryAfterMs: number;
}

export const DEFAULT_UPSTREAM_RETRY: UpstreamRetry = { tries: 3, backoff: { initialMs: 1_000, maxMs: 10_000, multiplier: 2 }, maxRetryAfterMs: 30_000 };

/**
 * Whether another try may get an answer: rate limited (429), overloaded
 * (529, Anthropic's), timed out (408) or any server error. Other 4xx say
 * the request itself is wrong: the same request fails the same way anywhere.
 */
export function retryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

/** Whether a fallback provider may answer where this one did not: retryable, or this one refused its key. */
export function failsOver(status: number): boolean {
  return retryableStatus(status) || status === 401 || status === 403;
}

/**
 * The wait before retry `retry` (1 = the first retry): the provider's
 * `Retry-After` (seconds, or an HTTP date) when it sent one, else full
 * jitter. Null when the provider asks for longer than `maxRetryAfterMs`:
 * better another provider now than this one later.
 */
export function retryDelayMs(policy: UpstreamRetry, retry: number, retryAfter: string | null, now: number, random: () => number = Math.random): number | null {
  if (retryAfter !== null && retryAfter.trim() !== '') {
    const text = retryAfter.trim();
    const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now;
    if (Number.isFinite(ms)) return ms > policy.maxRetryAfterMs ? null : Math.max(0, Math.ceil(ms));
  }
  return fullJitterDelayMs(policy.backoff, retry, random);
}

export interface Budget {
  /** 0 = no limit. */
  maxTokens: number;
  /** 0 = no limit. */
  maxCostUsd: number;
}

export type GatewayStopReason = 'budget_exceeded' | 'provider_error';

/** How a call to the provider failed: the status it answered (by class), or no answer. */
export type UpstreamErrorKind = 'status_429' | 'status_5xx' | 'status_4xx' | 'network' | 'timeout';

/**
 * Told about model calls (metrics). Provider and model are the attempt's
 * grant, as operators configured them; never an attempt's id.
 */
export interface GatewayObserver {
  /**
   * A container's call ended: the HTTP status the gateway answered it with,
   * or `error` when it got none (it hung up first). Provider and model are
   * empty when its token matched no attempt.
   */
  callEnded(provider: string, model: string, code: string): void;
  /** What a call was charged: the provider's usage, or the gateway's estimate when none came. */
  charged(provider: string, model: string, usage: { input: number; output: number; cost: number }): void;
  /** The provider failed a call: an error status, or no answer at all. */
  upstreamError(provider: string, kind: UpstreamErrorKind): void;
  /** A request goes to a provider (a call's first try, a retry, or a fallback's try). */
  upstreamTry?(provider: string): void;
  /** A call is tried again on the same provider. */
  upstreamRetry?(provider: string): void;
  /** A call moved from a failing provider to its fallback. */
  failover?(from: string, to: string): void;
}

export interface GatewayOptions {
  /** Model calls one attempt may have in flight; more are refused with 429. */
  maxConcurrentCalls?: number;
  observer?: GatewayObserver;
  /** How calls are retried upstream (tests make it fast). */
  retry?: UpstreamRetry;
  /** In [0, 1), for the jitter (injected for tests). */
  random?: () => number;
  /** Permits for providers with a fleet-wide rate limit (`provider-permits.ts`); absent: such calls go unpermitted. */
  permits?: PermitSource;
  /** Teams' daily budgets (`team-budgets.ts`); absent: teams' calls are not counted or held. */
  teams?: TeamBudgetSource;
}

export interface AttemptChannel {
  socketPath: string;
  token: string;
}

export interface OpenOptions {
  attemptId: string;
  socketPath: string;
  token: string;
  provider: ProviderGrant;
  budget: Budget;
  /** The task's team ('' or absent: none): its calls count against the team's daily budgets, and stop when they are spent. */
  team?: string;
  /** The attempt's task (its spend is reported with it: the control plane takes the team from the task). */
  taskId?: string;
  /** What was counted before (an adopted attempt). */
  usage: Usage;
  onUsage: (usage: Usage) => void;
  /** The attempt must end: its budget is spent, or its provider keeps failing. */
  onStop: (reason: GatewayStopReason, message: string) => void;
}

interface AttemptEntry extends OpenOptions {
  tokenDigest: Buffer;
  server: net.Server;
  /** The container's connections: closed with the attempt, not left to a keep-alive timeout. */
  sockets: Set<net.Socket>;
  providerFailures: number;
  lastProviderError: string;
  stopped: boolean;
  /** Calls in flight: the request is being read or the provider is answering. */
  inFlight: number;
  /** What the calls in flight have reserved of the budget. */
  reservedTokens: number;
  reservedCostUsd: number;
  /** The dearest cost per token (input plus output) a call of this attempt was charged; 0 until one reports cost. */
  usdPerToken: number;
  /** Upstream calls in flight, cut when the attempt ends. */
  upstream: Set<AbortController>;
  /** Calls waiting for a rate permit now. */
  waitingForPermit: number;
  /** The same calls, settled once charged. */
  forwarding: Set<Promise<void>>;
  closed: boolean;
}

type Usage = Pick<AgentProgress, 'inputTokens' | 'outputTokens' | 'costUsd' | 'servedBy'>;

/** What a call may spend, decided before it goes upstream. */
export type CallPlan =
  | {
      refused: false;
      /** The prompt as estimated from the request's size. */
      promptTokens: number;
      /** The output limit to send (null: the client's choice stands, there is no budget). */
      maxOutput: number | null;
      /** Held against the budget until the provider reports what the call used. */
      reserveTokens: number;
      reserveCostUsd: number;
    }
  /** `final`: nothing the calls in flight could give back would make room; the attempt is over. */
  | { refused: true; final: boolean; message: string };

/**
 * Plans one call against the budget: the prompt (estimated from
 * `requestBytes`) and the output limit must both fit in what is left once
 * the calls in flight have their reservations. Under a budget the output
 * limit is always set: the client's, clamped, or `DEFAULT_OUTPUT_TOKENS`.
 * A cost budget is turned into tokens at the dearest rate this attempt has
 * been charged; until a call has reported a cost, calls are held to
 * `DEFAULT_OUTPUT_TOKENS` of output.
 */
export function planCall(
  budget: Budget,
  ledger: { used: Usage; reservedTokens: number; reservedCostUsd: number; usdPerToken: number },
  requestBytes: number,
  askedOutput: number | null,
): CallPlan {
  const promptTokens = Math.ceil(requestBytes / REQUEST_BYTES_PER_TOKEN);
  if (budget.maxTokens <= 0 && budget.maxCostUsd <= 0) return { refused: false, promptTokens, maxOutput: askedOutput, reserveTokens: 0, reserveCostUsd: 0 };
  let room = askedOutput ?? DEFAULT_OUTPUT_TOKENS;
  if (budget.maxTokens > 0) {
    const used = ledger.used.inputTokens + ledger.used.outputTokens;
    const unreserved = budget.maxTokens - used - promptTokens;
    if (unreserved < 1) {
      return { refused: true, final: true, message: `token budget of ${budget.maxTokens} spent: ${used} used, and this call's prompt alone is about ${promptTokens}` };
    }
    if (unreserved - ledger.reservedTokens < 1) {
      return { refused: true, final: false, message: `what is left of the token budget of ${budget.maxTokens} is held by the model calls in flight (${ledger.reservedTokens} tokens reserved): retry when they finish` };
    }
    room = Math.min(room, unreserved - ledger.reservedTokens);
  }
  if (budget.maxCostUsd > 0) {
    if (ledger.usdPerToken > 0) {
      const unreserved = Math.floor((budget.maxCostUsd - ledger.used.costUsd) / ledger.usdPerToken) - promptTokens;
      if (unreserved < 1) {
        return { refused: true, final: true, message: `cost budget of $${budget.maxCostUsd} spent: $${ledger.used.costUsd.toFixed(4)} used, and this call's prompt alone would take the rest` };
      }
      const affordable = Math.floor((budget.maxCostUsd - ledger.used.costUsd - ledger.reservedCostUsd) / ledger.usdPerToken) - promptTokens;
      if (affordable < 1) {
        return { refused: true, final: false, message: `what is left of the cost budget of $${budget.maxCostUsd} is held by the model calls in flight ($${ledger.reservedCostUsd.toFixed(4)} reserved): retry when they finish` };
      }
      room = Math.min(room, affordable);
    } else room = Math.min(room, DEFAULT_OUTPUT_TOKENS);
  }
  const reserveTokens = promptTokens + room;
  return { refused: false, promptTokens, maxOutput: room, reserveTokens, reserveCostUsd: reserveTokens * ledger.usdPerToken };
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** The output limit the client asked for: the lower of `max_tokens` and `max_completion_tokens` (null if neither is a count). */
export function askedOutput(body: Record<string, unknown>): number | null {
  const asked = [body.max_tokens, body.max_completion_tokens].filter(isCount);
  return asked.length > 0 ? Math.min(...asked) : null;
}

/**
 * Sets the output limit in the request: on each field the client sent, or on
 * `max_tokens` (the one every OpenAI-compatible server knows) if it sent
 * neither. Only `max_completion_tokens` is kept alone: OpenAI's reasoning
 * models refuse `max_tokens`.
 */
export function setOutputLimit(body: Record<string, unknown>, limit: number): void {
  const completion = 'max_completion_tokens' in body;
  if (completion) body.max_completion_tokens = limit;
  if ('max_tokens' in body || !completion) body.max_tokens = limit;
}

export function newGatewayToken(): string {
  return `fleet_llm_${randomBytes(32).toString('base64url')}`;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Usage from an OpenAI-compatible answer (a streamed chunk or a whole body). */
export function usageOf(body: unknown): { input: number; output: number; cost: number } | null {
  const usage = (body as { usage?: Record<string, unknown> } | null)?.usage;
  if (!usage || typeof usage !== 'object') return null;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);
  return { input: num(usage.prompt_tokens), output: num(usage.completion_tokens), cost: num(usage.cost ?? usage.total_cost) };
}

/** Scans SSE text for `data:` lines carrying usage; keeps the partial last line. */
export class SseUsageScanner {
  private readonly lines = new LineSplitter();
  last: { input: number; output: number; cost: number } | null = null;

  push(text: string): void {
    for (const line of this.lines.push(text)) this.line(line);
  }

  end(): void {
    for (const line of this.lines.end()) this.line(line);
  }

  private line(line: string): void {
    const trimmed = line.trim();
    if (!trimmed.startsWith('data:')) return;
    const data = trimmed.slice(5).trim();
    if (data === '' || data === '[DONE]') return;
    try {
      const found = usageOf(JSON.parse(data));
      if (found) this.last = found;
    } catch {
      // Not JSON: nothing to count.
    }
  }
}

function sendError(res: http.ServerResponse, status: number, type: string, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (res.destroyed) return;
  const body = JSON.stringify({ error: { message, type, code: type } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** Network errors (fetch's cause codes) that come after the provider may have taken the request. */
const REACHED_PROVIDER = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

/** A request body over `MAX_REQUEST_BYTES`. */
class RequestTooLarge extends Error {}

/** Why the gateway cut a call upstream: the provider was too slow (its headers, or a pause in its answer). */
class ProviderTimeout extends Error {}

function statusKind(status: number): UpstreamErrorKind {
  if (status === 429) return 'status_429';
  return status >= 500 ? 'status_5xx' : 'status_4xx';
}

export class LlmGateway {
  private readonly attempts = new Map<string, AttemptEntry>();
  private readonly socketAttempt = new WeakMap<net.Socket, string>();
  private readonly http: http.Server;
  private readonly maxConcurrentCalls: number;
  private readonly observer: GatewayObserver | undefined;
  private readonly retry: UpstreamRetry;
  private readonly permits: PermitSource | undefined;
  private readonly teams: TeamBudgetSource | undefined;
  private readonly random: () => number;

  constructor(
    private readonly log: Logger,
    options: GatewayOptions = {},
  ) {
    this.maxConcurrentCalls = options.maxConcurrentCalls ?? DEFAULT_CONCURRENT_CALLS;
    this.observer = options.observer;
    this.retry = options.retry ?? DEFAULT_UPSTREAM_RETRY;
    this.random = options.random ?? Math.random;
    this.permits = options.permits;
    this.teams = options.teams;
    if (!Number.isInteger(this.maxConcurrentCalls) || this.maxConcurrentCalls < 1 || this.maxConcurrentCalls > MAX_CONCURRENT_CALLS) {
      throw new RangeError(`model calls per attempt must be a whole number from 1 to ${MAX_CONCURRENT_CALLS}, got ${options.maxConcurrentCalls}`);
    }
    this.http = http.createServer((req, res) => void this.handle(req, res));
  }

  /** Starts serving an attempt on its own socket. */
  async open(options: OpenOptions): Promise<AttemptChannel> {
    await this.close(options.attemptId);
    await rm(options.socketPath, { force: true });
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      this.socketAttempt.set(socket, options.attemptId);
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      this.http.emit('connection', socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.socketPath, () => resolve());
    });
    // The container's user connects. Only our own socket is opened to it, never what a link in its place points at.
    const made = await lstat(options.socketPath);
    if (!made.isSocket() || made.uid !== process.getuid?.()) {
      server.close();
      throw new Error(`${options.socketPath} is not the gateway's socket (something replaced it): not opening it to the container`);
    }
    await chmod(options.socketPath, 0o666);
    this.attempts.set(options.attemptId, {
      ...options,
      usage: { ...options.usage },
      tokenDigest: digest(options.token),
      server,
      sockets,
      providerFailures: 0,
      lastProviderError: '',
      stopped: false,
      inFlight: 0,
      reservedTokens: 0,
      reservedCostUsd: 0,
      usdPerToken: 0,
      upstream: new Set(),
      waitingForPermit: 0,
      forwarding: new Set(),
      closed: false,
    });
    return { socketPath: options.socketPath, token: options.token };
  }

  /**
   * Revokes the attempt's token and removes its socket. Calls still running
   * upstream are cut (the attempt is over: what they would still spend buys
   * nothing) and charged their reservation, reported through `onUsage` before
   * this resolves.
   */
  async close(attemptId: string): Promise<void> {
    const entry = this.attempts.get(attemptId);
    if (!entry) return;
    this.attempts.delete(attemptId);
    entry.closed = true;
    for (const call of entry.upstream) call.abort(new Error('the attempt ended'));
    await Promise.allSettled([...entry.forwarding]);
    const closed = new Promise<void>((resolve) => entry.server.close(() => resolve()));
    for (const socket of entry.sockets) socket.destroy();
    await closed;
    await rm(entry.socketPath, { force: true });
  }

  /** Whether a call of this attempt waits for a provider's rate permit now (the fleet's time, not the run's). */
  waitingForPermit(attemptId: string): boolean {
    return (this.attempts.get(attemptId)?.waitingForPermit ?? 0) > 0;
  }

  /** The last error the provider gave this attempt ('' if none). */
  lastProviderError(attemptId: string): string {
    return this.attempts.get(attemptId)?.lastProviderError ?? '';
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.attempts.keys()].map((id) => this.close(id)));
    this.http.close();
  }

  private authorize(req: http.IncomingMessage): AttemptEntry | null {
    const attemptId = this.socketAttempt.get(req.socket);
    const entry = attemptId ? this.attempts.get(attemptId) : undefined;
    const match = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
    if (!entry || !match) return null;
    return timingSafeEqual(digest(match[1]!), entry.tokenDigest) ? entry : null;
  }

  private overBudget(entry: AttemptEntry): string | null {
    const { maxTokens, maxCostUsd } = entry.budget;
    const used = entry.usage.inputTokens + entry.usage.outputTokens;
    if (maxTokens > 0 && used >= maxTokens) return `token budget of ${maxTokens} spent (${used} used)`;
    if (maxCostUsd > 0 && entry.usage.costUsd >= maxCostUsd) return `cost budget of $${maxCostUsd} spent ($${entry.usage.costUsd.toFixed(4)} used)`;
    return null;
  }

  private stop(entry: AttemptEntry, reason: GatewayStopReason, message: string): void {
    if (entry.stopped) return;
    entry.stopped = true;
    this.log.warn({ attemptId: entry.attemptId, provider: entry.provider.name, reason, detail: message }, 'gateway stopping attempt');
    entry.onStop(reason, message);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // A client gone mid-answer must not take the agent down with a write error.
    res.on('error', () => {});
    const entry = this.authorize(req);
    try {
      await this.serve(entry, req, res);
    } finally {
      // Once the call is over upstream too: a client that hung up is told nothing, and counted so.
      this.observer?.callEnded(entry?.provider.name ?? '', entry?.provider.model ?? '', res.headersSent ? String(res.statusCode) : 'error');
    }
  }

  private async serve(entry: AttemptEntry | null, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!entry) return sendError(res, 401, 'invalid_token', 'this token is not valid for this attempt (it may have ended)');
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || (path !== '/v1/chat/completions' && path !== '/chat/completions')) {
      return sendError(res, 404, 'not_found', 'the fleet gateway serves POST /v1/chat/completions only');
    }
    const spent = this.overBudget(entry) ?? (entry.team ? this.teams?.spent(entry.team) : null) ?? null;
    if (spent) {
      this.stop(entry, 'budget_exceeded', spent);
      return sendError(res, 429, 'budget_exceeded', spent);
    }
    // Refused rather than queued: a queue would hold the container's requests
    // (up to MAX_REQUEST_BYTES each) in the agent for as long as it liked, and
    // OpenAI clients, Cline's among them, retry a 429 after `retry-after`.
    if (entry.inFlight >= this.maxConcurrentCalls) {
      const message = `this attempt already has ${entry.inFlight} model calls in flight, the most the node allows (fleet-node-agent --model-calls-per-attempt): retry when one has finished`;
      return sendError(res, 429, 'rate_limit_exceeded', message, { 'retry-after': '1' });
    }
    entry.inFlight += 1;
    try {
      await this.call(entry, req, res);
    } finally {
      entry.inFlight -= 1;
    }
  }

  /** One model call, holding one of the attempt's slots: the request read, planned against the budget, and forwarded. */
  private async call(entry: AttemptEntry, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const declared = Number(req.headers['content-length']);
    if (declared > MAX_REQUEST_BYTES) return refuseTooLarge(res);
    let request: { body: Record<string, unknown>; bytes: number };
    try {
      request = await readJson(req);
    } catch (err) {
      if (err instanceof RequestTooLarge) return refuseTooLarge(res);
      return sendError(res, 400, 'invalid_request', (err as Error).message);
    }
    const { body } = request;
    // n choices cost n outputs, each up to max_tokens.
    if (body.n !== undefined && body.n !== 1) return sendError(res, 400, 'invalid_request', 'the fleet gateway asks for one choice per call: leave out n or set it to 1');
    const plan = planCall(entry.budget, { used: entry.usage, reservedTokens: entry.reservedTokens, reservedCostUsd: entry.reservedCostUsd, usdPerToken: entry.usdPerToken }, request.bytes, askedOutput(body));
    if (plan.refused) {
      if (!plan.final) return sendError(res, 429, 'rate_limit_exceeded', plan.message, { 'retry-after': '1' });
      this.stop(entry, 'budget_exceeded', plan.message);
      return sendError(res, 429, 'budget_exceeded', plan.message);
    }
    if (entry.budget.maxTokens > 0 || entry.budget.maxCostUsd > 0) setOutputLimit(body, plan.maxOutput!);
    body.model = entry.provider.model;
    if (body.stream === true) body.stream_options = { ...((body.stream_options as object) ?? {}), include_usage: true };
    entry.reservedTokens += plan.reserveTokens;
    entry.reservedCostUsd += plan.reserveCostUsd;
    const forwarding = this.forward(entry, body, plan, res);
    entry.forwarding.add(forwarding);
    try {
      await forwarding;
    } finally {
      entry.forwarding.delete(forwarding);
      entry.reservedTokens -= plan.reserveTokens;
      entry.reservedCostUsd -= plan.reserveCostUsd;
      // Floating point sums drift: with no other call in flight, nothing is reserved.
      if (entry.inFlight === 1) entry.reservedCostUsd = 0;
    }
  }

  private providerFailed(entry: AttemptEntry, endpoint: ProviderEndpoint, detail: string): void {
    entry.providerFailures += 1;
    entry.lastProviderError = `provider "${endpoint.name}" ${detail}`;
    if (entry.providerFailures >= PROVIDER_FAILURES_TO_STOP) {
      this.stop(entry, 'provider_error', `${entry.lastProviderError} (${entry.providerFailures} times in a row)`);
    }
  }

  /**
   * Counts what a call used. A call whose usage never came (the answer was
   * cut, or the provider does not report it) is charged its estimate: its
   * reservation under a budget (the prompt estimate and the output limit
   * sent, which the provider cannot exceed), or else the prompt estimate and
   * the bytes streamed as tokens, at the dearest rate seen.
   */
  private charge(entry: AttemptEntry, endpoint: ProviderEndpoint, plan: Extract<CallPlan, { refused: false }>, used: { input: number; output: number; cost: number } | null, streamedBytes: number): { input: number; output: number; cost: number; estimated: boolean } {
    const charged = used
      ? { ...used, estimated: false }
      : (() => {
          const output = plan.maxOutput ?? Math.ceil(streamedBytes / REQUEST_BYTES_PER_TOKEN);
          return { input: plan.promptTokens, output, cost: (plan.promptTokens + output) * entry.usdPerToken, estimated: true };
        })();
    if (used && used.cost > 0 && used.input + used.output > 0) entry.usdPerToken = Math.max(entry.usdPerToken, used.cost / (used.input + used.output));
    entry.usage = { ...entry.usage, inputTokens: entry.usage.inputTokens + charged.input, outputTokens: entry.usage.outputTokens + charged.output, costUsd: entry.usage.costUsd + charged.cost };
    entry.onUsage({ ...entry.usage });
    this.observer?.charged(endpoint.name, endpoint.model, charged);
    if (endpoint.rateLimited) this.permits?.used(endpoint.name, charged.input + charged.output);
    if (entry.team) this.teams?.used({ team: entry.team, taskId: entry.taskId ?? '', attemptId: entry.attemptId }, charged.input + charged.output, charged.cost);
    return charged;
  }

  /**
   * Sends the call upstream and relays the answer. A failure the provider
   * may get past (429, 529, 5xx, a timeout, no connection) is tried again
   * after a backoff with full jitter, or after the provider's Retry-After;
   * then the attempt's fallback providers are tried in order, each with its
   * own key and model. Only the last failure reaches the container. Nothing
   * is retried once the client has hung up, the attempt has ended or the
   * budget is spent.
   */
  private async forward(entry: AttemptEntry, body: Record<string, unknown>, plan: Extract<CallPlan, { refused: false }>, res: http.ServerResponse): Promise<void> {
    const started = Date.now();
    const endpoints: ProviderEndpoint[] = [entry.provider, ...(entry.provider.fallbacks ?? [])];
    let failure: UpstreamFailure | undefined;
    providers: for (let e = 0; e < endpoints.length; e++) {
      const endpoint = endpoints[e]!;
      if (e > 0) {
        this.log.warn({ attemptId: entry.attemptId, from: endpoints[e - 1]!.name, to: endpoint.name, detail: failure?.detail }, 'model call failing over to the next provider');
        this.observer?.failover?.(endpoints[e - 1]!.name, endpoint.name);
      }
      for (let tryNo = 1; ; tryNo++) {
        // Each request to a rate-limited provider, a retry too, waits for a permit from the fleet's window.
        if (endpoint.rateLimited && !(await this.permit(entry, endpoint, res))) {
          if (entry.closed) return sendError(res, 401, 'invalid_token', 'the attempt has ended');
          return; // The client hung up while its call waited: nothing went upstream, nothing to answer.
        }
        const sent = await this.send(entry, endpoint, body, plan);
        if (sent.kind === 'answer') return this.relay(entry, endpoint, sent, plan, res, started);
        failure = sent;
        if (entry.closed) return sendError(res, 401, 'invalid_token', 'the attempt has ended');
        // Nobody is waiting for the answer, or nothing is left to pay for one: no more tries.
        if (res.destroyed || this.overBudget(entry)) break providers;
        if (!sent.retryable || tryNo >= this.retry.tries) break;
        const delayMs = retryDelayMs(this.retry, tryNo, sent.retryAfter, Date.now(), this.random);
        if (delayMs === null) break;
        this.observer?.upstreamRetry?.(endpoint.name);
        this.log.info({ attemptId: entry.attemptId, provider: endpoint.name, try: tryNo, delayMs, detail: sent.detail }, 'model call failed upstream; trying again');
        if (!(await this.pause(entry, delayMs))) return sendError(res, 401, 'invalid_token', 'the attempt has ended');
      }
      if (!failure.failsOver) break;
    }
    return this.failed(entry, failure!, res);
  }

  /**
   * Waits for a permit to call a rate-limited provider: true once held;
   * false when the attempt ended or the client hung up meanwhile.
   */
  private async permit(entry: AttemptEntry, endpoint: ProviderEndpoint, res: http.ServerResponse): Promise<boolean> {
    if (!this.permits) return true;
    if (res.destroyed) return false;
    const stop = new AbortController();
    entry.upstream.add(stop);
    const hungUp = () => stop.abort();
    res.once('close', hungUp);
    entry.waitingForPermit++;
    try {
      return await this.permits.take(endpoint.name, stop.signal);
    } finally {
      entry.waitingForPermit--;
      entry.upstream.delete(stop);
      res.off('close', hungUp);
    }
  }

  /** Waits before a retry; false when the attempt ended meanwhile. */
  private async pause(entry: AttemptEntry, ms: number): Promise<boolean> {
    const wake = new AbortController();
    entry.upstream.add(wake);
    try {
      await sleep(ms, undefined, { signal: wake.signal });
    } catch {
      // Woken by the attempt's end.
    } finally {
      entry.upstream.delete(wake);
    }
    return !entry.closed;
  }

  /** One try of one provider, up to its answer's headers. */
  private async send(entry: AttemptEntry, endpoint: ProviderEndpoint, body: Record<string, unknown>, plan: Extract<CallPlan, { refused: false }>): Promise<UpstreamAnswer | UpstreamFailure> {
    this.observer?.upstreamTry?.(endpoint.name);
    const abort = new AbortController();
    entry.upstream.add(abort);
    const timer = { idle: setTimeout(() => abort.abort(new ProviderTimeout('no answer in time')), PROVIDER_HEADERS_TIMEOUT_MS) };
    // No abort when the client hangs up: the provider bills the call all the
    // same, so it is read to the end (within the timeouts) and its usage counted.
    let upstream: Response;
    try {
      upstream = await fetch(`${endpoint.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${endpoint.apiKey}`, 'content-type': 'application/json', accept: 'text/event-stream, application/json' },
        body: JSON.stringify({ ...body, model: endpoint.model }),
        signal: abort.signal,
      });
    } catch (err) {
      clearTimeout(timer.idle);
      entry.upstream.delete(abort);
      // Timed out, cut because the attempt ended, or hung up on once
      // connected, the provider had the request and may bill it; refused or
      // unresolved, it never saw it.
      if (abort.signal.aborted || REACHED_PROVIDER.has(String((err as { cause?: { code?: unknown } }).cause?.code))) this.charge(entry, endpoint, plan, null, 0);
      const timeout = abort.signal.reason instanceof ProviderTimeout;
      if (!entry.closed) this.observer?.upstreamError(endpoint.name, timeout ? 'timeout' : 'network');
      return { kind: 'failure', endpoint, status: 0, text: '', detail: `is unreachable at ${endpoint.baseUrl}: ${(err as Error).message}`, retryAfter: null, retryable: true, failsOver: true };
    }
    if (upstream.ok) return { kind: 'answer', upstream, abort, timer };
    clearTimeout(timer.idle);
    entry.upstream.delete(abort);
    // A permitted request refused for its rate: the fleet's limit in force shrinks.
    if (upstream.status === 429 && endpoint.rateLimited) this.permits?.throttled(endpoint.name);
    const text = (await upstream.text().catch(() => '')).slice(0, 300);
    this.observer?.upstreamError(endpoint.name, statusKind(upstream.status));
    this.log.warn({ attemptId: entry.attemptId, provider: endpoint.name, status: upstream.status }, 'provider call failed');
    return {
      kind: 'failure',
      endpoint,
      status: upstream.status,
      text,
      detail: `answered HTTP ${upstream.status}${text ? `: ${text}` : ''}`,
      retryAfter: upstream.headers.get('retry-after'),
      contentType: upstream.headers.get('content-type'),
      retryable: retryableStatus(upstream.status),
      failsOver: failsOver(upstream.status),
    };
  }

  /** Every try failed: the last failure is the container's answer, and counts against the provider. */
  private failed(entry: AttemptEntry, f: UpstreamFailure, res: http.ServerResponse): void {
    if (f.status === 0) {
      this.providerFailed(entry, f.endpoint, f.detail);
      return sendError(res, 502, 'provider_unreachable', entry.lastProviderError);
    }
    if (f.status >= 500) this.providerFailed(entry, f.endpoint, f.detail);
    else if (f.status === 401 || f.status === 403) {
      entry.lastProviderError = `provider "${f.endpoint.name}" refused its key (HTTP ${f.status}): check fleetctl provider set ${f.endpoint.name}`;
      this.stop(entry, 'provider_error', entry.lastProviderError);
    } else entry.lastProviderError = `provider "${f.endpoint.name}" ${f.detail}`;
    if (res.destroyed) return;
    // The client backs off as the provider asked (a 429's Retry-After), as it would talking to it directly.
    res.writeHead(f.status, { 'content-type': f.contentType ?? 'application/json', ...(f.retryAfter ? { 'retry-after': f.retryAfter } : {}) });
    res.end(f.text);
  }

  /** Streams a provider's answer to the container and counts what it used. */
  private async relay(entry: AttemptEntry, endpoint: ProviderEndpoint, answer: UpstreamAnswer, plan: Extract<CallPlan, { refused: false }>, res: http.ServerResponse, started: number): Promise<void> {
    const { upstream, abort, timer } = answer;
    entry.providerFailures = 0;
    if (!res.destroyed) res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json', 'cache-control': 'no-cache' });
    const streamed = (upstream.headers.get('content-type') ?? '').includes('text/event-stream');
    const scanner = new SseUsageScanner();
    const decoder = new TextDecoder();
    const whole: string[] = [];
    let streamedBytes = 0;
    try {
      for await (const chunk of upstream.body as unknown as AsyncIterable<Uint8Array>) {
        clearTimeout(timer.idle);
        timer.idle = setTimeout(() => abort.abort(new ProviderTimeout('the answer stalled')), PROVIDER_IDLE_TIMEOUT_MS);
        streamedBytes += chunk.length;
        if (!res.destroyed) res.write(chunk);
        const text = decoder.decode(chunk, { stream: true });
        if (streamed) scanner.push(text);
        else whole.push(text);
      }
    } catch (err) {
      this.log.warn({ attemptId: entry.attemptId, provider: endpoint.name, err: (err as Error).message }, 'provider answer cut off');
      // Cut by the gateway because the attempt ended is not the provider's failure.
      if (!entry.closed) this.observer?.upstreamError(endpoint.name, abort.signal.reason instanceof ProviderTimeout ? 'timeout' : 'network');
    } finally {
      clearTimeout(timer.idle);
      entry.upstream.delete(abort);
    }
    if (!res.destroyed) res.end();
    scanner.end();
    let used = scanner.last;
    if (!streamed) {
      try {
        used = usageOf(JSON.parse(whole.join('')));
      } catch {
        used = null;
      }
    }
    entry.usage = { ...entry.usage, servedBy: addServed(entry.usage.servedBy, endpoint) };
    const charged = this.charge(entry, endpoint, plan, used, streamedBytes);
    this.log.info(
      { attemptId: entry.attemptId, provider: endpoint.name, model: endpoint.model, inputTokens: charged.input, outputTokens: charged.output, ...(charged.estimated ? { estimated: true } : {}), durationMs: Date.now() - started },
      charged.estimated ? 'model call without usage: charged its estimate' : 'model call',
    );
    const spent = this.overBudget(entry);
    if (spent) this.stop(entry, 'budget_exceeded', spent);
  }
}

/** An answer with good headers; its body is still to be read. */
interface UpstreamAnswer {
  kind: 'answer';
  upstream: Response;
  abort: AbortController;
  timer: { idle: NodeJS.Timeout };
}

/** A try that got no good answer: no connection (status 0) or an error status. */
interface UpstreamFailure {
  kind: 'failure';
  endpoint: ProviderEndpoint;
  status: number;
  text: string;
  detail: string;
  retryAfter: string | null;
  contentType?: string | null;
  retryable: boolean;
  failsOver: boolean;
}

/** The count of calls each provider and model served, one more for `endpoint` (bounded: the grant names at most a few). */
export function addServed(servedBy: readonly ServedBy[] | undefined, endpoint: Pick<ProviderEndpoint, 'name' | 'model'>): ServedBy[] {
  const list = [...(servedBy ?? [])];
  const i = list.findIndex((x) => x.provider === endpoint.name && x.model === endpoint.model);
  if (i >= 0) list[i] = { ...list[i]!, calls: list[i]!.calls + 1 };
  else if (list.length < MAX_SERVED_BY) list.push({ provider: endpoint.name, model: endpoint.model, calls: 1 });
  return list;
}

function refuseTooLarge(res: http.ServerResponse): void {
  // The connection is closed after the answer: the rest of the body is not read.
  sendError(res, 413, 'request_too_large', `the request is over the ${MAX_REQUEST_BYTES} bytes the fleet gateway accepts: start a new task with a shorter prompt or conversation`, { connection: 'close' });
}

function readJson(req: http.IncomingMessage): Promise<{ body: Record<string, unknown>; bytes: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        req.removeAllListeners('data');
        req.pause();
        chunks.length = 0;
        reject(new RequestTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('the body must be a JSON object');
        resolve({ body: value as Record<string, unknown>, bytes: size });
      } catch (err) {
        reject(new Error(`the body is not valid JSON: ${(err as Error).message}`));
      }
    });
    req.on('error', reject);
    // A client gone mid-request frees its slot (a settled promise ignores this).
    req.on('close', () => reject(new Error('the client went away before the request was complete')));
  });
}

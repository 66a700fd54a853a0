/**
 * The node's LLM gateway. Each Cline attempt gets a unix socket of its own,
 * mounted into its container, and a token valid for that attempt and socket
 * only. The gateway checks both, forwards `chat/completions` to the provider
 * with the real key (which never enters a container), streams the answer
 * back, counts tokens and cost per attempt, and enforces the attempt's
 * budget. When the attempt ends its token is revoked and its socket removed.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, lstat, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { LineSplitter } from '../../common/cline-events.js';
import type { Logger } from '../../common/logger.js';
import type { AgentProgress, ProviderGrant } from '../../common/model.js';

/** Requests larger than this are refused (Cline sends its whole conversation each call). */
export const MAX_REQUEST_BYTES = 32 * 1024 * 1024;
/** The provider must answer with headers within this time. */
const PROVIDER_HEADERS_TIMEOUT_MS = 120_000;
/** A streamed answer with no bytes for this long is cut. */
const PROVIDER_IDLE_TIMEOUT_MS = 300_000;
/** sun_path is 108 bytes on Linux, with the terminating NUL. */
export const MAX_UNIX_SOCKET_PATH_BYTES = 107;
/** Server errors or network failures in a row before the attempt is stopped as provider_error. */
export const PROVIDER_FAILURES_TO_STOP = 3;

export interface Budget {
  /** 0 = no limit. */
  maxTokens: number;
  /** 0 = no limit. */
  maxCostUsd: number;
}

export type GatewayStopReason = 'budget_exceeded' | 'provider_error';

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
  /** What was counted before (an adopted attempt). */
  usage: Pick<AgentProgress, 'inputTokens' | 'outputTokens' | 'costUsd'>;
  onUsage: (usage: Pick<AgentProgress, 'inputTokens' | 'outputTokens' | 'costUsd'>) => void;
  /** The attempt must end: its budget is spent, or its provider keeps failing. */
  onStop: (reason: GatewayStopReason, message: string) => void;
}

interface AttemptEntry extends OpenOptions {
  tokenDigest: Buffer;
  server: net.Server;
  providerFailures: number;
  lastProviderError: string;
  stopped: boolean;
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

function sendError(res: http.ServerResponse, status: number, type: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { message, type, code: type } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export class LlmGateway {
  private readonly attempts = new Map<string, AttemptEntry>();
  private readonly socketAttempt = new WeakMap<net.Socket, string>();
  private readonly http: http.Server;

  constructor(private readonly log: Logger) {
    this.http = http.createServer((req, res) => void this.handle(req, res));
  }

  /** Starts serving an attempt on its own socket. */
  async open(options: OpenOptions): Promise<AttemptChannel> {
    await this.close(options.attemptId);
    await rm(options.socketPath, { force: true });
    const server = net.createServer((socket) => {
      this.socketAttempt.set(socket, options.attemptId);
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
      providerFailures: 0,
      lastProviderError: '',
      stopped: false,
    });
    return { socketPath: options.socketPath, token: options.token };
  }

  /** Revokes the attempt's token and removes its socket. */
  async close(attemptId: string): Promise<void> {
    const entry = this.attempts.get(attemptId);
    if (!entry) return;
    this.attempts.delete(attemptId);
    await new Promise<void>((resolve) => entry.server.close(() => resolve()));
    await rm(entry.socketPath, { force: true });
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
    const entry = this.authorize(req);
    if (!entry) return sendError(res, 401, 'invalid_token', 'this token is not valid for this attempt (it may have ended)');
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || (path !== '/v1/chat/completions' && path !== '/chat/completions')) {
      return sendError(res, 404, 'not_found', 'the fleet gateway serves POST /v1/chat/completions only');
    }
    const spent = this.overBudget(entry);
    if (spent) {
      this.stop(entry, 'budget_exceeded', spent);
      return sendError(res, 429, 'budget_exceeded', spent);
    }
    let body: Record<string, unknown>;
    try {
      body = await readJson(req);
    } catch (err) {
      return sendError(res, 400, 'invalid_request', (err as Error).message);
    }
    body.model = entry.provider.model;
    if (body.stream === true) body.stream_options = { ...((body.stream_options as object) ?? {}), include_usage: true };
    await this.forward(entry, body, res);
  }

  private providerFailed(entry: AttemptEntry, detail: string): void {
    entry.providerFailures += 1;
    entry.lastProviderError = `provider "${entry.provider.name}" ${detail}`;
    if (entry.providerFailures >= PROVIDER_FAILURES_TO_STOP) {
      this.stop(entry, 'provider_error', `${entry.lastProviderError} (${entry.providerFailures} times in a row)`);
    }
  }

  private async forward(entry: AttemptEntry, body: Record<string, unknown>, res: http.ServerResponse): Promise<void> {
    const started = Date.now();
    const abort = new AbortController();
    let idle = setTimeout(() => abort.abort(new Error('no answer in time')), PROVIDER_HEADERS_TIMEOUT_MS);
    res.on('close', () => abort.abort(new Error('the client went away')));
    let upstream: Response;
    try {
      upstream = await fetch(`${entry.provider.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${entry.provider.apiKey}`, 'content-type': 'application/json', accept: 'text/event-stream, application/json' },
        body: JSON.stringify(body),
        signal: abort.signal,
      });
    } catch (err) {
      clearTimeout(idle);
      this.providerFailed(entry, `is unreachable at ${entry.provider.baseUrl}: ${(err as Error).message}`);
      return sendError(res, 502, 'provider_unreachable', entry.lastProviderError);
    }
    if (!upstream.ok) {
      clearTimeout(idle);
      const text = (await upstream.text().catch(() => '')).slice(0, 300);
      const detail = `answered HTTP ${upstream.status}${text ? `: ${text}` : ''}`;
      if (upstream.status >= 500) this.providerFailed(entry, detail);
      else if (upstream.status === 401 || upstream.status === 403) {
        entry.lastProviderError = `provider "${entry.provider.name}" refused its key (HTTP ${upstream.status}): check fleetctl provider set ${entry.provider.name}`;
        this.stop(entry, 'provider_error', entry.lastProviderError);
      } else entry.lastProviderError = `provider "${entry.provider.name}" ${detail}`;
      this.log.warn({ attemptId: entry.attemptId, provider: entry.provider.name, status: upstream.status }, 'provider call failed');
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      res.end(text);
      return;
    }
    entry.providerFailures = 0;
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json', 'cache-control': 'no-cache' });
    const streamed = (upstream.headers.get('content-type') ?? '').includes('text/event-stream');
    const scanner = new SseUsageScanner();
    const decoder = new TextDecoder();
    const whole: string[] = [];
    try {
      for await (const chunk of upstream.body as unknown as AsyncIterable<Uint8Array>) {
        clearTimeout(idle);
        idle = setTimeout(() => abort.abort(new Error('the answer stalled')), PROVIDER_IDLE_TIMEOUT_MS);
        res.write(chunk);
        const text = decoder.decode(chunk, { stream: true });
        if (streamed) scanner.push(text);
        else whole.push(text);
      }
    } catch (err) {
      this.log.warn({ attemptId: entry.attemptId, provider: entry.provider.name, err: (err as Error).message }, 'provider answer cut off');
    } finally {
      clearTimeout(idle);
    }
    res.end();
    scanner.end();
    let used = scanner.last;
    if (!streamed) {
      try {
        used = usageOf(JSON.parse(whole.join('')));
      } catch {
        used = null;
      }
    }
    if (used) {
      entry.usage = { inputTokens: entry.usage.inputTokens + used.input, outputTokens: entry.usage.outputTokens + used.output, costUsd: entry.usage.costUsd + used.cost };
      entry.onUsage({ ...entry.usage });
    }
    this.log.info({ attemptId: entry.attemptId, provider: entry.provider.name, inputTokens: used?.input ?? 0, outputTokens: used?.output ?? 0, durationMs: Date.now() - started }, 'model call');
    const spent = this.overBudget(entry);
    if (spent) this.stop(entry, 'budget_exceeded', spent);
  }
}

function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        reject(new Error(`request is over ${MAX_REQUEST_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('the body must be a JSON object');
        resolve(value as Record<string, unknown>);
      } catch (err) {
        reject(new Error(`the body is not valid JSON: ${(err as Error).message}`));
      }
    });
    req.on('error', reject);
  });
}

import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { pino } from 'pino';
import { FakeLlm, runCommands, transcript } from '../../test/harness/fake-llm.js';
import type { PermitSource } from './provider-permits.js';
import {
  askedOutput,
  DEFAULT_OUTPUT_TOKENS,
  failsOver,
  LlmGateway,
  MAX_REQUEST_BYTES,
  newGatewayToken,
  planCall,
  retryableStatus,
  retryDelayMs,
  setOutputLimit,
  SseUsageScanner,
  usageOf,
  type GatewayOptions,
  type GatewayStopReason,
  type OpenOptions,
} from './llm-gateway.js';

const log = pino({ level: 'silent' });

/** A request over the attempt's unix socket, as the relay in the container makes it. */
function call(socketPath: string, token: string, body: unknown, path = '/v1/chat/completions'): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path, method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const chat = { model: 'whatever', stream: true, messages: [{ role: 'user', content: 'hi' }] };

/** Three tries per provider, milliseconds apart: the tests do not wait out real backoffs. */
const FAST_RETRY = { tries: 3, backoff: { initialMs: 5, maxMs: 20, multiplier: 2 }, maxRetryAfterMs: 2_000 };

async function setup(t: { teardown: (fn: () => Promise<void> | void) => void }, script = transcript([{ tools: [runCommands('ls')], usage: { prompt: 100, completion: 20, cost: 0.01 } }], { tools: [runCommands('pwd')], usage: { prompt: 100, completion: 20, cost: 0.01 } })) {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-gw-'));
  const fake = await new FakeLlm('sk-real-key', script).start();
  const gateway = new LlmGateway(log, { retry: FAST_RETRY });
  const stops: Array<{ attemptId: string; reason: GatewayStopReason; message: string }> = [];
  const usage: Array<{ inputTokens: number }> = [];
  const open = (attemptId: string, extra: Partial<OpenOptions> = {}) =>
    gateway.open({
      attemptId,
      socketPath: join(dir, `${attemptId}.sock`),
      token: newGatewayToken(),
      provider: { name: 'fake', baseUrl: fake.url, model: 'fake-model', apiKey: fake.apiKey },
      budget: { maxTokens: 0, maxCostUsd: 0 },
      usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
      onUsage: (u) => usage.push(u),
      onStop: (reason, message) => stops.push({ attemptId, reason, message }),
      ...extra,
    });
  t.teardown(async () => {
    await gateway.closeAll();
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, fake, gateway, open, stops, usage };
}

test('forwards with the real key, streams the answer back and counts usage', async (t) => {
  const { fake, open, usage } = await setup(t);
  const channel = await open('att_1');
  const answer = await call(channel.socketPath, channel.token, chat);
  t.is(answer.status, 200);
  t.true(answer.text.includes('"run_commands"'));
  t.true(answer.text.includes('data: [DONE]'));
  t.is(fake.requests[0]?.authorization, 'Bearer sk-real-key');
  t.is(fake.requests[0]?.body.model, 'fake-model', 'the provider gets the configured model');
  t.deepEqual(fake.requests[0]?.body.stream_options, { include_usage: true });
  t.deepEqual(usage.at(-1), { inputTokens: 100, outputTokens: 20, costUsd: 0.01, servedBy: [{ provider: 'fake', model: 'fake-model', calls: 1 }] });
});

test('a token is valid only for its own attempt and socket, and not at all once the attempt has ended', async (t) => {
  const { gateway, fake, open } = await setup(t);
  const a = await open('att_a');
  const b = await open('att_b');
  t.is((await call(a.socketPath, b.token, chat)).status, 401, "b's token on a's socket");
  t.is((await call(a.socketPath, 'fleet_llm_forged', chat)).status, 401);
  t.is((await call(a.socketPath, a.token, chat)).status, 200);
  await gateway.close('att_a');
  t.is((await call(b.socketPath, a.token, chat)).status, 401, "a's token after a ended");
  await t.throwsAsync(call(a.socketPath, a.token, chat), { code: 'ENOENT' }, "a's socket is gone");
  t.is(fake.requests.length, 1, 'no refused call reached the provider');
  t.is((await call(b.socketPath, b.token, chat, '/v1/models')).status, 404);
});

test('refuses calls once the token budget is spent and asks for the attempt to stop', async (t) => {
  const { fake, open, stops } = await setup(t);
  const channel = await open('att_budget', { budget: { maxTokens: 150, maxCostUsd: 0 } });
  t.is((await call(channel.socketPath, channel.token, chat)).status, 200);
  t.deepEqual(stops, []);
  t.is((await call(channel.socketPath, channel.token, chat)).status, 200, 'the call that crosses the budget completes');
  t.deepEqual(stops.map((s) => [s.reason, s.message]), [['budget_exceeded', 'token budget of 150 spent (240 used)']]);
  const refused = await call(channel.socketPath, channel.token, chat);
  t.is(refused.status, 429);
  t.regex(refused.text, /budget_exceeded/);
  t.is(fake.requests.length, 2);
});

test('a cost budget is enforced from the cost the provider reports', async (t) => {
  const { open, stops } = await setup(t);
  const channel = await open('att_cost', { budget: { maxTokens: 0, maxCostUsd: 0.015 } });
  await call(channel.socketPath, channel.token, chat);
  await call(channel.socketPath, channel.token, chat);
  t.is(stops[0]?.reason, 'budget_exceeded');
  t.regex(stops[0]?.message ?? '', /cost budget of \$0.015 spent \(\$0.0200 used\)/);
});

test('an adopted attempt keeps counting from what was spent before', async (t) => {
  const { open, stops, fake } = await setup(t);
  const channel = await open('att_adopted', { budget: { maxTokens: 1000, maxCostUsd: 0 }, usage: { inputTokens: 990, outputTokens: 0, costUsd: 0 } });
  t.is((await call(channel.socketPath, channel.token, chat)).status, 429, 'the 10 tokens left do not cover the prompt');
  t.is(stops[0]?.reason, 'budget_exceeded');
  t.is(fake.requests.length, 0);
});

test('server errors pass through; three in a row stop the attempt as a provider error naming the provider', async (t) => {
  const { open, stops } = await setup(t, () => ({ status: 503, body: 'overloaded' }));
  const channel = await open('att_500');
  for (let i = 0; i < 3; i++) t.is((await call(channel.socketPath, channel.token, chat)).status, 503);
  t.deepEqual(stops.map((s) => s.reason), ['provider_error']);
  t.regex(stops[0]!.message, /^provider "fake" answered HTTP 503: .*overloaded.* \(3 times in a row\)$/);
});

test('a provider refusing its key stops the attempt at once', async (t) => {
  const { open, stops, gateway, fake } = await setup(t);
  const channel = await open('att_401', { provider: { name: 'fake', baseUrl: fake.url, model: 'm', apiKey: 'not-the-key' } });
  t.is((await call(channel.socketPath, channel.token, chat)).status, 401);
  t.is(stops[0]?.reason, 'provider_error');
  t.regex(gateway.lastProviderError('att_401'), /refused its key \(HTTP 401\)/);
});

test('an unreachable provider answers 502 and counts as a provider failure', async (t) => {
  const { open, gateway, usage } = await setup(t);
  const channel = await open('att_down', { provider: { name: 'gone', baseUrl: 'http://127.0.0.1:9/v1', model: 'm', apiKey: 'k' } });
  t.is((await call(channel.socketPath, channel.token, chat)).status, 502);
  t.regex(gateway.lastProviderError('att_down'), /^provider "gone" is unreachable at http:\/\/127.0.0.1:9\/v1/);
  t.deepEqual(usage, [], 'a call that never reached the provider costs nothing');
});

test('bad request bodies are refused without calling the provider', async (t) => {
  const { open, fake } = await setup(t);
  const channel = await open('att_bad');
  const res = await new Promise<number>((resolve) => {
    const req = http.request({ socketPath: channel.socketPath, path: '/v1/chat/completions', method: 'POST', headers: { authorization: `Bearer ${channel.token}` } }, (r) => resolve(r.statusCode ?? 0));
    req.end('{not json');
  });
  t.is(res, 400);
  t.is(fake.requests.length, 0);
});

test('usage is read from streamed chunks split anywhere, and from whole bodies', (t) => {
  const scanner = new SseUsageScanner();
  const text = 'data: {"choices":[]}\n\ndata: {"usage":{"prompt_tokens":7,"completion_tokens":3,"cost":0.5}}\n\ndata: [DONE]\n\n';
  for (let i = 0; i < text.length; i += 5) scanner.push(text.slice(i, i + 5));
  scanner.end();
  t.deepEqual(scanner.last, { input: 7, output: 3, cost: 0.5 });
  t.deepEqual(usageOf({ usage: { prompt_tokens: 1, completion_tokens: 2 } }), { input: 1, output: 2, cost: 0 });
  t.deepEqual(usageOf({ usage: { prompt_tokens: -5, completion_tokens: 'x' } }), { input: 0, output: 0, cost: 0 }, 'nonsense counts as nothing');
  t.is(usageOf({}), null);
});

/**
 * A stand-in provider that keeps the bill: it charges a prompt token per 4
 * request bytes when it takes a call, then streams `output` tokens (fewer if
 * max_tokens or max_completion_tokens says so) in chunks of 20, 2 ms apart,
 * counting each chunk it sends, and ends with a usage chunk. `cut` ends the
 * stream after its first chunk without usage, as a dropped connection does;
 * `hangup` closes the connection before answering; `silent` never reports usage.
 */
class MeteredProvider {
  readonly apiKey = 'sk-metered';
  served = { prompt: 0, output: 0 };
  active = 0;
  maxActive = 0;
  readonly asked: Array<{ max_tokens?: unknown; max_completion_tokens?: unknown }> = [];
  url = '';
  private readonly server = http.createServer((req, res) => void this.handle(req, res));

  constructor(
    private readonly output = 200,
    public mode: 'normal' | 'cut' | 'hangup' | 'silent' = 'normal',
  ) {}

  get total(): number {
    return this.served.prompt + this.served.output;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Resolves once no call is being answered. */
  async idle(): Promise<void> {
    while (this.active > 0) await new Promise((r) => setTimeout(r, 10));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) {
      res.writeHead(401).end();
      return;
    }
    const bytes = Buffer.concat(chunks);
    const body = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    this.asked.push({ max_tokens: body.max_tokens, max_completion_tokens: body.max_completion_tokens });
    const prompt = Math.ceil(bytes.length / 4);
    const limits = [body.max_tokens, body.max_completion_tokens].filter((v): v is number => typeof v === 'number');
    const output = Math.min(this.output, ...limits);
    this.served.prompt += prompt;
    if (this.mode === 'hangup') {
      res.destroy();
      return;
    }
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    let gone = false;
    res.on('close', () => (gone = true));
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let sent = 0;
    while (sent < output && !gone) {
      const n = Math.min(20, output - sent);
      const flushed = new Promise((r) => res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'tok '.repeat(n) } }] })}\n\n`, r));
      sent += n;
      this.served.output += n;
      if (this.mode === 'cut') {
        await flushed;
        res.destroy();
        break;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    this.active -= 1;
    if (gone || this.mode === 'cut') return;
    if (this.mode === 'normal') res.write(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: prompt, completion_tokens: sent } })}\n\n`);
    res.end('data: [DONE]\n\n');
  }
}

async function metered(t: { teardown: (fn: () => Promise<void> | void) => void }, provider: MeteredProvider, budget: OpenOptions['budget'], options: GatewayOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-gw-'));
  await provider.start();
  // One try unless a test says otherwise: these tests are about what a call is charged.
  const gateway = new LlmGateway(log, { retry: { ...FAST_RETRY, tries: 1 }, ...options });
  const stops: Array<{ reason: GatewayStopReason; message: string }> = [];
  const usage: Array<{ inputTokens: number; outputTokens: number; costUsd: number }> = [];
  const channel = await gateway.open({
    attemptId: 'att_metered',
    socketPath: join(dir, 'llm.sock'),
    token: newGatewayToken(),
    provider: { name: 'metered', baseUrl: provider.url, model: 'm', apiKey: provider.apiKey },
    budget,
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    onUsage: (u) => usage.push(u),
    onStop: (reason, message) => stops.push({ reason, message }),
  });
  t.teardown(async () => {
    await gateway.closeAll();
    await provider.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const recorded = () => (usage.at(-1) ? usage.at(-1)!.inputTokens + usage.at(-1)!.outputTokens : 0);
  return { gateway, channel, stops, usage, recorded };
}

/** A client that hangs up as soon as the first bytes of the answer arrive. Resolves with the status. */
function callAndCut(socketPath: string, token: string, body: unknown): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath, path: '/v1/chat/completions', method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve(res.statusCode ?? 0);
      });
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end(JSON.stringify(body));
  });
}

/** Sends a body over MAX_REQUEST_BYTES: declared up front, or streamed without a length. Resolves with the status (0: the connection was cut). */
function callOversized(socketPath: string, token: string, declared: boolean): Promise<number> {
  return new Promise((resolve) => {
    const size = MAX_REQUEST_BYTES + 1024 * 1024;
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    if (declared) headers['content-length'] = String(size);
    const req = http.request({ socketPath, path: '/v1/chat/completions', method: 'POST', headers }, (res) => {
      res.resume();
      req.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    const piece = Buffer.alloc(1024 * 1024, 'x');
    let sent = 0;
    const pump = (): void => {
      while (sent < size && !req.destroyed) {
        sent += piece.length;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
    };
    pump();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** About 100 prompt tokens at the stand-in's 4 bytes a token. */
const hostileChat = (extra: Record<string, unknown>) => ({ model: 'x', stream: true, messages: [{ role: 'user', content: 'y'.repeat(330) }], ...extra });

test('a hostile client cannot spend past the token budget: cut streams, parallel calls, oversized bodies, inflated max_tokens', async (t) => {
  const provider = new MeteredProvider(200);
  const budget = 1000;
  const { channel, stops, recorded } = await metered(t, provider, { maxTokens: budget, maxCostUsd: 0 });

  // (c) Oversized bodies never reach the provider.
  t.is(await callOversized(channel.socketPath, channel.token, true), 413);
  t.true([413, 0].includes(await callOversized(channel.socketPath, channel.token, false)), 'a streamed oversized body is refused or cut');
  t.is(provider.asked.length, 0);

  // (a, b, d) Waves of 20 parallel calls, each cut after its first chunk, asking for no limit or far too much.
  const statuses: number[] = [];
  for (let wave = 0; wave < 30 && stops.length === 0; wave++) {
    const asks = [{}, { max_tokens: 1_000_000_000 }, { max_completion_tokens: 50_000 }, { max_tokens: 100_000, max_completion_tokens: 100_000 }];
    statuses.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => callAndCut(channel.socketPath, channel.token, hostileChat(asks[i % asks.length]!))))));
    await sleep(5);
  }
  await provider.idle();
  await sleep(50);
  t.log(`provider served ${provider.total} tokens (${provider.served.prompt} prompt, ${provider.served.output} output) over ${provider.asked.length} calls; the gateway counted ${recorded()}; statuses ${JSON.stringify(statuses.reduce<Record<number, number>>((n, s) => ({ ...n, [s]: (n[s] ?? 0) + 1 }), {}))}`);

  t.deepEqual(stops.map((s) => s.reason), ['budget_exceeded']);
  t.true(provider.total <= budget + 300, `served ${provider.total}, over the budget plus one call`);
  t.true(recorded() >= provider.total, `the gateway counted ${recorded()}, less than the ${provider.total} served`);
  t.true(provider.maxActive <= 2, `${provider.maxActive} calls at once upstream`);
  t.true(statuses.includes(429));
  for (const asked of provider.asked) {
    for (const v of [asked.max_tokens, asked.max_completion_tokens]) if (v !== undefined) t.true(typeof v === 'number' && v <= budget, `the provider was asked for ${v} tokens`);
  }
  const calls = provider.asked.length;
  const after = await call(channel.socketPath, channel.token, hostileChat({}));
  t.is(after.status, 429);
  t.regex(after.text, /budget_exceeded/);
  t.is(provider.asked.length, calls, 'nothing reaches the provider once the budget is spent');
});

test('a client that hangs up does not cut the call upstream: it is read to the end and its usage counted', async (t) => {
  const provider = new MeteredProvider(200);
  const { channel, usage } = await metered(t, provider, { maxTokens: 0, maxCostUsd: 0 });
  t.is(await callAndCut(channel.socketPath, channel.token, hostileChat({})), 200);
  await provider.idle();
  while (usage.length === 0) await sleep(10);
  t.is(provider.served.output, 200, 'the provider streamed the whole answer');
  t.deepEqual(usage.at(-1), { inputTokens: provider.served.prompt, outputTokens: 200, costUsd: 0, servedBy: [{ provider: 'metered', model: 'm', calls: 1 }] });
  t.is(provider.asked[0]?.max_tokens, undefined, 'without a budget the request keeps its own limits');
});

const without = { cut: 'the stream is cut upstream', hangup: 'the provider hangs up before answering', silent: 'the provider does not report it' };
for (const mode of ['cut', 'hangup', 'silent'] as const) {
  test(`a call whose usage never comes (${without[mode]}) is charged its reservation`, async (t) => {
    const provider = new MeteredProvider(200, mode);
    const { channel, usage, recorded } = await metered(t, provider, { maxTokens: 100_000, maxCostUsd: 0 });
    const body = hostileChat({});
    await call(channel.socketPath, channel.token, body);
    while (usage.length === 0) await sleep(10);
    const prompt = Math.ceil(Buffer.byteLength(JSON.stringify(body)) / 3);
    t.like(usage.at(-1), { inputTokens: prompt, outputTokens: DEFAULT_OUTPUT_TOKENS, costUsd: 0 });
    t.is(provider.asked[0]?.max_tokens, DEFAULT_OUTPUT_TOKENS, 'a call that named no limit gets the default one');
    t.true(recorded() >= provider.total);
  });
}

test('a cost budget holds at the dearest rate seen, and calls are capped until one has reported a cost', async (t) => {
  const { open, fake, stops } = await setup(t);
  const channel = await open('att_cost_clamp', { budget: { maxTokens: 0, maxCostUsd: 0.015 } });
  await call(channel.socketPath, channel.token, { ...chat, max_tokens: 1_000_000 });
  t.is(fake.requests[0]?.body.max_tokens, DEFAULT_OUTPUT_TOKENS, 'no rate known yet');
  await call(channel.socketPath, channel.token, { ...chat, max_tokens: 1_000_000 });
  // $0.005 left at $0.01 per 120 tokens: 60 tokens (59 in floating point, rounded down), less the prompt estimate.
  const prompt = Math.ceil(Buffer.byteLength(JSON.stringify({ ...chat, max_tokens: 1_000_000 })) / 3);
  t.is(fake.requests[1]?.body.max_tokens, Math.floor((0.015 - 0.01) / (0.01 / 120)) - prompt);
  t.is(stops[0]?.reason, 'budget_exceeded');
});

test('at most N calls of an attempt are in flight; more are refused at once with 429, not queued', async (t) => {
  const { open, fake } = await setup(t, () => ({ hold: true, then: { tools: [runCommands('ls')] } }));
  const channel = await open('att_parallel');
  const answers = [0, 1, 2, 3, 4].map(() => new Promise<{ status: number; text: string; retryAfter: string | undefined }>((resolve, reject) => {
    const req = http.request({ socketPath: channel.socketPath, path: '/v1/chat/completions', method: 'POST', headers: { authorization: `Bearer ${channel.token}` } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, retryAfter: res.headers['retry-after'] as string | undefined }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(chat));
  }));
  const early: number[] = [];
  for (const a of answers) void a.then((answer) => early.push(answer.status));
  while (early.length < 3) await sleep(10);
  t.deepEqual(early, [429, 429, 429], 'refused while the first two are still held upstream');
  t.is(fake.requests.length, 2, 'two calls reached the provider, the default limit');
  fake.release();
  const all = await Promise.all(answers);
  t.deepEqual(all.map((a) => a.status).sort(), [200, 200, 429, 429, 429]);
  const limited = all.find((a) => a.status === 429)!;
  t.is(limited.retryAfter, '1');
  t.is((JSON.parse(limited.text) as { error: { code: string; message: string } }).error.code, 'rate_limit_exceeded');
  t.regex(limited.text, /2 model calls in flight.*--model-calls-per-attempt/);
  t.is((await call(channel.socketPath, channel.token, chat)).status, 200, 'a slot is free again once a call has finished');
});

test('the limit of calls in flight is checked when the gateway is made', (t) => {
  for (const bad of [0, -1, 1.5, 65, Number.NaN]) {
    t.throws(() => new LlmGateway(log, { maxConcurrentCalls: bad }), { message: /model calls per attempt must be a whole number from 1 to 64/ });
  }
  t.notThrows(() => new LlmGateway(log, { maxConcurrentCalls: 1 }));
});

test('more than one choice per call is refused', async (t) => {
  const { open, fake } = await setup(t);
  const channel = await open('att_n');
  const answer = await call(channel.socketPath, channel.token, { ...chat, n: 5 });
  t.is(answer.status, 400);
  t.regex(answer.text, /one choice per call/);
  t.is(fake.requests.length, 0);
});

test('ending an attempt cuts its calls still running upstream and charges them their reservation', async (t) => {
  const { open, gateway, fake, usage } = await setup(t, () => ({ hold: true, then: { tools: [runCommands('ls')] } }));
  const channel = await open('att_ending', { budget: { maxTokens: 100_000, maxCostUsd: 0 } });
  const pending = call(channel.socketPath, channel.token, chat);
  while (fake.requests.length < 1) await sleep(10);
  await gateway.close('att_ending');
  const prompt = Math.ceil(Buffer.byteLength(JSON.stringify(chat)) / 3);
  t.deepEqual(usage, [{ inputTokens: prompt, outputTokens: DEFAULT_OUTPUT_TOKENS, costUsd: 0 }], 'charged before close resolves');
  t.is((await pending).status, 401);
});

test('a call is planned against what the budget has left', (t) => {
  const ledger = (used: number, reservedTokens = 0, costUsd = 0, usdPerToken = 0, reservedCostUsd = 0) => ({ used: { inputTokens: used, outputTokens: 0, costUsd }, reservedTokens, reservedCostUsd, usdPerToken });
  const none = { maxTokens: 0, maxCostUsd: 0 };
  t.like(planCall(none, ledger(0), 3000, null), { refused: false, promptTokens: 1000, maxOutput: null, reserveTokens: 0 }, 'no budget: the request is left alone');
  t.like(planCall(none, ledger(0), 3000, 5), { maxOutput: 5 });

  const tokens = { maxTokens: 100_000, maxCostUsd: 0 };
  t.like(planCall(tokens, ledger(0), 3000, null), { refused: false, maxOutput: DEFAULT_OUTPUT_TOKENS, reserveTokens: 1000 + DEFAULT_OUTPUT_TOKENS }, 'no limit asked: the default');
  t.like(planCall(tokens, ledger(0), 3000, 500), { maxOutput: 500, reserveTokens: 1500 }, 'a modest limit stands');
  t.like(planCall(tokens, ledger(0), 3000, 10_000_000), { maxOutput: 99_000 }, 'an inflated limit is clamped');
  t.like(planCall(tokens, ledger(95_000), 3000, null), { maxOutput: 4000 }, 'near the end, what is left');
  t.like(planCall(tokens, ledger(90_000, 5_000), 3000, null), { maxOutput: 4000 }, 'other calls in flight hold their reservations');
  t.like(planCall(tokens, ledger(98_000, 1_000), 3000, null), { refused: true, final: false }, 'held by calls in flight: retry later');
  t.like(planCall(tokens, ledger(99_000), 3000, null), { refused: true, final: true }, 'the prompt alone does not fit: the attempt is over');
  t.like(planCall(tokens, ledger(100_000), 3, null), { refused: true, final: true });

  const cost = { maxTokens: 0, maxCostUsd: 1 };
  t.like(planCall(cost, ledger(0), 3000, 1_000_000), { maxOutput: DEFAULT_OUTPUT_TOKENS, reserveCostUsd: 0 }, 'no rate known: the default cap');
  // $0.50 left at $0.0001 a token: 5,000 tokens, 1,000 of them the prompt.
  t.like(planCall(cost, ledger(0, 0, 0.5, 0.0001), 3000, 1_000_000), { maxOutput: 4000, reserveTokens: 5000 });
  t.is((planCall(cost, ledger(0, 0, 0.5, 0.0001), 3000, 1_000_000) as { reserveCostUsd: number }).reserveCostUsd.toFixed(4), '0.5000');
  t.like(planCall(cost, ledger(0, 0, 0.5, 0.0001, 0.45), 3000, null), { refused: true, final: false });
  t.like(planCall(cost, ledger(0, 0, 0.95, 0.0001), 3000, null), { refused: true, final: true });
  t.like(planCall({ maxTokens: 2000, maxCostUsd: 1 }, ledger(0, 0, 0.5, 0.0001), 3000, null), { maxOutput: 1000 }, 'both budgets: the tighter');
});

test('the output limit asked is read from either field and set on the ones sent', (t) => {
  t.is(askedOutput({}), null);
  t.is(askedOutput({ max_tokens: 'lots', max_completion_tokens: -1 }), null, 'nonsense is no limit');
  t.is(askedOutput({ max_tokens: 900, max_completion_tokens: 300 }), 300);
  const omitted: Record<string, unknown> = {};
  setOutputLimit(omitted, 10);
  t.deepEqual(omitted, { max_tokens: 10 });
  const completion: Record<string, unknown> = { max_completion_tokens: 5000 };
  setOutputLimit(completion, 10);
  t.deepEqual(completion, { max_completion_tokens: 10 }, 'reasoning models refuse max_tokens');
  const both: Record<string, unknown> = { max_tokens: 1e9, max_completion_tokens: 'x' };
  setOutputLimit(both, 10);
  t.deepEqual(both, { max_tokens: 10, max_completion_tokens: 10 });
});

test('the wait before a retry: the provider\'s Retry-After in seconds or as a date, none past the cap, else full jitter', (t) => {
  const now = Date.parse('2026-11-29T00:00:00Z');
  t.is(retryDelayMs(FAST_RETRY, 1, '1', now), 1_000);
  t.is(retryDelayMs(FAST_RETRY, 1, '0.25', now), 250);
  t.is(retryDelayMs(FAST_RETRY, 1, 'Sun, 29 Nov 2026 00:00:01 GMT', now), 1_000);
  t.is(retryDelayMs(FAST_RETRY, 1, 'Sat, 28 Nov 2026 23:00:00 GMT', now), 0, 'a date gone by: at once');
  t.is(retryDelayMs(FAST_RETRY, 1, '3600', now), null, 'an hour: better the next provider now');
  t.is(retryDelayMs(FAST_RETRY, 3, null, now, () => 0.5), 10, 'full jitter: half of min(20, 5 × 2²)');
  t.is(retryDelayMs(FAST_RETRY, 1, 'soon', now, () => 0.99), 4, 'nonsense is ignored');
  t.deepEqual([429, 408, 500, 503, 529, 400, 401, 403, 404].map(retryableStatus), [true, true, true, true, true, false, false, false, false]);
  t.deepEqual([429, 529, 401, 403, 400, 404, 422].map(failsOver), [true, true, true, true, false, false, false]);
});

/** A gateway with a provider and one fallback, each a fake of its own with its own key. */
async function withFallback(
  t: { teardown: (fn: () => Promise<void> | void) => void },
  primary: FakeLlm['script'],
  fallback: FakeLlm['script'] = transcript([{ tools: [runCommands('ls')], usage: { prompt: 50, completion: 5 } }]),
  rates: { permits?: PermitSource; mainRateLimited?: boolean } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-gw-'));
  const main = await new FakeLlm('sk-main', primary).start();
  const backup = await new FakeLlm('sk-backup', fallback).start();
  const failovers: string[] = [];
  const retries: string[] = [];
  const gateway = new LlmGateway(log, { retry: FAST_RETRY, observer: { callEnded: () => {}, charged: () => {}, upstreamError: () => {}, upstreamRetry: (p) => retries.push(p), failover: (from, to) => failovers.push(`${from}→${to}`) }, ...(rates.permits ? { permits: rates.permits } : {}) });
  const stops: GatewayStopReason[] = [];
  const usage: Array<Parameters<OpenOptions['onUsage']>[0]> = [];
  const channel = await gateway.open({
    attemptId: 'att_fo',
    socketPath: join(dir, 'llm.sock'),
    token: newGatewayToken(),
    provider: { name: 'main', baseUrl: main.url, model: 'main-model', apiKey: 'sk-main', ...(rates.mainRateLimited ? { rateLimited: true } : {}), fallbacks: [{ name: 'backup', baseUrl: backup.url, model: 'backup-model', apiKey: 'sk-backup' }] },
    budget: { maxTokens: 0, maxCostUsd: 0 },
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    onUsage: (u) => usage.push(u),
    onStop: (reason) => stops.push(reason),
  });
  t.teardown(async () => {
    await gateway.closeAll();
    await main.stop();
    await backup.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { gateway, channel, main, backup, failovers, retries, stops, usage };
}

test('a 429 is retried after the provider\'s Retry-After, on the same provider, and the call succeeds', async (t) => {
  const { channel, main, backup, retries, failovers, usage } = await withFallback(t, (n) => (n === 0 ? { status: 429, body: 'slow down', headers: { 'retry-after': '1' } } : { tools: [runCommands('ls')], usage: { prompt: 10, completion: 2 } }));
  const started = Date.now();
  const answer = await call(channel.socketPath, channel.token, chat);
  t.is(answer.status, 200);
  t.true(Date.now() - started >= 1_000, `waited ${Date.now() - started}ms: the provider asked for 1 s`);
  t.deepEqual([main.requests.length, backup.requests.length, retries, failovers], [2, 0, ['main'], []]);
  t.deepEqual(usage.at(-1)?.servedBy, [{ provider: 'main', model: 'main-model', calls: 1 }]);
});

test('a provider failing every try hands the call to its fallback, with the fallback\'s own key and model; the call records who served it', async (t) => {
  const { channel, main, backup, failovers, retries, stops, usage, gateway } = await withFallback(t, () => ({ status: 529, body: 'overloaded' }));
  const answer = await call(channel.socketPath, channel.token, chat);
  t.is(answer.status, 200);
  t.is(main.requests.length, 3, 'three tries of the provider');
  t.deepEqual([retries, failovers], [['main', 'main'], ['main→backup']]);
  t.is(backup.requests[0]?.authorization, 'Bearer sk-backup');
  t.is(backup.requests[0]?.body.model, 'backup-model');
  t.is(main.refused + backup.refused, 0, 'no key went to the other provider');
  t.deepEqual(usage.at(-1), { inputTokens: 50, outputTokens: 5, costUsd: 0, servedBy: [{ provider: 'backup', model: 'backup-model', calls: 1 }] });
  t.deepEqual([stops, gateway.lastProviderError('att_fo')], [[], ''], 'a call the fallback served is no failure of the attempt');
});

test('a Retry-After past the cap moves to the fallback at once; a refused key moves too, without stopping the attempt', async (t) => {
  const long = await withFallback(t, () => ({ status: 429, body: 'quota', headers: { 'retry-after': '3600' } }));
  t.is((await call(long.channel.socketPath, long.channel.token, chat)).status, 200);
  t.deepEqual([long.main.requests.length, long.retries, long.failovers], [1, [], ['main→backup']]);
  const refused = await withFallback(t, () => ({ status: 401, body: 'bad key' }));
  t.is((await call(refused.channel.socketPath, refused.channel.token, chat)).status, 200);
  t.deepEqual([refused.main.requests.length, refused.stops], [1, []]);
});

test('a request the provider calls wrong is neither retried nor sent elsewhere; when every provider fails, the last answer is the client\'s, Retry-After included', async (t) => {
  const bad = await withFallback(t, () => ({ status: 400, body: 'bad request' }));
  const answer = await call(bad.channel.socketPath, bad.channel.token, chat);
  t.is(answer.status, 400);
  t.deepEqual([bad.main.requests.length, bad.backup.requests.length], [1, 0]);
  const down = await withFallback(t, () => ({ status: 503, body: 'down' }), () => ({ status: 429, body: 'busy too', headers: { 'retry-after': '0' } }));
  const last = await new Promise<{ status: number; retryAfter: unknown }>((resolve, reject) => {
    const req = http.request({ socketPath: down.channel.socketPath, path: '/v1/chat/completions', method: 'POST', headers: { authorization: `Bearer ${down.channel.token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(chat));
  });
  t.deepEqual(last, { status: 429, retryAfter: '0' });
  t.deepEqual([down.main.requests.length, down.backup.requests.length], [3, 3]);
  t.regex(down.gateway.lastProviderError('att_fo'), /^provider "backup" answered HTTP 429/);
});

test('an attempt ended while a call waits to retry is answered at once, and nothing more goes upstream', async (t) => {
  const { channel, main, backup, gateway } = await withFallback(t, () => ({ status: 503, body: 'down', headers: { 'retry-after': '2' } }));
  const answer = call(channel.socketPath, channel.token, chat);
  while (main.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
  const started = Date.now();
  await gateway.close('att_fo');
  t.true(Date.now() - started < 1_000, `close does not wait out the retry (${Date.now() - started}ms)`);
  t.is((await answer).status, 401);
  await new Promise((r) => setTimeout(r, 2_200));
  t.deepEqual([main.requests.length, backup.requests.length], [1, 0]);
});

/** A permit source the test hands permits out of, one at a time, recording what the gateway reports. */
class HeldPermits implements PermitSource {
  readonly waiting: Array<{ provider: string; grant: (ok: boolean) => void }> = [];
  readonly tokens: Array<[string, number]> = [];
  readonly throttles: string[] = [];
  take(provider: string, signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const entry = { provider, grant: resolve };
      this.waiting.push(entry);
      signal.addEventListener('abort', () => {
        this.waiting.splice(this.waiting.indexOf(entry), 1);
        resolve(false);
      });
    });
  }
  used(provider: string, tokens: number): void {
    this.tokens.push([provider, tokens]);
  }
  throttled(provider: string): void {
    this.throttles.push(provider);
  }
  waitingFor(): string {
    return '';
  }
  async next(): Promise<string> {
    while (this.waiting.length === 0) await new Promise((r) => setTimeout(r, 5));
    const first = this.waiting.shift()!;
    first.grant(true);
    return first.provider;
  }
}

test('each request to a rate-limited provider, a retry too, waits for a permit; its 429 and the tokens used are reported', async (t) => {
  const permits = new HeldPermits();
  const { channel, main, gateway } = await withFallback(t, (n) => (n === 0 ? { status: 429, body: 'slow down', headers: { 'retry-after': '0' } } : { tools: [runCommands('ls')], usage: { prompt: 10, completion: 2 } }), undefined, { permits, mainRateLimited: true });
  const answer = call(channel.socketPath, channel.token, chat);
  while (permits.waiting.length === 0) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 100));
  t.is(main.requests.length, 0, 'nothing goes upstream without a permit');
  t.true(gateway.waitingForPermit('att_fo'), 'the attempt is held by the fleet (its stall clock stops)');
  t.is(await permits.next(), 'main');
  while (permits.throttles.length === 0) await new Promise((r) => setTimeout(r, 5));
  t.deepEqual([main.requests.length, permits.throttles], [1, ['main']], 'the permitted request met a 429, reported to shrink the fleet\'s limit');
  t.is(await permits.next(), 'main', 'the retry takes a permit of its own');
  t.is((await answer).status, 200);
  t.deepEqual([main.requests.length, permits.tokens], [2, [['main', 12]]]);
  t.false(gateway.waitingForPermit('att_fo'));
});

test('a call waiting for a permit ends with its attempt, and nothing goes upstream', async (t) => {
  const permits = new HeldPermits();
  const { channel, main, gateway } = await withFallback(t, () => ({ tools: [runCommands('ls')], usage: { prompt: 10, completion: 2 } }), undefined, { permits, mainRateLimited: true });
  const answer = call(channel.socketPath, channel.token, chat);
  while (permits.waiting.length === 0) await new Promise((r) => setTimeout(r, 5));
  await gateway.close('att_fo');
  t.is((await answer).status, 401);
  t.deepEqual([permits.waiting.length, main.requests.length], [0, 0]);
});

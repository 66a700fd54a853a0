import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { pino } from 'pino';
import { FakeLlm, runCommands, transcript } from '../../test/harness/fake-llm.js';
import { LlmGateway, newGatewayToken, SseUsageScanner, usageOf, type GatewayStopReason, type OpenOptions } from './llm-gateway.js';

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

async function setup(t: { teardown: (fn: () => Promise<void> | void) => void }, script = transcript([{ tools: [runCommands('ls')], usage: { prompt: 100, completion: 20, cost: 0.01 } }], { tools: [runCommands('pwd')], usage: { prompt: 100, completion: 20, cost: 0.01 } })) {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-gw-'));
  const fake = await new FakeLlm('sk-real-key', script).start();
  const gateway = new LlmGateway(log);
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
  t.deepEqual(usage.at(-1), { inputTokens: 100, outputTokens: 20, costUsd: 0.01 });
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
  const { open, stops } = await setup(t);
  const channel = await open('att_adopted', { budget: { maxTokens: 1000, maxCostUsd: 0 }, usage: { inputTokens: 990, outputTokens: 0, costUsd: 0 } });
  t.is((await call(channel.socketPath, channel.token, chat)).status, 200);
  t.is(stops[0]?.reason, 'budget_exceeded');
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
  const { open, gateway } = await setup(t);
  const channel = await open('att_down', { provider: { name: 'gone', baseUrl: 'http://127.0.0.1:9/v1', model: 'm', apiKey: 'k' } });
  t.is((await call(channel.socketPath, channel.token, chat)).status, 502);
  t.regex(gateway.lastProviderError('att_down'), /^provider "gone" is unreachable at http:\/\/127.0.0.1:9\/v1/);
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

/**
 * LLM gateway benchmark: what the node agent's gateway adds to a model call.
 * N streamed `chat/completions` calls go to a local fake provider directly
 * and through the gateway (unix socket, token check, key swap, usage count),
 * sequentially and concurrently. Prints ms per call for both and the added
 * time. The fake answers at once, so the figures
 * are the gateway's own cost; a real model's seconds dwarf them. The attempt
 * may have as many calls in flight as the highest concurrency asked;
 * `--max-tokens` gives it a token budget (calls then are planned and clamped
 * against it).
 *
 *   npm run bench:gateway                    # N=500
 *   npm run bench:gateway -- --calls 2000 --concurrency 1,8 --max-tokens 1000000000
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { LlmGateway, MAX_CONCURRENT_CALLS, newGatewayToken } from '../node-agent/src/llm-gateway.js';
import { FakeLlm, runCommands } from '../test/harness/fake-llm.js';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '500' }, concurrency: { type: 'string', default: '1,8' }, 'max-tokens': { type: 'string', default: '0' } } });
const N = Number(values.calls);
const LEVELS = values.concurrency.split(',').map(Number);
const MAX_TOKENS = Number(values['max-tokens']);
if (!Number.isInteger(N) || N < 1 || LEVELS.some((c) => !Number.isInteger(c) || c < 1 || c > MAX_CONCURRENT_CALLS) || !Number.isInteger(MAX_TOKENS) || MAX_TOKENS < 0) {
  process.stderr.write(`usage: llm-gateway [--calls N] [--concurrency 1,8 (each at most ${MAX_CONCURRENT_CALLS})] [--max-tokens BUDGET]\n`);
  process.exit(2);
}

const body = JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x'.repeat(20_000) }] });
const agent = new http.Agent({ keepAlive: true });

function post(target: { socketPath: string } | { host: string; port: number }, path: string, token: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request({ ...target, ...('port' in target ? { agent } : {}), path, method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function run(concurrency: number, call: () => Promise<void>): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < N) await call();
  }));
  return (performance.now() - started) / N;
}

const dir = mkdtempSync(join(tmpdir(), 'fleet-bench-gw-'));
const fake = await new FakeLlm('sk-bench', () => ({ tools: [runCommands('ls')], usage: { prompt: 10, completion: 2 } })).start();
const gateway = new LlmGateway(pino({ level: 'silent' }), { maxConcurrentCalls: Math.max(4, ...LEVELS) });
const token = newGatewayToken();
const socketPath = join(dir, 'llm.sock');
await gateway.open({
  attemptId: 'att_bench',
  socketPath,
  token,
  provider: { name: 'fake', baseUrl: fake.url, model: 'm', apiKey: fake.apiKey },
  budget: { maxTokens: MAX_TOKENS, maxCostUsd: 0 },
  usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
  onUsage: () => {},
  onStop: (reason, message) => {
    throw new Error(`gateway stopped the attempt: ${reason}: ${message}`);
  },
});
const url = new URL(fake.url);
const direct = () => post({ host: url.hostname, port: Number(url.port) }, '/v1/chat/completions', fake.apiKey);
const viaGateway = () => post({ socketPath }, '/v1/chat/completions', token);
await run(4, direct);
await run(4, viaGateway);

console.log(`LLM gateway: ${N} streamed calls, 20 KB request each, to a local fake provider${MAX_TOKENS ? `, under a budget of ${MAX_TOKENS} tokens` : ''}`);
for (const c of LEVELS) {
  const d = await run(c, direct);
  const g = await run(c, viaGateway);
  console.log(`  concurrency ${c}: direct ${d.toFixed(2)} ms/call, through the gateway ${g.toFixed(2)} ms/call, added ${(g - d).toFixed(2)} ms/call`);
}
await gateway.closeAll();
await fake.stop();
agent.destroy();
rmSync(dir, { recursive: true, force: true });

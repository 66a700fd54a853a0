/**
 * A fake OpenAI-compatible provider for the tests: it plays a scripted
 * transcript over SSE (`chat/completions` with `stream: true`), the way a
 * real provider answers Cline: tool calls, usage, then `submit_and_exit`.
 * It accepts only its own API key, so a test can prove a token that is not
 * the key gets nowhere, and it records every request it was sent.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ToolCall {
  name: string;
  args: Record<string, unknown>;
}

export type Turn =
  | { tools: ToolCall[]; usage?: { prompt: number; completion: number; cost?: number } }
  /** Talk without calling a tool. */
  | { text: string }
  | { status: number; body?: string; headers?: Record<string, string> }
  /** Answers nothing until `release()` is called, then plays `then`. */
  | { hold: true; then: Turn };

export interface RecordedRequest {
  authorization: string;
  body: Record<string, unknown>;
}

/** What the fake answers for request number `n` (from 0). */
export type Script = (n: number, body: Record<string, unknown>) => Turn;

/**
 * Plays `turns` in order within each conversation: the turn is chosen by how
 * many assistant messages the request already carries, so one provider can
 * serve several tasks (and Cline's retries) with the same transcript.
 */
export function transcript(turns: Turn[], after: Turn = { status: 500, body: 'the transcript is over' }): Script {
  return (_n, body) => {
    const messages = Array.isArray(body.messages) ? (body.messages as Array<{ role?: string }>) : [];
    return turns[messages.filter((m) => m.role === 'assistant').length] ?? after;
  };
}

export const runCommands = (...commands: string[]): ToolCall => ({ name: 'run_commands', args: { commands } });
export const submitAndExit = (summary: string): ToolCall => ({ name: 'submit_and_exit', args: { summary, verified: true } });

export class FakeLlm {
  readonly requests: RecordedRequest[] = [];
  /** Requests refused for a wrong key. */
  refused = 0;
  private server: http.Server | undefined;
  private releaseHold: () => void = () => {};
  private held = new Promise<void>((resolve) => (this.releaseHold = resolve));
  url = '';

  constructor(
    readonly apiKey: string,
    public script: Script,
  ) {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
    return this;
  }

  release(): void {
    this.releaseHold();
  }

  async stop(): Promise<void> {
    this.release();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const authorization = String(req.headers.authorization ?? '');
    if (authorization !== `Bearer ${this.apiKey}`) {
      this.refused += 1;
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'invalid api key', type: 'invalid_request_error' } }));
      return;
    }
    if (req.url !== '/v1/chat/completions' || req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      res.writeHead(400).end('bad json');
      return;
    }
    const n = this.requests.length;
    this.requests.push({ authorization, body });
    let turn = this.script(n, body);
    while ('hold' in turn) {
      await this.held;
      turn = turn.then;
    }
    if ('status' in turn) {
      res.writeHead(turn.status, { 'content-type': 'application/json', ...turn.headers });
      res.end(JSON.stringify({ error: { message: turn.body ?? `fake error ${turn.status}` } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const id = `chatcmpl-fake-${n}`;
    const send = (chunk: unknown) => res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    const base = { id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: String(body.model ?? 'fake') };
    if ('text' in turn) {
      send({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: turn.text }, finish_reason: null }] });
      send({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } });
      res.end('data: [DONE]\n\n');
      return;
    }
    turn.tools.forEach((tool, index) => {
      send({
        ...base,
        choices: [{ index: 0, delta: { ...(index === 0 ? { role: 'assistant' } : {}), tool_calls: [{ index, id: `call_${n}_${index}`, type: 'function', function: { name: tool.name, arguments: JSON.stringify(tool.args) } }] }, finish_reason: null }],
      });
    });
    send({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] });
    const usage = turn.usage ?? { prompt: 100, completion: 20 };
    send({ ...base, choices: [], usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion, ...(usage.cost ? { cost: usage.cost } : {}) } });
    res.end('data: [DONE]\n\n');
  }
}

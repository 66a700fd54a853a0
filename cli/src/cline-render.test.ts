import test from 'ava';
import { ClineRenderer } from './cline-render.js';

const ev = (event: Record<string, unknown>) => JSON.stringify({ type: 'agent_event', event }) + '\n';

test('renders iterations, tool calls, streamed command output, tokens and the run result', (t) => {
  const r = new ClineRenderer();
  const lines = [
    ...r.push(ev({ type: 'iteration_start', iteration: 1 })),
    ...r.push(ev({ type: 'content_start', contentType: 'tool', toolName: 'run_commands', toolCallId: 'a', input: { commands: ['npm test'] } })),
    ...r.push(ev({ type: 'content_update', contentType: 'tool', toolCallId: 'a', update: { chunk: 'ok 1\nok 2\n' } })),
    ...r.push(ev({ type: 'content_end', contentType: 'tool', toolName: 'run_commands', toolCallId: 'a', output: [{ query: 'npm test', result: 'ok 1\nok 2\n', success: true }], durationMs: 12 })),
    ...r.push(ev({ type: 'usage', totalInputTokens: 100, totalOutputTokens: 20, totalCost: 0.5 })),
    ...r.push(ev({ type: 'content_end', contentType: 'tool', toolName: 'editor', toolCallId: 'b', error: 'no such file' })),
    ...r.push(JSON.stringify({ type: 'run_result', finishReason: 'completed', iterations: 1, usage: { inputTokens: 100, outputTokens: 20, totalCost: 0.5 }, durationMs: 1500 }) + '\n'),
  ];
  t.deepEqual(lines, [
    '── iteration 1 ──',
    '→ run_commands {"commands":["npm test"]}',
    '   │ ok 1',
    '   │ ok 2',
    '   ✓ run_commands (12ms)',
    '   tokens so far: 100 in / 20 out, $0.5000',
    '   ✗ editor: no such file',
    '■ run completed: 1 iterations, 100 in / 20 out tokens, $0.5000, 1.5s',
  ]);
});

test('output not streamed is shown from the tool result, cut after 20 lines', (t) => {
  const r = new ClineRenderer();
  const result = Array.from({ length: 25 }, (_, i) => `line ${i}`).join('\n');
  const lines = r.push(ev({ type: 'content_end', contentType: 'tool', toolName: 'run_commands', toolCallId: 'x', output: [{ query: 'seq', result, success: true }] }));
  t.is(lines.length, 22);
  t.is(lines[20], '   │ … 5 more lines');
});

test('a partial line waits for the rest; plain text lines pass through', (t) => {
  const r = new ClineRenderer();
  const text = ev({ type: 'iteration_start', iteration: 3 });
  t.deepEqual(r.push(text.slice(0, 10)), []);
  t.deepEqual(r.push(text.slice(10) + 'plain line\n'), ['── iteration 3 ──', 'plain line']);
  t.deepEqual(r.push('{"type":"agent_event","event":{"type":"done","reason":"completed","iterations":3}}'), []);
  t.deepEqual(r.end(), ['✔ done (completed) after 3 iterations']);
});

import test from 'ava';
import { ClineMonitor } from './cline-monitor.js';

const line = (event: Record<string, unknown>) => JSON.stringify({ ts: '2026-01-01T00:00:00Z', type: 'agent_event', event }) + '\n';
const tool = (toolName: string, input: unknown, toolCallId = 't') => line({ type: 'content_start', contentType: 'tool', toolName, toolCallId, input });
const settings = { stallTimeoutMs: 10_000, maxRepeatedToolCalls: 3 };

test('progress comes from iteration, usage and tool events, split across chunks anywhere', (t) => {
  const m = new ClineMonitor(settings, 0);
  const text =
    line({ type: 'iteration_start', iteration: 1 }) +
    line({ type: 'usage', totalInputTokens: 120, totalOutputTokens: 30, totalCost: 0.25 }) +
    tool('run_commands', { commands: ['npm test'] }) +
    line({ type: 'iteration_start', iteration: 2 });
  for (let i = 0; i < text.length; i += 7) m.push(text.slice(i, i + 7), 1_000);
  t.deepEqual(m.progress(2_000), { iterations: 2, inputTokens: 120, outputTokens: 30, costUsd: 0.25, lastTool: 'run_commands {"commands":["npm test"]}', updatedAtMs: 2_000 });
});

test('the summary counts only when submit_and_exit was accepted', (t) => {
  const m = new ClineMonitor(settings, 0);
  m.push(tool('submit_and_exit', { summary: 'short', verified: true }, 'a'), 1);
  m.push(line({ type: 'content_end', contentType: 'tool', toolName: 'submit_and_exit', toolCallId: 'a', error: 'too small' }), 2);
  t.is(m.summary, '');
  m.push(tool('submit_and_exit', { summary: 'Fixed the failing test', verified: true }, 'b'), 3);
  m.push(line({ type: 'content_end', contentType: 'tool', toolName: 'submit_and_exit', toolCallId: 'b', output: 'ok' }), 4);
  m.push(JSON.stringify({ type: 'run_result', finishReason: 'completed', iterations: 2 }) + '\n', 5);
  t.is(m.summary, 'Fixed the failing test');
  t.true(m.verified);
  t.is(m.finishReason, 'completed');
});

test('the same tool call N times in a row is a stall; a different call in between is not', (t) => {
  const m = new ClineMonitor(settings, 0);
  m.push(tool('run_commands', { commands: ['ls'] }) + tool('run_commands', { commands: ['ls'] }) + tool('run_commands', { commands: ['pwd'] }), 1);
  m.push(tool('run_commands', { commands: ['pwd'] }), 2);
  t.is(m.check(3), null);
  m.push(tool('run_commands', { commands: ['pwd'] }) + tool('run_commands', { commands: ['pwd'] }), 4);
  t.deepEqual(m.check(5), { reason: 'stalled', rule: 'repeated_tool_call', message: 'the same tool call 3 times in a row: run_commands {"commands":["pwd"]}' });
});

test('no event for the stall timeout is a stall; any event resets the clock', (t) => {
  const m = new ClineMonitor(settings, 0);
  t.is(m.check(9_999), null);
  m.push(line({ type: 'content_update', contentType: 'tool', update: { chunk: 'building…' } }), 9_000);
  t.is(m.check(18_999), null);
  t.deepEqual(m.check(19_000), { reason: 'stalled', rule: 'no_events', message: 'no Cline event for 10s (stall timeout 10s)' });
});

test('the stall clock starts when the container does: a slow clone or image pull is not Cline stalling', (t) => {
  const m = new ClineMonitor(settings, 0);
  m.containerStarted(25_000);
  t.is(m.check(34_999), null);
  t.deepEqual(m.check(35_000), { reason: 'stalled', rule: 'no_events', message: 'no Cline event for 10s (stall timeout 10s)' });
  m.containerStarted(1_000); // an earlier time never winds the clock back
  t.deepEqual(m.check(35_000), { reason: 'stalled', rule: 'no_events', message: 'no Cline event for 10s (stall timeout 10s)' });
});

test('a run whose call waits for a provider\'s rate permit is held by the fleet: its stall clock does not run meanwhile', (t) => {
  const m = new ClineMonitor(settings, 0);
  // Held from 5 s to 60 s (ticked every second while the call waits), quiet after.
  for (let at = 5_000; at <= 60_000; at += 1_000) {
    m.heldByFleet(at);
    t.is(m.check(at), null, `held at ${at}`);
  }
  t.is(m.check(69_999), null);
  t.deepEqual(m.check(70_000), { reason: 'stalled', rule: 'no_events', message: 'no Cline event for 10s (stall timeout 10s)' });
});

test('lines that are not events are ignored and do not count as progress', (t) => {
  const m = new ClineMonitor(settings, 0);
  m.push('Warning: AI SDK says hi\n{not json\n[1,2]\n', 9_000);
  t.truthy(m.check(10_000));
  t.is(m.iterations, 0);
});

test('an error event is kept for the failure message', (t) => {
  const m = new ClineMonitor(settings, 0);
  m.push(line({ type: 'error', error: { message: 'provider said no' }, recoverable: false }), 1);
  t.is(m.lastError, 'provider said no');
});

test('iterations in a row without a tool call are a stall; one with a tool call resets the count', (t) => {
  const m = new ClineMonitor(settings, 0);
  const idle = line({ type: 'iteration_end', hadToolCalls: false, toolCallCount: 0 });
  m.push(idle + idle + line({ type: 'iteration_end', hadToolCalls: true, toolCallCount: 1 }) + idle + idle, 1);
  t.is(m.check(2), null);
  m.push(idle + idle, 3);
  t.deepEqual(m.check(4), { reason: 'stalled', rule: 'no_tool_calls', message: '3 iterations in a row without a tool call' });
});

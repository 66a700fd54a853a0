import test from 'ava';
import { ValidationError } from './errors.js';
import { validateNodeInfo } from './node-info.js';
import { compileTaskSpec, SPEC_DEFAULTS, SPEC_LIMITS } from './task-spec.js';

const ok = { image: 'fleet-test/busybox:1', command: ['echo', 'hi'] };

function refuses(t: import('ava').ExecutionContext, input: Parameters<typeof compileTaskSpec>[0], field: string, message: string) {
  const err = t.throws(() => compileTaskSpec(input), { instanceOf: ValidationError });
  t.is(err?.field, field);
  t.is(err?.message, `${field}: ${message}`);
}

test('fills in defaults', (t) => {
  const spec = compileTaskSpec(ok);
  t.is(spec.timeoutMs, SPEC_DEFAULTS.timeoutMs);
  t.is(spec.retry.maxAttempts, 1);
  t.is(spec.retry.backoffMultiplier, 2);
  t.deepEqual(spec.env, {});
  t.deepEqual(spec.nodeSelector, {});
});

test('keeps what was given', (t) => {
  const spec = compileTaskSpec({ ...ok, env: { A: '1' }, timeoutMs: 5000, retry: { maxAttempts: 3, nonRetryableExitCodes: [2, 2] }, nodeSelector: { zone: 'a' }, resources: { cpus: 0.5, memoryBytes: 64 * 1024 ** 2 } });
  t.is(spec.timeoutMs, 5000);
  t.is(spec.retry.maxAttempts, 3);
  t.deepEqual(spec.retry.nonRetryableExitCodes, [2]);
  t.is(spec.resources.cpus, 0.5);
});

test('refuses a missing spec or image', (t) => {
  refuses(t, undefined, 'spec', 'is required');
  refuses(t, { command: ['true'] }, 'spec.image', 'is required (e.g. debian:12-slim)');
  refuses(t, { ...ok, image: 'bad image' }, 'spec.image', '"bad image" is not a valid image reference');
});

test('refuses an empty command', (t) => {
  refuses(t, { ...ok, command: [] }, 'spec.command', 'must not be empty: give the program to run and its arguments');
  refuses(t, { ...ok, command: [''] }, 'spec.command', 'must not be empty: give the program to run and its arguments');
});

test('refuses a negative timeout', (t) => {
  refuses(t, { ...ok, timeoutMs: -1 }, 'spec.timeout_ms', 'must not be negative, got -1');
  refuses(t, { ...ok, timeoutMs: SPEC_LIMITS.maxTimeoutMs + 1 }, 'spec.timeout_ms', `must be at most ${SPEC_LIMITS.maxTimeoutMs}, got ${SPEC_LIMITS.maxTimeoutMs + 1}`);
});

test('refuses a 10 MB env value, naming the variable', (t) => {
  refuses(t, { ...ok, env: { BIG: 'x'.repeat(10 * 1024 * 1024) } }, 'spec.env["BIG"]', `value is ${10 * 1024 * 1024} bytes; the limit is ${SPEC_LIMITS.envValueBytes}`);
  refuses(t, { ...ok, env: { '1BAD': 'x' } }, 'spec.env["1BAD"]', 'variable names are letters, digits and "_", not starting with a digit');
});

test('refuses bad resources, retries and selectors', (t) => {
  refuses(t, { ...ok, resources: { cpus: -1 } }, 'spec.resources.cpus', 'must be between 0 and 1024, got -1');
  refuses(t, { ...ok, resources: { memoryBytes: 1000 } }, 'spec.resources.memory_bytes', 'must be 0 (no limit) or at least 6MiB, got 1000');
  refuses(t, { ...ok, retry: { maxAttempts: 1000 } }, 'spec.retry.max_attempts', 'must be at most 100, got 1000');
  refuses(t, { ...ok, retry: { initialBackoffMs: 5000, maxBackoffMs: 1000 } }, 'spec.retry.max_backoff_ms', 'must not be less than spec.retry.initial_backoff_ms (5000)');
  refuses(t, { ...ok, retry: { nonRetryableExitCodes: [300] } }, 'spec.retry.non_retryable_exit_codes[0]', 'must be at most 255, got 300');
  refuses(t, { ...ok, nodeSelector: { zone: 'a b' } }, 'spec.node_selector["zone"]', 'label values are letters, digits, ".", "-" and "_" (at most 128)');
  refuses(t, { ...ok, workingDir: 'relative' }, 'spec.working_dir', 'must be an absolute path');
  refuses(t, { ...ok, priority: 5000 }, 'spec.priority', 'must be at most 1000, got 5000');
});

test('validates what a node says about itself', (t) => {
  t.deepEqual(validateNodeInfo({ name: 'node-a', slots: 2, labels: { zone: 'a' } }).labels, { zone: 'a' });
  t.throws(() => validateNodeInfo({ name: 'bad name', slots: 2 }), { message: 'name: "bad name" is not a node name (letters, digits, ".", "-", "_"; at most 64)' });
  t.throws(() => validateNodeInfo({ name: 'n', slots: 0 }), { message: 'slots: must be between 1 and 1024, got 0' });
});

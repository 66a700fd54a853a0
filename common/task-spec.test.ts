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

const cline = (extra: Record<string, unknown> = {}) => ({ cline: { repoUrl: 'https://git.example.com/app.git', prompt: 'Fix the build', ...extra } });

test('a Cline spec gets its defaults and no command', (t) => {
  const spec = compileTaskSpec(cline());
  t.is(spec.image, '', 'the control plane fills in its agent image');
  t.deepEqual(spec.command, []);
  t.deepEqual(spec.cline, {
    repoUrl: 'https://git.example.com/app.git',
    ref: '',
    prompt: 'Fix the build',
    provider: SPEC_DEFAULTS.clineProvider,
    maxTokens: 0,
    maxCostUsd: 0,
    stallTimeoutMs: SPEC_DEFAULTS.stallTimeoutMs,
    maxRepeatedToolCalls: SPEC_DEFAULTS.maxRepeatedToolCalls,
    network: 'none',
  });
});

test('repository URLs: plain transports pass; option injection and ext:: do not', (t) => {
  for (const url of ['https://h/a.git', 'http://h/a', 'ssh://git@h/a.git', 'git://h/a', 'git@github.com:org/app.git', 'file:///srv/repos/app']) {
    t.is(compileTaskSpec(cline({ repoUrl: url })).cline?.repoUrl, url);
  }
  for (const url of ['--upload-pack=touch /tmp/x', 'ext::sh -c id', '/srv/repos/app', 'https://h/a b']) {
    refuses(t, cline({ repoUrl: url }), 'spec.cline.repo_url', `"${url}" is not a repository URL (https://, http://, ssh://, git://, file:// or user@host:path)`);
  }
  refuses(t, cline({ repoUrl: '' }), 'spec.cline.repo_url', 'is required (e.g. https://git.example.com/team/app.git or file:///srv/repos/app)');
});

test('Cline refs, prompts, budgets and settings are checked field by field', (t) => {
  refuses(t, cline({ ref: '-x' }), 'spec.cline.ref', '"-x" is not a branch, tag or commit name');
  refuses(t, cline({ ref: 'a..b' }), 'spec.cline.ref', '"a..b" is not a branch, tag or commit name');
  t.is(compileTaskSpec(cline({ ref: 'release/1.2' })).cline?.ref, 'release/1.2');
  refuses(t, cline({ prompt: ' \n' }), 'spec.cline.prompt', 'is required: say what Cline should do');
  refuses(t, cline({ prompt: 'x'.repeat(SPEC_LIMITS.promptBytes + 1) }), 'spec.cline.prompt', `is ${SPEC_LIMITS.promptBytes + 1} bytes; the limit is ${SPEC_LIMITS.promptBytes}`);
  t.is(compileTaskSpec(cline({ prompt: 'é'.repeat(50_000) })).cline?.prompt.length, 50_000, '100,000 bytes of prompt pass');
  refuses(t, cline({ provider: 'Bad Name' }), 'spec.cline.provider', 'provider names are lower-case letters, digits, "-" and "_" (at most 63)');
  refuses(t, cline({ maxTokens: -1 }), 'spec.cline.max_tokens', 'must not be negative, got -1');
  refuses(t, cline({ maxCostUsd: Number.NaN }), 'spec.cline.max_cost_usd', 'must be between 0 and 100000, got NaN');
  refuses(t, cline({ stallTimeoutMs: 10 }), 'spec.cline.stall_timeout_ms', 'must be at least 1000, got 10');
  refuses(t, cline({ maxRepeatedToolCalls: 1 }), 'spec.cline.max_repeated_tool_calls', 'must be at least 2, got 1');
  refuses(t, cline({ network: 'host' }), 'spec.cline.network', 'must be "none" or "bridge", got "host"');
  refuses(t, { ...cline(), command: ['sh'] }, 'spec.command', 'must be empty for a Cline task: the node agent starts Cline in /workspace itself');
  refuses(t, { ...cline(), env: { FLEET_LLM_TOKEN: 'x' } }, 'spec.env["FLEET_LLM_TOKEN"]', 'names starting with FLEET_ are reserved for the agent image');
  refuses(t, { ...cline(), image: 'bad image' }, 'spec.image', '"bad image" is not a valid image reference');
});

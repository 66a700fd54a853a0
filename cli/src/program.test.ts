import test from 'ava';
import { CommanderError } from 'commander';
import { CliError } from './client.js';
import { buildProgram } from './program.js';
import { buildSpec, flagError } from './actions/tasks.js';
import { ValidationError } from '../../common/errors.js';

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const { program } = buildProgram({ out: (t) => out.push(t), err: (t) => err.push(t) }, env);
  return { program, out, err, parse: () => program.parseAsync(['node', 'fleetctl', ...args]) };
}

test('usage errors are CommanderErrors, not process exits', async (t) => {
  const { parse, err } = run(['task', 'submit', '--agent', 'claude', '--', 'true']);
  const e = await t.throwsAsync(parse(), { instanceOf: CommanderError });
  t.is(e?.code, 'commander.invalidArgument');
  t.regex(err.join(''), /--agent <agent>' argument 'claude' is invalid. Allowed choices are cline/);
});

test('a task without an image (and not a Cline task) names --image', async (t) => {
  const { parse } = run(['task', 'submit', '--', 'true']);
  const e = await t.throwsAsync(parse(), { instanceOf: CliError });
  t.is(e?.message, '--image: is required (e.g. debian:12-slim)');
});

test('a bad duration names the flag', async (t) => {
  const { parse } = run(['task', 'submit', '--image', 'x', '--timeout', 'soon', '--', 'true']);
  const e = await t.throwsAsync(parse(), { instanceOf: CliError });
  t.is(e?.message, '--timeout: "soon" is not a duration (e.g. 30s, 5m, 1h30m, 250ms)');
  t.is(e?.exitCode, 2);
});

test('retry flags are parsed and checked', async (t) => {
  const { parse } = run(['task', 'submit', '--image', 'x', '--final-exit-codes', '2,x', '--', 'true']);
  await t.throwsAsync(parse(), { instanceOf: CliError, message: '--final-exit-codes: "x" is not an exit code' });
  t.throws(() => buildSpec({ image: 'x', command: ['true'], env: {}, nodeSelector: {}, retries: 1, backoffMs: 10_000, maxBackoffMs: 1_000, priority: 0, wait: false }), {
    message: '--max-backoff: must not be less than spec.retry.initial_backoff_ms (10000)',
  });
});

test('a missing token says where to find one', async (t) => {
  const { parse } = run(['node', 'list']);
  const e = await t.throwsAsync(parse(), { instanceOf: CliError });
  t.regex(e!.message, /no access token: pass --token-file \(or set FLEET_TOKEN_FILE or FLEET_TOKEN\)/);
});

test('an unknown output format is refused', async (t) => {
  const { parse } = run(['node', 'list', '--token', 'x', '-o', 'yaml']);
  await t.throwsAsync(parse(), { message: '-o/--output: must be "table" or "json", got "yaml"' });
});

test('submit flags build the spec the server expects', (t) => {
  const spec = buildSpec({ image: 'img:1', command: ['sh', '-c', 'exit 3'], env: { A: '1' }, nodeSelector: { zone: 'b' }, timeoutMs: 5000, retries: 2, backoffMs: 500, nonRetryableExitCodes: [42], cpus: 0.5, memoryBytes: 64 * 1024 ** 2, priority: 3, wait: false });
  t.deepEqual(spec.retry, { maxAttempts: 3, initialBackoffMs: 500, maxBackoffMs: 0, backoffMultiplier: 0, nonRetryableExitCodes: [42] });
  t.deepEqual(spec.resources, { cpus: 0.5, memoryBytes: 64 * 1024 ** 2 });
  t.is(spec.timeoutMs, 5000);
  t.deepEqual(spec.nodeSelector, { zone: 'b' });
});

test('server field names map back to flags', (t) => {
  t.is(flagError(new ValidationError('spec.env["TOKEN"]', 'too big')).message, '--env TOKEN: too big');
  t.is(flagError(new ValidationError('spec.timeout_ms', 'bad')).message, '--timeout: bad');
  t.is(flagError(new ValidationError('spec.something_new', 'bad')).message, 'spec.something_new: bad');
});

test('autoscale set checks its flags before any call, naming the flag', async (t) => {
  const missing = run(['autoscale', 'set', 'gpu', '--selector', 'pool=gpu', '--max', '3']);
  const e1 = await t.throwsAsync(missing.parse(), { instanceOf: CommanderError });
  t.regex(missing.err.join(''), /required option '--min <n>' not specified/);
  t.is(e1?.code, 'commander.missingMandatoryOptionValue');
  await t.throwsAsync(run(['autoscale', 'set', 'gpu', '--selector', 'pool=gpu', '--min', '-1', '--max', '3']).parse(), { instanceOf: CliError, message: '--min: must not be negative, got -1' });
  await t.throwsAsync(run(['autoscale', 'set', 'gpu', '--selector', 'pool=gpu', '--min', '0', '--max', '0']).parse(), { instanceOf: CliError, message: '--max: must be at least 1, got 0' });
  await t.throwsAsync(run(['autoscale', 'set', 'gpu', '--selector', 'pool', '--min', '0', '--max', '2']).parse(), { instanceOf: CliError, message: '--selector: "pool" is not KEY=VALUE' });
  await t.throwsAsync(run(['autoscale', 'set', 'gpu', '--selector', 'pool=gpu', '--min', '0', '--max', '2', '--scale-up-cooldown', 'soon']).parse(), { instanceOf: CliError, message: '--scale-up-cooldown: "soon" is not a duration (e.g. 30s, 5m, 1h30m, 250ms)' });
});

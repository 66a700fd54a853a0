import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { checkHookPath, ExecHook, type HookInput } from './hook.js';

const dir = mkdtempSync(join(tmpdir(), 'autoscale-hook-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string, mode = 0o700): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, mode);
  return path;
}

const input: HookInput = { version: 1, pool: 'gpu', selector: { pool: 'gpu' }, current: 1, desired: 3, minNodes: 1, maxNodes: 4, remove: [], reason: 'test', attempt: 1 };

test('the path must be absolute, a regular file, executable and writable by nobody else', (t) => {
  const good = script('good', 'exit 0');
  t.is(checkHookPath('--autoscale-hook', good), good);
  const link = join(dir, 'link');
  symlinkSync(good, link);
  t.is(checkHookPath('--autoscale-hook', link), good, 'what runs is the file the link names');
  t.is(t.throws(() => checkHookPath('--autoscale-hook', 'hook.sh'))?.message, '--autoscale-hook: must be an absolute path, got "hook.sh"');
  t.is(t.throws(() => checkHookPath('--autoscale-hook', join(dir, 'none')))?.message, `--autoscale-hook: ${join(dir, 'none')}: no such file`);
  t.is(t.throws(() => checkHookPath('--autoscale-hook', dir))?.message, `--autoscale-hook: ${dir} is not a regular file`);
  const shared = script('shared', 'exit 0', 0o775);
  t.is(t.throws(() => checkHookPath('--autoscale-hook', shared))?.message, `--autoscale-hook: ${shared} is writable by its group or others (mode 0775): chmod go-w ${shared}`);
  const plain = script('plain', 'exit 0', 0o600);
  // Root too: access(X_OK) needs an x bit for someone.
  t.regex(t.throws(() => checkHookPath('--autoscale-hook', plain))?.message ?? '', /is not executable by this user: chmod u\+x /);
});

test('the hook reads the JSON on stdin, with no argument and an environment of its own', async (t) => {
  const out = join(dir, 'seen');
  const hook = script('record', `cat > ${out}.json; echo "$#|$FLEET_AUTOSCALE_POOL|$HOME|$FLEET_ADMIN_TOKEN|$(pwd)" > ${out}.env; echo done`);
  process.env.FLEET_ADMIN_TOKEN = 'must-not-leak';
  try {
    const outcome = await new ExecHook(hook, 5_000).call(input);
    t.deepEqual(outcome, { result: 'OK', error: '', stdout: 'done\n' });
  } finally {
    delete process.env.FLEET_ADMIN_TOKEN;
  }
  t.deepEqual(JSON.parse(readFileSync(`${out}.json`, 'utf8')), input);
  t.is(readFileSync(`${out}.env`, 'utf8'), '0|gpu|||/\n');
});

test('a failure says how it ended and the end of stderr, on one line; output is bounded', async (t) => {
  const failing = script('fail', 'echo "quota\nexceeded" >&2; exit 3');
  const outcome = await new ExecHook(failing, 5_000).call(input);
  t.is(outcome.result, 'FAILED');
  t.is(outcome.error, 'exit status 3; stderr: quota exceeded');
  const chatty = script('chatty', 'head -c 1000000 /dev/zero | tr "\\0" x; exit 0');
  const loud = await new ExecHook(chatty, 5_000).call(input);
  t.is(loud.result, 'OK');
  t.is(loud.stdout.length, 64 * 1024);
  const missing = await new ExecHook(join(dir, 'vanished'), 5_000).call(input);
  t.is(missing.result, 'FAILED');
  t.regex(missing.error, /^the hook could not be started: spawn .* ENOENT$/);
});

test('a hook that outlives its timeout is stopped with what it started', async (t) => {
  const pidFile = join(dir, 'child.pid');
  const slow = script('slow', `sleep 30 & echo $! > ${pidFile}; wait`);
  const started = Date.now();
  const outcome = await new ExecHook(slow, 300).call(input);
  t.is(outcome.result, 'TIMED_OUT');
  t.regex(outcome.error, /^no exit within 300ms: stopped/);
  t.true(Date.now() - started < 5_000);
  const child = Number(readFileSync(pidFile, 'utf8'));
  // Gone, or a zombie waiting for a reaper (a container's init may be slow to reap it).
  const alive = () => {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${child}/stat`, 'utf8'));
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 20 && alive(); i++) await new Promise((r) => setTimeout(r, 50));
  t.false(alive(), 'the hook\'s own child is stopped too');
});

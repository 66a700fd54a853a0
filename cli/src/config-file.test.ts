import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { buildProgram } from './program.js';

function fleetctl(env: NodeJS.ProcessEnv) {
  return async (args: string[]) => {
    let out = '';
    const { program, context } = buildProgram({ out: (t) => (out += t), err: () => {} }, env);
    await program.parseAsync(args, { from: 'user' });
    return { out, context: context() };
  };
}

test('contexts: set, list, use; a context supplies server, CA and token file; flags win', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetctl-config-'));
  const path = join(dir, 'config.json');
  writeFileSync(join(dir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  writeFileSync(join(dir, 'prod.token'), 'prod-token-0123456789\n');
  const run = fleetctl({ FLEET_CONFIG: path });

  await run(['config', 'set-context', 'prod', '--server', 'cp1:7700,cp2:7700', '--ca-file', join(dir, 'ca.crt'), '--token-file', join(dir, 'prod.token')]);
  await run(['config', 'set-context', 'lab', '--server', 'lab:7700']);
  t.is(statSync(path).mode & 0o777, 0o600);
  t.false(readFileSync(path, 'utf8').includes('prod-token'), 'the file names the token file, never the token');

  const listed = await run(['-o', 'json', 'config', 'get-contexts']);
  t.deepEqual(
    (JSON.parse(listed.out) as Array<{ name: string; current: boolean }>).map((c) => [c.name, c.current]),
    [['prod', true], ['lab', false]],
    'the first context made is current',
  );

  // The current context fills in what the flags leave out (the client is made, not called).
  const inProd = buildProgram({ out: () => {}, err: () => {} }, { FLEET_CONFIG: path });
  await inProd.program.parseAsync(['config', 'get-contexts'], { from: 'user' });
  t.deepEqual(inProd.context?.()?.client().servers ?? (await clientServers(path, [])), ['cp1:7700', 'cp2:7700']);
  t.deepEqual(await clientServers(path, ['--server', 'other:1', '--token', 'x'.repeat(20)]), ['other:1'], 'a flag wins over the context');
  await t.throwsAsync(clientServers(path, ['--server', 'other:1']), { message: /^no access token/ }, "another server never gets the context's token");
  t.deepEqual(await clientServers(path, ['--context', 'lab', '--token', 'x'.repeat(20)]), ['lab:7700']);

  await run(['config', 'use-context', 'lab']);
  t.deepEqual(await clientServers(path, ['--token', 'x'.repeat(20)]), ['lab:7700']);
  await t.throwsAsync(run(['config', 'use-context', 'nope']), { message: /no context "nope"/ });
  await t.throwsAsync(run(['config', 'set-context', 'bad name', '--server', 'x:1']), { message: /context name: "bad name" must be/ });
  await t.throwsAsync(run(['config', 'set-context', 'fresh']), { message: /a new context needs the control plane address/ });
});

/** Which servers fleetctl would call with these global flags (its client is made, never used). */
async function clientServers(path: string, flags: string[]): Promise<string[]> {
  const { makeContext } = await import('./context.js');
  const opts: Record<string, string> = { output: 'table' };
  for (let i = 0; i < flags.length; i += 2) opts[flags[i]!.replace(/^--/, '').replace(/-(\w)/g, (_, c: string) => c.toUpperCase())] = flags[i + 1]!;
  const ctx = makeContext(opts as never, { out: () => {}, err: () => {} }, { FLEET_CONFIG: path });
  const client = ctx.client();
  client.close();
  return client.servers;
}

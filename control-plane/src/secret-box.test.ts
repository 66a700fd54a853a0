import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { loadOrCreateSecretsKey, SecretBox, SecretKeyError } from './secret-box.js';

const key = Buffer.alloc(32, 7);

test('seals and opens; the ciphertext holds no trace of the key', (t) => {
  const box = new SecretBox(key);
  const sealed = box.seal('sk-live-abcdef', 'openai');
  t.false(sealed.includes('sk-live'));
  t.not(box.seal('sk-live-abcdef', 'openai'), sealed, 'a fresh IV every time');
  t.is(box.open(sealed, 'openai'), 'sk-live-abcdef');
});

test('a ciphertext moved to another provider, tampered with, or read with another key does not open', (t) => {
  const sealed = new SecretBox(key).seal('sk-1', 'a');
  t.throws(() => new SecretBox(key).open(sealed, 'b'), { instanceOf: SecretKeyError, message: /cannot decrypt the stored key of "b"/ });
  const parts = sealed.split(':');
  parts[3] = Buffer.from('tampered').toString('base64');
  t.throws(() => new SecretBox(key).open(parts.join(':'), 'a'), { instanceOf: SecretKeyError });
  t.throws(() => new SecretBox(Buffer.alloc(32, 8)).open(sealed, 'a'), { message: /give every replica the same FLEET_SECRETS_KEY/ });
  t.throws(() => new SecretBox(key).open('v0:x', 'a'), { message: 'a stored secret is not in a known format' });
});

test('the key comes from the environment, or is made once in the data dir with mode 0600', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-secrets-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'sub', 'secrets.key');
  const made = loadOrCreateSecretsKey(path, undefined);
  t.is(made.source, 'created');
  t.is(statSync(path).mode & 0o777, 0o600);
  const again = loadOrCreateSecretsKey(path, undefined);
  t.is(again.source, 'file');
  t.deepEqual(again.key, made.key);
  t.is(readFileSync(path, 'utf8').trim().length, 64);
  t.deepEqual(loadOrCreateSecretsKey(path, 'ab'.repeat(32)).key, Buffer.alloc(32, 0xab));
  t.throws(() => loadOrCreateSecretsKey(path, 'not-hex'), { message: 'FLEET_SECRETS_KEY must hold 64 hex characters (make one with: openssl rand -hex 32)' });
  t.throws(() => new SecretBox(Buffer.alloc(16)), { message: /must be 32 bytes/ });
});

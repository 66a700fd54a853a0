import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { createCa, createNodeKeyAndCsr, loadSigningCa, signNodeCsr, validFromMs } from '../../common/pki.js';
import { identityPath, saveIdentity, type Identity } from './identity.js';
import { NodeCredentials } from './node-credentials.js';

const NODE = 'node_0123456789abcdefghi';
const HOUR = 3_600_000;

async function enrolled(lifetimeMs = 10 * HOUR) {
  const caPem = await createCa('test', 100 * HOUR);
  const ca = await loadSigningCa(caPem.certPem, caPem.keyPem);
  const { keyPem, csrPem } = await createNodeKeyAndCsr();
  const { certPem } = await signNodeCsr(ca, csrPem, NODE, lifetimeMs);
  const dir = mkdtempSync(join(tmpdir(), 'node-credentials-'));
  const identity: Identity = { nodeId: NODE, enrolledAtMs: Date.now(), caPem: caPem.certPem, certPem, keyPem };
  saveIdentity(dir, identity);
  return { ca, dir, identity };
}

test('renewal is due between 70% and 90% of the certificate life, not before', async (t) => {
  const { dir, identity } = await enrolled();
  const from = validFromMs(identity.certPem);
  const life = new NodeCredentials(dir, identity).expiresAtMs - from;
  const early = new NodeCredentials(dir, identity, () => 0);
  t.is(await early.renewalRequest(from + life * 0.69), null);
  t.regex((await early.renewalRequest(from + life * 0.71)) ?? '', /BEGIN CERTIFICATE REQUEST/);
  const late = new NodeCredentials(dir, identity, () => 0.999);
  t.is(await late.renewalRequest(from + life * 0.89), null);
  t.truthy(await late.renewalRequest(from + life * 0.9));
  t.is(await late.renewalRequest(from + life * 0.95), null, 'one request at a time');
  late.renewalLost();
  t.truthy(await late.renewalRequest(from + life * 0.95), 'asked again once the session that carried it is gone');
});

test('a renewed certificate is kept with its new key, written whole and private; one for another key or node is refused', async (t) => {
  const { ca, dir, identity } = await enrolled();
  const credentials = new NodeCredentials(dir, identity, () => 0);
  const due = validFromMs(identity.certPem) + 9 * HOUR;

  await t.throws(() => credentials.accept(identity.certPem), { message: /did not ask for/ });

  const csr = (await credentials.renewalRequest(due))!;
  const stranger = await createNodeKeyAndCsr();
  const forOtherKey = await signNodeCsr(ca, stranger.csrPem, NODE, 20 * HOUR);
  t.throws(() => credentials.accept(forOtherKey.certPem), { message: /the key does not belong to the certificate/ });
  const forOtherNode = await signNodeCsr(ca, csr, 'node_zzzzzzzzzzzzzzzzzzz', 20 * HOUR);
  t.throws(() => credentials.accept(forOtherNode.certPem), { message: /does not name node/ });

  const renewed = await signNodeCsr(ca, csr, NODE, 20 * HOUR);
  const { expiresAtMs } = credentials.accept(renewed.certPem);
  t.is(expiresAtMs, renewed.expiresAtMs);
  const saved = JSON.parse(readFileSync(identityPath(dir), 'utf8')) as Identity;
  t.is(saved.certPem, renewed.certPem);
  t.not(saved.keyPem, identity.keyPem, 'a new key with the new certificate');
  t.is(statSync(identityPath(dir)).mode & 0o777, 0o600);
});

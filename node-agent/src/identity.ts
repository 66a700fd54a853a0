/**
 * The node's identity after enrollment, kept in DATA_DIR/identity.json
 * (0600): its id, the fleet CA it trusts, and its client certificate with
 * the key that never left this machine. Written whole to a temporary file
 * and renamed, so a crash never leaves a certificate without its key.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNodeCertificate } from '../../common/pki.js';

export interface Identity {
  nodeId: string;
  enrolledAtMs: number;
  caPem: string;
  certPem: string;
  keyPem: string;
}

export const identityPath = (dataDir: string) => join(dataDir, 'identity.json');

export class IdentityError extends Error {}

export function loadIdentity(dataDir: string): Identity | null {
  const path = identityPath(dataDir);
  if (!existsSync(path)) return null;
  let parsed: Partial<Identity> & { nodeToken?: string };
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<Identity>;
  } catch (err) {
    throw new IdentityError(`${path} is damaged (${(err as Error).message}): remove it and enroll again with a new join token`);
  }
  if (typeof parsed.nodeToken === 'string' && !parsed.certPem) {
    throw new IdentityError(`${path} holds a node token from before nodes had certificates: remove it and enroll again with a new join token`);
  }
  if (typeof parsed.nodeId !== 'string' || typeof parsed.caPem !== 'string' || typeof parsed.certPem !== 'string' || typeof parsed.keyPem !== 'string') {
    throw new IdentityError(`${path} is damaged: remove it and enroll again with a new join token`);
  }
  const identity: Identity = { nodeId: parsed.nodeId, enrolledAtMs: Number(parsed.enrolledAtMs ?? 0), caPem: parsed.caPem, certPem: parsed.certPem, keyPem: parsed.keyPem };
  checkIdentity(identity, path);
  return identity;
}

/** The certificate names this node, comes from the CA it trusts, and belongs to its key. */
export function checkIdentity(identity: Identity, where: string): void {
  try {
    const cert = new X509Certificate(identity.certPem);
    const ca = new X509Certificate(identity.caPem);
    if (readNodeCertificate(cert.raw)?.nodeId !== identity.nodeId) throw new Error(`the certificate does not name node ${identity.nodeId}`);
    if (!cert.verify(ca.publicKey)) throw new Error('the certificate is not signed by the fleet CA');
    if (!cert.checkPrivateKey(createPrivateKey(identity.keyPem))) throw new Error('the key does not belong to the certificate');
  } catch (err) {
    throw new IdentityError(`${where}: ${(err as Error).message}; remove it and enroll again with a new join token`);
  }
}

export function saveIdentity(dataDir: string, identity: Identity): void {
  const path = identityPath(dataDir);
  writeFileSync(`${path}.tmp`, JSON.stringify(identity, null, 2) + '\n', { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

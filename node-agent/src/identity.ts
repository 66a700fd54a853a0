/** The node's identity after enrollment, kept in DATA_DIR/identity.json (0600). */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Identity {
  nodeId: string;
  nodeToken: string;
  enrolledAtMs: number;
}

export const identityPath = (dataDir: string) => join(dataDir, 'identity.json');

export function loadIdentity(dataDir: string): Identity | null {
  const path = identityPath(dataDir);
  if (!existsSync(path)) return null;
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<Identity>;
  if (typeof parsed.nodeId !== 'string' || typeof parsed.nodeToken !== 'string') {
    throw new Error(`${path} is damaged: remove it and enroll again with a new join token`);
  }
  return { nodeId: parsed.nodeId, nodeToken: parsed.nodeToken, enrolledAtMs: Number(parsed.enrolledAtMs ?? 0) };
}

/** Written to a temporary file and renamed, so a crash never leaves half an identity. */
export function saveIdentity(dataDir: string, identity: Identity): void {
  const path = identityPath(dataDir);
  writeFileSync(`${path}.tmp`, JSON.stringify(identity, null, 2) + '\n', { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

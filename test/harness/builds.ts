/**
 * Other builds of this checkout, as other releases would be: the built tree
 * copied beside the test (with the proto files and package.json it runs
 * with, and this checkout's node_modules) and one constant changed in the
 * compiled code. Version-skew tests run real processes of two builds.
 */
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './requirements.js';

export interface Build {
  dir: string;
  controlPlane: string;
  nodeAgent: string;
  fleetctl: string;
}

/** A copy of this build whose node session protocol (`AGENT_PROTOCOL`, common/protocol.ts) is `protocol`. */
export function buildWithProtocol(parent: string, protocol: number): Build {
  const dir = join(parent, `build-protocol-${protocol}`);
  mkdirSync(dir, { recursive: true });
  for (const part of ['dist', 'proto', 'package.json']) cpSync(join(ROOT, part), join(dir, part), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const file = join(dir, 'dist/common/protocol.js');
  const before = readFileSync(file, 'utf8');
  const after = before.replace(/^export const AGENT_PROTOCOL = \d+;$/m, `export const AGENT_PROTOCOL = ${protocol};`);
  if (!after.includes(`export const AGENT_PROTOCOL = ${protocol};`)) throw new Error(`${file}: no "export const AGENT_PROTOCOL = N;" line to change: has common/protocol.ts changed its shape?`);
  writeFileSync(file, after);
  return {
    dir,
    controlPlane: join(dir, 'dist/control-plane/src/main.js'),
    nodeAgent: join(dir, 'dist/node-agent/src/main.js'),
    fleetctl: join(dir, 'dist/cli/src/main.js'),
  };
}

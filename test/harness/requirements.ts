/**
 * What the integration tests need, checked up front. A missing piece fails
 * the test with a message saying how to get it: nothing is silently skipped.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Docker from 'dockerode';

/** The checkout: found from test/harness in the source tree and from dist/test/harness alike. */
function findRoot(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${import.meta.dirname}`);
    dir = parent;
  }
  return dir;
}

export const ROOT = findRoot();
// Many daemons run at once on this machine: each takes any free port for its
// metrics listener instead of the default 7701/7702 (children inherit this).
process.env.FLEET_METRICS_LISTEN ??= '127.0.0.1:0';
export const TEST_IMAGE = 'fleet-test/busybox:1';
export const BIN = {
  controlPlane: join(ROOT, 'dist/control-plane/src/main.js'),
  nodeAgent: join(ROOT, 'dist/node-agent/src/main.js'),
  fleetctl: join(ROOT, 'dist/cli/src/main.js'),
};

export class MissingRequirement extends Error {}

export function requireBinary(name: string, install: string): void {
  const found = spawnSync(name, ['--version'], { encoding: 'utf8' });
  if (found.error || found.status !== 0) throw new MissingRequirement(`${name} is not installed: ${install} (or run .ci/run, which installs everything)`);
}

export function requireBuild(): void {
  for (const path of Object.values(BIN)) {
    if (!existsSync(path)) throw new MissingRequirement(`${path} is missing: run "npm run build" first (npm test does it)`);
  }
}

export async function requireDocker(): Promise<Docker> {
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  try {
    await docker.ping();
  } catch (err) {
    throw new MissingRequirement(`the Docker engine is not reachable at /var/run/docker.sock (${(err as Error).message}): install docker.io and start dockerd (.ci/run does both)`);
  }
  try {
    await docker.getImage(TEST_IMAGE).inspect();
  } catch {
    throw new MissingRequirement(`the test image ${TEST_IMAGE} is missing: run scripts/build-test-image.sh`);
  }
  return docker;
}

export const CLINE_IMAGE = 'localhost/cline-fleet/agent:3.0.65';

export async function requireClineImage(docker: Docker): Promise<void> {
  try {
    await docker.getImage(CLINE_IMAGE).inspect();
  } catch {
    throw new MissingRequirement(`the Cline agent image ${CLINE_IMAGE} is missing: run installers/cline-agent/build-offline.sh (needs debootstrap; scripts/setup.sh does it)`);
  }
}

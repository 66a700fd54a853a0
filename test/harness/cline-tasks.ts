/**
 * Cline tasks through fleetctl, for the integration tests: a fake provider
 * set up as a fleet provider (its key in a 0600 file, never in argv), a
 * submission, and the task as `task get --json` shows it.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeLlm, transcript, type Turn } from './fake-llm.js';
import type { TestFleet } from './fleet.js';

export interface ClineTaskJson {
  id: string;
  state: string;
  message: string;
  attempts: Array<{ id: string; state: string; reason: string; error: string; progress?: { iterations: number; inputTokens: number; outputTokens: number } }>;
  result?: { summary: string; baseCommit: string; patchBytes: number; usage: { inputTokens: number; outputTokens: number } };
}

/** A fake OpenAI-compatible provider, started, and set as provider `name` (with `extraArgs` to `provider set`). */
export async function addProvider(fleet: TestFleet, name: string, turns: Turn[] | FakeLlm['script'], extraArgs: string[] = []): Promise<FakeLlm> {
  const key = `sk-test-${name}-${randomBytes(12).toString('hex')}`;
  const fake = await new FakeLlm(key, Array.isArray(turns) ? transcript(turns) : turns).start();
  const keyFile = join(fleet.dir, `${name}.key`);
  writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
  const set = await fleet.fleetctl(['provider', 'set', name, '--base-url', fake.url, '--model', 'fake-model', '--api-key-file', keyFile, ...extraArgs]);
  if (set.code !== 0) {
    await fake.stop();
    throw new Error(`provider set failed: ${set.stderr}`);
  }
  return fake;
}

/** Submits a Cline task (a 3-minute timeout unless `args` say otherwise); its id. */
export async function submitCline(fleet: TestFleet, args: string[]): Promise<string> {
  const result = await fleet.fleetctl(['task', 'submit', '--agent', 'cline', '--timeout', '3m', ...args]);
  if (result.code !== 0) throw new Error(`submit failed (${result.code}): ${result.stderr}`);
  return result.stdout.trim();
}

export const getClineTask = (fleet: TestFleet, id: string) => fleet.json<ClineTaskJson>(['task', 'get', id]);

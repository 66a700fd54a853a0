/** A private nats-server per test file: its own port (-p -1) and its own store dir. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestProcess } from './process.js';
import { requireBinary } from './requirements.js';

export interface TestNats {
  url: string;
  process: TestProcess;
  stop(): Promise<void>;
}

export async function startNats(dir: string): Promise<TestNats> {
  requireBinary('nats-server', 'apt-get install -y nats-server');
  const portsDir = join(dir, 'nats-ports');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(portsDir, { recursive: true });
  const process = new TestProcess('nats-server', 'nats-server', ['-a', '127.0.0.1', '-p', '-1', '-js', '-sd', join(dir, 'nats-store'), '--ports_file_dir', portsDir], join(dir, 'nats.log'));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const file = readdirSync(portsDir).find((f) => f.endsWith('.ports'));
    if (file) {
      const url = (JSON.parse(readFileSync(join(portsDir, file), 'utf8')) as { nats: string[] }).nats[0]!;
      return { url, process, stop: async () => void (await process.stop()) };
    }
    if (process.child.exitCode !== null) break;
    await sleep(50);
  }
  await process.stop('SIGKILL');
  throw new Error(`nats-server did not start:\n${process.text}`);
}

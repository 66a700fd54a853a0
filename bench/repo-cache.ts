/**
 * Warm repository cache benchmark (issue 14): time from submitting a Cline
 * task to its container running, for a repository of at least 100 MB
 * (incompressible blobs over a few commits) served by `git http-backend`
 * over loopback HTTP, the first task on a node (cold: the whole repository
 * is downloaded into the node's mirror) against the next ones (warm: a
 * fetch of nothing new, then local clones).
 *
 *   npm run bench:repo-cache                         # 104 MB, 2 rounds, loopback
 *   npm run bench:repo-cache -- --mb 200 --rounds 3
 *   npm run bench:repo-cache -- --mbps 200           # the origin behind a 200 Mbit/s link
 *
 * Each round serves the repository under a new URL (a new key: cold again)
 * and runs one cold and two warm tasks. "Running" is Docker's own start
 * event for the attempt's container. Prints JSON: every time, the medians
 * and their ratio (target: warm at least 5x faster).
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FakeLlm, submitAndExit, transcript } from '../test/harness/fake-llm.js';
import { TestFleet, untilState } from '../test/harness/fleet.js';
import { git, makeRepo } from '../test/harness/git.js';
import { startGitHttp } from '../test/harness/git-http.js';
import { requireClineImage } from '../test/harness/requirements.js';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '104' }, commits: { type: 'string', default: '4' }, rounds: { type: 'string', default: '2' }, mbps: { type: 'string', default: '0' } } });
const MB = Number(values.mb);
const COMMITS = Number(values.commits);
const ROUNDS = Number(values.rounds);
const MBPS = Number(values.mbps);
if (!(MB >= 1) || !(COMMITS >= 1) || !(ROUNDS >= 1) || !(MBPS >= 0)) {
  process.stderr.write('usage: repo-cache [--mb 104] [--commits 4] [--rounds 2] [--mbps 0 (unpaced)]\n');
  process.exit(2);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const fleet = await TestFleet.start({ agents: [{ name: 'node-a', slots: 1 }] });
  const providers: FakeLlm[] = [];
  let http: Awaited<ReturnType<typeof startGitHttp>> | undefined;
  try {
    await requireClineImage(fleet.docker);
    // The repository: MB of random bytes in COMMITS commits, packed as a server would hold it.
    const work = join(fleet.dir, 'work');
    makeRepo(work, { 'README.md': '# big\n' });
    const perCommit = Math.ceil((MB * 1024 * 1024) / COMMITS);
    for (let i = 0; i < COMMITS; i++) {
      for (let j = 0; j < 4; j++) writeFileSync(join(work, `blob-${i}-${j}.bin`), randomBytes(Math.ceil(perCommit / 4)));
      git(work, 'add', '.');
      git(work, 'commit', '--quiet', '-m', `data ${i}`);
    }
    const served = join(fleet.dir, 'served');
    mkdirSync(served);
    execFileSync('git', ['clone', '--quiet', '--bare', '--no-local', work, join(served, 'big-0.git')]);
    const packBytes = Number(/size-pack: (\d+)/.exec(execFileSync('git', ['--git-dir', join(served, 'big-0.git'), 'count-objects', '-v'], { encoding: 'utf8' }))![1]) * 1024;
    http = await startGitHttp(served, { bytesPerSecond: (MBPS * 1e6) / 8 });

    const key = `sk-bench-${randomBytes(12).toString('hex')}`;
    const fake = await new FakeLlm(key, transcript([{ tools: [submitAndExit('Nothing to change.')], usage: { prompt: 10, completion: 5 } }])).start();
    providers.push(fake);
    const keyFile = join(fleet.dir, 'bench.key');
    writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
    await fleet.run(['provider', 'set', 'bench', '--base-url', fake.url, '--model', 'fake-model', '--api-key-file', keyFile]);

    /** Submit → the container's start event, in ms; and the bytes the origin sent. */
    const timeOne = async (url: string): Promise<{ ms: number; downloaded: number }> => {
      const before = http!.counts.packBytes;
      const submittedAtMs = Date.now();
      const id = (await fleet.run(['task', 'submit', '--agent', 'cline', '--timeout', '5m', '--repo', url, '--prompt', 'Look around', '--provider', 'bench'])).trim();
      const task = await untilState(fleet, id, ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'], 300_000);
      if (task.state !== 'SUCCEEDED') throw new Error(`task ${id} ended ${task.state}`);
      const [life] = await fleet.containerLifetimes(id);
      if (!life) throw new Error(`no container start seen for ${id}`);
      return { ms: Number(life.startNs / 1_000_000n) - submittedAtMs, downloaded: http!.counts.packBytes - before };
    };

    const cold: number[] = [];
    const warm: number[] = [];
    const downloads: { cold: number[]; warm: number[] } = { cold: [], warm: [] };
    for (let round = 0; round < ROUNDS; round++) {
      // A new URL each round (hardlinked copy): a new key, so the node's cache is cold for it.
      if (round > 0) execFileSync('cp', ['-al', join(served, 'big-0.git'), join(served, `big-${round}.git`)]);
      const url = `${http.baseUrl}big-${round}.git`;
      const c = await timeOne(url);
      cold.push(c.ms);
      downloads.cold.push(c.downloaded);
      for (let i = 0; i < 2; i++) {
        const w = await timeOne(url);
        warm.push(w.ms);
        downloads.warm.push(w.downloaded);
      }
    }
    const result = {
      benchmark: 'repo-cache',
      repositoryMB: MB,
      commits: COMMITS,
      packBytes,
      link: MBPS > 0 ? `${MBPS} Mbit/s (paced)` : 'loopback (unpaced)',
      rounds: ROUNDS,
      coldMs: cold,
      warmMs: warm,
      coldMedianMs: median(cold),
      warmMedianMs: median(warm),
      ratio: Number((median(cold) / median(warm)).toFixed(2)),
      target: 5,
      downloadedBytes: downloads,
    };
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } finally {
    await Promise.all(providers.map((p) => p.stop()));
    await http?.close();
    await fleet.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});

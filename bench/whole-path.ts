/**
 * Whole-path benchmark: N tasks of `true` through submit → schedule → gRPC →
 * Docker → result, submitted and awaited from this one process, against the
 * same N containers driven directly through the Docker API (create, start,
 * wait, remove), sequentially and with concurrency 8. Prints both, their
 * ratio, and the control plane's peak RSS.
 *
 *   npm run bench                      # N=50
 *   npm run bench -- --tasks 200 --concurrency 1,8,16
 *   npm run bench -- --compare-metrics # the same path with metrics off and
 *                                      # on (scraped every 5 s), alternating
 *
 * Target (issue 2): the whole path adds at most 30% per task over direct
 * Docker, and the control plane stays under 150 MB RSS.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import Docker from 'dockerode';
import { TestFleet } from '../test/harness/fleet.js';
import { bearer, clients } from '../test/harness/grpc.js';
import { TEST_IMAGE } from '../test/harness/requirements.js';
import type { Task__Output } from '../proto/gen/fleet/v1/Task.js';

const { values } = parseArgs({ options: { tasks: { type: 'string', default: '50' }, concurrency: { type: 'string', default: '1,8' }, 'compare-metrics': { type: 'boolean', default: false }, rounds: { type: 'string', default: '2' } } });
const N = Number(values.tasks);
const LEVELS = values.concurrency.split(',').map(Number);
if (!Number.isInteger(N) || N < 1 || LEVELS.some((c) => !Number.isInteger(c) || c < 1)) {
  process.stderr.write('usage: whole-path [--tasks N] [--concurrency 1,8]\n');
  process.exit(2);
}

async function pool(count: number, concurrency: number, work: (i: number) => Promise<void>): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await work(next++);
  }));
  return performance.now() - started;
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

async function direct(docker: Docker, concurrency: number): Promise<number> {
  return pool(N, concurrency, async () => {
    const container = await docker.createContainer({
      Image: TEST_IMAGE,
      Cmd: ['true'],
      Labels: { 'io.cline-fleet.bench': 'direct' },
      HostConfig: { Init: true, SecurityOpt: ['no-new-privileges:true'], CapDrop: ['ALL'], PidsLimit: 4096 },
    });
    await container.start();
    await container.wait();
    await container.remove({ force: true });
  });
}

async function wholePath(fleet: TestFleet, concurrency: number): Promise<number> {
  const { fleet: api } = clients(fleet.server, fleet.caPem);
  const metadata = bearer(fleet.adminToken);
  const elapsed = await pool(N, concurrency, async () => {
    const task = await new Promise<Task__Output>((resolve, reject) =>
      api.SubmitTask({ spec: { image: TEST_IMAGE, command: ['true'] } }, metadata, (err, res) => (err ? reject(err) : resolve(res!))),
    );
    await new Promise<void>((resolve, reject) => {
      const watch = api.WatchTask({ taskId: task.id }, metadata);
      watch.on('data', (t: Task__Output) => {
        if (t.state === 'TASK_STATE_SUCCEEDED') resolve();
        else if (['TASK_STATE_FAILED', 'TASK_STATE_CANCELLED', 'TASK_STATE_TIMED_OUT'].includes(String(t.state))) reject(new Error(`${t.id} ${t.state}: ${t.message}`));
      });
      watch.on('error', (err: grpc.ServiceError) => (err.code === grpc.status.CANCELLED ? resolve() : reject(err)));
    });
  });
  api.close();
  return elapsed;
}

/** Every metrics listener the fleet's processes opened (their logs name the port they got). */
function metricsEndpoints(fleet: TestFleet): string[] {
  const logs = [fleet.controlPlane!.text, ...fleet.agents.map((a) => a.process.text)];
  return logs.flatMap((text) => [...text.matchAll(/"listen":"([^"]+)","msg":"metrics and health endpoints listening"/g)].map((m) => `http://${m[1]}/metrics`));
}

/**
 * Metrics cost: whole fleets with --metrics-listen off and on (each endpoint
 * scraped every 5 s, three times Prometheus' usual rate), alternating so
 * that drift on a shared machine falls on both, at one concurrency.
 */
async function compareMetrics(rounds: number, concurrency: number): Promise<void> {
  const perMode: Record<'off' | 'on', number[]> = { off: [], on: [] };
  for (let round = 0; round < rounds; round++) {
    for (const mode of ['off', 'on'] as const) {
      process.env.FLEET_METRICS_LISTEN = mode === 'off' ? 'off' : '127.0.0.1:0';
      const fleet = await TestFleet.start({ agents: [{ name: 'bench-node', slots: concurrency }] });
      let scrapes = 0;
      const endpoints = mode === 'on' ? metricsEndpoints(fleet) : [];
      if (mode === 'on' && endpoints.length !== 2) throw new Error(`expected the control plane's and the agent's metrics endpoints, found ${endpoints.join(', ') || 'none'}`);
      const scraper = setInterval(() => {
        for (const url of endpoints) void fetch(url).then((r) => r.text()).then(() => scrapes++, () => {});
      }, 5_000);
      try {
        await wholePath(fleet, 4);
        const ms = await wholePath(fleet, concurrency);
        perMode[mode].push(ms / N);
        process.stdout.write(`round ${round + 1}, metrics ${mode.padEnd(3)}: ${(ms / N).toFixed(1)} ms/task${mode === 'on' ? ` (${scrapes} scrapes)` : ''}\n`);
      } finally {
        clearInterval(scraper);
        await fleet.stop();
      }
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const off = mean(perMode.off);
  const on = mean(perMode.on);
  const difference = (on - off) / off;
  process.stdout.write(
    JSON.stringify({ tasks: N, concurrency, rounds, msPerTask: { metricsOff: Number(off.toFixed(2)), metricsOn: Number(on.toFixed(2)) }, difference: `${(difference * 100).toFixed(1)}%`, withinTarget: difference < 0.05 }, null, 2) + '\n',
  );
}

if (values['compare-metrics']) {
  await compareMetrics(Number(values.rounds), Math.max(...LEVELS));
  process.exit(0);
}

const fleet = await TestFleet.start({ agents: [{ name: 'bench-node', slots: Math.max(...LEVELS) }] });
try {
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  // Warm both paths so that neither pays for a cold cache in the figures.
  await direct(docker, 1);
  await wholePath(fleet, 4);
  const rows: string[] = [];
  for (const concurrency of LEVELS) {
    const directMs = await direct(docker, concurrency);
    const fleetMs = await wholePath(fleet, concurrency);
    const ratio = fleetMs / directMs;
    rows.push(
      `concurrency ${String(concurrency).padStart(2)}: direct Docker ${(directMs / N).toFixed(1).padStart(7)} ms/task   whole path ${(fleetMs / N).toFixed(1).padStart(7)} ms/task   ratio ${ratio.toFixed(2)} (${ratio <= 1.3 ? 'within' : 'OVER'} the 1.30 target)`,
    );
  }
  const rss = peakRssMb(fleet.controlPlane!.child.pid!);
  process.stdout.write(`whole-path benchmark: ${N} tasks of \`true\`, image ${TEST_IMAGE}, one node agent\n`);
  for (const row of rows) process.stdout.write(`${row}\n`);
  process.stdout.write(`control plane peak RSS: ${rss.toFixed(1)} MB (${rss < 150 ? 'within' : 'OVER'} the 150 MB target)\n`);
} finally {
  await fleet.stop();
}

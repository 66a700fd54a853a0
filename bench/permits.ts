/**
 * Rate-permit benchmark: what a provider's fleet-wide --max-rpm costs the
 * control plane. N simulated nodes ask for one permit at a time, as fast as
 * they are answered, for one provider whose limit never binds, against a
 * real nats-server (JetStream, file storage), through R replicas' permit
 * services (each its own NATS connection). Two ways, in one run:
 *
 *   batched   ProviderRates: the asks that arrive while a write is in
 *             flight go in the next one (what the control plane does);
 *   per-ask   one compare-and-set per ask, retried on conflict (what it
 *             would do without batching).
 *
 * Prints one JSON object: permits a second, ask latency percentiles and
 * compare-and-set writes tried per permit (conflicts included) for each way.
 *
 *   npm run bench:permits -- --nodes 200 --replicas 3 --duration 10s
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { systemClock } from '../common/clock.js';
import { parseDuration } from '../common/duration.js';
import { EMPTY_WINDOW, grantPermits, type RateWindow } from '../common/rate-window.js';
import { ProviderRates } from '../control-plane/src/provider-rates.js';
import { KvRecords } from '../control-plane/src/store/kv-records.js';
import { startNats } from '../test/harness/nats.js';
import { fixed, summarize } from './load/stats.js';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '200' }, replicas: { type: 'string', default: '3' }, duration: { type: 'string', default: '10s' } } });
const NODES = Number(values.nodes);
const REPLICAS = Number(values.replicas);
const DURATION_MS = parseDuration('--duration', values.duration);
if (!Number.isInteger(NODES) || NODES < 1 || NODES > 100_000 || !Number.isInteger(REPLICAS) || REPLICAS < 1 || REPLICAS > 16) {
  process.stderr.write('usage: permits [--nodes 200] [--replicas 3] [--duration 10s]\n');
  process.exit(2);
}
const LIMITS = { maxConcurrent: Infinity, maxRpm: 10_000_000, maxTpm: 0 };
const log = pino({ level: process.env.BENCH_LOG ?? 'silent' });

/** Counts the compare-and-set writes a way tries (those that conflict too). */
function counted(records: KvRecords<RateWindow>, writes: { n: number }): KvRecords<RateWindow> {
  const update = records.update.bind(records);
  const create = records.create.bind(records);
  records.update = (key, value, revision) => {
    writes.n++;
    return update(key, value, revision);
  };
  records.create = (key, value) => {
    writes.n++;
    return create(key, value);
  };
  return records;
}

type Ask = () => Promise<number>;

async function measure(name: string, asks: Ask[], writes: { n: number }): Promise<Record<string, unknown>> {
  const latencies: number[] = [];
  let granted = 0;
  writes.n = 0;
  const started = performance.now();
  const until = started + DURATION_MS;
  await Promise.all(
    Array.from({ length: NODES }, async (_, i) => {
      const ask = asks[i % asks.length]!;
      while (performance.now() < until) {
        const t0 = performance.now();
        // Not `granted += await ask()`: that reads the sum before the wait and loses the other nodes' grants.
        const got = await ask();
        granted += got;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const l = summarize(latencies);
  process.stderr.write(`${name}: ${fixed(granted / seconds)} permits/s, p50 ${fixed(l.p50)} ms, p99 ${fixed(l.p99)} ms\n`);
  return { permitsPerSecond: fixed(granted / seconds), asks: latencies.length, askLatencyMs: { p50: fixed(l.p50), p90: fixed(l.p90), p99: fixed(l.p99) }, writesTriedPerPermit: fixed(writes.n / Math.max(1, granted), 3) };
}

const dir = mkdtempSync(join(tmpdir(), 'fleet-bench-permits-'));
const nats = await startNats(dir);
const connections: NatsConnection[] = [];
try {
  const bucket = async (name: string, writes: { n: number }) => {
    const list: KvRecords<RateWindow>[] = [];
    for (let r = 0; r < REPLICAS; r++) {
      const nc = await connect({ servers: nats.url });
      connections.push(nc);
      const kvm = new Kvm(jetstream(nc));
      const kv = r === 0 ? await kvm.create(name, { history: 1 }) : await kvm.open(name);
      list.push(counted(new KvRecords<RateWindow>(kv, 'provider rate window'), writes));
    }
    return list;
  };
  const batchedWrites = { n: 0 };
  const batched = (await bucket('bench_batched', batchedWrites)).map((records) => new ProviderRates({ records, limits: () => LIMITS, clock: systemClock, log }));
  const perAskWrites = { n: 0 };
  const perAsk = await bucket('bench_per_ask', perAskWrites);
  const result = {
    nodes: NODES,
    replicas: REPLICAS,
    durationSeconds: DURATION_MS / 1000,
    batched: await measure('batched', batched.map((rates) => async () => (await rates.ask({ provider: 'p', want: 1, tokens: 0, throttled: 0, askId: 1 })).granted), batchedWrites),
    perAsk: await measure(
      'per-ask',
      perAsk.map((records) => async () => {
        let granted = 0;
        await records.upsert('p', (current) => {
          const grant = grantPermits('p', current ?? EMPTY_WINDOW, LIMITS, { want: 1, tokens: 0, throttled: 0 }, Date.now());
          granted = grant.granted;
          return grant.window;
        }).catch(() => (granted = 0));
        return granted;
      }),
      perAskWrites,
    ),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await Promise.all(connections.map((nc) => nc.close().catch(() => {})));
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Compare-and-set on a bucket replicated over three real nats-servers, each
 * writer a replica's store connected to a different server. nats-server 2.9
 * checks a replicated stream's expected revision only before proposing a
 * write, so without the message-id fence (kv-records.ts, ReplicatedBucket)
 * most rounds of concurrent updates from one revision accepted two or three
 * of them, and concurrent increments were lost.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import anyTest, { type TestFn } from 'ava';
import { pino } from 'pino';
import { ConflictError } from '../common/errors.js';
import { openStore, type FleetStore } from '../control-plane/src/store/jetstream.js';
import type { KvRecords } from '../control-plane/src/store/kv-records.js';
import { TestNatsCluster } from './harness/nats.js';

interface Counter {
  n: number;
  by: number;
}

const test = anyTest as TestFn<{ dir: string; cluster: TestNatsCluster; stores: FleetStore[] }>;
test.serial.before(async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-test-cas-'));
  const cluster = await TestNatsCluster.start(dir, 3);
  const log = pino({ level: 'silent' });
  const open = async (url: string): Promise<FleetStore> => {
    // The cluster elects its JetStream meta leader after the servers are up.
    for (let i = 0; ; i++) {
      try {
        return await openStore({ servers: [url], replicas: 3, storage: 'file', logsMaxBytes: 1024 ** 2, name: 'cas', leaseTtlMs: 3_000 }, log);
      } catch (err) {
        if (i >= 60) throw err;
        await sleep(500);
      }
    }
  };
  // One after another: the first creates the streams, the others find them.
  const stores: FleetStore[] = [];
  for (const url of cluster.urls) stores.push(await open(url));
  t.context = { dir, cluster, stores };
});

test.after.always(async (t) => {
  await Promise.all((t.context.stores ?? []).map((s) => s.close()));
  await t.context.cluster?.stop();
  if (t.context.dir) rmSync(t.context.dir, { recursive: true, force: true });
});

const records = (store: FleetStore) => store.tasks as unknown as KvRecords<Counter>;

test.serial('of three replicas updating one record from the same revision at once, exactly one wins, in each of 200 rounds', async (t) => {
  const [first] = t.context.stores.map(records);
  for (let round = 0; round < 200; round++) {
    const key = `round-${round}`;
    const created = await first!.create(key, { n: 0, by: -1 });
    const tries = await Promise.allSettled(t.context.stores.map((s, i) => records(s).update(key, { n: 1, by: i }, created.revision)));
    const won = tries.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    t.is(won.length, 1, `round ${round}: ${tries.map((r) => (r.status === 'fulfilled' ? 'won' : (r.reason as Error).message)).join(' | ')}`);
    for (const r of tries) if (r.status === 'rejected') t.true(r.reason instanceof ConflictError, (r.reason as Error).message);
    // The stream leader holds the winner's value.
    const stored = await records(t.context.stores[0]!).getFromLeader(key);
    t.is(stored?.value.by, won[0]);
    if (won.length !== 1) return;
  }
});

test.serial('three replicas incrementing one record by read, decide, compare-and-set lose no increment', async (t) => {
  const key = 'counter';
  await records(t.context.stores[0]!).create(key, { n: 0, by: -1 });
  const perWriter = 40;
  await Promise.all(
    t.context.stores.map(async (s, i) => {
      for (let k = 0; k < perWriter; k++) await records(s).modify(key, (c) => ({ n: c.n + 1, by: i }));
    }),
  );
  const stored = await records(t.context.stores[1]!).getFromLeader(key);
  t.is(stored?.value.n, perWriter * t.context.stores.length);
});

test.serial('a delete and an update from the same revision: one of them, not both', async (t) => {
  for (let round = 0; round < 50; round++) {
    const key = `del-${round}`;
    const [a, b] = t.context.stores.map(records);
    const created = await a!.create(key, { n: 0, by: -1 });
    const [deleted, updated] = await Promise.allSettled([a!.deleteIf(key, created.revision), b!.update(key, { n: 1, by: 1 }, created.revision)]);
    t.is([deleted, updated].filter((r) => r.status === 'fulfilled').length, 1, `round ${round}`);
    const stored = await b!.getFromLeader(key);
    if (deleted.status === 'fulfilled') t.is(stored, null);
    else t.is(stored?.value.n, 1);
  }
});

test.serial('of three replicas creating a key that was deleted or purged, exactly one wins, in each of 40 rounds', async (t) => {
  for (let round = 0; round < 40; round++) {
    const key = `again-${round}`;
    const first = records(t.context.stores[0]!);
    const created = await first.create(key, { n: 0, by: -1 });
    // A lease given up (deleteIf) and an idempotency key removed by retention (purge) leave a marker.
    if (round % 2 === 0) await first.deleteIf(key, created.revision);
    else await first.purge(key, created.revision);
    const tries = await Promise.allSettled(t.context.stores.map((s, i) => records(s).create(key, { n: 1, by: i })));
    const won = tries.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    t.is(won.length, 1, `round ${round}: ${tries.map((r) => (r.status === 'fulfilled' ? 'won' : (r.reason as Error).message)).join(' | ')}`);
    for (const r of tries) if (r.status === 'rejected') t.true(r.reason instanceof ConflictError, (r.reason as Error).message);
    t.is((await first.getFromLeader(key))?.value.by, won[0]);
    if (won.length !== 1) return;
  }
});

test.serial('a purge from an old revision is refused and changes nothing', async (t) => {
  const store = records(t.context.stores[2]!);
  const created = await store.create('purge-me', { n: 0, by: -1 });
  const updated = await store.update('purge-me', { n: 1, by: 2 }, created.revision);
  await t.throwsAsync(store.purge('purge-me', created.revision), { instanceOf: ConflictError });
  t.is((await store.getFromLeader('purge-me'))?.revision, updated.revision);
  await store.purge('purge-me', updated.revision);
  t.is(await store.getFromLeader('purge-me'), null);
});

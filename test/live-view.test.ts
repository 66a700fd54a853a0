/**
 * A replica's live view of a bucket, on a real nats-server: under a steady
 * stream of writes the watch is always a few changes behind the bucket's
 * last revision, which must not pass for a watch that stopped (each restart
 * reads the whole bucket again).
 */
import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kvm } from '@nats-io/kv';
import { jetstreamManager } from '@nats-io/jetstream';
import { createLogger } from '../common/logger.js';
import { KvRecords } from '../control-plane/src/store/kv-records.js';
import { LiveView } from '../control-plane/src/store/live-view.js';
import { withNats } from './harness/nats.js';

test('a watch a few changes behind a steady stream of writes is not restarted', async (t) => {
  await withNats('live-view', async (nc) => {
    const kv = await new Kvm(nc).create('view_test', { history: 1 });
    const records = new KvRecords<{ n: number }>(kv, 'record');
    await Promise.all(Array.from({ length: 500 }, (_, i) => records.put(`k${i}`, { n: 0 })));
    let resets = 0;
    let changes = 0;
    const view = new LiveView(records, { reset: () => void resets++, change: () => void changes++ }, createLogger('test', 'silent'), 25);
    await view.start();
    let writing = true;
    let writes = 0;
    // Eight writers, as many requests in flight as a busy replica keeps.
    const writers = Array.from({ length: 8 }, async (_, w) => {
      while (writing) await records.put(`k${(writes++ * 8 + w) % 500}`, { n: writes });
    });
    await sleep(2_000);
    writing = false;
    await Promise.all(writers);
    await sleep(200);
    view.stop();
    t.log(`${writes} writes, ${changes} changes seen, checked every 25 ms for 2 s`);
    t.true(changes >= writes, `the view saw every write (${changes} of ${writes}, ${resets} snapshots)`);
    t.is(resets, 1, 'only the first snapshot: the watch was never restarted');
  });
});

test('a watch whose consumer is deleted under it is noticed and started again', async (t) => {
  await withNats('live-view', async (nc) => {
    const kv = await new Kvm(nc).create('view_test', { history: 1 });
    const records = new KvRecords<{ n: number }>(kv, 'record');
    await records.put('a', { n: 1 });
    const seen = new Map<string, number>();
    let resets = 0;
    const view = new LiveView(records, {
      reset: (snapshot) => {
        resets++;
        seen.clear();
        for (const c of snapshot) if (!c.deleted) seen.set(c.key, c.value.n);
      },
      change: (c) => void (!c.deleted && seen.set(c.key, c.value.n)),
    }, createLogger('test', 'silent'), 100);
    await view.start();
    // An operator cleaning up: every consumer on the bucket's stream deleted.
    const jsm = await jetstreamManager(nc);
    for await (const c of jsm.consumers.list('KV_view_test')) await jsm.consumers.delete('KV_view_test', c.name);
    for (let n = 2; n <= 5; n++) await records.put('a', { n });
    const deadline = Date.now() + 10_000;
    while (seen.get('a') !== 5 && Date.now() < deadline) await sleep(50);
    view.stop();
    t.is(seen.get('a'), 5, 'the view has the last write');
    t.log(`${resets} snapshots`);
  });
});

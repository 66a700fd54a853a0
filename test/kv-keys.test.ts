/**
 * Listing a bucket's keys while its records change, on a real nats-server:
 * JetStream delivers a key written during the listing a second time (its new
 * revision), and nats.js passes both on. A key must be listed once, or a
 * task written while ListTasks reads the bucket shows up twice.
 */
import test from 'ava';
import { Kvm } from '@nats-io/kv';
import { KvRecords } from '../control-plane/src/store/kv-records.js';
import { withNats } from './harness/nats.js';

test('a key written while the keys are listed is listed once', async (t) => {
  await withNats('kv-keys', async (nc) => {
    const kv = await new Kvm(nc).create('keys_test', { history: 1 });
    const records = new KvRecords<{ n: number }>(kv, 'record');
    const keys = Array.from({ length: 3_000 }, (_, i) => `k${String(i).padStart(5, '0')}`);
    await Promise.all(keys.map((k) => records.put(k, { n: 0 })));

    let writes = 0;
    let writing = true;
    const writer = (async () => {
      // Rewrite keys early in the listing's order while it runs: each comes round again.
      while (writing) {
        await records.put(keys[writes % 200]!, { n: ++writes });
      }
    })();
    let listed: string[] = [];
    try {
      for (let round = 0; round < 5; round++) {
        listed = await records.keys();
        t.is(new Set(listed).size, listed.length, `round ${round}: ${listed.length - new Set(listed).size} key(s) listed twice`);
      }
    } finally {
      writing = false;
      await writer;
    }
    t.deepEqual([...listed].sort(), keys, 'every key, once');
    t.true(writes > 0, 'records changed during the listings');
    t.log(`${writes} writes during 5 listings of ${keys.length} keys`);
  });
});

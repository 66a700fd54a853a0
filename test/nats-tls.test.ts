/**
 * The three-node example as shipped (`installers/examples/three-node/`),
 * rendered for loopback: every NATS port is TLS, the control plane logs in
 * with an nkey allowed only JetStream and the fleet's subjects, and routes are
 * mutual TLS. The fleet runs on it; a client without TLS or without the key,
 * a subject outside the grant, and a server without the cluster's
 * certificate are all refused.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '@nats-io/transport-node';
import anyTest, { type TestFn } from 'ava';
import { natsConnectionOptions } from '../control-plane/src/store/nats-access.js';
import { submitTask, TestFleet, untilState } from './harness/fleet.js';
import { freePort } from './harness/nats.js';
import { TestProcess } from './harness/process.js';

const test = anyTest as TestFn<{ fleet: TestFleet }>;

test.before(async (t) => {
  t.context.fleet = await TestFleet.start({ agents: [{ name: 'tls-node', slots: 2 }], natsCluster: 3, natsSecure: true });
});

test.after.always(async (t) => {
  await t.context.fleet?.stop();
});

const attempt = (options: Parameters<typeof connect>[0]) =>
  connect({ timeout: 5_000, reconnect: false, ...options }).then(
    async (nc) => {
      await nc.close();
      return 'connected';
    },
    (err: Error) => `${err.message} ${(err.cause as Error | undefined)?.message ?? ''}`,
  );

test.serial('the fleet runs on the secured cluster, and its replicas are R3 over TLS', async (t) => {
  const { fleet } = t.context;
  const id = await submitTask(fleet, [], ['echo', 'over tls']);
  t.is((await untilState(fleet, id, ['SUCCEEDED'])).state, 'SUCCEEDED');
  // Every bucket the fleet writes is in the account's permissions (the autoscale pools too).
  const pool = await fleet.fleetctl(['autoscale', 'set', 'tls', '--selector', 'pool=tls', '--min', '0', '--max', '1']);
  t.is(pool.code, 0, pool.stderr);
  const status = await fleet.json<{ streams: Array<{ name: string; replicas: number; peers: Array<{ current: boolean }> }> }>(['cluster', 'status']);
  t.true(status.streams.length > 0);
  for (const s of status.streams) t.is(s.replicas, 3, s.name);
});

test.serial('a client without TLS, or with TLS and no key, is refused; the key opens only what the fleet needs', async (t) => {
  const { fleet } = t.context;
  const cluster = fleet.natsCluster!;
  const url = cluster.urls[0]!;
  t.notRegex(await attempt({ servers: url }), /^connected$/, 'plaintext is refused');
  t.regex(await attempt({ servers: url, tls: { caFile: cluster.access!.caFile } }), /Authorization Violation/i);

  const nc = await connect({ servers: url, timeout: 5_000, reconnect: false, ...natsConnectionOptions({ credsFile: cluster.access!.seedFile, caFile: cluster.access!.caFile }) });
  try {
    const errors: string[] = [];
    (async () => {
      for await (const s of nc.status()) if (s.type === 'error') errors.push(String((s as { error?: Error }).error?.message ?? ''));
    })().catch(() => {});
    nc.publish('elsewhere.secrets', 'x');
    const sub = nc.subscribe('$SYS.>');
    const denied = await Promise.race([
      (async () => {
        try {
          for await (const _ of sub) return 'message';
          return 'ended';
        } catch (err) {
          return (err as Error).message;
        }
      })(),
      sleep(5_000).then(() => 'no answer'),
    ]);
    await nc.flush().catch(() => {});
    await sleep(500);
    t.regex(`${denied} ${errors.join(' ')}`, /permissions violation/i, 'subjects outside the grant are refused');
  } finally {
    await nc.close().catch(() => {});
  }
});

test.serial('a nats-server without a certificate of the cluster CA cannot join as a route', async (t) => {
  const { fleet } = t.context;
  const cluster = fleet.natsCluster!;
  const seed = cluster.nodes[0]!;
  const intruder = new TestProcess('nats-intruder', 'nats-server', [
    '-a', '127.0.0.1', '-p', String(await freePort()), '-n', 'intruder', '--cluster_name', 'fleet',
    '--cluster', `nats://127.0.0.1:${await freePort()}`, '--routes', `nats://127.0.0.1:${seed.clusterPort}`,
  ], join(fleet.dir, 'nats-intruder.log'));
  try {
    await intruder.waitForText('Server is ready');
    await sleep(4_000);
    // Its attempts are cut at the TLS handshake: each route it opens is closed at once.
    const created = (intruder.text.match(/Route connection created/g) ?? []).length;
    const closed = (intruder.text.match(/Router connection closed/g) ?? []).length;
    t.true(created > 0, 'it did try');
    t.is(created, closed, 'no route of the intruder stayed open');
    t.regex(seed.process!.text, /TLS route handshake error|tls: /i, 'the cluster refused it at the handshake');
    t.notRegex(seed.process!.text, /intruder/, 'the cluster never heard of it by name');
    const status = await fleet.json<{ streams: Array<{ peers: unknown[] }> }>(['cluster', 'status']);
    for (const s of status.streams) t.true(s.peers.length <= 3);
  } finally {
    await intruder.stop('SIGKILL');
  }
});

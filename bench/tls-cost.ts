/**
 * What TLS costs the control plane's transport, against plaintext, in one
 * run: the same NodeService.Connect stream served by grpc-js in a child
 * process, once with insecure credentials and once exactly as the control
 * plane serves it (the fleet CA's server certificate, node client
 * certificates, `ServerIdentity`). Measured in the server process:
 *
 * - N nodes connecting at once (each its own channel and handshake, a hello
 *   answered by a welcome): wall time until all are welcomed, and the
 *   server's CPU;
 * - heartbeats on those open sessions: the server's CPU per heartbeat
 *   (decode, acknowledge), the figure that scales with the fleet;
 * - the server's memory per open session (RSS, and the live JavaScript heap
 *   after a full collection): what one replica's session count costs.
 *
 *   npm run bench:tls -- --nodes 1000 --heartbeats 20
 *
 * The server only answers (welcome, heartbeat-ack); the control plane's own
 * work per heartbeat is the same over either transport.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { createCa, createNodeKeyAndCsr, loadSigningCa, signNodeCsr, type Pem } from '../common/pki.js';
import { channelOptions, CHANNEL_OPTIONS, loadProtos } from '../common/proto.js';
import { serverNameCheck } from '../common/tls-names.js';
import type { NodeServiceClient } from '../proto/gen/fleet/v1/NodeService.js';

type Mode = 'plaintext' | 'tls';
interface ServerReady {
  port: number;
}

// ---------------------------------------------------------------- server (child)

async function serve(mode: Mode, caPem: Pem): Promise<void> {
  const { ServerIdentity } = await import('../control-plane/src/tls/fleet-tls.js');
  const { fleet } = loadProtos();
  const server = new grpc.Server(CHANNEL_OPTIONS);
  let heartbeats = 0;
  server.addService(fleet.fleet.v1.NodeService.service, {
    Enroll: (_call: unknown, cb: (err: Error) => void) => cb(new Error('not here')),
    Connect: (call: grpc.ServerDuplexStream<{ msg: string }, object>) => {
      if (mode === 'tls' && !call.getAuthContext()?.sslPeerCertificate) {
        call.emit('error', { code: grpc.status.UNAUTHENTICATED, details: 'no node certificate' });
        return;
      }
      call.on('data', (m: { msg: string }) => {
        if (m.msg === 'hello') call.write({ welcome: { nodeId: 'node_bench', heartbeatIntervalMs: 5_000, stopAfterDisconnectMs: 20_000 } });
        else if (m.msg === 'heartbeat') {
          heartbeats++;
          call.write({ heartbeatAck: { serverTimeMs: Date.now() } });
        }
      });
      call.on('end', () => call.end());
      call.on('error', () => {});
    },
  });
  const log = { info: () => {}, error: () => {} } as never;
  const credentials = mode === 'tls' ? (await ServerIdentity.start(await loadSigningCa(caPem.certPem, caPem.keyPem), ['127.0.0.1'], {}, log)).credentials() : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))));
  process.send!({ port } satisfies ServerReady);
  process.on('message', (m: string) => {
    if (m === 'cpu') {
      // Live memory only: what the sessions hold, not garbage not yet collected (the child runs with --expose-gc).
      (globalThis as { gc?: () => void }).gc?.();
      const { rss, heapUsed } = process.memoryUsage();
      process.send!({ cpu: process.cpuUsage(), heartbeats, rss, heapUsed });
    }
    if (m === 'stop') {
      server.forceShutdown();
      process.exit(0);
    }
  });
}

// ---------------------------------------------------------------- driver

async function cpuOf(child: ChildProcess): Promise<{ ms: number; heartbeats: number; rss: number; heapUsed: number }> {
  child.send('cpu');
  const [reply] = (await once(child, 'message')) as [{ cpu: NodeJS.CpuUsage; heartbeats: number; rss: number; heapUsed: number }];
  return { ms: (reply.cpu.user + reply.cpu.system) / 1000, heartbeats: reply.heartbeats, rss: reply.rss, heapUsed: reply.heapUsed };
}

interface Session {
  client: NodeServiceClient;
  call: grpc.ClientDuplexStream<object, { msg: string }>;
  acks: number;
  waiters: Array<() => void>;
}

async function run(mode: Mode, nodes: number, heartbeatsPerNode: number, caPem: Pem, clientCerts: Array<{ certPem: string; keyPem: string }>) {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', mode, '--ca', JSON.stringify(caPem)], { stdio: 'inherit', execArgv: [...process.execArgv, '--expose-gc'] });
  const [ready] = (await once(child, 'message')) as [ServerReady];
  const target = `127.0.0.1:${ready.port}`;
  const { fleet } = loadProtos();
  const before = await cpuOf(child);
  const started = performance.now();
  const sessions: Session[] = await Promise.all(
    Array.from({ length: nodes }, async (_, i) => {
      const cert = clientCerts[i % clientCerts.length]!;
      const creds =
        mode === 'tls'
          ? grpc.credentials.createSsl(Buffer.from(caPem.certPem), Buffer.from(cert.keyPem), Buffer.from(cert.certPem), { checkServerIdentity: serverNameCheck(tls.checkServerIdentity) })
          : grpc.credentials.createInsecure();
      // Each node its own connection, as on separate machines.
      const client = new fleet.fleet.v1.NodeService(target, creds, { ...channelOptions(target), 'grpc.use_local_subchannel_pool': 1 }) as NodeServiceClient;
      const call = client.Connect() as unknown as grpc.ClientDuplexStream<object, { msg: string }>;
      const session: Session = { client, call, acks: 0, waiters: [] };
      const welcomed = new Promise<void>((resolve, reject) => {
        call.on('data', (m: { msg: string }) => {
          if (m.msg === 'welcome') resolve();
          if (m.msg === 'heartbeatAck') {
            session.acks++;
            session.waiters.shift()?.();
          }
        });
        call.on('error', reject);
      });
      call.write({ hello: { name: `bench-${i}`, slots: 4 } });
      await welcomed;
      return session;
    }),
  );
  const connectMs = performance.now() - started;
  const afterConnect = await cpuOf(child);

  const beat = { heartbeat: { resources: { cpus: 4, loadPercent: 12.5, memoryTotalBytes: 8e9, memoryUsedBytes: 2e9, diskTotalBytes: 1e11, diskUsedBytes: 4e10 }, freeSlots: 4, dockerHealthy: true, fleetContainers: 0 } };
  const hbStarted = performance.now();
  await Promise.all(
    sessions.map(async (s) => {
      for (let i = 0; i < heartbeatsPerNode; i++) {
        const acked = new Promise<void>((resolve) => s.waiters.push(resolve));
        s.call.write(beat);
        await acked;
      }
    }),
  );
  const hbMs = performance.now() - hbStarted;
  const afterBeats = await cpuOf(child);
  // What an open session holds on the server, once each has connected and heartbeated.
  const rssPerSession = (afterBeats.rss - before.rss) / nodes;
  const heapPerSession = (afterBeats.heapUsed - before.heapUsed) / nodes;
  for (const s of sessions) {
    s.call.end();
    s.client.close();
  }
  child.send('stop');
  await once(child, 'exit');
  const beats = afterBeats.heartbeats - afterConnect.heartbeats;
  return {
    connectMs,
    connectCpuMs: afterConnect.ms - before.ms,
    beats,
    cpuUsPerBeat: ((afterBeats.ms - afterConnect.ms) * 1000) / beats,
    beatsPerSec: beats / (hbMs / 1000),
    rssKbPerSession: rssPerSession / 1024,
    heapKbPerSession: heapPerSession / 1024,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { nodes: { type: 'string', default: '1000' }, heartbeats: { type: 'string', default: '20' }, serve: { type: 'string' }, ca: { type: 'string' } } });
  if (values.serve) {
    await serve(values.serve as Mode, JSON.parse(values.ca!) as Pem);
    return;
  }
  const nodes = Number(values.nodes);
  const heartbeats = Number(values.heartbeats);
  if (!Number.isInteger(nodes) || nodes < 1 || !Number.isInteger(heartbeats) || heartbeats < 1) {
    process.stderr.write('usage: tls-cost [--nodes 1000] [--heartbeats 20]\n');
    process.exit(2);
  }
  const caPem = await createCa('bench CA', 86_400_000);
  const ca = await loadSigningCa(caPem.certPem, caPem.keyPem);
  // Distinct certificates for a realistic handshake; 50 are enough to vary them without minting a thousand.
  const clientCerts = await Promise.all(
    Array.from({ length: Math.min(nodes, 50) }, async (_, i) => {
      const { keyPem, csrPem } = await createNodeKeyAndCsr();
      return { certPem: (await signNodeCsr(ca, csrPem, `node_${String(i).padStart(19, '0')}`, 86_400_000)).certPem, keyPem };
    }),
  );
  const results: Record<Mode, Awaited<ReturnType<typeof run>>> = {} as never;
  for (const mode of ['plaintext', 'tls'] as const) results[mode] = await run(mode, nodes, heartbeats, caPem, clientCerts);
  const p = results.plaintext;
  const s = results.tls;
  const line = (label: string, a: string, b: string, ratio: string) => process.stdout.write(`${label.padEnd(44)}${a.padStart(14)}${b.padStart(14)}${ratio.padStart(10)}\n`);
  process.stdout.write(`TLS cost on this machine: ${nodes} nodes connecting at once, then ${heartbeats} heartbeats each (server in its own process)\n`);
  line('', 'plaintext', 'mTLS', 'ratio');
  line(`${nodes} nodes connected and welcomed (wall)`, `${p.connectMs.toFixed(0)} ms`, `${s.connectMs.toFixed(0)} ms`, (s.connectMs / p.connectMs).toFixed(2));
  line(`  server CPU for those connections`, `${p.connectCpuMs.toFixed(0)} ms`, `${s.connectCpuMs.toFixed(0)} ms`, (s.connectCpuMs / p.connectCpuMs).toFixed(2));
  line(`  server CPU per connection`, `${(p.connectCpuMs / nodes).toFixed(2)} ms`, `${(s.connectCpuMs / nodes).toFixed(2)} ms`, '');
  line(`server CPU per heartbeat (${s.beats} beats)`, `${p.cpuUsPerBeat.toFixed(0)} µs`, `${s.cpuUsPerBeat.toFixed(0)} µs`, (s.cpuUsPerBeat / p.cpuUsPerBeat).toFixed(2));
  line(`heartbeats acknowledged per second`, p.beatsPerSec.toFixed(0), s.beatsPerSec.toFixed(0), (s.beatsPerSec / p.beatsPerSec).toFixed(2));
  line(`server memory per open session (RSS)`, `${p.rssKbPerSession.toFixed(1)} KB`, `${s.rssKbPerSession.toFixed(1)} KB`, (s.rssKbPerSession / p.rssKbPerSession).toFixed(2));
  line(`  of which live JavaScript heap`, `${p.heapKbPerSession.toFixed(1)} KB`, `${s.heapKbPerSession.toFixed(1)} KB`, '');
}

void main().catch((err: unknown) => {
  process.stderr.write(`tls-cost: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

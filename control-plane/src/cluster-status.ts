/** What `fleetctl cluster status` shows: replicas, the leader, and JetStream's replication health. */
import type { JetStreamManager } from '@nats-io/jetstream';
import type { ClusterStatus } from '../../proto/gen/fleet/v1/ClusterStatus.js';
import type { StreamStatus } from '../../proto/gen/fleet/v1/StreamStatus.js';
import type { LeaseRecord } from './lease.js';
import type { ReplicaRegistry } from './replica-registry.js';
import { BUCKETS, STREAMS } from './store/jetstream.js';
import type { KvRecords } from './store/kv-records.js';

const STREAM_NAMES = [...Object.values(BUCKETS).map((b) => `KV_${b}`), STREAMS.events.name, STREAMS.logs.name];
const NANOS_PER_MS = 1_000_000;

export async function clusterStatus(deps: {
  jsm: JetStreamManager;
  registry: ReplicaRegistry;
  leases: KvRecords<LeaseRecord>;
  replicaId: string;
}): Promise<ClusterStatus> {
  const [replicas, lease, streams] = await Promise.all([
    deps.registry.list(),
    deps.leases.get('leader'),
    Promise.all(STREAM_NAMES.map((name) => deps.jsm.streams.info(name).then(toStreamStatus, () => ({ name, replicas: 0, storage: 'unavailable', leader: '', peers: [], messages: 0, bytes: 0 })))),
  ]);
  const healthy = streams.every((s) => s.storage !== 'unavailable' && (s.replicas === 1 || (s.leader !== '' && (s.peers ?? []).every((p) => p.current && !p.offline))));
  return {
    replicas: replicas.map((r) => ({ ...r })),
    leader: lease ? { replicaId: lease.value.holder, epoch: lease.revision === 0 ? 0 : lease.value.epoch, renewedAtMs: lease.value.renewedAtMs } : { replicaId: '', epoch: 0, renewedAtMs: 0 },
    streams,
    jetstreamHealthy: healthy,
    answeredBy: deps.replicaId,
  };
}

function toStreamStatus(info: Awaited<ReturnType<JetStreamManager['streams']['info']>>): StreamStatus {
  return {
    name: info.config.name,
    replicas: info.config.num_replicas,
    storage: String(info.config.storage),
    leader: info.cluster?.leader ?? '',
    peers: (info.cluster?.replicas ?? []).map((p) => ({ name: p.name, current: p.current, offline: Boolean(p.offline), lag: Number(p.lag ?? 0), activeMs: Math.round(Number(p.active ?? 0) / NANOS_PER_MS) })),
    messages: info.state.messages,
    bytes: info.state.bytes,
  };
}

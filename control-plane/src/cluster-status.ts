/** What `fleetctl cluster status` shows: replicas, the leader, and JetStream's replication health. */
import type { ClusterStatus } from '../../proto/gen/fleet/v1/ClusterStatus.js';
import { LEASE_KEY } from './lease.js';
import type { ReplicaRegistry } from './replica-registry.js';
import type { FleetStore } from './store/jetstream.js';

export async function clusterStatus(deps: { store: Pick<FleetStore, 'leases' | 'streams'>; registry: ReplicaRegistry; replicaId: string }): Promise<ClusterStatus> {
  const [replicas, lease, streams] = await Promise.all([deps.registry.list(), deps.store.leases.get(LEASE_KEY), deps.store.streams()]);
  const healthy = streams.every((s) => s.storage !== 'unavailable' && (s.replicas === 1 || (s.leader !== '' && s.peers.every((p) => p.current && !p.offline))));
  return {
    replicas: replicas.map((r) => ({ ...r })),
    leader: lease ? { replicaId: lease.value.holder, epoch: lease.revision === 0 ? 0 : lease.value.epoch, renewedAtMs: lease.value.renewedAtMs } : { replicaId: '', epoch: 0, renewedAtMs: 0 },
    streams,
    jetstreamHealthy: healthy,
    answeredBy: deps.replicaId,
  };
}

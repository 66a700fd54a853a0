// Original file: proto/fleet/v1/fleet.proto

import type { ReplicaStatus as _fleet_v1_ReplicaStatus, ReplicaStatus__Output as _fleet_v1_ReplicaStatus__Output } from '../../fleet/v1/ReplicaStatus';
import type { LeaderStatus as _fleet_v1_LeaderStatus, LeaderStatus__Output as _fleet_v1_LeaderStatus__Output } from '../../fleet/v1/LeaderStatus';
import type { StreamStatus as _fleet_v1_StreamStatus, StreamStatus__Output as _fleet_v1_StreamStatus__Output } from '../../fleet/v1/StreamStatus';

export interface ClusterStatus {
  'replicas'?: (_fleet_v1_ReplicaStatus)[];
  'leader'?: (_fleet_v1_LeaderStatus | null);
  'streams'?: (_fleet_v1_StreamStatus)[];
  'jetstreamHealthy'?: (boolean);
  'answeredBy'?: (string);
}

export interface ClusterStatus__Output {
  'replicas': (_fleet_v1_ReplicaStatus__Output)[];
  'leader': (_fleet_v1_LeaderStatus__Output | null);
  'streams': (_fleet_v1_StreamStatus__Output)[];
  'jetstreamHealthy': (boolean);
  'answeredBy': (string);
}

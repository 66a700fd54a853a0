// Original file: proto/fleet/v1/fleet.proto

import type { Rollout as _fleet_v1_Rollout, Rollout__Output as _fleet_v1_Rollout__Output } from '../../fleet/v1/Rollout';

export interface ListRolloutsResponse {
  'rollouts'?: (_fleet_v1_Rollout)[];
}

export interface ListRolloutsResponse__Output {
  'rollouts': (_fleet_v1_Rollout__Output)[];
}

// Original file: proto/fleet/v1/fleet.proto

import type { Rollout as _fleet_v1_Rollout, Rollout__Output as _fleet_v1_Rollout__Output } from '../../fleet/v1/Rollout';

export interface GetRolloutResponse {
  'rollout'?: (_fleet_v1_Rollout | null);
  'fleetImage'?: (string);
}

export interface GetRolloutResponse__Output {
  'rollout': (_fleet_v1_Rollout__Output | null);
  'fleetImage': (string);
}

// Original file: proto/fleet/v1/fleet.proto

import type { Forge as _fleet_v1_Forge, Forge__Output as _fleet_v1_Forge__Output } from '../../fleet/v1/Forge';

export interface ListForgesResponse {
  'forges'?: (_fleet_v1_Forge)[];
}

export interface ListForgesResponse__Output {
  'forges': (_fleet_v1_Forge__Output)[];
}

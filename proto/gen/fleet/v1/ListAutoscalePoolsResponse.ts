// Original file: proto/fleet/v1/fleet.proto

import type { AutoscalePool as _fleet_v1_AutoscalePool, AutoscalePool__Output as _fleet_v1_AutoscalePool__Output } from '../../fleet/v1/AutoscalePool';

export interface ListAutoscalePoolsResponse {
  'pools'?: (_fleet_v1_AutoscalePool)[];
}

export interface ListAutoscalePoolsResponse__Output {
  'pools': (_fleet_v1_AutoscalePool__Output)[];
}

// Original file: proto/fleet/v1/fleet.proto

import type { Provider as _fleet_v1_Provider, Provider__Output as _fleet_v1_Provider__Output } from '../../fleet/v1/Provider';

export interface ListProvidersResponse {
  'providers'?: (_fleet_v1_Provider)[];
}

export interface ListProvidersResponse__Output {
  'providers': (_fleet_v1_Provider__Output)[];
}

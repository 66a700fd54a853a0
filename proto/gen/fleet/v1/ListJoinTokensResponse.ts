// Original file: proto/fleet/v1/fleet.proto

import type { JoinToken as _fleet_v1_JoinToken, JoinToken__Output as _fleet_v1_JoinToken__Output } from '../../fleet/v1/JoinToken';

export interface ListJoinTokensResponse {
  'tokens'?: (_fleet_v1_JoinToken)[];
}

export interface ListJoinTokensResponse__Output {
  'tokens': (_fleet_v1_JoinToken__Output)[];
}

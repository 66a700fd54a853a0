// Original file: proto/fleet/v1/fleet.proto

import type { AccessToken as _fleet_v1_AccessToken, AccessToken__Output as _fleet_v1_AccessToken__Output } from '../../fleet/v1/AccessToken';

export interface ListAccessTokensResponse {
  'tokens'?: (_fleet_v1_AccessToken)[];
}

export interface ListAccessTokensResponse__Output {
  'tokens': (_fleet_v1_AccessToken__Output)[];
}

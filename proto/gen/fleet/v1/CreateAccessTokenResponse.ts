// Original file: proto/fleet/v1/fleet.proto

import type { AccessToken as _fleet_v1_AccessToken, AccessToken__Output as _fleet_v1_AccessToken__Output } from '../../fleet/v1/AccessToken';

export interface CreateAccessTokenResponse {
  'token'?: (string);
  'accessToken'?: (_fleet_v1_AccessToken | null);
}

export interface CreateAccessTokenResponse__Output {
  'token': (string);
  'accessToken': (_fleet_v1_AccessToken__Output | null);
}

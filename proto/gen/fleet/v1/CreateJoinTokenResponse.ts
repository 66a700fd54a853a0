// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface CreateJoinTokenResponse {
  'token'?: (string);
  'tokenId'?: (string);
  'expiresAtMs'?: (number | string | Long);
  'maxUses'?: (number);
}

export interface CreateJoinTokenResponse__Output {
  'token': (string);
  'tokenId': (string);
  'expiresAtMs': (number);
  'maxUses': (number);
}

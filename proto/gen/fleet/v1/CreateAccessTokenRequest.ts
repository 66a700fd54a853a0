// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface CreateAccessTokenRequest {
  'name'?: (string);
  'role'?: (string);
  'ttlMs'?: (number | string | Long);
  'team'?: (string);
}

export interface CreateAccessTokenRequest__Output {
  'name': (string);
  'role': (string);
  'ttlMs': (number);
  'team': (string);
}

// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface AccessToken {
  'name'?: (string);
  'role'?: (string);
  'createdAtMs'?: (number | string | Long);
  'expiresAtMs'?: (number | string | Long);
  'createdBy'?: (string);
  'revokedAtMs'?: (number | string | Long);
  'rotatedAtMs'?: (number | string | Long);
  'team'?: (string);
}

export interface AccessToken__Output {
  'name': (string);
  'role': (string);
  'createdAtMs': (number);
  'expiresAtMs': (number);
  'createdBy': (string);
  'revokedAtMs': (number);
  'rotatedAtMs': (number);
  'team': (string);
}

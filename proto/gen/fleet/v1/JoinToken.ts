// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface JoinToken {
  'tokenId'?: (string);
  'createdAtMs'?: (number | string | Long);
  'expiresAtMs'?: (number | string | Long);
  'maxUses'?: (number);
  'uses'?: (number);
  'labels'?: ({[key: string]: string});
  'maxSlots'?: (number);
}

export interface JoinToken__Output {
  'tokenId': (string);
  'createdAtMs': (number);
  'expiresAtMs': (number);
  'maxUses': (number);
  'uses': (number);
  'labels': ({[key: string]: string});
  'maxSlots': (number);
}

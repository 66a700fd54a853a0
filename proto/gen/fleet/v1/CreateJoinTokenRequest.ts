// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface CreateJoinTokenRequest {
  'ttlMs'?: (number | string | Long);
  'maxUses'?: (number);
  'labels'?: ({[key: string]: string});
  'maxSlots'?: (number);
}

export interface CreateJoinTokenRequest__Output {
  'ttlMs': (number);
  'maxUses': (number);
  'labels': ({[key: string]: string});
  'maxSlots': (number);
}

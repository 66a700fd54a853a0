// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface HeartbeatAck {
  'serverTimeMs'?: (number | string | Long);
  'prefetchImages'?: (string)[];
}

export interface HeartbeatAck__Output {
  'serverTimeMs': (number);
  'prefetchImages': (string)[];
}

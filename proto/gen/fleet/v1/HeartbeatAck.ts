// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface HeartbeatAck {
  'serverTimeMs'?: (number | string | Long);
}

export interface HeartbeatAck__Output {
  'serverTimeMs': (number);
}

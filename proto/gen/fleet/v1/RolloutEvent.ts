// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface RolloutEvent {
  'atMs'?: (number | string | Long);
  'what'?: (string);
}

export interface RolloutEvent__Output {
  'atMs': (number);
  'what': (string);
}

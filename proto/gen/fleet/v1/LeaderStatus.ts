// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface LeaderStatus {
  'replicaId'?: (string);
  'epoch'?: (number | string | Long);
  'renewedAtMs'?: (number | string | Long);
}

export interface LeaderStatus__Output {
  'replicaId': (string);
  'epoch': (number);
  'renewedAtMs': (number);
}

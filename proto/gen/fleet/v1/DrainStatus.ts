// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface DrainStatus {
  'state'?: (string);
  'requestedAtMs'?: (number | string | Long);
  'deadlineMs'?: (number | string | Long);
  'completedAtMs'?: (number | string | Long);
}

export interface DrainStatus__Output {
  'state': (string);
  'requestedAtMs': (number);
  'deadlineMs': (number);
  'completedAtMs': (number);
}

// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface Cancel {
  'taskId'?: (string);
  'attemptId'?: (string);
  'reason'?: (string);
  'graceMs'?: (number | string | Long);
}

export interface Cancel__Output {
  'taskId': (string);
  'attemptId': (string);
  'reason': (string);
  'graceMs': (number);
}

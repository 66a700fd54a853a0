// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface TeamSpendEntry {
  'taskId'?: (string);
  'attemptId'?: (string);
  'tokens'?: (number | string | Long);
  'costUsd'?: (number | string);
}

export interface TeamSpendEntry__Output {
  'taskId': (string);
  'attemptId': (string);
  'tokens': (number);
  'costUsd': (number);
}

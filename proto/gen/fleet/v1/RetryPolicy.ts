// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface RetryPolicy {
  'maxAttempts'?: (number);
  'initialBackoffMs'?: (number | string | Long);
  'maxBackoffMs'?: (number | string | Long);
  'backoffMultiplier'?: (number | string);
  'nonRetryableExitCodes'?: (number)[];
}

export interface RetryPolicy__Output {
  'maxAttempts': (number);
  'initialBackoffMs': (number);
  'maxBackoffMs': (number);
  'backoffMultiplier': (number);
  'nonRetryableExitCodes': (number)[];
}

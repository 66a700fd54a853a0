// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface ResourceLimits {
  'cpus'?: (number | string);
  'memoryBytes'?: (number | string | Long);
  'pidsLimit'?: (number);
}

export interface ResourceLimits__Output {
  'cpus': (number);
  'memoryBytes': (number);
  'pidsLimit': (number);
}

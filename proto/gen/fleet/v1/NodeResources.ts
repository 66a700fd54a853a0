// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface NodeResources {
  'cpus'?: (number);
  'loadPercent'?: (number | string);
  'memoryTotalBytes'?: (number | string | Long);
  'memoryUsedBytes'?: (number | string | Long);
  'diskTotalBytes'?: (number | string | Long);
  'diskUsedBytes'?: (number | string | Long);
}

export interface NodeResources__Output {
  'cpus': (number);
  'loadPercent': (number);
  'memoryTotalBytes': (number);
  'memoryUsedBytes': (number);
  'diskTotalBytes': (number);
  'diskUsedBytes': (number);
}

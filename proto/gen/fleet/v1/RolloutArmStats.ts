// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface RolloutArmStats {
  'attempts'?: (number | string | Long);
  'succeeded'?: (number | string | Long);
  'failed'?: (number | string | Long);
  'failedByReason'?: ({[key: string]: number | string | Long});
  'successDurationMs'?: (number | string | Long);
  'successTokens'?: (number | string | Long);
}

export interface RolloutArmStats__Output {
  'attempts': (number);
  'succeeded': (number);
  'failed': (number);
  'failedByReason': ({[key: string]: number});
  'successDurationMs': (number);
  'successTokens': (number);
}

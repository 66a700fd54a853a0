// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface StartRolloutRequest {
  'image'?: (string);
  'steps'?: (number)[];
  'stepIntervalMs'?: (number | string | Long);
  'minTasks'?: (number);
  'maxFailureIncrease'?: (number | string);
  'maxCostIncrease'?: (number | string);
  '_maxFailureIncrease'?: "maxFailureIncrease";
  '_maxCostIncrease'?: "maxCostIncrease";
}

export interface StartRolloutRequest__Output {
  'image': (string);
  'steps': (number)[];
  'stepIntervalMs': (number);
  'minTasks': (number);
  'maxFailureIncrease'?: (number);
  'maxCostIncrease'?: (number);
  '_maxFailureIncrease'?: "maxFailureIncrease";
  '_maxCostIncrease'?: "maxCostIncrease";
}

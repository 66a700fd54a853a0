// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface SetAutoscalePoolRequest {
  'name'?: (string);
  'selector'?: ({[key: string]: string});
  'minNodes'?: (number);
  'maxNodes'?: (number);
  'scaleUpCooldownMs'?: (number | string | Long);
  'scaleDownCooldownMs'?: (number | string | Long);
}

export interface SetAutoscalePoolRequest__Output {
  'name': (string);
  'selector': ({[key: string]: string});
  'minNodes': (number);
  'maxNodes': (number);
  'scaleUpCooldownMs': (number);
  'scaleDownCooldownMs': (number);
}

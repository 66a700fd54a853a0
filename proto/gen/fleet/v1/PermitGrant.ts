// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface PermitGrant {
  'provider'?: (string);
  'granted'?: (number);
  'validForMs'?: (number | string | Long);
  'retryAfterMs'?: (number | string | Long);
  'why'?: (string);
  'askId'?: (number);
  'uncounted'?: (boolean);
}

export interface PermitGrant__Output {
  'provider': (string);
  'granted': (number);
  'validForMs': (number);
  'retryAfterMs': (number);
  'why': (string);
  'askId': (number);
  'uncounted': (boolean);
}

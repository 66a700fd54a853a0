// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface PermitAsk {
  'provider'?: (string);
  'want'?: (number);
  'tokens'?: (number | string | Long);
  'throttled'?: (number);
  'askId'?: (number);
}

export interface PermitAsk__Output {
  'provider': (string);
  'want': (number);
  'tokens': (number);
  'throttled': (number);
  'askId': (number);
}

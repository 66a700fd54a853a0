// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface ServedBy {
  'provider'?: (string);
  'model'?: (string);
  'calls'?: (number | string | Long);
}

export interface ServedBy__Output {
  'provider': (string);
  'model': (string);
  'calls': (number);
}

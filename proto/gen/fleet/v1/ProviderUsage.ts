// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface ProviderUsage {
  'requestsLastMinute'?: (number);
  'tokensLastMinute'?: (number | string | Long);
  'rpmInForce'?: (number);
  'tpmInForce'?: (number | string | Long);
  'throttledAtMs'?: (number | string | Long);
}

export interface ProviderUsage__Output {
  'requestsLastMinute': (number);
  'tokensLastMinute': (number);
  'rpmInForce': (number);
  'tpmInForce': (number);
  'throttledAtMs': (number);
}

// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface TeamUsage {
  'running'?: (number);
  'pending'?: (number);
  'day'?: (string);
  'tokensToday'?: (number | string | Long);
  'costUsdToday'?: (number | string);
  'blocked'?: (string);
}

export interface TeamUsage__Output {
  'running': (number);
  'pending': (number);
  'day': (string);
  'tokensToday': (number);
  'costUsdToday': (number);
  'blocked': (string);
}

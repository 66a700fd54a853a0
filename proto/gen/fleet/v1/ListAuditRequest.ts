// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface ListAuditRequest {
  'sinceMs'?: (number | string | Long);
  'actor'?: (string);
  'follow'?: (boolean);
}

export interface ListAuditRequest__Output {
  'sinceMs': (number);
  'actor': (string);
  'follow': (boolean);
}

// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface ListAuditRequest {
  'sinceMs'?: (number | string | Long);
  'actor'?: (string);
  'follow'?: (boolean);
  'afterSeq'?: (number | string | Long);
  'afterIndex'?: (number);
}

export interface ListAuditRequest__Output {
  'sinceMs': (number);
  'actor': (string);
  'follow': (boolean);
  'afterSeq': (number);
  'afterIndex': (number);
}

// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface NodeRestartRequest {
  'id'?: (string);
  'drain'?: (boolean);
  'requestedAtMs'?: (number | string | Long);
  'requestedBy'?: (string);
  'state'?: (string);
  'reason'?: (string);
  'completedAtMs'?: (number | string | Long);
}

export interface NodeRestartRequest__Output {
  'id': (string);
  'drain': (boolean);
  'requestedAtMs': (number);
  'requestedBy': (string);
  'state': (string);
  'reason': (string);
  'completedAtMs': (number);
}

// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface ReplicaStatus {
  'id'?: (string);
  'address'?: (string);
  'startedAtMs'?: (number | string | Long);
  'lastSeenMs'?: (number | string | Long);
  'nodeSessions'?: (number);
  'leader'?: (boolean);
  'serving'?: (boolean);
}

export interface ReplicaStatus__Output {
  'id': (string);
  'address': (string);
  'startedAtMs': (number);
  'lastSeenMs': (number);
  'nodeSessions': (number);
  'leader': (boolean);
  'serving': (boolean);
}

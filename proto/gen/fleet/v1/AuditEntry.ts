// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface AuditEntry {
  'callId'?: (string);
  'atMs'?: (number | string | Long);
  'actor'?: (string);
  'role'?: (string);
  'action'?: (string);
  'target'?: (string);
  'peer'?: (string);
  'phase'?: (string);
  'outcome'?: (string);
  'error'?: (string);
  'replica'?: (string);
  'seq'?: (number | string | Long);
  'index'?: (number);
}

export interface AuditEntry__Output {
  'callId': (string);
  'atMs': (number);
  'actor': (string);
  'role': (string);
  'action': (string);
  'target': (string);
  'peer': (string);
  'phase': (string);
  'outcome': (string);
  'error': (string);
  'replica': (string);
  'seq': (number);
  'index': (number);
}

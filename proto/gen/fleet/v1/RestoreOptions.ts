// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface RestoreOptions {
  'atMs'?: (number | string | Long);
  'force'?: (boolean);
  'sizeBytes'?: (number | string | Long);
  'dropIncompleteTail'?: (boolean);
}

export interface RestoreOptions__Output {
  'atMs': (number);
  'force': (boolean);
  'sizeBytes': (number);
  'dropIncompleteTail': (boolean);
}

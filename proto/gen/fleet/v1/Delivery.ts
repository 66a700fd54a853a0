// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface Delivery {
  'branch'?: (string);
  'commit'?: (string);
  'baseBranch'?: (string);
  'prNumber'?: (number | string | Long);
  'prUrl'?: (string);
  'tries'?: (number);
  'error'?: (string);
  'deliveredAtMs'?: (number | string | Long);
  'prExisted'?: (boolean);
}

export interface Delivery__Output {
  'branch': (string);
  'commit': (string);
  'baseBranch': (string);
  'prNumber': (number);
  'prUrl': (string);
  'tries': (number);
  'error': (string);
  'deliveredAtMs': (number);
  'prExisted': (boolean);
}

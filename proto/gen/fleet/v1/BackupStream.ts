// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface BackupStream {
  'name'?: (string);
  'kind'?: (string);
  'subjects'?: (string)[];
  'maxAgeMs'?: (number | string | Long);
}

export interface BackupStream__Output {
  'name': (string);
  'kind': (string);
  'subjects': (string)[];
  'maxAgeMs': (number);
}

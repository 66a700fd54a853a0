// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface Forge {
  'name'?: (string);
  'type'?: (string);
  'baseUrl'?: (string);
  'gitUrl'?: (string);
  'createdAtMs'?: (number | string | Long);
  'updatedAtMs'?: (number | string | Long);
}

export interface Forge__Output {
  'name': (string);
  'type': (string);
  'baseUrl': (string);
  'gitUrl': (string);
  'createdAtMs': (number);
  'updatedAtMs': (number);
}

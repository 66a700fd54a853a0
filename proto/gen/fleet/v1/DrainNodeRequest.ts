// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface DrainNodeRequest {
  'node'?: (string);
  'deadlineMs'?: (number | string | Long);
}

export interface DrainNodeRequest__Output {
  'node': (string);
  'deadlineMs': (number);
}

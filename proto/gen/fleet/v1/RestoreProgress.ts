// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface RestoreProgress {
  'phase'?: (string);
  'done'?: (number | string | Long);
  'total'?: (number | string | Long);
  'restoredAtMs'?: (number | string | Long);
  'written'?: ({[key: string]: number | string | Long});
}

export interface RestoreProgress__Output {
  'phase': (string);
  'done': (number);
  'total': (number);
  'restoredAtMs': (number);
  'written': ({[key: string]: number});
}

// Original file: proto/fleet/v1/fleet.proto

import type { Long } from '@grpc/proto-loader';

export interface CreateBackupRequest {
  'follow'?: (boolean);
  'afterSeq'?: ({[key: string]: number | string | Long});
}

export interface CreateBackupRequest__Output {
  'follow': (boolean);
  'afterSeq': ({[key: string]: number});
}

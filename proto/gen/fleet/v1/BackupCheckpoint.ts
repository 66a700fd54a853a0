// Original file: proto/fleet/v1/fleet.proto

import type { BackupGap as _fleet_v1_BackupGap, BackupGap__Output as _fleet_v1_BackupGap__Output } from '../../fleet/v1/BackupGap';
import type { Long } from '@grpc/proto-loader';

export interface BackupCheckpoint {
  'coveredUntilMs'?: (number | string | Long);
  'validFromMs'?: (number | string | Long);
  'lastSeq'?: ({[key: string]: number | string | Long});
  'gaps'?: (_fleet_v1_BackupGap)[];
}

export interface BackupCheckpoint__Output {
  'coveredUntilMs': (number);
  'validFromMs': (number);
  'lastSeq': ({[key: string]: number});
  'gaps': (_fleet_v1_BackupGap__Output)[];
}

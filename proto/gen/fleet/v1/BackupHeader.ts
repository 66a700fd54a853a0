// Original file: proto/fleet/v1/fleet.proto

import type { BackupStream as _fleet_v1_BackupStream, BackupStream__Output as _fleet_v1_BackupStream__Output } from '../../fleet/v1/BackupStream';
import type { Long } from '@grpc/proto-loader';

export interface BackupHeader {
  'formatVersion'?: (number);
  'fleetVersion'?: (string);
  'startedAtMs'?: (number | string | Long);
  'streams'?: (_fleet_v1_BackupStream)[];
}

export interface BackupHeader__Output {
  'formatVersion': (number);
  'fleetVersion': (string);
  'startedAtMs': (number);
  'streams': (_fleet_v1_BackupStream__Output)[];
}

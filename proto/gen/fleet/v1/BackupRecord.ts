// Original file: proto/fleet/v1/fleet.proto

import type { BackupHeaderValue as _fleet_v1_BackupHeaderValue, BackupHeaderValue__Output as _fleet_v1_BackupHeaderValue__Output } from '../../fleet/v1/BackupHeaderValue';
import type { Long } from '@grpc/proto-loader';

export interface BackupRecord {
  'stream'?: (string);
  'seq'?: (number | string | Long);
  'atMs'?: (number | string | Long);
  'subject'?: (string);
  'headers'?: (_fleet_v1_BackupHeaderValue)[];
  'data'?: (Buffer | Uint8Array | string);
}

export interface BackupRecord__Output {
  'stream': (string);
  'seq': (number);
  'atMs': (number);
  'subject': (string);
  'headers': (_fleet_v1_BackupHeaderValue__Output)[];
  'data': (Buffer);
}

// Original file: proto/fleet/v1/fleet.proto

import type { RestoreOptions as _fleet_v1_RestoreOptions, RestoreOptions__Output as _fleet_v1_RestoreOptions__Output } from '../../fleet/v1/RestoreOptions';

export interface RestoreBackupRequest {
  'options'?: (_fleet_v1_RestoreOptions | null);
  'data'?: (Buffer | Uint8Array | string);
  'msg'?: "options"|"data";
}

export interface RestoreBackupRequest__Output {
  'options'?: (_fleet_v1_RestoreOptions__Output | null);
  'data'?: (Buffer);
  'msg'?: "options"|"data";
}

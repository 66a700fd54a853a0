// Original file: proto/fleet/v1/fleet.proto

import type { BackupHeader as _fleet_v1_BackupHeader, BackupHeader__Output as _fleet_v1_BackupHeader__Output } from '../../fleet/v1/BackupHeader';
import type { BackupRecord as _fleet_v1_BackupRecord, BackupRecord__Output as _fleet_v1_BackupRecord__Output } from '../../fleet/v1/BackupRecord';
import type { BackupCheckpoint as _fleet_v1_BackupCheckpoint, BackupCheckpoint__Output as _fleet_v1_BackupCheckpoint__Output } from '../../fleet/v1/BackupCheckpoint';

export interface BackupMessage {
  'header'?: (_fleet_v1_BackupHeader | null);
  'record'?: (_fleet_v1_BackupRecord | null);
  'checkpoint'?: (_fleet_v1_BackupCheckpoint | null);
  'msg'?: "header"|"record"|"checkpoint";
}

export interface BackupMessage__Output {
  'header'?: (_fleet_v1_BackupHeader__Output | null);
  'record'?: (_fleet_v1_BackupRecord__Output | null);
  'checkpoint'?: (_fleet_v1_BackupCheckpoint__Output | null);
  'msg'?: "header"|"record"|"checkpoint";
}

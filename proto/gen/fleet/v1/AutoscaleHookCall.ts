// Original file: proto/fleet/v1/fleet.proto

import type { AutoscaleNodeRef as _fleet_v1_AutoscaleNodeRef, AutoscaleNodeRef__Output as _fleet_v1_AutoscaleNodeRef__Output } from '../../fleet/v1/AutoscaleNodeRef';
import type { Long } from '@grpc/proto-loader';

export interface AutoscaleHookCall {
  'startedAtMs'?: (number | string | Long);
  'endedAtMs'?: (number | string | Long);
  'current'?: (number);
  'desired'?: (number);
  'remove'?: (_fleet_v1_AutoscaleNodeRef)[];
  'result'?: (string);
  'error'?: (string);
}

export interface AutoscaleHookCall__Output {
  'startedAtMs': (number);
  'endedAtMs': (number);
  'current': (number);
  'desired': (number);
  'remove': (_fleet_v1_AutoscaleNodeRef__Output)[];
  'result': (string);
  'error': (string);
}

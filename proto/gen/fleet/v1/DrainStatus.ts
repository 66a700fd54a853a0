// Original file: proto/fleet/v1/fleet.proto

import type { DrainState as _fleet_v1_DrainState, DrainState__Output as _fleet_v1_DrainState__Output } from '../../fleet/v1/DrainState';
import type { Long } from '@grpc/proto-loader';

export interface DrainStatus {
  'requestedAtMs'?: (number | string | Long);
  'deadlineMs'?: (number | string | Long);
  'completedAtMs'?: (number | string | Long);
  'state'?: (_fleet_v1_DrainState);
}

export interface DrainStatus__Output {
  'requestedAtMs': (number);
  'deadlineMs': (number);
  'completedAtMs': (number);
  'state': (_fleet_v1_DrainState__Output);
}

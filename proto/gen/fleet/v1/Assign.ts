// Original file: proto/fleet/v1/fleet.proto

import type { TaskSpec as _fleet_v1_TaskSpec, TaskSpec__Output as _fleet_v1_TaskSpec__Output } from '../../fleet/v1/TaskSpec';
import type { ProviderGrant as _fleet_v1_ProviderGrant, ProviderGrant__Output as _fleet_v1_ProviderGrant__Output } from '../../fleet/v1/ProviderGrant';

export interface Assign {
  'taskId'?: (string);
  'attemptId'?: (string);
  'spec'?: (_fleet_v1_TaskSpec | null);
  'provider'?: (_fleet_v1_ProviderGrant | null);
}

export interface Assign__Output {
  'taskId': (string);
  'attemptId': (string);
  'spec': (_fleet_v1_TaskSpec__Output | null);
  'provider': (_fleet_v1_ProviderGrant__Output | null);
}

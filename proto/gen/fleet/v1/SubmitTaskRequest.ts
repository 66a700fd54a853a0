// Original file: proto/fleet/v1/fleet.proto

import type { TaskSpec as _fleet_v1_TaskSpec, TaskSpec__Output as _fleet_v1_TaskSpec__Output } from '../../fleet/v1/TaskSpec';

export interface SubmitTaskRequest {
  'spec'?: (_fleet_v1_TaskSpec | null);
}

export interface SubmitTaskRequest__Output {
  'spec': (_fleet_v1_TaskSpec__Output | null);
}

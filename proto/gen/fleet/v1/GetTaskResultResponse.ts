// Original file: proto/fleet/v1/fleet.proto

import type { TaskResult as _fleet_v1_TaskResult, TaskResult__Output as _fleet_v1_TaskResult__Output } from '../../fleet/v1/TaskResult';

export interface GetTaskResultResponse {
  'result'?: (_fleet_v1_TaskResult | null);
  'patch'?: (Buffer | Uint8Array | string);
}

export interface GetTaskResultResponse__Output {
  'result': (_fleet_v1_TaskResult__Output | null);
  'patch': (Buffer);
}

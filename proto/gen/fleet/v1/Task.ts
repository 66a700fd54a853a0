// Original file: proto/fleet/v1/fleet.proto

import type { TaskSpec as _fleet_v1_TaskSpec, TaskSpec__Output as _fleet_v1_TaskSpec__Output } from '../../fleet/v1/TaskSpec';
import type { TaskState as _fleet_v1_TaskState, TaskState__Output as _fleet_v1_TaskState__Output } from '../../fleet/v1/TaskState';
import type { Attempt as _fleet_v1_Attempt, Attempt__Output as _fleet_v1_Attempt__Output } from '../../fleet/v1/Attempt';
import type { TaskResult as _fleet_v1_TaskResult, TaskResult__Output as _fleet_v1_TaskResult__Output } from '../../fleet/v1/TaskResult';
import type { Delivery as _fleet_v1_Delivery, Delivery__Output as _fleet_v1_Delivery__Output } from '../../fleet/v1/Delivery';
import type { Long } from '@grpc/proto-loader';

export interface Task {
  'id'?: (string);
  'spec'?: (_fleet_v1_TaskSpec | null);
  'state'?: (_fleet_v1_TaskState);
  'attempts'?: (_fleet_v1_Attempt)[];
  'createdAtMs'?: (number | string | Long);
  'updatedAtMs'?: (number | string | Long);
  'notBeforeMs'?: (number | string | Long);
  'message'?: (string);
  'taskFailures'?: (number);
  'infraFailures'?: (number);
  'result'?: (_fleet_v1_TaskResult | null);
  'delivery'?: (_fleet_v1_Delivery | null);
}

export interface Task__Output {
  'id': (string);
  'spec': (_fleet_v1_TaskSpec__Output | null);
  'state': (_fleet_v1_TaskState__Output);
  'attempts': (_fleet_v1_Attempt__Output)[];
  'createdAtMs': (number);
  'updatedAtMs': (number);
  'notBeforeMs': (number);
  'message': (string);
  'taskFailures': (number);
  'infraFailures': (number);
  'result': (_fleet_v1_TaskResult__Output | null);
  'delivery': (_fleet_v1_Delivery__Output | null);
}

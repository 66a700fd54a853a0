// Original file: proto/fleet/v1/fleet.proto

import type { TaskState as _fleet_v1_TaskState, TaskState__Output as _fleet_v1_TaskState__Output } from '../../fleet/v1/TaskState';

export interface ListTasksRequest {
  'states'?: (_fleet_v1_TaskState)[];
  'limit'?: (number);
  'pageToken'?: (string);
  'team'?: (string);
}

export interface ListTasksRequest__Output {
  'states': (_fleet_v1_TaskState__Output)[];
  'limit': (number);
  'pageToken': (string);
  'team': (string);
}

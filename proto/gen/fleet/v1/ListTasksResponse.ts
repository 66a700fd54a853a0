// Original file: proto/fleet/v1/fleet.proto

import type { Task as _fleet_v1_Task, Task__Output as _fleet_v1_Task__Output } from '../../fleet/v1/Task';

export interface ListTasksResponse {
  'tasks'?: (_fleet_v1_Task)[];
  'nextPageToken'?: (string);
}

export interface ListTasksResponse__Output {
  'tasks': (_fleet_v1_Task__Output)[];
  'nextPageToken': (string);
}

// Original file: proto/fleet/v1/fleet.proto


export interface CancelTaskRequest {
  'taskId'?: (string);
  'reason'?: (string);
}

export interface CancelTaskRequest__Output {
  'taskId': (string);
  'reason': (string);
}

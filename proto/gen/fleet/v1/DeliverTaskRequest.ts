// Original file: proto/fleet/v1/fleet.proto


export interface DeliverTaskRequest {
  'taskId'?: (string);
}

export interface DeliverTaskRequest__Output {
  'taskId': (string);
}

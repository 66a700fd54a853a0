// Original file: proto/fleet/v1/fleet.proto


export interface GetTaskLogsRequest {
  'taskId'?: (string);
  'follow'?: (boolean);
}

export interface GetTaskLogsRequest__Output {
  'taskId': (string);
  'follow': (boolean);
}

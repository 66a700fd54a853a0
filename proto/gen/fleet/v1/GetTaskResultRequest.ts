// Original file: proto/fleet/v1/fleet.proto


export interface GetTaskResultRequest {
  'taskId'?: (string);
  'includePatch'?: (boolean);
}

export interface GetTaskResultRequest__Output {
  'taskId': (string);
  'includePatch': (boolean);
}

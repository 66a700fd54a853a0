// Original file: proto/fleet/v1/fleet.proto


export interface DeclinedAttempt {
  'taskId'?: (string);
  'attemptId'?: (string);
  'reason'?: (string);
  'error'?: (string);
}

export interface DeclinedAttempt__Output {
  'taskId': (string);
  'attemptId': (string);
  'reason': (string);
  'error': (string);
}

// Original file: proto/fleet/v1/fleet.proto


export interface RestartAnswer {
  'requestId'?: (string);
  'accepted'?: (boolean);
  'reason'?: (string);
}

export interface RestartAnswer__Output {
  'requestId': (string);
  'accepted': (boolean);
  'reason': (string);
}

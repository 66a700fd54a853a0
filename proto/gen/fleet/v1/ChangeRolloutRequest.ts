// Original file: proto/fleet/v1/fleet.proto


export interface ChangeRolloutRequest {
  'action'?: (string);
  'reason'?: (string);
}

export interface ChangeRolloutRequest__Output {
  'action': (string);
  'reason': (string);
}

// Original file: proto/fleet/v1/fleet.proto


export interface AttemptStarted {
  'containerId'?: (string);
}

export interface AttemptStarted__Output {
  'containerId': (string);
}

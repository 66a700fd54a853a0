// Original file: proto/fleet/v1/fleet.proto


export interface Restart {
  'requestId'?: (string);
  'drain'?: (boolean);
}

export interface Restart__Output {
  'requestId': (string);
  'drain': (boolean);
}

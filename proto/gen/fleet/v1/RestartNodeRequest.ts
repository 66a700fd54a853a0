// Original file: proto/fleet/v1/fleet.proto


export interface RestartNodeRequest {
  'node'?: (string);
  'drain'?: (boolean);
}

export interface RestartNodeRequest__Output {
  'node': (string);
  'drain': (boolean);
}

// Original file: proto/fleet/v1/fleet.proto


export interface CordonNodeRequest {
  'node'?: (string);
  'reason'?: (string);
}

export interface CordonNodeRequest__Output {
  'node': (string);
  'reason': (string);
}

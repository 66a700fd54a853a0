// Original file: proto/fleet/v1/fleet.proto


export interface EnrollResponse {
  'nodeId'?: (string);
  'nodeToken'?: (string);
}

export interface EnrollResponse__Output {
  'nodeId': (string);
  'nodeToken': (string);
}

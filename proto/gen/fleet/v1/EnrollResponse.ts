// Original file: proto/fleet/v1/fleet.proto


export interface EnrollResponse {
  'nodeId'?: (string);
  'certificatePem'?: (string);
  'caPem'?: (string);
}

export interface EnrollResponse__Output {
  'nodeId': (string);
  'certificatePem': (string);
  'caPem': (string);
}

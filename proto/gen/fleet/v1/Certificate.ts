// Original file: proto/fleet/v1/fleet.proto


export interface Certificate {
  'certificatePem'?: (string);
}

export interface Certificate__Output {
  'certificatePem': (string);
}

// Original file: proto/fleet/v1/fleet.proto


export interface RenewCertificate {
  'csrPem'?: (string);
}

export interface RenewCertificate__Output {
  'csrPem': (string);
}

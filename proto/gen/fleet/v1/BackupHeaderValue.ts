// Original file: proto/fleet/v1/fleet.proto


export interface BackupHeaderValue {
  'name'?: (string);
  'value'?: (string);
}

export interface BackupHeaderValue__Output {
  'name': (string);
  'value': (string);
}

// Original file: proto/fleet/v1/fleet.proto


export interface TeamRef {
  'name'?: (string);
}

export interface TeamRef__Output {
  'name': (string);
}

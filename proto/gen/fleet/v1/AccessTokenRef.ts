// Original file: proto/fleet/v1/fleet.proto


export interface AccessTokenRef {
  'name'?: (string);
}

export interface AccessTokenRef__Output {
  'name': (string);
}

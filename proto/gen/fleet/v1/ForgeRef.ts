// Original file: proto/fleet/v1/fleet.proto


export interface ForgeRef {
  'name'?: (string);
}

export interface ForgeRef__Output {
  'name': (string);
}

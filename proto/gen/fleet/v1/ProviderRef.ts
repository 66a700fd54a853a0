// Original file: proto/fleet/v1/fleet.proto


export interface ProviderRef {
  'name'?: (string);
}

export interface ProviderRef__Output {
  'name': (string);
}

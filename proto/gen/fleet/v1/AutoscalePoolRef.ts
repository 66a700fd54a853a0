// Original file: proto/fleet/v1/fleet.proto


export interface AutoscalePoolRef {
  'name'?: (string);
}

export interface AutoscalePoolRef__Output {
  'name': (string);
}

// Original file: proto/fleet/v1/fleet.proto


export interface AutoscaleNodeRef {
  'id'?: (string);
  'name'?: (string);
}

export interface AutoscaleNodeRef__Output {
  'id': (string);
  'name': (string);
}
